//! `--format spdx-json`: SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/).
//!
//! The document DESCRIBES the artifact package (purpose CONTAINER or FILE); the artifact
//! CONTAINS the OS package (purpose OPERATING-SYSTEM) and language packages, the OS CONTAINS its
//! packages. Purls are `externalRefs` (PACKAGE-MANAGER / purl). Layer and location are package
//! annotations whose comment is `<property name>=<value>` with the names CycloneDX uses.

use crate::sbom::{self, *};
use crate::Report;
use inventory::Package;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage<'a>>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicence>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage<'a> {
    name: &'a str,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<&'a str>,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef<'a>>,
    primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

#[derive(Serialize)]
struct Checksum<'a> {
    algorithm: &'static str,
    #[serde(rename = "checksumValue")]
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef<'a> {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotation_date: String,
    annotation_type: &'static str,
    annotator: String,
    comment: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicence {
    license_id: String,
    extracted_text: String,
    name: String,
}

pub fn write_spdx(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(report))?;
    writeln!(out)
}

/// Builds unique `SPDXRef-` ids from arbitrary text: only letters, digits, `.` and `-` are
/// allowed, so everything else becomes `-`; a repeat gets a counter.
#[derive(Default)]
struct Ids(HashSet<String>);

impl Ids {
    fn make(&mut self, parts: &[&str]) -> String {
        let base = format!("SPDXRef-{}", idstring(&parts.join("-")));
        let mut id = base.clone();
        let mut n = 1;
        while !self.0.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

fn idstring(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(200)
        .collect();
    if s.is_empty() {
        "unnamed".into()
    } else {
        s
    }
}

/// SPDX wants `YYYY-MM-DDThh:mm:ssZ` (no fraction).
fn spdx_time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(head) if rfc3339.len() >= 19 => format!("{head}Z"),
        _ => "1970-01-01T00:00:00Z".into(),
    }
}

fn document(report: &Report) -> Document<'_> {
    let created = spdx_time(&report.created_at);
    let annotator = format!("Tool: {}-{}", report.tool.name, report.tool.version);
    let mut ids = Ids::default();
    let mut licences: BTreeMap<String, String> = BTreeMap::new();
    let mut packages = Vec::new();
    let mut relationships = Vec::new();

    let a = &report.artifact;
    let artifact_id = ids.make(&["Artifact", &a.name]);
    let image = a.kind != "rootfs" && a.kind != "sbom";
    packages.push(SpdxPackage {
        name: &a.name,
        spdx_id: artifact_id.clone(),
        version_info: a.digest.as_deref(),
        download_location: "NOASSERTION",
        files_analyzed: false,
        license_concluded: "NOASSERTION",
        license_declared: "NOASSERTION".into(),
        copyright_text: "NOASSERTION",
        source_info: None,
        checksums: a
            .digest
            .as_deref()
            .and_then(|d| d.strip_prefix("sha256:"))
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|value| Checksum {
                algorithm: "SHA256",
                value,
            })
            .into_iter()
            .collect(),
        external_refs: Vec::new(),
        primary_package_purpose: if image { "CONTAINER" } else { "FILE" },
        annotations: std::iter::once((PROP_ARTIFACT_TYPE, a.kind.clone()))
            .chain(
                a.layers
                    .iter()
                    .map(|l| (PROP_LAYER_DIFF_ID, l.diff_id.clone())),
            )
            .map(|(k, v)| annotation(&created, &annotator, k, &v))
            .collect(),
    });
    relationships.push(Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: artifact_id.clone(),
    });

    let os_id = report.os.as_ref().map(|os| {
        let id = ids.make(&["OperatingSystem", &os.family, &os.version]);
        packages.push(SpdxPackage {
            name: &os.family,
            spdx_id: id.clone(),
            version_info: Some(&os.version),
            download_location: "NOASSERTION",
            files_analyzed: false,
            license_concluded: "NOASSERTION",
            license_declared: "NOASSERTION".into(),
            copyright_text: "NOASSERTION",
            source_info: None,
            checksums: Vec::new(),
            external_refs: Vec::new(),
            primary_package_purpose: "OPERATING-SYSTEM",
            annotations: Vec::new(),
        });
        relationships.push(contains(&artifact_id, &id));
        id
    });

    for p in &report.packages {
        let id = ids.make(&["Package", &p.name, &p.version]);
        let parent = match (&os_id, sbom::is_os_package(p, report)) {
            (Some(os), true) => os,
            _ => &artifact_id,
        };
        relationships.push(contains(parent, &id));
        packages.push(package(p, id, &created, &annotator, &mut licences));
    }

    Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: a.name.clone(),
        document_namespace: format!(
            "https://bulkhead.invalid/spdx/{}-{}",
            idstring(&a.name),
            sbom::random_uuid()
        ),
        creation_info: CreationInfo {
            created,
            creators: vec![annotator],
        },
        packages,
        relationships,
        has_extracted_licensing_infos: licences
            .into_iter()
            .map(|(license_id, text)| ExtractedLicence {
                license_id,
                name: text.clone(),
                extracted_text: text,
            })
            .collect(),
    }
}

fn contains(parent: &str, child: &str) -> Relationship {
    Relationship {
        spdx_element_id: parent.into(),
        relationship_type: "CONTAINS",
        related_spdx_element: child.into(),
    }
}

fn annotation(date: &str, annotator: &str, name: &str, value: &str) -> Annotation {
    Annotation {
        annotation_date: date.into(),
        annotation_type: "OTHER",
        annotator: annotator.into(),
        comment: format!("{name}={value}"),
    }
}

fn package<'a>(
    p: &'a Package,
    spdx_id: String,
    date: &str,
    annotator: &str,
    licences: &mut BTreeMap<String, String>,
) -> SpdxPackage<'a> {
    let declared: Vec<String> = p
        .licenses
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match sbom::spdx_id(l) {
            Some(id) => id.to_string(),
            None => {
                let id = format!("LicenseRef-{}", idstring(l.trim()));
                licences.entry(id.clone()).or_insert_with(|| l.clone());
                id
            }
        })
        .collect();
    let mut notes = vec![(PROP_ECOSYSTEM, p.ecosystem.clone())];
    notes.extend(p.source_name.iter().map(|s| (PROP_SOURCE_NAME, s.clone())));
    notes.extend(
        p.source_version
            .iter()
            .map(|s| (PROP_SOURCE_VERSION, s.clone())),
    );
    if let Some(layer) = &p.layer {
        notes.push((PROP_LAYER_DIFF_ID, layer.digest.to_string()));
        notes.push((PROP_LAYER_INDEX, layer.index.to_string()));
    }
    SpdxPackage {
        name: &p.name,
        spdx_id,
        version_info: Some(&p.version),
        download_location: "NOASSERTION",
        files_analyzed: false,
        license_concluded: "NOASSERTION",
        license_declared: if declared.is_empty() {
            "NOASSERTION".into()
        } else {
            declared.join(" AND ")
        },
        copyright_text: "NOASSERTION",
        source_info: (!p.location.is_empty())
            .then(|| format!("acquired package info from {}", p.location)),
        checksums: Vec::new(),
        external_refs: (!p.purl.is_empty())
            .then_some(ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: &p.purl,
            })
            .into_iter()
            .collect(),
        primary_package_purpose: "LIBRARY",
        annotations: notes
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| annotation(date, annotator, k, &v))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitised_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(
            ids.make(&["Package", "libc6", "2.36-9+deb12u1"]),
            "SPDXRef-Package-libc6-2.36-9-deb12u1"
        );
        assert_eq!(
            ids.make(&["Package", "libc6", "2.36-9+deb12u1"]),
            "SPDXRef-Package-libc6-2.36-9-deb12u1-2"
        );
        assert_eq!(
            ids.make(&["Package", "libc6", "2.36-9:deb12u1"]),
            "SPDXRef-Package-libc6-2.36-9-deb12u1-3"
        );
        assert_eq!(ids.make(&[""]), "SPDXRef-unnamed");
        assert_eq!(
            spdx_time("2026-11-23T16:58:22.123Z"),
            "2026-11-23T16:58:22Z"
        );
    }
}
