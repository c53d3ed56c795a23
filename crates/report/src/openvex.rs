//! `--format openvex`: an OpenVEX 0.2 document of the scan. Every vulnerability found is
//! `affected`, with the upgrade to make as its action; an advisory about an installed package
//! whose fix is installed (the version is at or past a `fixed` event) is `fixed`; findings a VEX
//! statement suppressed keep
//! that statement's status (`not_affected`, `fixed`) and justification, so the document can be
//! fed back with `--vex`. Products are the scanned image (a `pkg:oci` purl) with the package as
//! subcomponent, or the package itself for other artifacts.

use crate::Report;
use serde_json::{json, Value};
use std::io::Write;

pub fn write_openvex(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let image = image_purl(report);
    let product = |package_purl: &str| match &image {
        Some(image) => json!({"@id": image, "subcomponents": [{"@id": package_purl}]}),
        None => json!({"@id": package_purl}),
    };
    let mut statements: Vec<Value> = Vec::new();
    for v in &report.vulnerabilities {
        let action = match &v.fixed_version {
            Some(fixed) => format!("Upgrade {} to {fixed} or later", v.package),
            None => format!(
                "No fixed version of {} is known yet: mitigate or remove it",
                v.package
            ),
        };
        let mut statement = json!({
            "vulnerability": vulnerability(&v.id, &v.aliases),
            "products": [product(&v.purl)],
            "status": "affected",
            "action_statement": action,
        });
        if let Some(url) = &v.url {
            statement["status_notes"] = json!(format!("advisory: {url}"));
        }
        statements.push(statement);
    }
    // The scan shows the fix installed: `fixed`, once per advisory and package.
    let mut seen = std::collections::HashSet::new();
    for f in &report.fixed {
        if !seen.insert((&f.id, &f.purl)) {
            continue;
        }
        statements.push(json!({
            "vulnerability": vulnerability(&f.id, &f.aliases),
            "products": [product(&f.purl)],
            "status": "fixed",
            "status_notes": format!("{} {} includes the fix (fixed in {})", f.package, f.installed_version, f.fixed_version),
        }));
    }
    for s in report.suppressed.iter().filter(|s| s.status.is_some()) {
        let Some(v) = s.purl.as_deref() else {
            continue;
        };
        let mut statement = json!({
            "vulnerability": {"name": s.id},
            "products": [product(v)],
            "status": s.status,
        });
        if let Some(j) = &s.justification {
            statement["justification"] = json!(j);
        }
        let note = s
            .statement
            .clone()
            .unwrap_or_else(|| format!("as stated in {}", s.by));
        statement["impact_statement"] = json!(note);
        statements.push(statement);
    }
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("urn:bulkhead:vex:{}", document_id(report)),
        "author": "bulkhead",
        "role": "scanner",
        "timestamp": report.created_at,
        "version": 1,
        "tooling": format!("bulkhead {}", report.tool.version),
        "statements": statements,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn vulnerability(id: &str, aliases: &[String]) -> Value {
    let aliases: Vec<&String> = aliases.iter().filter(|a| *a != id).collect();
    if aliases.is_empty() {
        json!({"name": id})
    } else {
        json!({"name": id, "aliases": aliases})
    }
}

/// `pkg:oci/NAME@sha256:…` for images (the purl-spec's OCI type), else none.
fn image_purl(report: &Report) -> Option<String> {
    let digest = report.artifact.digest.as_deref()?;
    if report.artifact.kind == "sbom" {
        return None;
    }
    let name = report
        .artifact
        .repo_tags
        .first()
        .map(String::as_str)
        .unwrap_or(&report.artifact.name);
    let base = name.rsplit('/').next().unwrap_or(name);
    let base = base
        .split([':', '@'])
        .next()
        .unwrap_or(base)
        .to_ascii_lowercase();
    let base = if base.is_empty() {
        "image".into()
    } else {
        base
    };
    Some(format!(
        "pkg:oci/{}@{}",
        inventory::purl::encode(&base),
        digest.replace(':', "%3A")
    ))
}

/// Stable for one artifact and scan time.
fn document_id(report: &Report) -> String {
    let seed = format!(
        "{}|{}|{}",
        report.artifact.name,
        report.artifact.digest.as_deref().unwrap_or(""),
        report.created_at
    );
    // FNV-1a: an identifier, not a security property.
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}
