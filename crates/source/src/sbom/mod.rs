//! SBOMs as a source: CycloneDX (1.4–1.7) and SPDX (2.2–2.3) JSON documents, ours, syft's or
//! trivy's, read into an [`Inventory`] from their purls, so they are matched like an image.
//!
//! Input is untrusted: the file is read up to `max_sbom_bytes()`, serde_json's recursion limit
//! (128) bounds nesting, nested CycloneDX components are flattened iteratively, and a component
//! with a bad or unsupported purl becomes a warning, never a failure of the whole document.

mod cyclonedx;
mod spdx;

pub use inventory::purl::Purl;

use crate::{io_err, Result, SourceError};
use inventory::{Inventory, LayerRef, OsRelease, Package, Warning};
use std::io::Read;
use std::path::Path;

/// The largest SBOM read (syft's SBOM of a 2 GB image with 5,000 packages is about 20 MB).
pub fn max_sbom_bytes() -> u64 {
    inventory::limits::get(inventory::limits::Limit::SbomBytes)
}

/// Most packages one SBOM may list.
pub fn max_sbom_packages() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::SbomPackages)
}

std::thread_local! {
    /// Components (or packages) parsed so far in the document being read.
    static PARSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `deserialize_with` for the component and package arrays: counts every element as it is
/// parsed and stops the document past `max_sbom_packages()` — before the rest is allocated (a
/// million components used to be parsed whole, 746 MB, and only then refused).
pub(super) fn bounded<'de, D, T>(deserializer: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Bounded<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                let parsed = PARSED.with(|n| {
                    n.set(n.get() + 1);
                    n.get()
                });
                if parsed > max_sbom_packages() {
                    return Err(serde::de::Error::custom(format!(
                        "more than {} components or packages; refusing to read it ({})",
                        max_sbom_packages(),
                        inventory::limits::hint(inventory::limits::Limit::SbomPackages)
                    )));
                }
                out.push(item);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_seq(Bounded(std::marker::PhantomData))
}

/// What an SBOM says about the artifact it describes, and its inventory.
#[derive(Debug)]
pub struct Sbom {
    /// `CycloneDX 1.6`, `SPDX-2.3`, …
    pub format: String,
    /// The described artifact's name (image reference), or the file name.
    pub name: Option<String>,
    /// The artifact's digest (`sha256:…`) when the SBOM records one.
    pub digest: Option<String>,
    pub inventory: Inventory,
}

/// Reads a CycloneDX or SPDX JSON document.
pub fn read_sbom(path: &Path) -> Result<Sbom> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(io_err(&shown))?;
    let mut bytes = Vec::new();
    file.take(max_sbom_bytes() + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(&shown))?;
    if bytes.len() as u64 > max_sbom_bytes() {
        return Err(invalid(
            &shown,
            format!(
                "larger than {}; refusing to read it ({})",
                inventory::limits::shown(inventory::limits::Limit::SbomBytes),
                inventory::limits::hint(inventory::limits::Limit::SbomBytes)
            ),
        ));
    }
    parse_sbom(&bytes, &shown)
}

/// Reads a CycloneDX or SPDX JSON document from memory; `shown` names it in messages.
pub fn parse_sbom(bytes: &[u8], shown: &str) -> Result<Sbom> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "bomFormat")]
        bom_format: Option<String>,
        #[serde(rename = "spdxVersion")]
        spdx_version: Option<String>,
    }
    PARSED.with(|n| n.set(0));
    let probe: Probe = serde_json::from_slice(bytes)
        .map_err(|e| invalid(shown, format!("not a JSON SBOM: {e}")))?;
    let mut sbom = match (probe.bom_format.as_deref(), probe.spdx_version.as_deref()) {
        (Some("CycloneDX"), _) => cyclonedx::read(bytes, shown)?,
        (_, Some(_)) => spdx::read(bytes, shown)?,
        _ => {
            return Err(invalid(
                shown,
                "neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`) JSON; only JSON SBOMs are read".into(),
            ))
        }
    };
    let inventory = &mut sbom.inventory;
    if inventory.packages.len() > max_sbom_packages() {
        return Err(invalid(
            shown,
            format!(
                "more than {} packages; refusing to read it ({})",
                max_sbom_packages(),
                inventory::limits::hint(inventory::limits::Limit::SbomPackages)
            ),
        ));
    }
    // Without an OS component, the distro qualifier of the OS packages' purls says it.
    if inventory.os.is_none() {
        inventory.os = inventory
            .packages
            .iter()
            .filter_map(|p| Purl::parse(&p.purl).ok()?.distro())
            .next()
            .map(|(family, version)| OsRelease {
                family,
                version,
                ..Default::default()
            });
    }
    Ok(sbom)
}

fn invalid(shown: &str, message: String) -> SourceError {
    SourceError::Invalid {
        path: shown.to_string(),
        what: "SBOM",
        message,
    }
}

/// Checks a `major.minor` version against the range this reader knows.
fn check_version(shown: &str, found: &str, what: &str, known: &[&str]) -> Result<()> {
    if known.contains(&found) {
        Ok(())
    } else {
        Err(invalid(
            shown,
            format!(
                "{what} {found} is not supported (reads {})",
                known.join(", ")
            ),
        ))
    }
}

/// Builds a package from a purl plus the name/value properties (CycloneDX `properties`, SPDX
/// annotations) that ours, syft and trivy write; returns a warning text when it cannot.
fn package_from(
    purl: &str,
    properties: &[(String, String)],
) -> std::result::Result<Package, String> {
    let parsed = Purl::parse(purl)?;
    let mut package = parsed.to_package(purl)?;
    let mut layer_index = None;
    let mut layer_digest = None;
    let mut layer_created_by = None;
    let (mut trivy_src_version, mut trivy_src_release, mut trivy_src_epoch) = (None, None, None);
    let mut syft_locations: Vec<(Option<&str>, Option<&str>)> = Vec::new();
    for (name, value) in properties {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "bulkhead:package:source_name" | "aquasecurity:trivy:SrcName" => {
                package.source_name = Some(value.into())
            }
            "bulkhead:package:source_version" => package.source_version = Some(value.into()),
            "aquasecurity:trivy:SrcVersion" => trivy_src_version = Some(value.to_string()),
            "aquasecurity:trivy:SrcRelease" => trivy_src_release = Some(value.to_string()),
            "aquasecurity:trivy:SrcEpoch" => trivy_src_epoch = Some(value.to_string()),
            "bulkhead:location" | "aquasecurity:trivy:FilePath" => {
                package.location = value.trim_start_matches('/').to_string()
            }
            "bulkhead:layer:diff_id" | "aquasecurity:trivy:LayerDiffID" => {
                layer_digest = Some(value.to_string())
            }
            // syft lists every file that evidences the package, each with its layer.
            other if other.starts_with("syft:location:") => {
                let rest = &other["syft:location:".len()..];
                if let Some((n, field)) = rest.split_once(':') {
                    let n: usize = n.parse().unwrap_or(usize::MAX);
                    if syft_locations.len() < 64 && n < 64 {
                        syft_locations.resize(syft_locations.len().max(n + 1), (None, None));
                        match field {
                            "path" => syft_locations[n].0 = Some(value),
                            "layerID" => syft_locations[n].1 = Some(value),
                            _ => {}
                        }
                    }
                }
            }
            "bulkhead:layer:index" => layer_index = value.parse().ok(),
            "bulkhead:layer:created_by" => layer_created_by = Some(value.to_string()),
            _ => {}
        }
    }
    let syft_paths: Vec<&str> = syft_locations.iter().filter_map(|(p, _)| *p).collect();
    if let (true, Some(path)) = (package.location.is_empty(), package_db_path(&syft_paths)) {
        package.location = path.trim_start_matches('/').to_string();
        if layer_digest.is_none() {
            layer_digest = syft_locations
                .iter()
                .find(|(p, _)| *p == Some(path))
                .and_then(|(_, layer)| layer.map(str::to_string));
        }
    }
    // Trivy splits the source version: [epoch:]version[-release].
    if let Some(version) = trivy_src_version {
        let mut full = match trivy_src_epoch.filter(|e| e != "0") {
            Some(epoch) => format!("{epoch}:{version}"),
            None => version,
        };
        if let Some(release) = trivy_src_release {
            full = format!("{full}-{release}");
        }
        package.source_version = Some(full);
    }
    if package.source_name.as_deref() == Some(package.name.as_str()) {
        package.source_name = None;
    }
    if package.source_version.as_deref() == Some(package.version.as_str()) {
        package.source_version = None;
    }
    package.layer = layer_digest.map(|digest| LayerRef {
        index: layer_index.unwrap_or(0),
        digest: digest.into(),
        created_by: layer_created_by.map(Into::into),
    });
    Ok(package)
}

/// Of the files that evidence a package, the package database (else the first).
fn package_db_path<'a>(paths: &[&'a str]) -> Option<&'a str> {
    const DATABASES: &[&str] = &[
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "var/lib/rpm/",
        "usr/lib/sysimage/rpm/",
    ];
    paths
        .iter()
        .find(|p| DATABASES.iter().any(|db| p.contains(db)))
        .or(paths.first())
        .copied()
}

/// Adds the packages, turning per-component problems into (few) warnings.
#[derive(Default)]
struct Collector {
    inventory: Inventory,
    skipped_without_purl: usize,
    unsupported: std::collections::BTreeMap<String, usize>,
}

impl Collector {
    fn add(
        &mut self,
        shown: &str,
        what: &str,
        purl: Option<&str>,
        properties: &[(String, String)],
        licenses: Vec<String>,
    ) {
        let Some(purl) = purl.filter(|p| !p.trim().is_empty()) else {
            self.skipped_without_purl += 1;
            return;
        };
        match package_from(purl.trim(), properties) {
            Ok(mut package) => {
                package.licenses = licenses;
                if package.location.is_empty() {
                    package.location = shown.to_string();
                }
                self.inventory.packages.push(package);
            }
            Err(message) if message.starts_with("purl type") => {
                let kind = Purl::parse(purl).map(|p| p.kind).unwrap_or_default();
                *self.unsupported.entry(kind).or_insert(0) += 1;
            }
            Err(message) => self.inventory.warnings.push(Warning {
                line: None,
                column: None,
                file: shown.to_string(),
                layer: None,
                message: format!("{what}: {message}; skipped"),
            }),
        }
    }

    fn finish(mut self, shown: &str) -> Inventory {
        if self.skipped_without_purl > 0 {
            self.inventory.warnings.push(Warning {
                line: None,
                column: None,
                file: shown.to_string(),
                layer: None,
                message: format!(
                    "{} packages have no purl and were not matched",
                    self.skipped_without_purl
                ),
            });
        }
        for (kind, n) in self.unsupported {
            self.inventory.warnings.push(Warning {
                line: None,
                column: None,
                file: shown.to_string(),
                layer: None,
                message: format!("{n} packages of purl type {kind:?} are not matched (no advisory source for them)"),
            });
        }
        self.inventory
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::*;

    /// A document past the component cap stops while it is parsed, whether or not its
    /// components carry purls (those without used to be parsed whole and then dropped).
    #[test]
    fn too_many_components_stop_the_parse() {
        let component = r#"{"type":"library","name":"a"},"#;
        let mut doc =
            String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":["#);
        doc.push_str(&component.repeat(max_sbom_packages() + 1));
        doc.push_str(r#"{"type":"library","name":"z"}]}"#);
        let err = parse_sbom(doc.as_bytes(), "big.cdx.json").unwrap_err();
        assert!(
            err.to_string().contains("more than 500000 components"),
            "{err}"
        );
        // SPDX packages too.
        let package = r#"{"SPDXID":"SPDXRef-a","name":"a"},"#;
        let mut doc = String::from(r#"{"spdxVersion":"SPDX-2.3","packages":["#);
        doc.push_str(&package.repeat(max_sbom_packages() + 1));
        doc.push_str(r#"{"SPDXID":"SPDXRef-z","name":"z"}]}"#);
        let err = parse_sbom(doc.as_bytes(), "big.spdx.json").unwrap_err();
        assert!(
            err.to_string().contains("more than 500000 components"),
            "{err}"
        );
        // Under the cap the same shape reads.
        let small = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","purl":"pkg:npm/a@1.0.0"}]}"#;
        assert_eq!(
            parse_sbom(small.as_bytes(), "s")
                .unwrap()
                .inventory
                .packages
                .len(),
            1
        );
    }
}
