//! Plain-object arguments whose property names are checked, so that a typo in an option name
//! is an `ERR_INVALID_CONFIG` error rather than silently ignored; and JavaScript numbers made
//! fit for the core's serde definitions.

use napi::bindgen_prelude::{Env, FromNapiValue, Object, TypeName, ValueType};
use napi::sys;
use serde_json::{Number, Value};

use crate::error;

/// A plain-object argument whose property names are checked against `NAMES` (the JavaScript
/// spelling): an unknown property (a typo) is an `ERR_INVALID_CONFIG` error rather than
/// silently ignored. A test checks each list against the generated interface in `index.d.ts`.
pub trait Names {
    const NAMES: &'static [&'static str];
    const TYPE: &'static str;
}

/// `T` as an argument, with its property names checked against `Names::NAMES`.
#[derive(Debug)]
pub struct Checked<T>(pub T);

impl<T: Names> TypeName for Checked<T> {
    fn type_name() -> &'static str {
        T::TYPE
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl<T: Names + FromNapiValue> FromNapiValue for Checked<T> {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: `env` and `value` come from napi-rs's argument conversion, as the caller's
        // contract requires; they are passed on unchanged.
        let object = unsafe { Object::from_napi_value(env, value)? };
        if let Some(name) = Object::keys(&object)?
            .into_iter()
            .find(|k| !T::NAMES.contains(&k.as_str()))
        {
            let err = error::unknown_option(&name);
            return Err(error::into_status_error(&Env::from_raw(env), err));
        }
        // SAFETY: as above.
        Ok(Self(unsafe { T::from_napi_value(env, value)? }))
    }
}

/// `value` with every integral JavaScript number (up to 2^53 in magnitude) as a JSON integer.
///
/// napi-rs hands numbers outside the 32-bit range to serde as floats (`1767225600000.0`),
/// which serde refuses for integer fields such as a timestamp in milliseconds; JavaScript has
/// no other way to write them. Fractional numbers stay floats (and are refused where the core
/// wants an integer).
pub fn integral_numbers(value: Value) -> Value {
    const MAX_SAFE: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= MAX_SAFE => {
                // Integral and within ±2^53: exact as i64.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                Value::Number(Number::from(i))
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(integral_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, integral_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}
