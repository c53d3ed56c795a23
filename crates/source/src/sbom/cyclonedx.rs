//! CycloneDX JSON 1.4–1.6: `metadata.component` is the artifact, an `operating-system`
//! component the OS, every component with a purl a package (nested components included).

use super::{check_version, invalid, Collector, Sbom};
use crate::Result;
use inventory::OsRelease;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    spec_version: String,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default, deserialize_with = "super::bounded")]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Metadata {
    component: Option<Component>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Component {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    version: Option<String>,
    description: Option<String>,
    purl: Option<String>,
    hashes: Vec<Hash>,
    licenses: Vec<LicenseChoice>,
    properties: Vec<Property>,
    #[serde(deserialize_with = "super::bounded")]
    components: Vec<Component>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Hash {
    alg: String,
    content: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LicenseChoice {
    license: Option<License>,
    expression: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct License {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Property {
    name: String,
    value: String,
}

pub(super) fn read(bytes: &[u8], shown: &str) -> Result<Sbom> {
    let bom: Bom = serde_json::from_slice(bytes)
        .map_err(|e| invalid(shown, format!("CycloneDX JSON: {e}")))?;
    check_version(
        shown,
        &bom.spec_version,
        "CycloneDX",
        &["1.4", "1.5", "1.6", "1.7"],
    )?;
    let mut collector = Collector::default();
    let mut subject = bom.metadata.and_then(|m| m.component);
    // Depth-first without recursion: nesting depth is whatever the document says.
    let mut pending: Vec<Component> = bom.components.into_iter().rev().collect();
    if let Some(subject) = &mut subject {
        // Some tools nest the image's contents under the metadata component.
        pending.extend(std::mem::take(&mut subject.components));
    }
    while let Some(mut c) = pending.pop() {
        pending.extend(std::mem::take(&mut c.components).into_iter().rev());
        if c.kind == "operating-system" {
            if collector.inventory.os.is_none() && !c.name.is_empty() {
                collector.inventory.os = Some(OsRelease {
                    family: c.name.to_ascii_lowercase(),
                    version: c.version.clone().unwrap_or_default(),
                    codename: None,
                    pretty_name: c.description.clone(),
                });
            }
            continue;
        }
        let properties: Vec<(String, String)> = c
            .properties
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect();
        let licenses = c
            .licenses
            .into_iter()
            .filter_map(|l| l.expression.or(l.license.and_then(|l| l.id.or(l.name))))
            .collect();
        let what = format!("component {:?}", c.name);
        collector.add(shown, &what, c.purl.as_deref(), &properties, licenses);
    }
    let (name, digest) = match &subject {
        Some(s) => (
            (!s.name.is_empty()).then(|| s.name.clone()),
            s.hashes
                .iter()
                .find(|h| h.alg.eq_ignore_ascii_case("SHA-256"))
                .map(|h| format!("sha256:{}", h.content.to_ascii_lowercase()))
                .or_else(|| s.version.clone().filter(|v| v.starts_with("sha256:"))),
        ),
        None => (None, None),
    };
    Ok(Sbom {
        format: format!("CycloneDX {}", bom.spec_version),
        name,
        digest,
        inventory: collector.finish(shown),
    })
}
