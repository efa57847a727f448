//! Mirrors `shieldwall::injection`: `InjectionClassifier`, `Verdict`, `Signal`.
//!
//! Signal spans cross the boundary in code points (Python `str` indices), converted from the
//! core's byte offsets by the core's `OffsetIndex`. Presets, channels and rule families are
//! their snake_case names (as in the core's JSON form), parsed by the core's serde
//! definitions. Classification runs with the GIL released.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde::de::DeserializeOwned;
use shieldwall::injection::{self as core, Channel, CustomRule, RuleFamily, ThresholdPreset};
use shieldwall::text::{OffsetIndex, TextError, Unit};

use crate::convert::{quoted, serde_name};
use crate::error::{self, Result};

/// A snake_case name of a core enum (`"strict"`, `"document"`, `"tool_hijack"`), parsed by
/// the core's serde definition; another name is an `invalid_config` `InjectionError` that
/// lists the accepted ones.
fn parse_name<T: DeserializeOwned>(what: &str, name: &str, accepted: &[&str]) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        error::injection_config(format!(
            "{what} {name:?} is not one of {}",
            accepted.join(", ")
        ))
    })
}

const PRESETS: [&str; 3] = ["strict", "balanced", "permissive"];
const CHANNELS: [&str; 3] = ["user", "document", "system"];

fn channel(name: &str) -> Result<Channel> {
    parse_name("channel", name, &CHANNELS)
}

/// The snake_case name of a channel (as in the core's JSON form).
fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Document => "document",
        Channel::System => "system",
        _ => "user",
    }
}

/// One custom rule: `(family, pattern)` or `(family, pattern, boost)`.
fn custom_rule(item: &Bound<'_, PyAny>) -> Result<CustomRule> {
    let (family, pattern, boost): (String, String, Option<f32>) =
        if let Ok((family, pattern)) = item.extract::<(String, String)>() {
            (family, pattern, None)
        } else if let Ok((family, pattern, boost)) = item.extract::<(String, String, f32)>() {
            (family, pattern, Some(boost))
        } else {
            return Err(PyTypeError::new_err(format!(
                "a rule must be a (family, pattern) or (family, pattern, boost) tuple, not {}",
                item.repr().map_or_else(|_| "?".into(), |r| r.to_string())
            ))
            .into());
        };
    let mut families: Vec<&str> = RuleFamily::BUILTIN.iter().map(|f| f.name()).collect();
    families.push(RuleFamily::Custom.name());
    let family: RuleFamily = parse_name("rule family", &family, &families)?;
    let mut rule = CustomRule::new(family, &pattern);
    if let Some(boost) = boost {
        rule.boost = boost;
    }
    Ok(rule)
}

/// One piece of evidence behind a verdict. `start`/`end` are code points of the original
/// text (for a rule found in a decoded payload, the encoded stretch).
#[pyclass(module = "shieldwall", frozen, eq, get_all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// `"rule"`, `"hidden"`, `"decoded"` or `"window"`.
    kind: String,
    /// Rule name, hidden-character class, encoding name, or `"window"`.
    name: String,
    /// The rule family, for rule signals (else None).
    family: Option<String>,
    /// Start offset in the original text (code points).
    start: usize,
    /// End offset (exclusive) in the original text (code points).
    end: usize,
    /// The encoding peeled to find this signal (else None).
    encoding: Option<String>,
    /// The decoded text (first 200 bytes), for decoded signals (else None).
    decoded: Option<String>,
    /// The calibrated score of this part, for window and decoded signals (else None).
    score: Option<f32>,
    /// How many characters, for hidden signals (else None).
    count: Option<u64>,
}

#[pymethods]
impl Signal {
    /// `(start, end)`, for slicing the original text.
    #[getter]
    fn span(&self) -> (usize, usize) {
        (self.start, self.end)
    }

    /// A one-line explanation: the family or class, and what was found.
    #[getter]
    fn detail(&self) -> String {
        match self.kind.as_str() {
            "rule" => format!(
                "{} rule {}",
                self.family.as_deref().unwrap_or("custom"),
                self.name
            ),
            "hidden" => format!(
                "{} {} hidden character(s)",
                self.count.unwrap_or(0),
                self.name
            ),
            "decoded" => format!(
                "{} payload: {:?}",
                self.name,
                self.decoded.as_deref().unwrap_or("")
            ),
            _ => format!("best window, score {:.3}", self.score.unwrap_or(0.0)),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Signal(kind={}, name={}, family={}, start={}, end={})",
            quoted(&self.kind),
            quoted(&self.name),
            self.family
                .as_deref()
                .map_or_else(|| "None".to_owned(), quoted),
            self.start,
            self.end
        )
    }
}

/// The classifier's verdict on one text: a calibrated score in [0, 1], the flag at the
/// threshold, and the signals that drove it. `bool(verdict)` is `verdict.injection`.
#[pyclass(module = "shieldwall", frozen, eq, get_all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Calibrated probability that the text is an injection, in [0, 1].
    score: f32,
    /// Whether `score` reaches `threshold`.
    injection: bool,
    /// The threshold applied.
    threshold: f32,
    /// The channel the text was scored for.
    channel: String,
    /// The evidence: rules that fired, hidden characters, decoded payloads, the best window.
    signals: Vec<Signal>,
}

#[pymethods]
impl Verdict {
    fn __bool__(&self) -> bool {
        self.injection
    }

    /// The verdict as a dict (the core's JSON form, spans in code points).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("score", self.score)?;
        d.set_item("injection", self.injection)?;
        d.set_item("threshold", self.threshold)?;
        d.set_item("channel", &self.channel)?;
        let mut signals = Vec::with_capacity(self.signals.len());
        for s in &self.signals {
            let sd = PyDict::new(py);
            sd.set_item("kind", &s.kind)?;
            sd.set_item("name", &s.name)?;
            sd.set_item("start", s.start)?;
            sd.set_item("end", s.end)?;
            // As in the core's JSON form: absent fields are left out.
            if let Some(v) = &s.family {
                sd.set_item("family", v)?;
            }
            if let Some(v) = &s.encoding {
                sd.set_item("encoding", v)?;
            }
            if let Some(v) = &s.decoded {
                sd.set_item("decoded", v)?;
            }
            if let Some(v) = s.score {
                sd.set_item("score", v)?;
            }
            if let Some(v) = s.count {
                sd.set_item("count", v)?;
            }
            signals.push(sd);
        }
        d.set_item("signals", signals)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let families: Vec<String> = self
            .signals
            .iter()
            .filter_map(|s| s.family.as_deref().map(quoted))
            .collect();
        format!(
            "Verdict(score={:.4}, injection={}, threshold={}, channel={}, families=[{}])",
            self.score,
            if self.injection { "True" } else { "False" },
            self.threshold,
            quoted(&self.channel),
            families.join(", ")
        )
    }
}

/// Converts the core's verdict (byte spans of `text`) to code-point spans.
fn verdict(text: &str, v: core::Verdict) -> std::result::Result<Verdict, TextError> {
    let index = OffsetIndex::new(text, Unit::CodePoint);
    let signals = v
        .signals
        .into_iter()
        .map(|s| {
            Ok(Signal {
                start: index.from_byte(text, s.start)?,
                end: index.from_byte(text, s.end)?,
                kind: serde_name(&s.kind),
                family: s.family.map(|f| f.name().to_owned()),
                encoding: s.encoding.map(|e| e.name().to_owned()),
                name: s.name,
                decoded: s.decoded,
                score: s.score,
                count: s.count,
            })
        })
        .collect::<std::result::Result<Vec<_>, TextError>>()?;
    Ok(Verdict {
        score: v.score,
        injection: v.injection,
        threshold: v.threshold,
        channel: channel_name(v.channel).to_owned(),
        signals,
    })
}

/// Detects prompt injection and jailbreaks. Reusable and thread-safe.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct InjectionClassifier {
    inner: core::InjectionClassifier,
}

impl InjectionClassifier {
    /// Classifies one text; meant to run inside `py.detach` (the core error becomes a Python
    /// exception once the GIL is back).
    fn run(
        &self,
        text: &str,
        channel: Option<Channel>,
    ) -> std::result::Result<Verdict, core::InjectionError> {
        let v = match channel {
            None => self.inner.classify(text)?,
            Some(c) => self.inner.classify_channel(text, c)?,
        };
        Ok(verdict(text, v)?)
    }
}

#[pymethods]
impl InjectionClassifier {
    #[new]
    #[pyo3(signature = (*, preset = None, threshold = None, allow = None, allow_regex = None,
        rules = None, channel = None, max_input_bytes = None, max_decode_depth = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        preset: Option<&str>,
        threshold: Option<f32>,
        allow: Option<Vec<String>>,
        allow_regex: Option<Vec<String>>,
        rules: Option<Vec<Bound<'_, PyAny>>>,
        channel: Option<&str>,
        max_input_bytes: Option<isize>,
        max_decode_depth: Option<isize>,
    ) -> Result<Self> {
        let mut b = core::InjectionClassifier::builder();
        if let Some(p) = preset {
            b.preset(parse_name::<ThresholdPreset>("preset", p, &PRESETS)?);
        }
        if let Some(t) = threshold {
            b.threshold(t);
        }
        for phrase in allow.iter().flatten() {
            b.allow_phrase(phrase);
        }
        for regex in allow_regex.iter().flatten() {
            b.allow_regex(regex);
        }
        for rule in rules.iter().flatten() {
            b.custom_rule(custom_rule(rule)?);
        }
        if let Some(c) = channel {
            b.channel(self::channel(c)?);
        }
        if let Some(max) = max_input_bytes {
            let max = usize::try_from(max).map_err(|_| {
                error::injection_config(format!("max_input_bytes must not be negative, got {max}"))
            })?;
            b.max_input_bytes(max);
        }
        if let Some(depth) = max_decode_depth {
            let depth = u8::try_from(depth).map_err(|_| {
                error::injection_config(format!("max_decode_depth of {depth} is out of range"))
            })?;
            b.max_decode_depth(depth);
        }
        // Compiling the allow-list and rules may take a while: without the GIL.
        Ok(Self {
            inner: py.detach(|| b.build())?,
        })
    }

    /// A classifier from the core's serde `InjectionConfig`, as a dict or JSON text (the form
    /// of a config file: `preset`, `threshold`, `allow_phrases`, `allow_regexes`, `rules` as
    /// `{"family", "pattern", "boost"}` objects, `channel`, `max_input_bytes`,
    /// `max_decode_depth`). An unknown field or a wrong type is an `invalid_config`
    /// `InjectionError` naming it.
    #[staticmethod]
    fn from_config(py: Python<'_>, config: &Bound<'_, PyAny>) -> Result<Self> {
        let text: String = if config.is_instance_of::<PyString>() {
            config.extract()?
        } else if config.is_instance_of::<PyDict>() {
            py.import("json")?
                .call_method1("dumps", (config,))?
                .extract()?
        } else {
            return Err(PyTypeError::new_err(format!(
                "config must be a dict or JSON text, not {}",
                config
                    .get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
            .into());
        };
        let config: core::InjectionConfig = serde_json::from_str(&text)
            .map_err(|e| error::injection_config(format!("invalid injection config: {e}")))?;
        Ok(Self {
            inner: py.detach(|| core::InjectionClassifier::from_config(config))?,
        })
    }

    /// The configuration in force, in the core's JSON form (what `from_config` takes).
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = serde_json::to_string(self.inner.config())
            .map_err(|e| PyTypeError::new_err(e.to_string()))?;
        py.import("json")?.call_method1("loads", (text,))
    }

    /// The threshold in force.
    #[getter]
    fn threshold(&self) -> f32 {
        self.inner.threshold()
    }

    /// The channel `classify` uses when none is given.
    #[getter]
    fn channel(&self) -> &'static str {
        channel_name(self.inner.config().channel)
    }

    /// Classifies `text` for `channel` (default: the classifier's).
    #[pyo3(signature = (text, channel = None))]
    fn classify(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        channel: Option<&str>,
    ) -> Result<Verdict> {
        let channel = channel.map(self::channel).transpose()?;
        let text = text.to_str()?;
        Ok(py.detach(|| self.run(text, channel))?)
    }

    /// Classifies each text, in order, with the GIL released for the batch.
    #[pyo3(signature = (texts, channel = None))]
    fn classify_many(
        &self,
        py: Python<'_>,
        texts: Vec<Bound<'_, PyString>>,
        channel: Option<&str>,
    ) -> Result<Vec<Verdict>> {
        let channel = channel.map(self::channel).transpose()?;
        let texts = texts
            .iter()
            .map(|t| t.to_str())
            .collect::<PyResult<Vec<&str>>>()?;
        Ok(py.detach(|| {
            texts
                .iter()
                .map(|t| self.run(t, channel))
                .collect::<std::result::Result<Vec<_>, _>>()
        })?)
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!(
            "InjectionClassifier(threshold={}, channel={}, allow={}, allow_regex={}, rules={})",
            self.inner.threshold(),
            quoted(channel_name(c.channel)),
            c.allow_phrases.len(),
            c.allow_regexes.len(),
            c.rules.len()
        )
    }
}
