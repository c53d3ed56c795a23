//! `--format cyclonedx`: CycloneDX 1.6 JSON (https://cyclonedx.org/docs/1.6/json/).
//!
//! The scanned artifact is `metadata.component` (type `container`, or `file` for a rootfs or
//! an SBOM), the OS is a component of type `operating-system`, packages are `library`
//! components with purls; `dependencies` say image → OS and language packages, OS → OS
//! packages. Found vulnerabilities go in `vulnerabilities[]`, each `affects` the component
//! by its `bom-ref`.

use crate::sbom::{self, *};
use crate::Report;
use detectors::matcher::Vulnerability;
use inventory::Package;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom<'a> {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Component<'a>>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vuln<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    timestamp: &'a str,
    tools: Tools,
    component: Component<'a>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Tool>,
}

#[derive(Serialize)]
struct Tool {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Component<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Hash<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct LicenseChoice<'a> {
    license: License<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum License<'a> {
    Id { id: &'static str },
    Name { name: &'a str },
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct Vuln<'a> {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: &'a str,
    source: Source<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference<'a>>,
    ratings: Vec<Rating<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    affects: Vec<Affects<'a>>,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Source<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Reference<'a> {
    id: &'a str,
    source: Source<'a>,
}

#[derive(Serialize)]
struct Rating<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<&'a str>,
}

#[derive(Serialize)]
struct Affects<'a> {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion<'a>>,
}

#[derive(Serialize)]
struct AffectedVersion<'a> {
    version: &'a str,
    status: &'static str,
}

pub fn write_cyclonedx(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &bom(report))?;
    writeln!(out)
}

fn bom(report: &Report) -> Bom<'_> {
    let refs = sbom::package_refs(&report.packages);
    let artifact = artifact_component(report);
    let os = report.os.as_ref().map(|os| Component {
        kind: "operating-system",
        bom_ref: format!("os:{}@{}", os.family, os.version),
        name: &os.family,
        version: Some(&os.version),
        description: os.pretty_name.as_deref(),
        hashes: Vec::new(),
        licenses: Vec::new(),
        purl: None,
        properties: Vec::new(),
    });
    let mut artifact_deps = Vec::new();
    let mut os_deps = Vec::new();
    for (package, bom_ref) in report.packages.iter().zip(&refs) {
        match (&os, sbom::is_os_package(package, report)) {
            (Some(_), true) => os_deps.push(bom_ref.clone()),
            _ => artifact_deps.push(bom_ref.clone()),
        }
    }
    let mut dependencies = Vec::new();
    if let Some(os) = &os {
        artifact_deps.insert(0, os.bom_ref.clone());
        dependencies.push(Dependency {
            reference: os.bom_ref.clone(),
            depends_on: os_deps,
        });
    }
    dependencies.insert(
        0,
        Dependency {
            reference: artifact.bom_ref.clone(),
            depends_on: artifact_deps,
        },
    );
    let mut components: Vec<Component> = os.into_iter().collect();
    components.extend(
        report
            .packages
            .iter()
            .zip(&refs)
            .map(|(p, r)| package_component(p, r)),
    );
    let vulnerabilities = report
        .vulnerabilities
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let target = sbom::affected_ref(
                &report.packages,
                &refs,
                &v.purl,
                &v.package,
                &v.installed_version,
            )?;
            Some(vulnerability(i, v, target.to_string()))
        })
        .collect();
    Bom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", sbom::random_uuid()),
        version: 1,
        metadata: Metadata {
            timestamp: &report.created_at,
            tools: Tools {
                components: vec![Tool {
                    kind: "application",
                    name: report.tool.name,
                    version: report.tool.version,
                }],
            },
            component: artifact,
        },
        components,
        dependencies,
        vulnerabilities,
    }
}

fn artifact_component(report: &Report) -> Component<'_> {
    let a = &report.artifact;
    let mut properties = vec![Property {
        name: PROP_ARTIFACT_TYPE,
        value: a.kind.clone(),
    }];
    if let Some(config) = &a.config_digest {
        properties.push(Property {
            name: PROP_CONFIG_DIGEST,
            value: config.clone(),
        });
    }
    for tag in &a.repo_tags {
        properties.push(Property {
            name: PROP_REPO_TAG,
            value: tag.clone(),
        });
    }
    for layer in &a.layers {
        properties.push(Property {
            name: PROP_LAYER_DIFF_ID,
            value: layer.diff_id.clone(),
        });
    }
    // Data gaps (no advisories for the OS release, stale feeds): what the BOM's
    // vulnerabilities leave out.
    for warning in &report.warnings {
        properties.push(Property {
            name: PROP_WARNING,
            value: warning.to_string(),
        });
    }
    let hashes = a
        .digest
        .as_deref()
        .and_then(|d| d.strip_prefix("sha256:"))
        .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|hex| Hash {
            alg: "SHA-256",
            content: hex,
        })
        .into_iter()
        .collect();
    Component {
        kind: if a.kind == "rootfs" || a.kind == "sbom" {
            "file"
        } else {
            "container"
        },
        bom_ref: a
            .digest
            .clone()
            .unwrap_or_else(|| format!("artifact:{}", a.name)),
        name: &a.name,
        version: a.digest.as_deref(),
        description: None,
        hashes,
        licenses: Vec::new(),
        purl: None,
        properties,
    }
}

fn package_component<'a>(p: &'a Package, bom_ref: &str) -> Component<'a> {
    let mut properties = vec![
        Property {
            name: PROP_ECOSYSTEM,
            value: p.ecosystem.clone(),
        },
        Property {
            name: PROP_LOCATION,
            value: p.location.clone(),
        },
    ];
    if let Some(source) = &p.source_name {
        properties.push(Property {
            name: PROP_SOURCE_NAME,
            value: source.clone(),
        });
    }
    if let Some(version) = &p.source_version {
        properties.push(Property {
            name: PROP_SOURCE_VERSION,
            value: version.clone(),
        });
    }
    if let Some(layer) = &p.layer {
        properties.push(Property {
            name: PROP_LAYER_DIFF_ID,
            value: layer.digest.to_string(),
        });
        properties.push(Property {
            name: PROP_LAYER_INDEX,
            value: layer.index.to_string(),
        });
        if let Some(created_by) = &layer.created_by {
            properties.push(Property {
                name: PROP_LAYER_CREATED_BY,
                value: created_by.to_string(),
            });
        }
    }
    properties.retain(|p| !p.value.is_empty());
    Component {
        kind: "library",
        bom_ref: bom_ref.to_string(),
        name: &p.name,
        version: Some(&p.version),
        description: None,
        hashes: Vec::new(),
        licenses: p
            .licenses
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| LicenseChoice {
                license: match sbom::spdx_id(l) {
                    Some(id) => License::Id { id },
                    None => License::Name { name: l },
                },
            })
            .collect(),
        purl: (!p.purl.is_empty()).then_some(p.purl.as_str()),
        properties,
    }
}

fn vulnerability(index: usize, v: &Vulnerability, target: String) -> Vuln<'_> {
    let method = v.cvss_vector.as_deref().map(|vector| {
        if vector.starts_with("CVSS:4") {
            "CVSSv4"
        } else if vector.starts_with("CVSS:3.1") {
            "CVSSv31"
        } else if vector.starts_with("CVSS:3") {
            "CVSSv3"
        } else if vector.starts_with("AV:") || vector.starts_with("(AV:") {
            "CVSSv2"
        } else {
            "other"
        }
    });
    let mut properties = vec![
        Property {
            name: PROP_ADVISORY_ECOSYSTEM,
            value: v.advisory_ecosystem.clone(),
        },
        Property {
            name: PROP_SEVERITY_SOURCE,
            value: v.severity_source.clone(),
        },
    ];
    if let Some(fixed) = &v.fixed_version {
        properties.push(Property {
            name: PROP_FIXED_VERSION,
            value: fixed.clone(),
        });
    }
    Vuln {
        bom_ref: format!("vulnerability-{index}"),
        id: &v.id,
        source: Source {
            name: &v.advisory_ecosystem,
            url: v.url.as_deref(),
        },
        references: v
            .aliases
            .iter()
            .filter(|a| *a != &v.id)
            .map(|a| Reference {
                id: a,
                source: Source {
                    name: if a.starts_with("CVE-") { "NVD" } else { "OSV" },
                    url: None,
                },
            })
            .collect(),
        ratings: vec![Rating {
            score: v.cvss_score,
            severity: severity_name(v.severity.as_str()),
            method,
            vector: v.cvss_vector.as_deref(),
        }],
        description: v.title.as_deref(),
        recommendation: v
            .fixed_version
            .as_ref()
            .map(|f| format!("Upgrade {} to {f} or later", v.package)),
        affects: vec![Affects {
            reference: target,
            versions: vec![AffectedVersion {
                version: &v.installed_version,
                status: "affected",
            }],
        }],
        properties,
    }
}

/// CycloneDX severities are lower case: critical, high, medium, low, info, none, unknown.
fn severity_name(ours: &str) -> &'static str {
    match ours.to_ascii_uppercase().as_str() {
        "CRITICAL" => "critical",
        "HIGH" => "high",
        "MEDIUM" => "medium",
        "LOW" => "low",
        _ => "unknown",
    }
}
