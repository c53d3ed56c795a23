//! Harbor's Pluggable Scanner Adapter API v1.2, served under `/harbor` (Harbor registers
//! `http://HOST:PORT/harbor` as the scanner's URL): `GET /harbor/api/v1/metadata`,
//! `POST /harbor/api/v1/scan` and `GET /harbor/api/v1/scan/{id}/report`. A scan request
//! becomes a job like any other (the image pulled by digest with the registry credentials
//! Harbor hands over, kept only until the job ends); the report is the CLI's, translated to
//! Harbor's vulnerability report. Harbor authenticates with a tenant's bearer token.

use crate::api::{reply_as, with_tenant, Response};
use crate::store::{Request, Store};
use crate::Config;
use serde_json::{json, Value};
use std::io::Read;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const HARBOR_REPORT: &str = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
const VULNERABILITY_REPORT: &str = "application/vnd.security.vulnerability.report; version=1.1";
const RAW_REPORT: &str = "application/vnd.scanner.adapter.vuln.report.raw";
const METADATA: &str = "application/vnd.scanner.adapter.metadata+json; version=1.0";
const SCAN_RESPONSE: &str = "application/vnd.scanner.adapter.scan.response+json; version=1.0";
const ERROR: &str = "application/vnd.scanner.adapter.error+json; version=1.0";
/// Seconds Harbor waits before asking for a report again.
const REFRESH_AFTER: u32 = 5;
/// Largest scan request accepted.
const MAX_REQUEST: u64 = 64 << 10;

/// The response to a `/harbor/api/v1/…` request.
pub fn route(
    store: &mut dyn Store,
    config: &Config,
    request: &mut tiny_http::Request,
    path: &str,
) -> Response {
    use tiny_http::Method::{Get, Post};
    let rest = &path["/harbor/api/v1".len()..];
    match (request.method(), rest) {
        (Get, "/metadata") => with_tenant(store, request, |_, _, _| metadata(config)),
        (Post, "/scan") => with_tenant(store, request, |store, tenant, request| {
            scan(store, config, tenant, request)
        }),
        (Get, p) if report_id(p).is_some() => {
            let id = report_id(p).unwrap_or_default().to_string();
            let accept = header(request, "Accept").unwrap_or_default();
            with_tenant(store, request, |store, tenant, _| {
                report(store, tenant, &id, &accept)
            })
        }
        (Get | Post, _) => harbor_error(404, "not found"),
        _ => harbor_error(405, "method not allowed"),
    }
}

/// The id in `/scan/{id}/report` (`/scan/report` has none).
fn report_id(path: &str) -> Option<&str> {
    path.strip_prefix("/scan/")?.strip_suffix("/report")
}

fn header(request: &tiny_http::Request, name: &'static str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_string())
}

fn harbor_error(code: u16, message: &str) -> Response {
    reply_as(code, &json!({"error": {"message": message}}), ERROR)
}

fn metadata(config: &Config) -> Response {
    let mut properties = json!({
        "harbor.scanner-adapter/scanner-type": "os-package-vulnerability",
    });
    if let Ok(updated) = store::Store::open(&config.cache_dir).and_then(|db| db.updated_at()) {
        properties["harbor.scanner-adapter/vulnerability-database-updated-at"] = json!(updated);
    }
    let body = json!({
        "scanner": {"name": "Bulkhead", "vendor": "Bulkhead", "version": env!("CARGO_PKG_VERSION")},
        "capabilities": [{
            "type": "vulnerability",
            "consumes_mime_types": [OCI_MANIFEST, DOCKER_MANIFEST],
            "produces_mime_types": [HARBOR_REPORT, VULNERABILITY_REPORT, RAW_REPORT],
        }],
        "properties": properties,
    });
    reply_as(200, &body, METADATA)
}

fn scan(
    store: &mut dyn Store,
    config: &Config,
    tenant: &str,
    request: &mut tiny_http::Request,
) -> Response {
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_REQUEST + 1)
        .read_to_end(&mut body);
    if read.is_err() || body.len() as u64 > MAX_REQUEST {
        return harbor_error(400, "the scan request is unreadable or too large");
    }
    let Ok(scan) = serde_json::from_slice::<Value>(&body) else {
        return harbor_error(400, "the scan request is not JSON");
    };
    let job = match pull_request(&scan, config) {
        Ok(job) => job,
        Err((code, message)) => return harbor_error(code, &message),
    };
    match store.submit(tenant, &job) {
        Ok(id) => reply_as(202, &json!({ "id": id }), SCAN_RESPONSE),
        Err(e) => harbor_error(500, &e),
    }
}

/// The job a Harbor scan request asks for: the artifact by digest in the registry Harbor
/// names, with the registry credentials it gives (Basic: a robot account).
fn pull_request(scan: &Value, config: &Config) -> Result<Request, (u16, String)> {
    let invalid = |message: &str| (422, message.to_string());
    let url = scan["registry"]["url"]
        .as_str()
        .ok_or_else(|| invalid("registry.url is required"))?;
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid("registry.url must be an http(s) URL"))?
        .trim_end_matches('/');
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(invalid(
            "registry.url must name a host (and port), nothing else",
        ));
    }
    if url.starts_with("http://") && !config.insecure_registries.iter().any(|r| r == host) {
        return Err(invalid(&format!(
            "{host} is reached over plain HTTP: start the server with --insecure-registry {host}"
        )));
    }
    let repository = scan["artifact"]["repository"].as_str().unwrap_or_default();
    let repository_ok = !repository.is_empty()
        && repository.len() <= 255
        && repository
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c));
    if !repository_ok {
        return Err(invalid(
            "artifact.repository is missing or not a repository name",
        ));
    }
    let digest = scan["artifact"]["digest"].as_str().unwrap_or_default();
    let digest_ok = digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !digest_ok {
        return Err(invalid("artifact.digest must be sha256:<64 hex digits>"));
    }
    if let Some(mime) = scan["artifact"]["mime_type"].as_str() {
        if mime != OCI_MANIFEST && mime != DOCKER_MANIFEST {
            return Err((501, format!("artifacts of type {mime} are not scanned")));
        }
    }
    let capabilities = scan["enabled_capabilities"].as_array();
    let vulnerability = capabilities.is_none_or(|list| {
        list.iter()
            .any(|c| c["type"] == "vulnerability" || c["type"].is_null())
    });
    if !vulnerability {
        return Err((501, "only the vulnerability capability is offered".into()));
    }
    let credentials = match scan["registry"]["authorization"].as_str() {
        None | Some("") => None,
        Some(auth) => Some(basic_credentials(auth).ok_or_else(|| {
            invalid("registry.authorization: only Basic credentials are supported")
        })?),
    };
    Ok(Request::Pull {
        reference: format!("{host}/{repository}@{digest}"),
        credentials,
    })
}

/// `Basic base64(user:password)` as `user:password`.
fn basic_credentials(authorization: &str) -> Option<String> {
    use base64::Engine;
    let encoded = authorization.strip_prefix("Basic ")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.contains(':').then_some(text)
}

fn report(store: &mut dyn Store, tenant: &str, id: &str, accept: &str) -> Response {
    let scan = match store.get(tenant, id) {
        Ok(Some(scan)) => scan,
        Ok(None) => return harbor_error(404, "no such scan"),
        Err(e) => return harbor_error(500, &e),
    };
    if accept.contains("sbom") {
        return harbor_error(501, "SBOM reports are not offered");
    }
    match scan.status.as_str() {
        "done" => {}
        "failed" => {
            return harbor_error(500, scan.error.as_deref().unwrap_or("the scan failed"));
        }
        _ => {
            let header = tiny_http::Header::from_bytes("Refresh-After", REFRESH_AFTER.to_string())
                .expect("a header");
            return tiny_http::Response::from_data(Vec::new())
                .with_status_code(302)
                .with_header(header);
        }
    }
    let ours: Value =
        serde_json::from_str(scan.report.as_deref().unwrap_or("{}")).unwrap_or_default();
    if accept.contains(RAW_REPORT) {
        return reply_as(200, &ours, RAW_REPORT);
    }
    let media = if accept.contains("vnd.security.vulnerability.report") {
        VULNERABILITY_REPORT
    } else {
        HARBOR_REPORT
    };
    reply_as(200, &harbor_report(&ours), media)
}

/// The CLI's JSON report as Harbor's vulnerability report. The artifact is the one pulled:
/// `HOST/REPOSITORY@DIGEST`.
fn harbor_report(ours: &Value) -> Value {
    let name = ours["artifact"]["name"].as_str().unwrap_or_default();
    let name = name.rsplit_once('@').map_or(name, |(name, _)| name);
    let repository = name.split_once('/').map_or(name, |(_, repo)| repo);
    let digest = &ours["artifact"]["digest"];
    let vulnerabilities: Vec<Value> = ours["vulnerabilities"]
        .as_array()
        .map_or(&[][..], |v| v)
        .iter()
        .map(vulnerability)
        .collect();
    let severity = vulnerabilities
        .iter()
        .filter_map(|v| v["severity"].as_str())
        .max_by_key(|s| rank(s))
        .unwrap_or("None");
    json!({
        "generated_at": ours["created_at"],
        "artifact": {"repository": repository, "digest": digest, "mime_type": OCI_MANIFEST},
        "scanner": {"name": "Bulkhead", "vendor": "Bulkhead", "version": env!("CARGO_PKG_VERSION")},
        "severity": if vulnerabilities.is_empty() { "Unknown" } else { severity },
        "vulnerabilities": vulnerabilities,
    })
}

const HARBOR_SEVERITIES: [&str; 6] = ["Unknown", "Negligible", "Low", "Medium", "High", "Critical"];

fn rank(severity: &str) -> usize {
    HARBOR_SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(0)
}

fn vulnerability(v: &Value) -> Value {
    let severity = match v["severity"].as_str().unwrap_or("") {
        "LOW" => "Low",
        "MEDIUM" => "Medium",
        "HIGH" => "High",
        "CRITICAL" => "Critical",
        _ => "Unknown",
    };
    let mut item = json!({
        "id": v["id"],
        "package": v["package"],
        "version": v["installed_version"],
        "severity": severity,
        "vendor_attributes": {
            "aliases": v["aliases"],
            "purl": v["purl"],
            "ecosystem": v["ecosystem"],
            "severity_source": v["severity_source"],
        },
    });
    if let Some(fixed) = v["fixed_version"].as_str() {
        item["fix_version"] = json!(fixed);
    }
    if let Some(title) = v["title"].as_str() {
        item["description"] = json!(title);
    }
    if let Some(url) = v["url"].as_str() {
        item["links"] = json!([url]);
    }
    if let Some(score) = v["cvss_score"].as_f64() {
        item["preferred_cvss"] = json!({"score_v3": score, "vector_v3": v["cvss_vector"]});
    }
    item
}

#[cfg(test)]
mod tests {
    use super::report_id;

    #[test]
    fn report_paths_name_their_scan() {
        assert_eq!(report_id("/scan/abc/report"), Some("abc"));
        // Paths that once sliced past their own length.
        assert_eq!(report_id("/scan/report"), None);
        assert_eq!(report_id("/scan//report"), Some(""));
        assert_eq!(report_id("/scan/abc"), None);
    }
}
