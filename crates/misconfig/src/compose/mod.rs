//! Compose file rules (`BH-DC-…`), per service of a `docker-compose.yml` / `compose.yaml`.
//! Merge keys and anchors (`x-defaults: &d`, `<<: *d`) are resolved by the YAML layer, so
//! settings inherited from a shared block are checked where they apply.

mod exposure;
mod hygiene;
mod mounts;
mod privilege;

use crate::rule::{ConfigError, Finding, Rule};
use crate::yaml::{self, Limits, Node, Pos};

/// The catalogue, in ID order.
pub static RULES: &[Rule] = &[
    privilege::PRIVILEGED,
    privilege::NETWORK_HOST,
    privilege::PID_HOST,
    privilege::IPC_HOST,
    privilege::USERNS_HOST,
    mounts::RUNTIME_SOCKET,
    mounts::SENSITIVE_BIND,
    privilege::ADMIN_CAPS,
    privilege::DANGEROUS_CAPS,
    privilege::NOT_DROP_ALL,
    privilege::SECCOMP_UNCONFINED,
    privilege::APPARMOR_UNCONFINED,
    privilege::SELINUX_DISABLED,
    privilege::NO_NEW_PRIVILEGES,
    privilege::DEVICES,
    exposure::ALL_INTERFACES,
    exposure::SENSITIVE_PORT,
    hygiene::SECRET_LITERAL,
    hygiene::LATEST_TAG,
    hygiene::NO_DIGEST,
    privilege::USER_ROOT,
    mounts::READ_ONLY,
    hygiene::MEMORY_LIMIT,
    hygiene::PIDS_LIMIT,
    privilege::HOST_CGROUP,
    privilege::UTS_HOST,
];

crate::rule::family_rule_constructor!(crate::rule::Family::Compose);

/// Whether `file`/`text` is a compose file: a compose file name, or a top-level `services:`
/// mapping in a file that is not a Kubernetes manifest.
pub fn looks_like_compose(file: &str, text: &str) -> bool {
    let name = file
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file)
        .to_ascii_lowercase();
    let yaml_name = name.ends_with(".yml") || name.ends_with(".yaml");
    if yaml_name && (name.starts_with("docker-compose") || name.starts_with("compose")) {
        return true;
    }
    let top_level = |key: &str| text.lines().any(|line| line.starts_with(key));
    top_level("services:") && !crate::k8s::looks_like_manifest(text)
}

/// One service being checked.
pub(crate) struct Service<'a> {
    pub name: &'a str,
    /// Where findings about missing settings point: the service's key.
    pub pos: Pos,
    pub node: &'a Node,
}

pub(crate) struct Out<'a> {
    file: &'a str,
    text: &'a str,
    findings: Vec<Finding>,
    /// Each service checked and its key's position.
    services: Vec<(String, Pos)>,
}

impl Out<'_> {
    pub fn report(&mut self, rule: &Rule, service: &Service, at: Pos, message: String) {
        let mut finding = Finding::new(rule, self.file, at.line, at.column, message);
        finding.snippet = yaml::snippet(self.text, at.line);
        finding.resource = Some(format!("service {:?}", service.name));
        self.findings.push(finding);
    }
}

/// Checks every service of a compose file.
pub fn check(file: &str, text: &str) -> Result<Vec<Finding>, ConfigError> {
    let documents = yaml::parse(file, text, &Limits::default())?;
    let mut out = Out {
        file,
        text,
        findings: Vec::new(),
        services: Vec::new(),
    };
    for document in &documents {
        for entry in document
            .get("services")
            .map(Node::entries)
            .unwrap_or_default()
        {
            if !entry.value.is_map() {
                continue;
            }
            let service = Service {
                name: &entry.key,
                pos: entry.key_pos,
                node: &entry.value,
            };
            out.services.push((entry.key.clone(), entry.key_pos));
            privilege::check(&service, &mut out);
            mounts::check(&service, &mut out);
            exposure::check(&service, &mut out);
            hygiene::check(&service, &mut out);
        }
    }
    let mut findings = group_missing_low(out.findings, &out.services);
    findings.sort_by(|a, b| (a.line, a.column, &a.rule_id).cmp(&(b.line, b.column, &b.rule_id)));
    Ok(findings)
}

/// LOW findings about a setting that several services all lack (no memory limit, no PIDs limit,
/// capabilities not dropped, …: in real compose files every service gets the same five) become
/// one finding per rule at the first service, naming them all, so a real finding is not buried.
/// A finding about a value a service sets stays its own.
fn group_missing_low(findings: Vec<Finding>, services: &[(String, Pos)]) -> Vec<Finding> {
    use std::collections::BTreeMap;
    let missing = |f: &Finding| {
        f.severity == inventory::Severity::Low
            && services
                .iter()
                .any(|(_, pos)| (pos.line, pos.column) == (f.line, f.column))
    };
    let mut groups: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    let mut kept = Vec::new();
    for finding in findings {
        if missing(&finding) {
            groups
                .entry(finding.rule_id.clone())
                .or_default()
                .push(finding);
        } else {
            kept.push(finding);
        }
    }
    for (_, mut group) in groups {
        if group.len() == 1 {
            kept.append(&mut group);
            continue;
        }
        group.sort_by_key(|f| (f.line, f.column));
        let names: Vec<String> = group
            .iter()
            .filter_map(|f| f.resource.as_deref())
            .map(|r| r.trim_start_matches("service ").to_string())
            .collect();
        let mut first = group.swap_remove(0);
        first.message = format!(
            "{} services: {} ({})",
            names.len(),
            first.message,
            names.join(", ")
        );
        first.resource = Some(format!("services {}", names.join(", ")));
        kept.push(first);
    }
    kept
}

/// A list that compose also accepts as a single string (`cap_add`, `security_opt`, `devices`…).
pub(crate) fn string_items(node: Option<&Node>) -> Vec<(&str, Pos)> {
    match node {
        Some(n) if !n.items().is_empty() => n
            .items()
            .iter()
            .filter_map(|i| Some((i.as_str()?, i.pos)))
            .collect(),
        Some(n) => n.as_str().map(|s| vec![(s, n.pos)]).unwrap_or_default(),
        None => Vec::new(),
    }
}
