//! What the tracker reports: [`Alert`]s of an [`AlertKind`], each with its [`Evidence`].

use serde::{Deserialize, Serialize};

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Model extraction: many prompts sharing a template with swept slots, or near-duplicates.
    Extraction,
    /// Scripted use: machine-regular pacing with repeated prompts or no daily rhythm.
    Automation,
    /// A request rate far above the account's own baseline and an absolute floor.
    Volume,
    /// Cost abuse: outputs at the requested maximum length, at a high token rate.
    Cost,
    /// A campaign spread over several accounts sending the same templates.
    Distributed,
    /// An API key whose use drifts from its history: new networks, new pacing, new prompts.
    KeyCompromise,
}

impl AlertKind {
    /// Every kind, in a fixed order.
    pub const ALL: [AlertKind; 6] = [
        AlertKind::Extraction,
        AlertKind::Automation,
        AlertKind::Volume,
        AlertKind::Cost,
        AlertKind::Distributed,
        AlertKind::KeyCompromise,
    ];

    /// The snake_case name (as serialized): `"extraction"`, `"key_compromise"`, ...
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::Extraction => "extraction",
            AlertKind::Automation => "automation",
            AlertKind::Volume => "volume",
            AlertKind::Cost => "cost",
            AlertKind::Distributed => "distributed",
            AlertKind::KeyCompromise => "key_compromise",
        }
    }

    /// The kind of a snake_case name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One feature behind an alert: its value and the threshold it crossed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The feature's name, e.g. `"template_reuse_rate"`.
    pub feature: String,
    /// Its value when the alert fired.
    pub value: f64,
    /// The threshold it was compared with (see the feature's doc for the direction).
    pub threshold: f64,
    /// A free-text detail, e.g. the key id or the shared prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Evidence {
    pub(crate) fn new(feature: &str, value: f64, threshold: f64) -> Self {
        Self {
            feature: feature.to_owned(),
            value: round4(value),
            threshold,
            detail: None,
        }
    }
    pub(crate) fn detail(mut self, detail: String) -> Self {
        self.detail = Some(detail);
        self
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// A finding: which account(s), when, what kind, how strong, and why.
///
/// `account` is the account whose event raised the alert; `accounts` lists every account of a
/// [`AlertKind::Distributed`] campaign (empty for other kinds). `score` is in `[0, 1]`:
/// 0.5 is "just over the thresholds", 1.0 "far over".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The timestamp of the event that raised it (Unix milliseconds).
    pub ts_ms: i64,
    /// The account whose event raised it.
    pub account: String,
    /// For a campaign: every account in it (sorted); otherwise empty.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// What it is about.
    pub kind: AlertKind,
    /// How strong, in `[0, 1]`.
    pub score: f64,
    /// The features that crossed their thresholds.
    pub evidence: Vec<Evidence>,
}

/// Maps "how far over the threshold" (`ratio = value / threshold` ≥ 1) to a score in
/// `[0.5, 1)`.
pub(crate) fn score_of(ratio: f64) -> f64 {
    let r = ratio.max(1.0);
    round4(1.0 - 0.5 / r)
}
