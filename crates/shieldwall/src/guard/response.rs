//! The answer's side of the guard: output audit, restore, settlement, tracker events.

use super::{
    Action, AuditEvent, Canary, FINGERPRINT_MAX_BYTES, Guard, GuardChannel, GuardKind, LeakIndex,
    Outcome, Reason, Request, ResponseContext, ResponseDecision, Role, outcome_of, short_hash,
};
use crate::anomaly::{Alert, Event};
use crate::limit::Usage;

impl Guard {
    /// Feeds the tracker one event for `request` (its completion `pending` when the call goes
    /// ahead); its alerts become reasons too. Returns them and the account it was tracked as.
    pub(super) fn observe(
        &self,
        request: &Request,
        account: Option<&str>,
        key_hash: Option<&str>,
        prompt_tokens: u64,
        pending: bool,
        reasons: &mut Vec<Reason>,
    ) -> (Vec<Alert>, Option<String>) {
        let Some(tracker) = &self.inner.tracker else {
            return (Vec::new(), None);
        };
        let account = account
            .map(str::to_owned)
            .or_else(|| key_hash.map(|k| format!("key:{k}")))
            .or_else(|| request.ip.clone().map(|ip| format!("ip:{ip}")))
            .unwrap_or_else(|| "anonymous".to_string());
        let mut event = Event::new(self.unix_ms() as i64, account.clone())
            .with_tokens(u32::try_from(prompt_tokens).unwrap_or(u32::MAX), 0);
        event.completion_pending = pending;
        if let Some(k) = key_hash {
            event = event.with_key(k);
        }
        if let Some(ip) = &request.ip
            && ip.parse::<std::net::IpAddr>().is_ok()
        {
            event = event.with_ip(ip.clone());
        }
        if let Some(m) = &request.model {
            event = event.with_model(m.clone());
        }
        if let Some(n) = request.max_tokens {
            event = event.with_max_tokens(u32::try_from(n).unwrap_or(u32::MAX));
        }
        // The fingerprint is of the last user turn (the tracker hashes its first 4 KiB).
        if let Some(m) = request.messages.iter().rev().find(|m| m.role == Role::User) {
            let mut prompt = String::new();
            for p in m.parts.iter().filter(|p| p.channel == GuardChannel::User) {
                if prompt.len() >= FINGERPRINT_MAX_BYTES {
                    break;
                }
                prompt.push_str(&p.text);
            }
            let cut = (0..=FINGERPRINT_MAX_BYTES.min(prompt.len()))
                .rev()
                .find(|&i| prompt.is_char_boundary(i))
                .unwrap_or(0);
            prompt.truncate(cut);
            event = event.with_prompt(prompt);
        }
        let observed = match tracker.lock() {
            Ok(mut t) => t.observe(&event),
            Err(poisoned) => poisoned.into_inner().observe(&event),
        };
        match observed {
            Ok(alerts) => {
                self.alert_reasons(&alerts, reasons);
                (alerts, Some(account))
            }
            Err(e) => {
                let mut r = Reason::new(GuardKind::Anomaly, Action::Log, "tracker_error");
                r.detector = Some(e.to_string());
                reasons.push(r);
                (Vec::new(), None)
            }
        }
    }

    fn alert_reasons(&self, alerts: &[Alert], reasons: &mut Vec<Reason>) {
        for a in alerts {
            let mut r = Reason::new(
                GuardKind::Anomaly,
                self.inner.policy.tracker.action,
                a.kind.name(),
            );
            r.score = Some(a.score);
            reasons.push(r);
        }
    }

    /// Reports the answer's completion tokens to the tracker (for a request observed with its
    /// completion pending): the cost features see real output sizes. Its alerts become
    /// reasons too.
    pub(super) fn complete_usage(
        &self,
        ctx: &mut ResponseContext,
        completion_tokens: u64,
        reasons: &mut Vec<Reason>,
    ) -> Vec<Alert> {
        let (Some(tracker), Some(account)) = (&self.inner.tracker, ctx.tracked_as.take()) else {
            return Vec::new();
        };
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let max_tokens = ctx.max_tokens.map(clamp);
        let ts = self.unix_ms() as i64;
        let alerts = match tracker.lock() {
            Ok(mut t) => t.complete(
                ts,
                &account,
                clamp(ctx.prompt_tokens),
                clamp(completion_tokens),
                max_tokens,
            ),
            Err(poisoned) => poisoned.into_inner().complete(
                ts,
                &account,
                clamp(ctx.prompt_tokens),
                clamp(completion_tokens),
                max_tokens,
            ),
        };
        self.alert_reasons(&alerts, reasons);
        alerts
    }

    /// Output-audit reasons of a complete answer that do not rewrite it: injection (when on
    /// for the output channel), canaries, leakage.
    pub(super) fn audit_output(
        &self,
        ctx: &ResponseContext,
        text: &str,
        reasons: &mut Vec<Reason>,
    ) {
        let policy = &self.inner.policy;
        if let Some(mut r) = self.injection_reason(text, GuardChannel::Output) {
            r.channel = Some(GuardChannel::Output);
            reasons.push(r);
        }
        self.canary_reasons(ctx, text, reasons);
        if policy.leak.enabled && !ctx.system_prompt.is_empty() {
            let index = LeakIndex::new(&ctx.system_prompt, policy.leak.ngram);
            let covered = index.covered_words(text);
            if covered >= policy.leak.min_words {
                let mut r = Reason::new(GuardKind::Leak, policy.leak.action, "system_prompt");
                r.channel = Some(GuardChannel::Output);
                r.score = Some(covered as f64);
                reasons.push(r);
            }
        }
    }

    pub(super) fn canary_reasons(
        &self,
        ctx: &ResponseContext,
        text: &str,
        reasons: &mut Vec<Reason>,
    ) {
        for hit in Canary::scan(&ctx.canaries, text) {
            // The marker itself never goes into a reason (reasons reach clients and logs): a
            // short hash names it.
            let id = format!("canary:{}", short_hash(hit.marker.as_bytes()));
            if reasons
                .iter()
                .any(|r| r.guard == GuardKind::Canary && r.detector.as_deref() == Some(&id))
            {
                continue;
            }
            let mut r = Reason::new(GuardKind::Canary, self.inner.policy.canary.action, hit.how);
            r.channel = Some(GuardChannel::Output);
            r.detector = Some(id);
            reasons.push(r);
        }
    }

    /// Settles the reservation: prompt tokens plus `completion_tokens`.
    pub(super) fn settle(&self, ctx: &mut ResponseContext, completion_tokens: u64) {
        if let (Some(limiter), Some(res)) = (&self.inner.limiter, ctx.reservation.take()) {
            let _ = limiter.settle(res, Usage::tokens(ctx.prompt_tokens + completion_tokens));
        }
    }

    pub(super) fn response_audit(
        &self,
        ctx: &ResponseContext,
        stage: &str,
        text: &str,
        (outcome, would): (Outcome, Outcome),
        tokens: u64,
        reasons: &[Reason],
    ) -> AuditEvent {
        let event = AuditEvent {
            unix_ms: self.unix_ms(),
            stage: stage.into(),
            request_id: ctx.request_id,
            outcome,
            would,
            shadow: self.inner.policy.shadow,
            account: ctx.account.clone(),
            key_hash: ctx.key_hash.clone(),
            key_id: ctx.key_id.clone(),
            ip: ctx.ip.clone(),
            model: ctx.model.clone(),
            format: ctx.format.clone(),
            text_bytes: text.len() as u64,
            tokens,
            text_hash: short_hash(text.as_bytes()),
            reasons: reasons.to_vec(),
        };
        self.inner.sink.record(&event);
        event
    }

    /// Checks a complete answer: PII and secrets on the output channel, canaries,
    /// system-prompt leakage; restores the request's placeholders (when the policy's redaction
    /// is reversible) and settles the token reservation with `completion_tokens` (counted from
    /// the text when `None`).
    pub fn check_response(
        &self,
        mut ctx: ResponseContext,
        text: &str,
        completion_tokens: Option<u64>,
    ) -> ResponseDecision {
        let policy = &self.inner.policy;
        let mut reasons = Vec::new();
        let cp = &policy.channels.output;
        let mut out = text.to_string();
        let mut rewritten = false;
        if cp.redact.enabled {
            let mut vault = ctx.vault.clone();
            let scanned = self.scan_redact(text, cp, &mut vault);
            for (f, action) in scanned.findings {
                let mut r = Reason::new(GuardKind::Redact, action, f.kind);
                r.channel = Some(GuardChannel::Output);
                r.detector = Some(f.detector);
                r.span = Some((f.start, f.end));
                r.score = Some(f64::from(f.confidence));
                reasons.push(r);
            }
            if let Some(t) = scanned.text
                && !policy.shadow
            {
                out = t;
                rewritten = true;
            }
        }
        if policy.redact.reversible && !ctx.vault.is_empty() {
            out = ctx.vault.restore(&out);
        }
        self.audit_output(&ctx, text, &mut reasons);
        let tokens = completion_tokens
            .unwrap_or_else(|| self.inner.tokens.count(text, ctx.model.as_deref()));
        self.settle(&mut ctx, tokens);
        let alerts = self.complete_usage(&mut ctx, tokens, &mut reasons);
        let would = outcome_of(&reasons, rewritten);
        let outcome = if policy.shadow { Outcome::Allow } else { would };
        if outcome == Outcome::Block {
            out.clear();
        }
        let audit = self.response_audit(&ctx, "response", text, (outcome, would), tokens, &reasons);
        ResponseDecision {
            outcome,
            would,
            text: out,
            reasons,
            alerts,
            audit,
        }
    }
}
