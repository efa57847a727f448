//! The linear model: quantised hashed weights, dense weights, bias, calibration and threshold
//! presets, with its compact binary format.
//!
//! Two linear models share the features: the *lexical* model (hashed n-grams plus the dense
//! rule and obfuscation indicators, scored per window, calibrated by Platt scaling on
//! out-of-fold scores) and the *rule* model (the dense indicators of the whole text only,
//! calibrated by construction). A verdict takes the larger of the two probabilities, so a
//! text the rules recognise is flagged even when its vocabulary is new.
//!
//! Format (little endian): the magic `SWINJ003`; `u32` hash bits; `u32` dense count; `f32`
//! bias, weight scale, calibration slope and intercept, the strict, balanced and permissive
//! thresholds, and the rule model's bias; the lexical model's dense weights and the rule
//! model's weights as `f32`; then `2^bits` hashed weights as `i8` (the real weight is
//! `q * scale`).

use std::sync::{Arc, OnceLock};

use super::error::InjectionError;
use super::features::{N_DENSE, N_FAMILY_FEATURES};

/// The dense features the rule model sees: the strong indicators of the high-precision
/// families (instruction override, fake delimiters, prompt leaking, tool hijack), two or more
/// families at once, and the obfuscation flags. Other families ("stay in character",
/// "developer mode") and weak rules are words benign text uses too; they only inform the
/// lexical model.
pub(crate) const RULE_MODEL_MASK: u32 = {
    use super::rules::RuleFamily as F;
    let strong = [
        F::InstructionOverride,
        F::FakeDelimiter,
        F::PromptLeak,
        F::ToolHijack,
    ];
    let mut m = !0u32 << N_FAMILY_FEATURES;
    let mut i = 0;
    while i < strong.len() {
        let mut f = 0;
        while f < F::BUILTIN.len() {
            if F::BUILTIN[f] as u8 == strong[i] as u8 {
                m |= 1 << (2 * f);
            }
            f += 1;
        }
        i += 1;
    }
    m
};

/// The features that let the rule model speak: a strong rule of its families, two families
/// at once (one strong), a suffix, an embedded instruction. Obfuscation flags (hidden characters, look-alikes, a decoded layer) only add
/// to a verdict: on their own they are common in benign text (e-mail tracking characters,
/// accented names, number runs that decode as leetspeak).
pub(crate) const RULE_MODEL_TRIGGERS: u32 = {
    let mut m = RULE_MODEL_MASK & ((1 << N_FAMILY_FEATURES) - 1);
    m |= 1 << super::features::F_MULTI_FAMILY;
    m |= 1 << super::features::F_SOUP;
    m |= 1 << super::features::F_EMBEDDED;
    m
};

const MAGIC: &[u8; 8] = b"SWINJ003";
const EMBEDDED: &[u8] = include_bytes!("model.bin");

/// A trained injection model. Load the embedded one with [`Model::embedded`], or a retrained
/// one with [`Model::from_bytes`] and pass it to
/// [`InjectionClassifierBuilder::model`](super::InjectionClassifierBuilder::model).
///
/// # Example
/// ```
/// use shieldwall::injection::Model;
///
/// let model = Model::embedded();
/// let bytes = model.to_bytes();
/// assert_eq!(&Model::from_bytes(&bytes)?, model);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    bits: u32,
    bias: f32,
    scale: f32,
    platt: (f32, f32),
    thresholds: [f32; 3],
    dense: Vec<f32>,
    rule_bias: f32,
    rule_dense: Vec<f32>,
    hashed: Vec<i8>,
}

/// The float weights of a trained model, before quantisation.
#[derive(Clone, Debug)]
pub(crate) struct FloatWeights {
    pub hashed: Vec<f32>,
    pub dense: Vec<f32>,
    pub bias: f32,
    pub rule_dense: Vec<f32>,
    pub rule_bias: f32,
}

impl Model {
    /// The model compiled into the library.
    pub fn embedded() -> &'static Model {
        Self::embedded_shared()
    }

    /// The embedded model behind a shared pointer (parsed once, never copied).
    pub(crate) fn embedded_shared() -> &'static Arc<Model> {
        static M: OnceLock<Arc<Model>> = OnceLock::new();
        M.get_or_init(|| Arc::new(Model::from_bytes(EMBEDDED).unwrap_or_else(|_| Model::zero(18))))
    }

    /// An untrained model (every weight zero).
    pub(crate) fn zero(bits: u32) -> Model {
        Model {
            bits,
            bias: 0.0,
            scale: 1.0,
            platt: (1.0, 0.0),
            thresholds: [0.3, 0.5, 0.8],
            dense: vec![0.0; N_DENSE],
            rule_bias: -10.0,
            rule_dense: vec![0.0; N_DENSE],
            hashed: vec![0; 1 << bits],
        }
    }

    /// Quantises float weights into a model.
    pub(crate) fn from_float(
        bits: u32,
        w: &FloatWeights,
        platt: (f32, f32),
        thresholds: [f32; 3],
    ) -> Model {
        let max = w.hashed.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        let hashed = w
            .hashed
            .iter()
            .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8)
            .collect();
        Model {
            bits,
            bias: w.bias,
            scale,
            platt,
            thresholds,
            dense: w.dense.clone(),
            rule_bias: w.rule_bias,
            rule_dense: w.rule_dense.clone(),
            hashed,
        }
    }

    /// The same model with other calibration and thresholds.
    pub(crate) fn recalibrated(&self, platt: (f32, f32), thresholds: [f32; 3]) -> Model {
        Model {
            platt,
            thresholds,
            ..self.clone()
        }
    }

    /// Parses a model file.
    ///
    /// # Errors
    /// When the bytes are not a model of this version, or are truncated.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, InjectionError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err(InjectionError::model("bad magic, expected SWINJ003"));
        }
        let bits = r.u32()?;
        if !(10..=24).contains(&bits) {
            return Err(InjectionError::model(format!(
                "hash bits {bits} outside 10..=24"
            )));
        }
        let n_dense = r.u32()? as usize;
        if n_dense != N_DENSE {
            return Err(InjectionError::model(format!(
                "{n_dense} dense weights, expected {N_DENSE}"
            )));
        }
        let bias = r.f32()?;
        let scale = r.f32()?;
        let platt = (r.f32()?, r.f32()?);
        let thresholds = [r.f32()?, r.f32()?, r.f32()?];
        let rule_bias = r.f32()?;
        let mut dense = Vec::with_capacity(n_dense);
        for _ in 0..n_dense {
            dense.push(r.f32()?);
        }
        let mut rule_dense = Vec::with_capacity(n_dense);
        for _ in 0..n_dense {
            rule_dense.push(r.f32()?);
        }
        let hashed: Vec<i8> = r.take(1 << bits)?.iter().map(|&b| b as i8).collect();
        if r.at != bytes.len() {
            return Err(InjectionError::model(format!(
                "{} trailing bytes",
                bytes.len() - r.at
            )));
        }
        let finite = [bias, scale, platt.0, platt.1, rule_bias]
            .iter()
            .chain(thresholds.iter())
            .chain(dense.iter())
            .chain(rule_dense.iter())
            .all(|v| v.is_finite());
        if !finite {
            return Err(InjectionError::model("a weight is not finite"));
        }
        Ok(Model {
            bits,
            bias,
            scale,
            platt,
            thresholds,
            dense,
            rule_bias,
            rule_dense,
            hashed,
        })
    }

    /// Serialises the model in its file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.hashed.len() + 4 * self.dense.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.extend_from_slice(&(self.dense.len() as u32).to_le_bytes());
        for v in [
            self.bias,
            self.scale,
            self.platt.0,
            self.platt.1,
            self.thresholds[0],
            self.thresholds[1],
            self.thresholds[2],
            self.rule_bias,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in self.dense.iter().chain(self.rule_dense.iter()) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend(self.hashed.iter().map(|&q| q as u8));
        out
    }

    /// Bits of the hashed feature space (`2^bits` weights).
    pub fn hash_bits(&self) -> u32 {
        self.bits
    }

    /// The threshold presets: strict, balanced, permissive.
    pub fn thresholds(&self) -> [f32; 3] {
        self.thresholds
    }

    pub(crate) fn hashed(&self) -> &[i8] {
        &self.hashed
    }

    /// Raw logit of one window from its block sums.
    pub(crate) fn window_logit(&self, sw: i64, nw: u64, sc: i64, nc: u64, mask: u32) -> f32 {
        let mut z = self.bias;
        if nw > 0 {
            z += self.scale * sw as f32 / (nw as f32).sqrt();
        }
        if nc > 0 {
            z += self.scale * sc as f32 / (nc as f32).sqrt();
        }
        for (d, w) in self.dense.iter().enumerate() {
            if mask & (1 << d) != 0 {
                z += w;
            }
        }
        z
    }

    /// Raw logit of a sparse feature vector (see `features::sparse`).
    #[cfg(test)]
    pub(crate) fn logit_sparse(&self, x: &[(u32, f32)]) -> f32 {
        let n = 1u32 << self.bits;
        let mut z = self.bias;
        for &(i, v) in x {
            z += if i < n {
                self.scale * f32::from(self.hashed[i as usize]) * v
            } else {
                self.dense[(i - n) as usize] * v
            };
        }
        z
    }

    /// Raw logit of the rule model for a whole-text dense mask.
    /// With none of its triggers present (see `RULE_MODEL_TRIGGERS`) it abstains (a very low
    /// logit), so the verdict is the lexical model's alone.
    pub(crate) fn rule_logit(&self, mask: u32) -> f32 {
        let mask = mask & RULE_MODEL_MASK;
        if mask & RULE_MODEL_TRIGGERS == 0 {
            return -30.0;
        }
        let mut z = self.rule_bias;
        for (d, w) in self.rule_dense.iter().enumerate() {
            if mask & (1 << d) != 0 {
                z += w;
            }
        }
        z
    }

    /// Probability of the rule model's logit plus a prior offset.
    pub(crate) fn rule_probability(&self, logit: f32, prior: f32) -> f32 {
        let p = 1.0 / (1.0 + (-(logit + prior)).exp());
        if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Calibrated probability of a raw logit plus a prior offset.
    pub(crate) fn probability(&self, logit: f32, prior: f32) -> f32 {
        let z = self.platt.0 * logit + self.platt.1 + prior;
        let p = 1.0 / (1.0 + (-z).exp());
        if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], InjectionError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| {
                InjectionError::model(format!(
                    "truncated at byte {} of {}",
                    self.at,
                    self.bytes.len()
                ))
            })?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, InjectionError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, InjectionError> {
        Ok(f32::from_bits(self.u32()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_parses() {
        assert!(Model::from_bytes(EMBEDDED).is_ok());
    }

    #[test]
    fn bad_bytes_are_errors() {
        assert!(Model::from_bytes(b"nope").is_err());
        let mut b = Model::zero(10).to_bytes();
        b.pop();
        assert!(Model::from_bytes(&b).is_err());
        assert!(Model::from_bytes(&Model::zero(10).to_bytes()).is_ok());
    }
}
