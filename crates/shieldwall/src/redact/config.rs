//! The redactor's configuration and builder.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Redactor;
use super::catalog::DetectorSpec;
use super::error::RedactError;
use super::operators::Operator;

fn default_min_confidence() -> f32 {
    0.5
}

/// Everything that configures a [`Redactor`]. Deserialises from TOML or JSON; missing fields
/// take their defaults, unknown fields are rejected. `Debug` hides the hash key.
///
/// # Example
/// ```
/// use shieldwall::redact::{Redactor, RedactorConfig};
///
/// let config = RedactorConfig::from_toml(r#"
/// disable = ["ip_address"]
/// allow = ["support@example.com"]
/// min_confidence = 0.6
///
/// [operators.email]
/// op = "mask"
/// keep_last = 4
///
/// [[detectors]]
/// id = "ticket"
/// kind = "ticket_id"
/// keywords = ["TCK-"]
/// pattern = 'TCK-[0-9]{6}'
/// "#)?;
/// let redactor = Redactor::from_config(config)?;
/// let out = redactor.redact("TCK-482913 from 10.1.2.3, ann@corp.io, support@example.com");
/// assert_eq!(out.text, "[TICKET_ID_1] from 10.1.2.3, *******p.io, support@example.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedactorConfig {
    /// Start from the built-in catalog (default `true`).
    pub default_catalog: bool,
    /// Extra detectors (an id already in the catalog replaces that detector).
    pub detectors: Vec<DetectorSpec>,
    /// If not empty, only these detector ids or kinds run.
    pub enable: Vec<String>,
    /// Detector ids or kinds that do not run.
    pub disable: Vec<String>,
    /// Findings below this confidence are dropped (default 0.5).
    pub min_confidence: f32,
    /// Values never reported (exact match of the finding's text).
    pub allow: Vec<String>,
    /// Regexes: a finding whose whole text matches one is not reported.
    pub allow_patterns: Vec<String>,
    /// Report placeholder and example values too (`AKIAIOSFODNN7EXAMPLE`, `xxxx`, ...).
    pub report_placeholders: bool,
    /// Operator per kind.
    pub operators: BTreeMap<String, Operator>,
    /// Operator for kinds not in `operators` (default [`Operator::Replace`]).
    pub default_operator: Operator,
    /// Key for [`Operator::Hash`] (required when it is used).
    pub hash_key: Option<String>,
    /// Scan the text layer's view of non-ASCII text, so values split by invisible characters
    /// or written in fullwidth forms are found; spans are mapped back to the original
    /// (default `true`).
    pub scan_view: bool,
}

impl Default for RedactorConfig {
    fn default() -> Self {
        Self {
            default_catalog: true,
            detectors: Vec::new(),
            enable: Vec::new(),
            disable: Vec::new(),
            min_confidence: default_min_confidence(),
            allow: Vec::new(),
            allow_patterns: Vec::new(),
            report_placeholders: false,
            operators: BTreeMap::new(),
            default_operator: Operator::Replace,
            hash_key: None,
            scan_view: true,
        }
    }
}

impl fmt::Debug for RedactorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactorConfig")
            .field("default_catalog", &self.default_catalog)
            .field("detectors", &self.detectors.len())
            .field("enable", &self.enable)
            .field("disable", &self.disable)
            .field("min_confidence", &self.min_confidence)
            .field("allow", &self.allow.len())
            .field("allow_patterns", &self.allow_patterns.len())
            .field("report_placeholders", &self.report_placeholders)
            .field("operators", &self.operators)
            .field("default_operator", &self.default_operator)
            .field("hash_key", &self.hash_key.as_ref().map(|_| "<hidden>"))
            .field("scan_view", &self.scan_view)
            .finish()
    }
}

impl RedactorConfig {
    /// Parses a TOML configuration.
    ///
    /// # Errors
    /// When the text is not valid TOML or does not describe a configuration.
    pub fn from_toml(text: &str) -> Result<Self, RedactError> {
        toml::from_str(text)
            .map_err(|e| RedactError::parse(e.to_string().trim_end().to_lowercase()))
    }

    /// Parses a JSON configuration.
    ///
    /// # Errors
    /// When the text is not valid JSON or does not describe a configuration.
    ///
    /// # Example
    /// ```
    /// use shieldwall::redact::RedactorConfig;
    /// let c = RedactorConfig::from_json(r#"{"disable": ["email"], "operators": {"phone": {"op": "remove"}}}"#)?;
    /// assert_eq!(c.disable, ["email"]);
    /// assert!(RedactorConfig::from_json(r#"{"nope": 1}"#).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, RedactError> {
        serde_json::from_str(text).map_err(|e| RedactError::parse(e.to_string().to_lowercase()))
    }
}

/// Builds a [`Redactor`]. Setters take `&mut self`; a builder can be reused.
///
/// # Example
/// ```
/// use shieldwall::redact::{Operator, Redactor};
///
/// let redactor = Redactor::builder()
///     .disable("phone")
///     .allow("ops@example.com")
///     .operator("api_key", Operator::Hash)
///     .hash_key(b"a secret pepper")
///     .build()?;
/// let out = redactor.redact("ops@example.com, call +44 20 7946 0958, key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW");
/// assert!(out.text.starts_with("ops@example.com, call +44 20 7946 0958, key [API_KEY:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RedactorBuilder {
    config: RedactorConfig,
}

impl RedactorBuilder {
    /// Starts from a configuration.
    pub fn from_config(config: RedactorConfig) -> Self {
        Self { config }
    }

    /// Adds a custom detector (replacing a catalog detector with the same id).
    pub fn detector(&mut self, spec: DetectorSpec) -> &mut Self {
        self.config.detectors.push(spec);
        self
    }

    /// Whether to start from the built-in catalog (default `true`).
    pub fn default_catalog(&mut self, on: bool) -> &mut Self {
        self.config.default_catalog = on;
        self
    }

    /// Runs only detectors with this id or kind (call several times for several).
    pub fn enable(&mut self, id_or_kind: impl Into<String>) -> &mut Self {
        self.config.enable.push(id_or_kind.into());
        self
    }

    /// Does not run detectors with this id or kind.
    pub fn disable(&mut self, id_or_kind: impl Into<String>) -> &mut Self {
        self.config.disable.push(id_or_kind.into());
        self
    }

    /// Drops findings below this confidence.
    pub fn min_confidence(&mut self, min: f32) -> &mut Self {
        self.config.min_confidence = min;
        self
    }

    /// Never reports this exact value.
    pub fn allow(&mut self, value: impl Into<String>) -> &mut Self {
        self.config.allow.push(value.into());
        self
    }

    /// Never reports a value that this regex matches entirely.
    pub fn allow_pattern(&mut self, pattern: impl Into<String>) -> &mut Self {
        self.config.allow_patterns.push(pattern.into());
        self
    }

    /// Reports placeholder and example values too.
    pub fn report_placeholders(&mut self, on: bool) -> &mut Self {
        self.config.report_placeholders = on;
        self
    }

    /// Sets the operator for a kind.
    pub fn operator(&mut self, kind: impl Into<String>, op: Operator) -> &mut Self {
        self.config.operators.insert(kind.into(), op);
        self
    }

    /// Sets the operator for kinds without their own.
    pub fn default_operator(&mut self, op: Operator) -> &mut Self {
        self.config.default_operator = op;
        self
    }

    /// Whether to scan the normalised view of non-ASCII text (default `true`).
    pub fn scan_view(&mut self, on: bool) -> &mut Self {
        self.config.scan_view = on;
        self
    }

    /// Sets the key of [`Operator::Hash`].
    pub fn hash_key(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        self.config.hash_key = Some(String::from_utf8_lossy(key.as_ref()).into_owned());
        self
    }

    /// Builds the redactor.
    ///
    /// # Errors
    /// When a detector is invalid, an allow pattern does not compile, the minimum confidence
    /// is outside `0..=1`, or a hash operator has no key.
    pub fn build(&self) -> Result<Redactor, RedactError> {
        Redactor::from_config(self.config.clone())
    }
}
