//! Plain-object arguments whose property names are checked, so that a typo in an option name
//! is an `ERR_INVALID_CONFIG` error rather than silently ignored.

use napi::bindgen_prelude::{Env, FromNapiValue, Object, TypeName, ValueType};
use napi::sys;

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
