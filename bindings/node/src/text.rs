//! Mirrors `shieldwall::text`: `normalize`, `normalizeAsync`, `Normalizer`, `NormalizedText`.
//!
//! Offsets cross the boundary in UTF-16 code units (JavaScript string indices) and are
//! converted to and from the core's byte offsets by the core's `UnitView`.

use napi::bindgen_prelude::{AsyncTask, Env, FromNapiValue, Object, Status, TypeName, ValueType};
use napi::{Task, sys};
use napi_derive::napi;
use shieldwall::text::{self as core, NormalizerConfig, TextError, Unit};

use crate::error::{self, Result};

/// Which normalisation steps run, and the input size limit. Every step is on by default.
#[napi(object)]
#[derive(Debug, Default, Clone)]
pub struct NormalizeOptions {
    /// Apply NFKC: fullwidth, mathematical and circled letters, ligatures and superscripts
    /// become their plain forms.
    pub nfkc: Option<bool>,
    /// Lowercase letters (Unicode full lowercase mapping).
    pub case_fold: Option<bool>,
    /// Remove invisible and format characters: zero-width, bidi controls, variation
    /// selectors, control characters, undecoded tag characters.
    pub remove_invisible: Option<bool>,
    /// Decode tag characters (U+E0020–U+E007E) to the ASCII they spell.
    pub decode_tags: Option<bool>,
    /// Strip combining diacritical marks.
    pub strip_marks: Option<bool>,
    /// Fold look-alike letters to their ASCII skeleton (Unicode confusables data).
    pub fold_confusables: Option<bool>,
    /// Collapse every run of white space to one ASCII space.
    pub collapse_whitespace: Option<bool>,
    /// Largest input accepted, in UTF-8 bytes (default 16 MiB, at most 128 MiB).
    pub max_input_bytes: Option<i64>,
}

/// Option names `NormalizeOptions` accepts (the JavaScript spelling). A test checks this list
/// against the generated `NormalizeOptions` interface in `index.d.ts`.
const OPTION_NAMES: [&str; 8] = [
    "nfkc",
    "caseFold",
    "removeInvisible",
    "decodeTags",
    "stripMarks",
    "foldConfusables",
    "collapseWhitespace",
    "maxInputBytes",
];

/// `NormalizeOptions` as an argument: an object naming an unknown option (a typo) is an
/// `ERR_INVALID_CONFIG` error rather than silently ignored.
#[derive(Debug)]
pub struct Options(NormalizeOptions);

impl TypeName for Options {
    fn type_name() -> &'static str {
        "NormalizeOptions"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl FromNapiValue for Options {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: `env` and `value` come from napi-rs's argument conversion, as the caller's
        // contract requires; they are passed on unchanged.
        let object = unsafe { Object::from_napi_value(env, value)? };
        if let Some(name) = Object::keys(&object)?
            .into_iter()
            .find(|k| !OPTION_NAMES.contains(&k.as_str()))
        {
            let err = error::unknown_option(&name);
            return Err(error::into_status_error(&Env::from_raw(env), err));
        }
        // SAFETY: as above.
        Ok(Self(unsafe {
            NormalizeOptions::from_napi_value(env, value)?
        }))
    }
}

impl NormalizeOptions {
    /// The core configuration; a missing option takes the core default. (The struct literal
    /// names every field, so a new core option fails to compile here until it is exposed.)
    fn config(&self) -> Result<NormalizerConfig> {
        let d = NormalizerConfig::default();
        let max_input_bytes = match self.max_input_bytes {
            None => d.max_input_bytes,
            Some(v) => usize::try_from(v).map_err(|_| error::invalid_option("maxInputBytes", v))?,
        };
        Ok(NormalizerConfig {
            nfkc: self.nfkc.unwrap_or(d.nfkc),
            case_fold: self.case_fold.unwrap_or(d.case_fold),
            remove_invisible: self.remove_invisible.unwrap_or(d.remove_invisible),
            decode_tags: self.decode_tags.unwrap_or(d.decode_tags),
            strip_marks: self.strip_marks.unwrap_or(d.strip_marks),
            fold_confusables: self.fold_confusables.unwrap_or(d.fold_confusables),
            collapse_whitespace: self.collapse_whitespace.unwrap_or(d.collapse_whitespace),
            max_input_bytes,
        })
    }

    fn normalizer(options: Option<&Self>) -> Result<core::Normalizer> {
        let config = options.map(Self::config).transpose()?.unwrap_or_default();
        core::Normalizer::from_config(config).map_err(error::text)
    }
}

/// Counts of what normalisation removed, decoded or folded, per class.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct HiddenReport {
    /// Zero-width and other invisible format characters removed.
    pub invisible: f64,
    /// Bidirectional control characters removed.
    pub bidi: f64,
    /// Tag characters decoded or removed.
    pub tag: f64,
    /// Variation selectors removed.
    pub variation_selector: f64,
    /// Control characters removed.
    pub control: f64,
    /// Combining diacritical marks stripped.
    pub combining_mark: f64,
    /// Look-alike letters folded to ASCII.
    pub confusable: f64,
    /// Clusters NFKC changed.
    pub compatibility: f64,
    /// Non-ASCII white space characters seen.
    pub whitespace: f64,
    /// Words mixing ASCII letters with look-alike letters of another script.
    pub mixed_script_words: f64,
    /// The ASCII text spelled by tag characters, empty if none.
    pub tag_payload: String,
}

impl From<&core::HiddenReport> for HiddenReport {
    // Counts are at most the input length (≤ 128 MiB), exact as f64.
    #[allow(clippy::cast_precision_loss)]
    fn from(r: &core::HiddenReport) -> Self {
        Self {
            invisible: r.invisible as f64,
            bidi: r.bidi as f64,
            tag: r.tag as f64,
            variation_selector: r.variation_selector as f64,
            control: r.control as f64,
            combining_mark: r.combining_mark as f64,
            confusable: r.confusable as f64,
            compatibility: r.compatibility as f64,
            whitespace: r.whitespace as f64,
            mixed_script_words: r.mixed_script_words as f64,
            tag_payload: r.tag_payload.clone(),
        }
    }
}

/// A normalised view of a text, its map back to the original, and the hidden-character report.
#[napi]
#[derive(Debug)]
pub struct NormalizedText {
    view: core::UnitView,
    original: String,
}

#[napi]
impl NormalizedText {
    /// The normalised text.
    #[napi(getter)]
    pub fn text(&self) -> &str {
        self.view.view().text()
    }

    /// The original text.
    #[napi(getter)]
    pub fn original(&self) -> &str {
        &self.original
    }

    /// What was removed or folded.
    #[napi(getter)]
    pub fn report(&self) -> HiddenReport {
        HiddenReport::from(self.view.view().report())
    }

    /// The `[start, end)` range of the original (UTF-16 code units, as `String.prototype.slice`
    /// takes) that the view range `[start, end)` stands for. Throws `ERR_OUT_OF_RANGE` when the
    /// range is reversed, ends past the view, or splits a surrogate pair.
    #[napi]
    pub fn to_original(&self, start: i64, end: i64) -> Result<(i64, i64)> {
        let unit = |v: i64| usize::try_from(v).map_err(|_| error::negative_offset(v));
        let (start, end) = self
            .view
            .to_original(&self.original, unit(start)?, unit(end)?)
            .map_err(error::text)?;
        // Offsets are at most the input length (≤ 128 MiB): they fit.
        #[allow(clippy::cast_possible_wrap)]
        Ok((start as i64, end as i64))
    }

    /// The normalised text.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> &str {
        self.view.view().text()
    }
}

fn run(
    normalizer: &core::Normalizer,
    text: String,
) -> std::result::Result<NormalizedText, TextError> {
    let view = normalizer.normalize(&text)?;
    Ok(NormalizedText {
        view: core::UnitView::new(view, Unit::Utf16),
        original: text,
    })
}

/// Turns texts into normalised views; reusable.
#[napi]
#[derive(Debug)]
pub struct Normalizer {
    inner: core::Normalizer,
}

#[napi]
impl Normalizer {
    /// A normaliser; every step is on unless switched off in `options`. Throws
    /// `ERR_INVALID_CONFIG` for an unknown option, or when `maxInputBytes` is negative or over
    /// 128 MiB.
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "NormalizeOptions | undefined | null")] options: Option<Options>,
    ) -> Result<Self> {
        Ok(Self {
            inner: NormalizeOptions::normalizer(options.as_ref().map(|o| &o.0))?,
        })
    }

    /// Normalises `text`. Throws `ERR_INPUT_TOO_LARGE` past `maxInputBytes`.
    #[napi]
    pub fn normalize(&self, text: String) -> Result<NormalizedText> {
        run(&self.inner, text).map_err(error::text)
    }

    /// Normalises `text` on the libuv thread pool (for big inputs); rejects with
    /// `ERR_INPUT_TOO_LARGE` past `maxInputBytes`.
    #[napi(ts_return_type = "Promise<NormalizedText>")]
    pub fn normalize_async(&self, text: String) -> AsyncTask<NormalizeTask> {
        AsyncTask::new(NormalizeTask {
            normalizer: self.inner.clone(),
            text: Some(text),
        })
    }
}

/// Normalises `text`; every step is on unless switched off in `options`. Throws
/// `ERR_INPUT_TOO_LARGE` past `maxInputBytes` and `ERR_INVALID_CONFIG` for an unknown option
/// or a bad `maxInputBytes`.
#[napi]
pub fn normalize(
    text: String,
    #[napi(ts_arg_type = "NormalizeOptions | undefined | null")] options: Option<Options>,
) -> Result<NormalizedText> {
    match options.map(|o| o.0) {
        None => core::normalize(&text)
            .map(|view| NormalizedText {
                view: core::UnitView::new(view, Unit::Utf16),
                original: text,
            })
            .map_err(error::text),
        Some(o) => run(&NormalizeOptions::normalizer(Some(&o))?, text).map_err(error::text),
    }
}

/// `normalize` on the libuv thread pool, for big inputs: the promise rejects with the same
/// error codes.
#[napi(ts_return_type = "Promise<NormalizedText>")]
pub fn normalize_async(
    text: String,
    #[napi(ts_arg_type = "NormalizeOptions | undefined | null")] options: Option<Options>,
) -> Result<AsyncTask<NormalizeTask>> {
    Ok(AsyncTask::new(NormalizeTask {
        normalizer: NormalizeOptions::normalizer(options.as_ref().map(|o| &o.0))?,
        text: Some(text),
    }))
}

/// Normalisation off the JavaScript thread.
#[derive(Debug)]
pub struct NormalizeTask {
    normalizer: core::Normalizer,
    text: Option<String>,
}

impl Task for NormalizeTask {
    type Output = std::result::Result<NormalizedText, TextError>;
    type JsValue = NormalizedText;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let text = self.text.take().unwrap_or_default();
        Ok(run(&self.normalizer, text))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<NormalizedText, Status> {
        output.map_err(|e| error::into_status_error(&env, error::text(e)))
    }
}
