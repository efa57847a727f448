//! Figures of the source-held-out evaluation: the report types, ROC AUC, per-group rates,
//! and the Platt scaling fit.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Figures for one group of held-out examples at the balanced threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// The source (or `pooled`, or a fixture name).
    pub name: String,
    /// Injection examples.
    pub positives: usize,
    /// Benign examples.
    pub negatives: usize,
    /// True positive rate (recall) at the threshold, if there are positives.
    pub tpr: Option<f64>,
    /// False positive rate at the threshold, if there are negatives.
    pub fpr: Option<f64>,
    /// F1 at the threshold, when the group has both classes.
    pub f1: Option<f64>,
    /// ROC AUC; for one-class groups, against the other class of the pooled held-out set.
    pub auc: Option<f64>,
    /// TPR at the threshold that flags 1 % of the pooled held-out benign examples.
    pub tpr_at_1pct_fpr: Option<f64>,
}

/// The source-held-out evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The threshold the figures use (the balanced preset).
    pub threshold: f32,
    /// Per held-out source.
    pub sources: Vec<GroupReport>,
    /// All held-out scores together.
    pub pooled: GroupReport,
    /// Extra fixtures scored by the final model (never trained on).
    pub extra: Vec<GroupReport>,
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.3}"));
        writeln!(
            f,
            "threshold {:.3}\n{:<36} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6} {:>9}",
            self.threshold, "held-out group", "pos", "neg", "TPR", "FPR", "F1", "AUC", "TPR@1%FPR"
        )?;
        for g in self
            .sources
            .iter()
            .chain([&self.pooled])
            .chain(self.extra.iter())
        {
            writeln!(
                f,
                "{:<36} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6} {:>9}",
                g.name,
                g.positives,
                g.negatives,
                p(g.tpr),
                p(g.fpr),
                p(g.f1),
                p(g.auc),
                p(g.tpr_at_1pct_fpr)
            )?;
        }
        Ok(())
    }
}

/// Fits `p = sigmoid(a * z + c + offset)` by damped Newton steps with a line search on the
/// log-loss (plus a small pull towards `a = 1, c = 0` so separable data cannot diverge).
pub(super) fn fit_platt(z: &[(f32, f32, bool)]) -> (f32, f32) {
    let z: Vec<(f64, f64, bool)> = z
        .iter()
        .filter(|x| x.0.is_finite())
        .map(|&(x, o, y)| (f64::from(x), f64::from(o), y))
        .collect();
    const REG: f64 = 1e-3;
    let loss = |a: f64, c: f64| {
        let mut l = REG * ((a - 1.0).powi(2) + c * c) * z.len() as f64;
        for &(x, o, y) in &z {
            let m = a * x + c + o;
            // log(1 + e^-m) for y, log(1 + e^m) otherwise, computed stably
            let t = if y { -m } else { m };
            l += if t > 30.0 { t } else { t.exp().ln_1p() };
        }
        l
    };
    let (mut a, mut c) = (1f64, 0f64);
    let mut cur = loss(a, c);
    for _ in 0..100 {
        let n = z.len() as f64;
        let (mut ga, mut gc) = (2.0 * REG * n * (a - 1.0), 2.0 * REG * n * c);
        let (mut haa, mut hac, mut hcc) = (2.0 * REG * n + 1e-9, 0f64, 2.0 * REG * n + 1e-9);
        for &(x, o, y) in &z {
            let p = 1.0 / (1.0 + (-(a * x + c + o)).exp());
            let d = p - if y { 1.0 } else { 0.0 };
            ga += d * x;
            gc += d;
            let h = p * (1.0 - p);
            haa += h * x * x;
            hac += h * x;
            hcc += h;
        }
        let det = haa * hcc - hac * hac;
        if det.abs() < 1e-12 {
            break;
        }
        let da = (hcc * ga - hac * gc) / det;
        let dc = (haa * gc - hac * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nc) = (a - step * da, c - step * dc);
            let l = loss(na, nc);
            if l < cur {
                a = na;
                c = nc;
                cur = l;
                improved = true;
                break;
            }
            step /= 2.0;
        }
        if !improved || (da.abs() + dc.abs()) * step < 1e-9 {
            break;
        }
    }
    (a as f32, c as f32)
}

/// ROC AUC of scores (ties count half).
pub(super) fn auc(pos: &[f32], neg: &[f32]) -> Option<f64> {
    if pos.is_empty() || neg.is_empty() {
        return None;
    }
    let mut all: Vec<(f32, bool)> = pos
        .iter()
        .map(|&s| (s, true))
        .chain(neg.iter().map(|&s| (s, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0f64;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j + 1) as f64 / 2.0;
        rank_sum += avg * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let (np, nn) = (pos.len() as f64, neg.len() as f64);
    Some((rank_sum - np * (np + 1.0) / 2.0) / (np * nn))
}

pub(super) fn group(
    name: &str,
    scored: &[(f32, bool)],
    threshold: f32,
    pooled_pos: &[f32],
    pooled_neg: &[f32],
    t1: f32,
) -> GroupReport {
    let pos: Vec<f32> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    let neg: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let tp = pos.iter().filter(|&&s| s >= threshold).count() as f64;
    let fp = neg.iter().filter(|&&s| s >= threshold).count() as f64;
    let fnn = pos.len() as f64 - tp;
    let rate = |k: f64, n: usize| (n > 0).then(|| k / n as f64);
    let f1 = (!pos.is_empty() && !neg.is_empty()).then(|| {
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fnn)
        }
    });
    let auc = match (pos.is_empty(), neg.is_empty()) {
        (false, false) => auc(&pos, &neg),
        (false, true) => auc(&pos, pooled_neg),
        (true, false) => auc(pooled_pos, &neg),
        (true, true) => None,
    };
    GroupReport {
        name: name.to_string(),
        positives: pos.len(),
        negatives: neg.len(),
        tpr: rate(tp, pos.len()),
        fpr: rate(fp, neg.len()),
        f1,
        auc,
        tpr_at_1pct_fpr: rate(pos.iter().filter(|&&s| s > t1).count() as f64, pos.len()),
    }
}
