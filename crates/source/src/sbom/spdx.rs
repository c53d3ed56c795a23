//! SPDX JSON 2.2–2.3: packages with a `purl` external reference are packages; one whose
//! `primaryPackagePurpose` is OPERATING-SYSTEM is the OS; the package the document DESCRIBES
//! is the artifact.

use super::{check_version, invalid, Collector, Sbom};
use crate::Result;
use inventory::OsRelease;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::bounded")]
    packages: Vec<Package>,
    #[serde(default)]
    relationships: Vec<Relationship>,
    #[serde(default)]
    document_describes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Package {
    name: String,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    version_info: Option<String>,
    license_declared: Option<String>,
    source_info: Option<String>,
    checksums: Vec<Checksum>,
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: Option<String>,
    annotations: Vec<Annotation>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Checksum {
    algorithm: String,
    #[serde(rename = "checksumValue")]
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ExternalRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Annotation {
    comment: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

pub(super) fn read(bytes: &[u8], shown: &str) -> Result<Sbom> {
    let doc: Document =
        serde_json::from_slice(bytes).map_err(|e| invalid(shown, format!("SPDX JSON: {e}")))?;
    let version = doc.spdx_version.trim_start_matches("SPDX-");
    check_version(shown, version, "SPDX", &["2.2", "2.3"])?;
    let described: Vec<&str> = doc
        .relationships
        .iter()
        .filter(|r| r.spdx_element_id == "SPDXRef-DOCUMENT" && r.relationship_type == "DESCRIBES")
        .map(|r| r.related_spdx_element.as_str())
        .chain(doc.document_describes.iter().map(String::as_str))
        .collect();
    let mut collector = Collector::default();
    let mut subject = None;
    for p in &doc.packages {
        let purpose = p.primary_package_purpose.as_deref().unwrap_or("");
        let purl = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl")
            .map(|r| r.reference_locator.as_str());
        if purpose == "OPERATING-SYSTEM" {
            if collector.inventory.os.is_none() && !p.name.is_empty() {
                collector.inventory.os = Some(OsRelease {
                    family: p.name.to_ascii_lowercase(),
                    version: p.version_info.clone().unwrap_or_default(),
                    ..Default::default()
                });
            }
            continue;
        }
        if described.contains(&p.spdx_id.as_str()) && subject.is_none() {
            subject = Some(p);
            if purl.is_none() {
                continue;
            }
        }
        // Annotations `name=value` (ours) or `name: value` (trivy) carry layer and source data.
        let mut properties: Vec<(String, String)> = p
            .annotations
            .iter()
            .filter_map(|a| {
                let (k, v) = a
                    .comment
                    .split_once('=')
                    .or_else(|| a.comment.split_once(": "))?;
                Some((trivy_name(k.trim()), v.trim().to_string()))
            })
            .collect();
        let source_info = p.source_info.as_deref().unwrap_or("");
        // Ours and syft's: `acquired package info from [DPKG DB: ]path, path…`.
        if let Some(location) = source_info.strip_prefix("acquired package info from ") {
            let list = location.split_once(": ").map_or(location, |(_, l)| l);
            let paths: Vec<&str> = list.split(", ").map(str::trim).collect();
            if let Some(path) = super::package_db_path(&paths) {
                properties.insert(0, ("bulkhead:location".into(), path.to_string()));
            }
        }
        // Trivy's: `built package from: glibc 2.36-9+deb12u14`.
        if let Some(built) = source_info.strip_prefix("built package from: ") {
            let (name, version) = built.split_once(' ').unwrap_or((built, ""));
            properties.push(("bulkhead:package:source_name".into(), name.to_string()));
            properties.push((
                "bulkhead:package:source_version".into(),
                version.to_string(),
            ));
        }
        let licenses = p
            .license_declared
            .iter()
            .filter(|l| !matches!(l.as_str(), "NOASSERTION" | "NONE" | ""))
            .cloned()
            .collect();
        let what = format!("package {:?} ({})", p.name, p.spdx_id);
        collector.add(shown, &what, purl, &properties, licenses);
    }
    let name = subject
        .map(|s| s.name.clone())
        .or(doc.name)
        .filter(|n| !n.is_empty());
    let digest = subject.and_then(|s| {
        s.checksums
            .iter()
            .find(|c| c.algorithm == "SHA256")
            .map(|c| format!("sha256:{}", c.value.to_ascii_lowercase()))
            .or_else(|| s.version_info.clone().filter(|v| v.starts_with("sha256:")))
    });
    Ok(Sbom {
        format: doc.spdx_version.clone(),
        name,
        digest,
        inventory: collector.finish(shown),
    })
}

/// Trivy's SPDX annotations (`SrcName: openssl`) use the bare names of its CycloneDX properties.
fn trivy_name(key: &str) -> String {
    match key {
        "SrcName" | "SrcVersion" | "SrcRelease" | "SrcEpoch" | "LayerDiffID" | "FilePath" => {
            format!("aquasecurity:trivy:{key}")
        }
        other => other.to_string(),
    }
}
