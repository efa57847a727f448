//! Mirrors `shieldwall::injection`: `InjectionClassifier`, verdicts and signals.
//!
//! Signal spans cross the boundary in UTF-16 code units (JavaScript string indices), converted
//! from the core's byte offsets by the core's `OffsetIndex`. Presets, channels and rule
//! families are their snake_case names (as in the core's JSON form), parsed by the core's
//! serde definitions. The `*Async` methods run on the libuv thread pool.

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Env, Status};
use napi_derive::napi;
use serde::de::DeserializeOwned;
use shieldwall::injection::{
    self as core, Channel, CustomRule, InjectionError, RuleFamily, ThresholdPreset,
};
use shieldwall::text::{OffsetIndex, Unit};

use crate::error::{self, Result};
use crate::options::{Checked, Names, integral_numbers};

/// A rule added to the classifier: a regex over the normalised (lowercase) view, the family it
/// reports, and the logit it adds when it fires.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct InjectionRule {
    /// The family reported in signals: `'instruction_override'`, `'role_hijack'`,
    /// `'fake_delimiter'`, `'prompt_leak'`, `'jailbreak_persona'`, `'refusal_suppression'`,
    /// `'payload_splitting'`, `'tool_hijack'` or `'custom'`.
    pub family: String,
    /// A regex (case-insensitive) matched against the normalised view.
    pub pattern: String,
    /// Logit added to the score when the rule fires (default 4: flags on its own).
    pub boost: Option<f64>,
}

/// Settings of an `InjectionClassifier`; every one is optional.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct InjectionClassifierOptions {
    /// A calibrated threshold preset (default `'balanced'`).
    #[napi(ts_type = "'strict' | 'balanced' | 'permissive'")]
    pub preset: Option<String>,
    /// An explicit threshold in [0, 1]; overrides the preset.
    pub threshold: Option<f64>,
    /// Phrases that never count (matched in the normalised view).
    pub allow: Option<Vec<String>>,
    /// Regexes (over the normalised, lowercase view) that never count.
    pub allow_regex: Option<Vec<String>>,
    /// Extra rules.
    pub rules: Option<Vec<InjectionRule>>,
    /// The channel `classify` uses when none is given (default `'user'`).
    #[napi(ts_type = "'user' | 'document' | 'system'")]
    pub channel: Option<String>,
    /// Largest input accepted, in UTF-8 bytes (default 16 MiB).
    pub max_input_bytes: Option<i64>,
    /// How many layers of encoding are peeled (0 to 3, default 2; 0 switches decoders off).
    pub max_decode_depth: Option<i64>,
}

impl Names for InjectionClassifierOptions {
    const NAMES: &'static [&'static str] = &[
        "preset",
        "threshold",
        "allow",
        "allowRegex",
        "rules",
        "channel",
        "maxInputBytes",
        "maxDecodeDepth",
    ];
    const TYPE: &'static str = "InjectionClassifierOptions";
}

/// One piece of evidence behind a verdict.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// `'rule'`, `'hidden'`, `'decoded'` or `'window'`.
    #[napi(ts_type = "'rule' | 'hidden' | 'decoded' | 'window'")]
    pub kind: String,
    /// Rule name, hidden-character class, encoding name, or `'window'`.
    pub name: String,
    /// The rule family, for rule signals.
    pub family: Option<String>,
    /// Start offset in the original text (UTF-16 code units, as `String.prototype.slice`
    /// takes); for a rule found in a decoded payload, the encoded stretch.
    pub start: f64,
    /// End offset (exclusive) in the original text (UTF-16 code units).
    pub end: f64,
    /// The encoding peeled to find this signal.
    pub encoding: Option<String>,
    /// The decoded text (first 200 bytes), for decoded signals.
    pub decoded: Option<String>,
    /// The calibrated score of this part, for window and decoded signals.
    pub score: Option<f64>,
    /// How many characters, for hidden signals.
    pub count: Option<f64>,
    /// A one-line explanation: the family or class, and what was found.
    pub detail: String,
}

/// The classifier's verdict on one text.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Calibrated probability that the text is an injection, in [0, 1].
    pub score: f64,
    /// Whether `score` reaches `threshold`.
    pub injection: bool,
    /// The threshold applied.
    pub threshold: f64,
    /// The channel the text was scored for.
    #[napi(ts_type = "'user' | 'document' | 'system'")]
    pub channel: String,
    /// The evidence: rules that fired, hidden characters, decoded payloads, the best window.
    pub signals: Vec<Signal>,
}

const PRESETS: [&str; 3] = ["strict", "balanced", "permissive"];
const CHANNELS: [&str; 3] = ["user", "document", "system"];

/// A snake_case name of a core enum, parsed by the core's serde definition; another name is
/// an `ERR_INJECTION_CONFIG` error listing the accepted ones.
fn parse_name<T: DeserializeOwned>(what: &str, name: &str, accepted: &[&str]) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        error::injection_config(format!(
            "{what} {name:?} is not one of {}",
            accepted.join(", ")
        ))
    })
}

fn channel(name: Option<&str>) -> Result<Option<Channel>> {
    name.map(|n| parse_name("channel", n, &CHANNELS))
        .transpose()
}

/// The snake_case name of a channel.
fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Document => "document",
        Channel::System => "system",
        _ => "user",
    }
}

/// The core's snake_case name of a serde unit variant (`SignalKind::Rule` -> `"rule"`).
fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A readable line for a signal.
fn detail(s: &core::Signal) -> String {
    match s.kind {
        core::SignalKind::Rule => format!(
            "{} rule {}",
            s.family.unwrap_or(RuleFamily::Custom).name(),
            s.name
        ),
        core::SignalKind::Hidden => {
            format!("{} {} hidden character(s)", s.count.unwrap_or(0), s.name)
        }
        core::SignalKind::Decoded => format!(
            "{} payload: {:?}",
            s.name,
            s.decoded.as_deref().unwrap_or("")
        ),
        _ => format!("best window, score {:.3}", s.score.unwrap_or(0.0)),
    }
}

/// The core's verdict (byte spans of `text`) with UTF-16 spans.
// Offsets are at most the length of a JavaScript string (< 2^53) and counts are at most its
// length too: exact as f64.
#[allow(clippy::cast_precision_loss)]
fn verdict(text: &str, v: core::Verdict) -> std::result::Result<Verdict, InjectionError> {
    let index = OffsetIndex::new(text, Unit::Utf16);
    let signals = v
        .signals
        .into_iter()
        .map(|s| {
            Ok(Signal {
                start: index.from_byte(text, s.start)? as f64,
                end: index.from_byte(text, s.end)? as f64,
                kind: serde_name(&s.kind),
                detail: detail(&s),
                family: s.family.map(|f| f.name().to_owned()),
                encoding: s.encoding.map(|e| e.name().to_owned()),
                score: s.score.map(f64::from),
                count: s.count.map(|c| c as f64),
                name: s.name,
                decoded: s.decoded,
            })
        })
        .collect::<std::result::Result<Vec<_>, InjectionError>>()?;
    Ok(Verdict {
        score: f64::from(v.score),
        injection: v.injection,
        threshold: f64::from(v.threshold),
        channel: channel_name(v.channel).to_owned(),
        signals,
    })
}

/// Classifies `text`; the error stays the core's so that it can cross threads.
fn classify(
    classifier: &core::InjectionClassifier,
    text: &str,
    channel: Option<Channel>,
) -> std::result::Result<Verdict, InjectionError> {
    let v = match channel {
        None => classifier.classify(text)?,
        Some(c) => classifier.classify_channel(text, c)?,
    };
    verdict(text, v)
}

fn classify_many(
    classifier: &core::InjectionClassifier,
    texts: &[String],
    channel: Option<Channel>,
) -> std::result::Result<Vec<Verdict>, InjectionError> {
    texts
        .iter()
        .map(|t| classify(classifier, t, channel))
        .collect()
}

/// A non-negative integer option.
fn limit(name: &str, value: i64) -> Result<usize> {
    usize::try_from(value)
        .map_err(|_| error::injection_config(format!("{name} must not be negative, got {value}")))
}

/// The core builder from the options.
fn build(o: InjectionClassifierOptions) -> Result<core::InjectionClassifier> {
    let mut b = core::InjectionClassifier::builder();
    if let Some(p) = o.preset {
        b.preset(parse_name::<ThresholdPreset>("preset", &p, &PRESETS)?);
    }
    if let Some(t) = o.threshold {
        // An f64 outside f32's range becomes infinite and is rejected by the core as out of
        // [0, 1]; inside it, the nearest f32 is what the core compares with.
        #[allow(clippy::cast_possible_truncation)]
        b.threshold(t as f32);
    }
    for phrase in o.allow.iter().flatten() {
        b.allow_phrase(phrase);
    }
    for regex in o.allow_regex.iter().flatten() {
        b.allow_regex(regex);
    }
    let mut families: Vec<&str> = RuleFamily::BUILTIN.iter().map(|f| f.name()).collect();
    families.push(RuleFamily::Custom.name());
    for r in o.rules.iter().flatten() {
        let family: RuleFamily = parse_name("rule family", &r.family, &families)?;
        let mut rule = CustomRule::new(family, &r.pattern);
        if let Some(boost) = r.boost {
            // As for the threshold: a boost is a logit, f32 is the core's precision.
            #[allow(clippy::cast_possible_truncation)]
            let boost = boost as f32;
            rule.boost = boost;
        }
        b.custom_rule(rule);
    }
    if let Some(c) = channel(o.channel.as_deref())? {
        b.channel(c);
    }
    if let Some(max) = o.max_input_bytes {
        b.max_input_bytes(limit("maxInputBytes", max)?);
    }
    if let Some(depth) = o.max_decode_depth {
        let depth = u8::try_from(limit("maxDecodeDepth", depth)?).map_err(|_| {
            error::injection_config(format!("max_decode_depth of {depth} is out of range"))
        })?;
        b.max_decode_depth(depth);
    }
    b.build().map_err(error::injection)
}

/// Detects prompt injection and jailbreaks: a calibrated score, the flag at a threshold, and
/// the signals behind it. Reusable; cheap to share with async tasks.
#[napi]
#[derive(Debug)]
pub struct InjectionClassifier {
    inner: core::InjectionClassifier,
}

#[napi]
impl InjectionClassifier {
    /// A classifier with the embedded model, tuned by `options`. Throws `ERR_INVALID_CONFIG`
    /// for an unknown option name, `ERR_INJECTION_CONFIG` for a bad value (threshold outside
    /// [0, 1], unknown preset, channel or rule family, a limit out of range) and
    /// `ERR_INJECTION_PATTERN` for an allow regex or rule that does not compile.
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "InjectionClassifierOptions | undefined | null")] options: Option<
            Checked<InjectionClassifierOptions>,
        >,
    ) -> Result<Self> {
        let inner = match options {
            None => core::InjectionClassifier::new(),
            Some(o) => build(o.0)?,
        };
        Ok(Self { inner })
    }

    /// A classifier from the core's serde `InjectionConfig`, as an object or JSON text with
    /// the config file's snake_case fields (`preset`, `threshold`, `allow_phrases`,
    /// `allow_regexes`, `rules` as `{ family, pattern, boost }`, `channel`, `max_input_bytes`,
    /// `max_decode_depth`). Throws `ERR_INJECTION_CONFIG` for an unknown field (named in the
    /// message), a wrong type or a bad value, `ERR_INJECTION_PATTERN` for a regex that does
    /// not compile.
    #[napi(factory)]
    pub fn from_config(
        #[napi(ts_arg_type = "Record<string, unknown> | string")] config: serde_json::Value,
    ) -> Result<Self> {
        let parsed = match config {
            serde_json::Value::String(text) => serde_json::from_str(&text),
            value @ serde_json::Value::Object(_) => serde_json::from_value(integral_numbers(value)),
            _ => {
                return Err(error::injection_config(
                    "the injection config must be an object or JSON text".to_owned(),
                ));
            }
        };
        let config: core::InjectionConfig = parsed
            .map_err(|e| error::injection_config(format!("invalid injection config: {e}")))?;
        Ok(Self {
            inner: core::InjectionClassifier::from_config(config).map_err(error::injection)?,
        })
    }

    /// The configuration in force, in the core's JSON form (what `fromConfig` takes).
    #[napi(ts_return_type = "Record<string, unknown>")]
    pub fn config(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self.inner.config())
            .map_err(|e| error::injection_config(e.to_string()))
    }

    /// The threshold in force.
    #[napi(getter)]
    pub fn threshold(&self) -> f64 {
        f64::from(self.inner.threshold())
    }

    /// The channel `classify` uses when none is given.
    #[napi(getter, ts_return_type = "'user' | 'document' | 'system'")]
    pub fn channel(&self) -> String {
        channel_name(self.inner.config().channel).to_owned()
    }

    /// Classifies `text` for `channel` (default: the classifier's). Throws
    /// `ERR_INPUT_TOO_LARGE` past `maxInputBytes`.
    #[napi]
    pub fn classify(
        &self,
        text: String,
        #[napi(ts_arg_type = "'user' | 'document' | 'system' | undefined | null")] channel: Option<
            String,
        >,
    ) -> Result<Verdict> {
        let channel = self::channel(channel.as_deref())?;
        classify(&self.inner, &text, channel).map_err(error::injection)
    }

    /// Classifies each text, in order.
    #[napi]
    pub fn classify_many(
        &self,
        texts: Vec<String>,
        #[napi(ts_arg_type = "'user' | 'document' | 'system' | undefined | null")] channel: Option<
            String,
        >,
    ) -> Result<Vec<Verdict>> {
        let channel = self::channel(channel.as_deref())?;
        classify_many(&self.inner, &texts, channel).map_err(error::injection)
    }

    /// `classify` on the libuv thread pool, for big inputs.
    #[napi(ts_return_type = "Promise<Verdict>")]
    pub fn classify_async(
        &self,
        text: String,
        #[napi(ts_arg_type = "'user' | 'document' | 'system' | undefined | null")] channel: Option<
            String,
        >,
    ) -> Result<AsyncTask<ClassifyTask>> {
        Ok(AsyncTask::new(ClassifyTask {
            classifier: self.inner.clone(),
            channel: self::channel(channel.as_deref())?,
            text,
        }))
    }

    /// `classifyMany` on the libuv thread pool.
    #[napi(ts_return_type = "Promise<Array<Verdict>>")]
    pub fn classify_many_async(
        &self,
        texts: Vec<String>,
        #[napi(ts_arg_type = "'user' | 'document' | 'system' | undefined | null")] channel: Option<
            String,
        >,
    ) -> Result<AsyncTask<ClassifyManyTask>> {
        Ok(AsyncTask::new(ClassifyManyTask {
            classifier: self.inner.clone(),
            channel: self::channel(channel.as_deref())?,
            texts,
        }))
    }
}

/// `InjectionClassifier.classifyAsync` off the JavaScript thread.
#[derive(Debug)]
pub struct ClassifyTask {
    classifier: core::InjectionClassifier,
    channel: Option<Channel>,
    text: String,
}

impl Task for ClassifyTask {
    type Output = std::result::Result<Verdict, InjectionError>;
    type JsValue = Verdict;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let text = std::mem::take(&mut self.text);
        Ok(classify(&self.classifier, &text, self.channel))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Verdict, Status> {
        output.map_err(|e| error::into_status_error(&env, error::injection(e)))
    }
}

/// `InjectionClassifier.classifyManyAsync` off the JavaScript thread.
#[derive(Debug)]
pub struct ClassifyManyTask {
    classifier: core::InjectionClassifier,
    channel: Option<Channel>,
    texts: Vec<String>,
}

impl Task for ClassifyManyTask {
    type Output = std::result::Result<Vec<Verdict>, InjectionError>;
    type JsValue = Vec<Verdict>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let texts = std::mem::take(&mut self.texts);
        Ok(classify_many(&self.classifier, &texts, self.channel))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Vec<Verdict>, Status> {
        output.map_err(|e| error::into_status_error(&env, error::injection(e)))
    }
}
