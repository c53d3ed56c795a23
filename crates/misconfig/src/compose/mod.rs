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
            privilege::check(&service, &mut out);
            mounts::check(&service, &mut out);
            exposure::check(&service, &mut out);
            hygiene::check(&service, &mut out);
        }
    }
    let mut findings = out.findings;
    findings.sort_by(|a, b| (a.line, a.column, &a.rule_id).cmp(&(b.line, b.column, &b.rule_id)));
    Ok(findings)
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
