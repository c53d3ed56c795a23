//! Webhooks: per tenant, a URL and a minimum severity. When a scan finds vulnerabilities at or
//! above it, a delivery is stored and POSTed — `{"event": "new_findings", "image": {"digest",
//! "name"}, "findings": [...]}` signed `X-Bulkhead-Signature: sha256=<HMAC of the body>` —
//! and retried with backoff until delivered: at least once, `X-Bulkhead-Delivery` naming it.

use crate::store::{Store, Webhook};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Attempts before a delivery is given up, and the first retry's delay (doubling).
const MAX_ATTEMPTS: i64 = 6;
const FIRST_RETRY: f64 = 2.0;
const SEVERITIES: &[&str] = &["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

fn rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(0)
}

/// `min_severity` as given, checked.
pub fn severity(value: Option<&str>) -> Result<String, String> {
    let value = value.unwrap_or("LOW").to_ascii_uppercase();
    if SEVERITIES.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(format!(
            "min_severity: expected one of {}",
            SEVERITIES.join(", ")
        ))
    }
}

/// HMAC-SHA256 (RFC 2104) of `body` with `key`, as hex.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(body)
        .finalize();
    hex::encode(
        Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize(),
    )
}

/// The deliveries that new findings of one image cause: (webhook id, body) for each webhook
/// with findings at or above its minimum severity. `image` is `{"digest", "name"}`.
pub fn deliveries(hooks: &[Webhook], image: &Value, findings: &[Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for hook in hooks {
        let shown: Vec<&Value> = findings
            .iter()
            .filter(|v| rank(v["severity"].as_str().unwrap_or("")) >= rank(&hook.min_severity))
            .collect();
        if shown.is_empty() {
            continue;
        }
        let body = json!({
            "event": "new_findings",
            "image": image,
            "findings": shown,
        });
        out.push((hook.id.clone(), body.to_string()));
    }
    out
}

/// Sends the deliveries that are due; returns how many were attempted.
pub fn deliver_due(store: &mut dyn Store) -> Result<usize, String> {
    let due = store.due_deliveries()?;
    if due.is_empty() {
        return Ok(0);
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    for delivery in &due {
        let signed = format!(
            "sha256={}",
            signature(delivery.secret.as_bytes(), delivery.body.as_bytes())
        );
        let sent = agent
            .post(&delivery.url)
            .header("Content-Type", "application/json")
            .header("X-Bulkhead-Event", "new_findings")
            .header("X-Bulkhead-Delivery", &delivery.id)
            .header("X-Bulkhead-Signature", &signed)
            .send(delivery.body.as_bytes());
        let ok = sent.as_ref().is_ok_and(|r| r.status().is_success());
        let error = match sent {
            Ok(_) if ok => String::new(),
            Ok(r) => format!("HTTP {}", r.status()),
            Err(e) => e.to_string(),
        };
        let retry_in = FIRST_RETRY * 2f64.powi(delivery.attempts as i32);
        store.delivery_result(&delivery.id, ok, &error, retry_in, MAX_ATTEMPTS)?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn hmac_sha256_of_rfc_4231_case_2() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
