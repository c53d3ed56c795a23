//! Reports. [`Report`] is the one model every format renders; its JSON form is a public
//! contract documented in `docs/json-report.md` — add fields, never rename them.

mod host;
mod integrity;
mod json;
mod malware;
mod misconfigurations;
mod openvex;
mod pretty;
pub mod sarif;
mod secrets;
pub mod suppress;
mod table;
mod text;

pub use host::{write_host_json, write_host_table, ComponentVulnerability, HostReport};
pub use integrity::{Integrity, IntegrityFinding, Resolved};
pub use malware::{MalwareFinding, PackageMalware};

pub use json::write_json;
pub use sarif::{write_host_sarif, write_sarif};
mod cyclonedx;
mod rescan;
mod sbom;
mod spdx;

pub use cyclonedx::write_cyclonedx;
pub use openvex::write_openvex;
pub use rescan::{
    write_rescan_json, write_rescan_table, write_rescan_table_artifacts,
    write_rescan_table_summary, RescanJson, RescanReport, RescanSummary, RescannedArtifact,
};
pub use spdx::write_spdx;
pub use table::{write_table, TableOptions};
pub use text::escape_control;

use detectors::matcher::Vulnerability;
use detectors::severity::Severity;
use inventory::{Package, Secret, Warning};
use serde::Serialize;
use std::collections::BTreeMap;

/// Bumped on incompatible changes only; additions keep the major version.
pub const SCHEMA_VERSION: &str = "1.0.0";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: Tool,
    pub created_at: String,
    pub artifact: Artifact,
    /// What ran: `vuln`, `secret`, `config` (empty in reports written before this field).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scanners: Vec<&'static str>,
    pub os: Option<OsReport>,
    pub packages: Vec<Package>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// Packages named by malicious-package reports (`MAL-*`, always CRITICAL), and malicious
    /// content in files: YARA rule matches and known-bad hashes.
    pub malware: Vec<MalwareFinding>,
    /// Credentials found, masked; from every layer, including deleted files.
    pub secrets: Vec<Secret>,
    /// Misconfigurations: Dockerfile, image-config, Kubernetes, compose and policy findings.
    pub misconfigurations: Vec<misconfig::Finding>,
    /// `config --host`: the escape paths these workloads would open on that node.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escape_paths: Vec<::host::escape::EscapePath>,
    pub summary: Summary,
    pub warnings: Vec<Warning>,
    /// Findings an ignore file or a VEX statement hid, and what hid them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<suppress::Suppressed>,
    /// Advisories whose fix the scan found installed: OpenVEX `fixed` statements (not in JSON).
    #[serde(skip)]
    pub fixed: Vec<detectors::matcher::FixInstalled>,
    /// Registry images, or any image with `--expect-digest`: digests and integrity findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<Integrity>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
    /// The advisory database the findings come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    pub name: String,
    /// `oci-layout`, `oci-archive`, `docker-archive`, `rootfs`, `registry`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Manifest digest (docker archives without a manifest: the config digest). `null` for rootfs.
    pub digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    pub index: usize,
    pub diff_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OsReport {
    pub family: String,
    pub version: String,
    /// True when the release is past its end of life (no more security updates).
    pub eol: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eol_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub packages: usize,
    pub vulnerabilities: usize,
    /// Malicious packages found (not counted in `vulnerabilities` or `by_severity`).
    pub malware: usize,
    pub secrets: usize,
    /// Counts by severity after filters, e.g. `{"CRITICAL": 2, "HIGH": 5}`.
    pub by_severity: BTreeMap<Severity, usize>,
    pub misconfigurations: usize,
    /// Misconfiguration counts by severity after filters.
    pub misconfigurations_by_severity: BTreeMap<Severity, usize>,
    /// Findings hidden by ignore files and VEX statements (listed in `suppressed`).
    pub suppressed: usize,
}

/// What the user asked to see.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Empty: every severity.
    pub severities: Vec<Severity>,
    pub ignore_unfixed: bool,
}

impl Report {
    /// Drops the findings the filter excludes and recounts the summary. Malware is never
    /// "unfixed away": only a severity list without its severity (packages: CRITICAL) hides it.
    pub fn apply(&mut self, filter: &Filter) {
        self.malware
            .retain(|m| filter.severities.is_empty() || filter.severities.contains(&m.severity()));
        self.vulnerabilities.retain(|v| {
            (filter.severities.is_empty() || filter.severities.contains(&v.severity))
                && !(filter.ignore_unfixed && v.fixed_version.is_none())
        });
        let wanted = |s: &Severity| filter.severities.is_empty() || filter.severities.contains(s);
        self.secrets.retain(|s| wanted(&s.severity));
        self.misconfigurations.retain(|m| wanted(&m.severity));
        self.summarize();
    }

    pub fn summarize(&mut self) {
        let mut by_severity = BTreeMap::new();
        for v in &self.vulnerabilities {
            *by_severity.entry(v.severity).or_insert(0) += 1;
        }
        let mut misconfigurations_by_severity = BTreeMap::new();
        for m in &self.misconfigurations {
            *misconfigurations_by_severity.entry(m.severity).or_insert(0) += 1;
        }
        self.summary = Summary {
            packages: self.packages.len(),
            vulnerabilities: self.vulnerabilities.len(),
            malware: self.malware.len(),
            secrets: self.secrets.len(),
            by_severity,
            misconfigurations: self.misconfigurations.len(),
            misconfigurations_by_severity,
            suppressed: self.suppressed.len(),
        };
    }

    /// Findings that should fail a CI run under `--exit-code`.
    pub fn has_findings(&self) -> bool {
        !self.vulnerabilities.is_empty()
            || !self.malware.is_empty()
            || !self.secrets.is_empty()
            || !self.misconfigurations.is_empty()
            || !self.escape_paths.is_empty()
            || self.integrity.as_ref().is_some_and(Integrity::fails)
    }
}
