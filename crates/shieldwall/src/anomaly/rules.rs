//! The alert rules: each reads an account's (or key's, or index entry's) features, compares
//! them with the configured thresholds and returns an alert with its evidence.

use super::alerts::{Alert, AlertKind, Evidence, score_of};
use super::config::TrackerConfig;
use super::features::{AccountState, KeyState};

fn alert(ts: i64, a: &AccountState, kind: AlertKind, ratio: f64, evidence: Vec<Evidence>) -> Alert {
    Alert {
        ts_ms: ts,
        account: a.name.clone(),
        accounts: Vec::new(),
        kind,
        score: score_of(ratio),
        evidence,
    }
}

pub(crate) fn extraction(c: &TrackerConfig, a: &AccountState, ts: i64) -> Option<Alert> {
    if a.text_n < c.min_requests {
        return None;
    }
    let templ = a.templated_rate();
    if templ < c.extraction_template_rate || a.dup_rate > c.extraction_max_duplicate_rate {
        return None;
    }
    let (uses, slots) = a.top_skeleton();
    let mut ev = vec![
        Evidence::new("template_rate", templ, c.extraction_template_rate),
        Evidence::new(
            "duplicate_rate",
            a.dup_rate,
            c.extraction_max_duplicate_rate,
        ),
        Evidence::new("requests", a.text_n as f64, c.min_requests as f64),
        Evidence::new("distinct_prompt_ratio", a.distinct_ratio(), 0.0),
    ];
    if a.reuse_rate >= a.near_rate {
        ev.push(Evidence::new("top_template_uses", f64::from(uses), 0.0));
        ev.push(Evidence::new("top_template_distinct_slots", slots, 0.0));
    } else {
        ev.push(Evidence::new(
            "near_duplicate_rate",
            a.near_rate,
            c.extraction_template_rate,
        ));
    }
    if a.logprobs_rate > 0.0 {
        ev.push(Evidence::new("logprobs_rate", a.logprobs_rate, 0.0));
    }
    let ratio = templ / c.extraction_template_rate.max(1e-9) * (1.0 + a.logprobs_rate);
    Some(alert(ts, a, AlertKind::Extraction, ratio, ev))
}

pub(crate) fn automation(c: &TrackerConfig, a: &AccountState, ts: i64) -> Option<Alert> {
    if a.gaps < c.min_requests {
        return None;
    }
    let cv = a.gap_cv();
    if cv > c.automation_max_gap_cv {
        return None;
    }
    let hours = a.active_hours();
    let repeats = a.text_n > 0 && a.dup_rate >= c.automation_duplicate_rate;
    let no_rhythm = hours >= c.automation_active_hours;
    if !repeats && !no_rhythm {
        return None;
    }
    let mut ev = vec![Evidence::new("gap_cv", cv, c.automation_max_gap_cv)];
    ev.push(Evidence::new("mean_gap_s", a.gap_mean, 0.0));
    if repeats {
        ev.push(Evidence::new(
            "duplicate_rate",
            a.dup_rate,
            c.automation_duplicate_rate,
        ));
    }
    if no_rhythm {
        ev.push(Evidence::new(
            "active_hours",
            f64::from(hours),
            f64::from(c.automation_active_hours),
        ));
    }
    let ratio = c.automation_max_gap_cv / cv.max(1e-3);
    Some(alert(ts, a, AlertKind::Automation, ratio, ev))
}

pub(crate) fn volume(c: &TrackerConfig, a: &AccountState, ts: i64) -> Option<Alert> {
    let rate = a.rate_short();
    if rate < c.volume_per_hour || a.cusum < c.volume_cusum {
        return None;
    }
    let ev = vec![
        Evidence::new("requests_per_hour", rate, c.volume_per_hour),
        Evidence::new("rate_cusum", a.cusum, c.volume_cusum),
        Evidence::new("baseline_per_hour", a.rate_long(), 0.0),
    ];
    Some(alert(
        ts,
        a,
        AlertKind::Volume,
        rate / c.volume_per_hour.max(1e-9),
        ev,
    ))
}

pub(crate) fn cost(c: &TrackerConfig, a: &AccountState, ts: i64) -> Option<Alert> {
    if a.n < c.min_requests.min(20) {
        return None;
    }
    let tokens = a.completion_rate();
    if a.max_len_rate < c.cost_max_length_rate || tokens < c.cost_tokens_per_hour {
        return None;
    }
    let ev = vec![
        Evidence::new("max_length_rate", a.max_len_rate, c.cost_max_length_rate),
        Evidence::new("completion_tokens_per_hour", tokens, c.cost_tokens_per_hour),
        Evidence::new("output_input_ratio", a.token_ratio, 0.0),
    ];
    let ratio = tokens / c.cost_tokens_per_hour.max(1e-9);
    Some(alert(ts, a, AlertKind::Cost, ratio, ev))
}

pub(crate) fn key_compromise(
    c: &TrackerConfig,
    a: &AccountState,
    k: &KeyState,
    ts: i64,
) -> Option<Alert> {
    if k.n < c.key_min_history || k.new_prefix_rate < c.key_new_prefix_rate {
        return None;
    }
    let rate = k.rate_short();
    let base = k.rate_long();
    let paced = rate >= c.key_per_hour && rate >= c.key_rate_ratio * base;
    let shift = k.templ_short - k.templ_long;
    let styled = shift >= c.key_template_shift;
    if !paced && !styled {
        return None;
    }
    let mut ev = vec![
        Evidence::new("new_prefix_rate", k.new_prefix_rate, c.key_new_prefix_rate)
            .detail(format!("key {}", k.name)),
    ];
    if paced {
        ev.push(Evidence::new("requests_per_hour", rate, c.key_per_hour));
        ev.push(Evidence::new(
            "rate_vs_baseline",
            rate / base.max(1e-9),
            c.key_rate_ratio,
        ));
    }
    if styled {
        ev.push(Evidence::new(
            "template_rate_shift",
            shift,
            c.key_template_shift,
        ));
    }
    let ratio = k.new_prefix_rate / c.key_new_prefix_rate.max(1e-9) * if paced { 1.5 } else { 1.0 };
    Some(alert(ts, a, AlertKind::KeyCompromise, ratio, ev))
}
