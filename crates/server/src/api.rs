//! The REST API (docs/server.md, docs/openapi/server.yaml): submit a scan, read its status
//! and report, health, readiness and Prometheus metrics. Every `/api/` call needs a tenant's
//! bearer token; a tenant never learns whether another tenant's id exists (404 for both).

use crate::store::{Request, Store};
use crate::Config;
use serde_json::{json, Value};
use std::io::Read;

/// Largest request body: an SBOM of a big image fits.
const MAX_BODY: u64 = 32 << 20;
/// Longest registry reference accepted.
const MAX_REFERENCE: usize = 512;

pub(crate) type Response = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

pub fn handle(store: &mut dyn Store, config: &Config, mut request: tiny_http::Request) {
    let response = route(store, config, &mut request);
    let _ = request.respond(response);
}

fn route(store: &mut dyn Store, config: &Config, request: &mut tiny_http::Request) -> Response {
    use tiny_http::Method::{Get, Post};
    let path = request.url().split('?').next().unwrap_or("").to_string();
    match (request.method(), path.as_str()) {
        (Get, "/healthz") => text(200, "ok\n"),
        (Get, "/readyz") => ready(config),
        (Get, "/metrics") => metrics(store),
        (Post, "/api/v1/scans") => with_tenant(store, request, submit),
        (Post, "/api/v1/webhooks") => with_tenant(store, request, add_webhook),
        (Get, "/api/v1/images") => {
            with_tenant(store, request, |store, tenant, _| images(store, tenant))
        }
        (Get, p) if p.starts_with("/api/v1/images/") => {
            let digest = p["/api/v1/images/".len()..].to_string();
            with_tenant(store, request, |store, tenant, _| {
                image(store, tenant, &digest)
            })
        }
        (Get, p) if p.starts_with("/api/v1/scans/") => {
            let id = p["/api/v1/scans/".len()..].to_string();
            with_tenant(store, request, |store, tenant, _| {
                status(store, tenant, &id)
            })
        }
        (_, p) if p.starts_with("/harbor/api/v1/") => {
            crate::harbor::route(store, config, request, &path)
        }
        (_, p) if p.starts_with("/api/") || matches!(p, "/healthz" | "/readyz" | "/metrics") => {
            error(405, "method not allowed")
        }
        _ => error(404, "not found"),
    }
}

pub(crate) fn with_tenant(
    store: &mut dyn Store,
    request: &mut tiny_http::Request,
    then: impl FnOnce(&mut dyn Store, &str, &mut tiny_http::Request) -> Response,
) -> Response {
    let token = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .and_then(|h| h.value.as_str().strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let tenant = match token.map(|t| store.tenant(&t)) {
        Some(Ok(Some(tenant))) => tenant,
        Some(Err(e)) => return error(500, &e),
        _ => {
            let challenge = "WWW-Authenticate: Bearer realm=\"bulkhead\"";
            return error(
                401,
                "a valid bearer token is required (bulkhead server token create)",
            )
            .with_header(challenge.parse::<tiny_http::Header>().expect("a header"));
        }
    };
    then(store, &tenant, request)
}

/// The request's JSON body, bounded.
fn json_body(request: &mut tiny_http::Request) -> Result<Value, Response> {
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body);
    if read.is_err() {
        return Err(error(400, "cannot read the request body"));
    }
    if body.len() as u64 > MAX_BODY {
        return Err(error(413, "the request body is larger than 32 MiB"));
    }
    serde_json::from_slice::<Value>(&body).map_err(|_| error(400, "the body is not JSON"))
}

fn add_webhook(store: &mut dyn Store, tenant: &str, request: &mut tiny_http::Request) -> Response {
    let value = match json_body(request) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let url = value["url"].as_str().unwrap_or_default();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2048 {
        return error(400, "url: expected an http:// or https:// URL");
    }
    let severity = match crate::webhooks::severity(value["min_severity"].as_str()) {
        Ok(severity) => severity,
        Err(e) => return error(400, &e),
    };
    match store.add_webhook(tenant, url, &severity) {
        Ok((id, secret)) => reply(201, &json!({ "id": id, "secret": secret })),
        Err(e) => error(500, &e),
    }
}

fn submit(store: &mut dyn Store, tenant: &str, request: &mut tiny_http::Request) -> Response {
    let value = match json_body(request) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let scan = match (value.get("reference"), value.get("sbom")) {
        (Some(Value::String(reference)), None) => match check_reference(reference) {
            Ok(()) => Request::Reference(reference.clone()),
            Err(e) => return error(400, &e),
        },
        (None, Some(sbom @ Value::Object(_))) => Request::Sbom(sbom.to_string()),
        _ => {
            return error(
                400,
                "expected {\"reference\": \"HOST/REPO[:TAG][@DIGEST]\"} or {\"sbom\": <CycloneDX or SPDX JSON>}",
            )
        }
    };
    match store.submit(tenant, &scan) {
        Ok(id) => reply(202, &json!({ "id": id })),
        Err(e) => error(500, &e),
    }
}

/// A registry reference, never a path on the server: the first part names a registry host
/// (`a.b`, `host:port` or `localhost`).
fn check_reference(reference: &str) -> Result<(), String> {
    let host = reference.split('/').next().unwrap_or_default();
    let registry = host.contains('.') || host.contains(':') || host == "localhost";
    let clean = !reference.is_empty()
        && reference.len() <= MAX_REFERENCE
        && reference.contains('/')
        && !reference.starts_with(['-', '.', '/'])
        && !reference.contains("..")
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@+".contains(c));
    if registry && clean {
        Ok(())
    } else {
        Err("reference: expected a registry reference HOST[:PORT]/REPO[:TAG][@DIGEST]".into())
    }
}

fn status(store: &mut dyn Store, tenant: &str, id: &str) -> Response {
    let scan = match store.get(tenant, id) {
        Ok(Some(scan)) => scan,
        Ok(None) => return error(404, "no such scan"),
        Err(e) => return error(500, &e),
    };
    let mut body = json!({ "id": scan.id, "status": scan.status });
    if let Some(report) = scan.report {
        body["report"] = serde_json::from_str(&report).unwrap_or(Value::Null);
    }
    if let Some(error) = scan.error {
        body["error"] = Value::String(error);
    }
    reply(200, &body)
}

/// The tenant's images, each with the summary of its latest finished scan.
fn images(store: &mut dyn Store, tenant: &str) -> Response {
    let images = match store.images(tenant) {
        Ok(images) => images,
        Err(e) => return error(500, &e),
    };
    let list: Vec<Value> = images
        .iter()
        .map(|image| {
            json!({
                "digest": image.digest,
                "name": image.name,
                "scan": {"id": image.scan_id, "finished_at": rfc3339(image.finished)},
                "summary": serde_json::from_str::<Value>(&image.summary).unwrap_or(Value::Null),
            })
        })
        .collect();
    reply(200, &json!({ "images": list }))
}

/// An image's latest report (`GET /api/v1/images/{digest}`).
fn image(store: &mut dyn Store, tenant: &str, digest: &str) -> Response {
    let latest = match store.images(tenant) {
        Ok(images) => images.into_iter().find(|i| i.digest == digest),
        Err(e) => return error(500, &e),
    };
    let Some(latest) = latest else {
        return error(404, "no such image");
    };
    status(store, tenant, &latest.scan_id)
}

fn rfc3339(seconds: f64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(seconds.max(0.0));
    store::time::format_utc(time)
}

fn ready(config: &Config) -> Response {
    if config.cache_dir.join("bulkhead.db").is_file() {
        text(200, "ready\n")
    } else {
        text(
            503,
            "no advisory database: run `bulkhead db update` for this cache\n",
        )
    }
}

fn metrics(store: &mut dyn Store) -> Response {
    let counts = match store.counts() {
        Ok(counts) => counts,
        Err(e) => return error(500, &e),
    };
    let mut out =
        String::from("# HELP bulkhead_scans Scans by status.\n# TYPE bulkhead_scans gauge\n");
    for status in ["queued", "running", "done", "failed"] {
        let n = counts
            .by_status
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        out.push_str(&format!("bulkhead_scans{{status=\"{status}\"}} {n}\n"));
    }
    out.push_str("# HELP bulkhead_scan_seconds Time spent on finished scans.\n");
    out.push_str("# TYPE bulkhead_scan_seconds summary\n");
    out.push_str(&format!(
        "bulkhead_scan_seconds_sum {:.3}\nbulkhead_scan_seconds_count {}\n",
        counts.seconds, counts.finished
    ));
    text(200, &out)
}

fn reply(code: u16, body: &Value) -> Response {
    reply_as(code, body, "application/json")
}

/// A JSON body with its media type (Harbor's are versioned vendor types).
pub(crate) fn reply_as(code: u16, body: &Value, content_type: &str) -> Response {
    let header = tiny_http::Header::from_bytes("Content-Type", content_type).expect("a header");
    tiny_http::Response::from_data(body.to_string().into_bytes())
        .with_status_code(code)
        .with_header(header)
}

fn error(code: u16, message: &str) -> Response {
    reply(code, &json!({ "error": message }))
}

fn text(code: u16, body: &str) -> Response {
    let header = "Content-Type: text/plain; version=0.0.4"
        .parse::<tiny_http::Header>()
        .expect("a header");
    tiny_http::Response::from_data(body.as_bytes().to_vec())
        .with_status_code(code)
        .with_header(header)
}

#[cfg(test)]
mod tests {
    use super::check_reference;

    #[test]
    fn only_registry_references() {
        for ok in [
            "127.0.0.1:5000/app:1",
            "registry.example.com/team/app@sha256:abcd",
            "localhost/app",
        ] {
            assert!(check_reference(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/etc",
            "app:1",
            "../x/y",
            "-o/x",
            "evil.com/a b",
            "etc/passwd",
        ] {
            assert!(check_reference(bad).is_err(), "{bad}");
        }
    }
}
