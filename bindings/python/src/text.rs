//! Mirrors `shieldwall::text`: `normalize`, `Normalizer`, `NormalizedText`, `HiddenReport`.
//!
//! Offsets cross the boundary in code points (Python `str` indices) and are converted to and
//! from the core's byte offsets by the core's `UnitView`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use shieldwall::text::{self as core, NormalizerConfig, Unit};

use crate::error::{self, Result};

/// Builds the core configuration from keyword options; a missing option takes the core default.
/// A negative `max_input_bytes` is an `invalid_config` `TextError`.
/// (The struct literal names every field, so a new core option fails to compile here until it
/// is exposed.)
#[allow(clippy::too_many_arguments)]
fn config(
    nfkc: Option<bool>,
    case_fold: Option<bool>,
    remove_invisible: Option<bool>,
    decode_tags: Option<bool>,
    strip_marks: Option<bool>,
    fold_confusables: Option<bool>,
    collapse_whitespace: Option<bool>,
    max_input_bytes: Option<isize>,
) -> Result<NormalizerConfig> {
    let d = NormalizerConfig::default();
    let max_input_bytes = match max_input_bytes {
        None => d.max_input_bytes,
        Some(v) => usize::try_from(v).map_err(|_| error::negative_max_input(v))?,
    };
    Ok(NormalizerConfig {
        nfkc: nfkc.unwrap_or(d.nfkc),
        case_fold: case_fold.unwrap_or(d.case_fold),
        remove_invisible: remove_invisible.unwrap_or(d.remove_invisible),
        decode_tags: decode_tags.unwrap_or(d.decode_tags),
        strip_marks: strip_marks.unwrap_or(d.strip_marks),
        fold_confusables: fold_confusables.unwrap_or(d.fold_confusables),
        collapse_whitespace: collapse_whitespace.unwrap_or(d.collapse_whitespace),
        max_input_bytes,
    })
}

/// Runs `normalizer` (or the default one) on `text` without holding the GIL.
fn run(
    py: Python<'_>,
    normalizer: Option<&core::Normalizer>,
    text: &Bound<'_, PyString>,
) -> Result<NormalizedText> {
    let input = text.to_str()?;
    let view = py.detach(|| match normalizer {
        Some(n) => n.normalize(input),
        None => core::normalize(input),
    })?;
    Ok(NormalizedText {
        text: PyString::new(py, view.text()).unbind(),
        original: text.clone().unbind(),
        view: core::UnitView::new(view, Unit::CodePoint),
    })
}

/// Counts of what normalisation removed, decoded or folded, per class.
#[pyclass(module = "shieldwall", frozen, eq)]
#[derive(Debug, PartialEq)]
pub struct HiddenReport(core::HiddenReport);

#[pymethods]
impl HiddenReport {
    /// Zero-width and other invisible format characters removed.
    #[getter]
    fn invisible(&self) -> u64 {
        self.0.invisible
    }
    /// Bidirectional control characters removed.
    #[getter]
    fn bidi(&self) -> u64 {
        self.0.bidi
    }
    /// Tag characters decoded or removed.
    #[getter]
    fn tag(&self) -> u64 {
        self.0.tag
    }
    /// Variation selectors removed.
    #[getter]
    fn variation_selector(&self) -> u64 {
        self.0.variation_selector
    }
    /// Control characters removed.
    #[getter]
    fn control(&self) -> u64 {
        self.0.control
    }
    /// Combining diacritical marks stripped.
    #[getter]
    fn combining_mark(&self) -> u64 {
        self.0.combining_mark
    }
    /// Look-alike letters folded to ASCII.
    #[getter]
    fn confusable(&self) -> u64 {
        self.0.confusable
    }
    /// Clusters NFKC changed.
    #[getter]
    fn compatibility(&self) -> u64 {
        self.0.compatibility
    }
    /// Non-ASCII white space characters seen.
    #[getter]
    fn whitespace(&self) -> u64 {
        self.0.whitespace
    }
    /// Words mixing ASCII letters with look-alike letters of another script.
    #[getter]
    fn mixed_script_words(&self) -> u64 {
        self.0.mixed_script_words
    }
    /// The ASCII text spelled by tag characters, empty if none.
    #[getter]
    fn tag_payload(&self) -> &str {
        &self.0.tag_payload
    }
    /// Characters that render as nothing: invisible, bidi, tag, variation selectors, controls.
    fn hidden_total(&self) -> u64 {
        self.0.hidden_total()
    }
    /// Whether nothing was hidden or disguised (whitespace and case changes aside).
    fn is_clean(&self) -> bool {
        self.0.is_clean()
    }
    /// The report as a dict of field name to value.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let r = &self.0;
        for (k, v) in [
            ("invisible", r.invisible),
            ("bidi", r.bidi),
            ("tag", r.tag),
            ("variation_selector", r.variation_selector),
            ("control", r.control),
            ("combining_mark", r.combining_mark),
            ("confusable", r.confusable),
            ("compatibility", r.compatibility),
            ("whitespace", r.whitespace),
            ("mixed_script_words", r.mixed_script_words),
        ] {
            d.set_item(k, v)?;
        }
        d.set_item("tag_payload", &r.tag_payload)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!("HiddenReport({:?})", self.0)
    }
}

/// A normalised view of a text, its map back to the original, and the hidden-character report.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct NormalizedText {
    view: core::UnitView,
    text: Py<PyString>,
    original: Py<PyString>,
}

#[pymethods]
impl NormalizedText {
    /// The normalised text.
    #[getter]
    fn text(&self, py: Python<'_>) -> Py<PyString> {
        self.text.clone_ref(py)
    }
    /// The original text.
    #[getter]
    fn original(&self, py: Python<'_>) -> Py<PyString> {
        self.original.clone_ref(py)
    }
    /// What was removed or folded.
    #[getter]
    fn report(&self) -> HiddenReport {
        HiddenReport(self.view.view().report().clone())
    }
    /// The code point range of the original that the view range `start:end` stands for.
    fn to_original(&self, py: Python<'_>, start: isize, end: isize) -> Result<(usize, usize)> {
        let unit = |v: isize| usize::try_from(v).map_err(|_| error::negative_offset(v));
        let original = self.original.bind(py).to_str()?;
        Ok(self.view.to_original(original, unit(start)?, unit(end)?)?)
    }
    fn __str__(&self, py: Python<'_>) -> Py<PyString> {
        self.text.clone_ref(py)
    }
    fn __repr__(&self) -> String {
        format!("NormalizedText({:?})", self.view.view().text())
    }
}

/// Turns texts into normalised views; reusable and thread-safe.
#[pyclass(module = "shieldwall", frozen)]
#[derive(Debug)]
pub struct Normalizer(core::Normalizer);

#[pymethods]
impl Normalizer {
    #[new]
    #[pyo3(signature = (*, nfkc=None, case_fold=None, remove_invisible=None, decode_tags=None,
        strip_marks=None, fold_confusables=None, collapse_whitespace=None, max_input_bytes=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        nfkc: Option<bool>,
        case_fold: Option<bool>,
        remove_invisible: Option<bool>,
        decode_tags: Option<bool>,
        strip_marks: Option<bool>,
        fold_confusables: Option<bool>,
        collapse_whitespace: Option<bool>,
        max_input_bytes: Option<isize>,
    ) -> Result<Self> {
        let cfg = config(
            nfkc,
            case_fold,
            remove_invisible,
            decode_tags,
            strip_marks,
            fold_confusables,
            collapse_whitespace,
            max_input_bytes,
        )?;
        Ok(Self(core::Normalizer::from_config(cfg)?))
    }

    /// Normalises `text`.
    fn normalize(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> Result<NormalizedText> {
        run(py, Some(&self.0), text)
    }

    fn __repr__(&self) -> String {
        format!("Normalizer({:?})", self.0.config())
    }
}

/// Normalises `text`; keyword options switch steps off or change the size limit.
#[pyfunction]
#[pyo3(signature = (text, *, nfkc=None, case_fold=None, remove_invisible=None, decode_tags=None,
    strip_marks=None, fold_confusables=None, collapse_whitespace=None, max_input_bytes=None))]
#[allow(clippy::too_many_arguments)]
pub fn normalize(
    py: Python<'_>,
    text: &Bound<'_, PyString>,
    nfkc: Option<bool>,
    case_fold: Option<bool>,
    remove_invisible: Option<bool>,
    decode_tags: Option<bool>,
    strip_marks: Option<bool>,
    fold_confusables: Option<bool>,
    collapse_whitespace: Option<bool>,
    max_input_bytes: Option<isize>,
) -> Result<NormalizedText> {
    let cfg = config(
        nfkc,
        case_fold,
        remove_invisible,
        decode_tags,
        strip_marks,
        fold_confusables,
        collapse_whitespace,
        max_input_bytes,
    )?;
    if cfg == NormalizerConfig::default() {
        return run(py, None, text);
    }
    let normalizer = core::Normalizer::from_config(cfg)?;
    run(py, Some(&normalizer), text)
}
