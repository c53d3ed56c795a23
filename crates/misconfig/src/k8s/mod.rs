//! Kubernetes manifest rules (`BH-K8S-…`), over every object of every file at once so that
//! cross-object checks (NetworkPolicy coverage, ServiceAccount settings) see the whole set.
//!
//! **Profiles.** Each rule belongs to a level. [`Profile::Baseline`] runs the rules for clear
//! dangers: the Pod Security Standards *baseline* controls, RBAC escalation paths, exposed
//! Services, secrets in manifests. [`Profile::Restricted`] (the default, like Trivy and
//! kube-score, which report everything) adds the PSS *restricted* controls and hardening
//! advice (resources, probes, digests, NetworkPolicy coverage).
//!
//! **Sandboxed runtimes.** A pod whose `runtimeClassName` names gVisor (`gvisor`, `runsc`) or
//! Kata (`kata…`) runs on its own kernel, so rules about kernel attack surface (privileged,
//! capabilities, seccomp, AppArmor, procMount, sysctls, privilege escalation) are reported one
//! severity band lower, with the mitigation named in the message. Rules about host resources
//! (host namespaces, hostPath, hostPorts) keep their severity: the sandbox still shares them.

pub(crate) mod capabilities;
mod duplicates;
mod host;
pub(crate) mod images;
mod network;
mod pod;
mod pod_security;
mod rbac;
mod resources;
pub(crate) mod secrets;
mod services;
pub(crate) mod volumes;
mod workload;

use crate::rule::{ConfigError, Finding, Rule};
use crate::yaml::{self, Limits, Node, Pos};
use inventory::Severity;

/// Which Pod Security Standards level to hold manifests to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    Baseline,
    #[default]
    Restricted,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub profile: Profile,
}

/// The catalogue, in ID order.
pub static RULES: &[Rule] = &[
    pod_security::PRIVILEGED,
    pod_security::PRIVILEGE_ESCALATION,
    pod_security::RUN_AS_NON_ROOT,
    pod_security::RUN_AS_USER_ROOT,
    pod_security::RUN_AS_GROUP_ROOT,
    pod_security::READ_ONLY_ROOT_FS,
    pod_security::SECCOMP_UNCONFINED,
    pod_security::SECCOMP_MISSING,
    pod_security::APPARMOR_UNCONFINED,
    pod_security::PROC_MOUNT,
    pod_security::UNSAFE_SYSCTLS,
    pod_security::SELINUX,
    pod_security::HOST_PROCESS,
    capabilities::ADMIN_CAPS,
    capabilities::DANGEROUS_CAPS,
    capabilities::NOT_DROP_ALL,
    capabilities::RESTRICTED_ADD,
    host::HOST_NETWORK,
    host::HOST_PID,
    host::HOST_IPC,
    host::HOST_PORTS,
    host::SHARE_PROCESS_NAMESPACE,
    volumes::HOST_PATH_CRITICAL,
    volumes::HOST_PATH,
    volumes::VOLUME_TYPES,
    volumes::GIT_REPO,
    secrets::SECRET_ENV_REF,
    secrets::SECRET_ENV_LITERAL,
    resources::CPU_REQUEST,
    resources::MEMORY_REQUEST,
    resources::CPU_LIMIT,
    resources::MEMORY_LIMIT,
    resources::EPHEMERAL_STORAGE_LIMIT,
    resources::LIVENESS_PROBE,
    resources::READINESS_PROBE,
    images::LATEST_TAG,
    images::NO_DIGEST,
    images::PULL_POLICY,
    pod::AUTOMOUNT_TOKEN,
    pod::DEFAULT_SERVICE_ACCOUNT,
    pod::DEFAULT_NAMESPACE,
    services::NODE_PORT,
    services::LOAD_BALANCER_OPEN,
    services::EXTERNAL_IPS,
    services::INGRESS_NO_TLS,
    rbac::WILDCARD_VERBS,
    rbac::WILDCARD_RESOURCES,
    rbac::WILDCARD_API_GROUPS,
    rbac::READ_SECRETS,
    rbac::POD_EXEC,
    rbac::ESCALATE_VERBS,
    rbac::CREATE_WORKLOADS,
    rbac::NODE_PROXY,
    rbac::CLUSTER_ADMIN_BINDING,
    rbac::ANONYMOUS_BINDING,
    rbac::DEFAULT_SA_BINDING,
    network::NOT_SELECTED,
    network::NO_DEFAULT_DENY,
    network::ALLOW_ALL_INGRESS,
    network::ALLOW_ALL_EGRESS,
    secrets::SECRET_OBJECT,
    pod_security::LOW_UID,
    pod_security::LOW_GID,
    rbac::ADMIN_EDIT_CLUSTER_BINDING,
    volumes::HOST_PATH_SECRETS,
    duplicates::CONFLICTING_DEFINITIONS,
];

/// Rules run only under [`Profile::Restricted`].
const RESTRICTED_ONLY: &[&str] = &[
    pod_security::PRIVILEGE_ESCALATION.id,
    pod_security::RUN_AS_NON_ROOT.id,
    pod_security::RUN_AS_USER_ROOT.id,
    pod_security::RUN_AS_GROUP_ROOT.id,
    pod_security::READ_ONLY_ROOT_FS.id,
    pod_security::SECCOMP_MISSING.id,
    pod_security::LOW_UID.id,
    pod_security::LOW_GID.id,
    capabilities::NOT_DROP_ALL.id,
    capabilities::RESTRICTED_ADD.id,
    host::SHARE_PROCESS_NAMESPACE.id,
    volumes::VOLUME_TYPES.id,
    secrets::SECRET_ENV_REF.id,
    resources::CPU_REQUEST.id,
    resources::MEMORY_REQUEST.id,
    resources::CPU_LIMIT.id,
    resources::MEMORY_LIMIT.id,
    resources::EPHEMERAL_STORAGE_LIMIT.id,
    resources::LIVENESS_PROBE.id,
    resources::READINESS_PROBE.id,
    images::NO_DIGEST.id,
    images::PULL_POLICY.id,
    pod::AUTOMOUNT_TOKEN.id,
    pod::DEFAULT_SERVICE_ACCOUNT.id,
    pod::DEFAULT_NAMESPACE.id,
    network::NOT_SELECTED.id,
    network::NO_DEFAULT_DENY.id,
];

/// Rules about kernel attack surface, lowered one band under a sandboxed runtime.
const SANDBOX_MITIGATED: &[&str] = &[
    pod_security::PRIVILEGED.id,
    pod_security::PRIVILEGE_ESCALATION.id,
    pod_security::SECCOMP_UNCONFINED.id,
    pod_security::SECCOMP_MISSING.id,
    pod_security::APPARMOR_UNCONFINED.id,
    pod_security::PROC_MOUNT.id,
    pod_security::UNSAFE_SYSCTLS.id,
    pod_security::SELINUX.id,
    capabilities::ADMIN_CAPS.id,
    capabilities::DANGEROUS_CAPS.id,
    capabilities::NOT_DROP_ALL.id,
    capabilities::RESTRICTED_ADD.id,
];

/// The level a rule belongs to.
pub fn profile_of(rule_id: &str) -> Profile {
    if RESTRICTED_ONLY.contains(&rule_id) {
        Profile::Restricted
    } else {
        Profile::Baseline
    }
}

crate::rule::family_rule_constructor!(crate::rule::Family::Kubernetes);

/// Whether `text` looks like a Kubernetes manifest: some object with `apiVersion` and `kind`.
pub fn looks_like_manifest(text: &str) -> bool {
    // A YAML key at the start of a line (or of a sequence item), or a JSON key anywhere.
    let has = |yaml_key: &str, json_key: &str| {
        text.contains(json_key)
            || text.lines().any(|line| {
                let line = line.trim_start().trim_start_matches("- ").trim_start();
                line.starts_with(yaml_key)
            })
    };
    has("apiVersion:", "\"apiVersion\"") && has("kind:", "\"kind\"")
}

/// One Kubernetes object of the input (items of a `List` are objects of their own).
pub(crate) struct Object<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub node: &'a Node,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
}

impl Object<'_> {
    pub fn resource(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// Where findings about the whole object point: its `kind` key.
    pub fn pos(&self) -> Pos {
        self.node.entry("kind").map_or(self.node.pos, |e| e.key_pos)
    }
}

/// Collects findings, applying the profile.
pub(crate) struct Out {
    profile: Profile,
    findings: Vec<Finding>,
    /// Line starts per file text (by address): one index per file, not a scan per finding.
    lines: std::collections::HashMap<(usize, usize), yaml::LineIndex>,
}

impl Out {
    /// Reports `rule` at `at` in `object`'s file; `resource` names the object (and container).
    pub fn report(
        &mut self,
        rule: &Rule,
        object: &Object,
        at: Pos,
        resource: String,
        message: String,
    ) {
        self.report_sandboxed(rule, object, at, resource, message, None);
    }

    /// As [`Out::report`], for a pod running under `sandbox` (a gVisor/Kata runtime class).
    pub fn report_sandboxed(
        &mut self,
        rule: &Rule,
        object: &Object,
        at: Pos,
        resource: String,
        mut message: String,
        sandbox: Option<&str>,
    ) {
        if self.profile == Profile::Baseline && profile_of(rule.id) == Profile::Restricted {
            return;
        }
        let mut finding = Finding::new(rule, object.file, at.line, at.column, String::new());
        if let Some(runtime) = sandbox.filter(|_| SANDBOX_MITIGATED.contains(&rule.id)) {
            finding.severity = lower(finding.severity);
            message.push_str(&format!(
                " (mitigated: runtimeClassName {runtime:?} runs the pod on its own kernel)"
            ));
        }
        finding.message = message;
        let key = (object.text.as_ptr() as usize, object.text.len());
        let lines = self
            .lines
            .entry(key)
            .or_insert_with(|| yaml::LineIndex::new(object.text));
        finding.snippet = lines.snippet(object.text, at.line);
        finding.resource = Some(resource);
        self.findings.push(finding);
    }
}

fn lower(severity: Severity) -> Severity {
    match severity {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        _ => Severity::Low,
    }
}

/// Checks every object of every `(file name, text)`; unparsable files become errors.
pub fn check_all(
    files: &[(String, String)],
    options: &Options,
) -> (Vec<Finding>, Vec<ConfigError>) {
    let limits = Limits::default();
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (file, text) in files {
        match yaml::parse(file, text, &limits) {
            Ok(documents) => parsed.push((file.as_str(), text.as_str(), documents)),
            Err(error) => errors.push(error.into()),
        }
    }
    let mut objects = Vec::new();
    for (file, text, documents) in &parsed {
        for document in documents {
            collect_objects(file, text, document, &mut objects);
        }
    }
    let mut out = Out {
        profile: options.profile,
        findings: Vec::new(),
        lines: Default::default(),
    };
    let workloads: Vec<workload::Workload> =
        objects.iter().filter_map(workload::Workload::of).collect();
    for workload in &workloads {
        pod_security::check(workload, &mut out);
        capabilities::check(workload, &mut out);
        host::check(workload, &mut out);
        volumes::check(workload, &mut out);
        secrets::check_workload(workload, &mut out);
        resources::check(workload, &mut out);
        images::check(workload, &mut out);
        pod::check(workload, &objects, &mut out);
    }
    for object in &objects {
        services::check(object, &mut out);
        rbac::check(object, &mut out);
        secrets::check_object(object, &mut out);
        pod::check_namespace(object, &mut out);
        network::check_policy(object, &mut out);
    }
    network::check_coverage(&objects, &workloads, &mut out);
    duplicates::check(&objects, &mut out);
    let mut findings = out.findings;
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule_id).cmp(&(&b.file, b.line, b.column, &b.rule_id))
    });
    (findings, errors)
}

/// Adds `node` as an object, or its `items` when it is a `List` (`kind: List`, `PodList`, …).
fn collect_objects<'a>(
    file: &'a str,
    text: &'a str,
    node: &'a Node,
    objects: &mut Vec<Object<'a>>,
) {
    let Some(kind) = node.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind.ends_with("List") {
        // Items of a List are objects; a List inside a List is not valid Kubernetes, so stop.
        for item in node.get("items").map(Node::items).unwrap_or_default() {
            if let Some(item_kind) = item.get("kind").and_then(Node::as_str) {
                if !item_kind.ends_with("List") {
                    objects.push(object(file, text, item, item_kind));
                }
            }
        }
        return;
    }
    objects.push(object(file, text, node, kind));
}

fn object<'a>(file: &'a str, text: &'a str, node: &'a Node, kind: &'a str) -> Object<'a> {
    let metadata = node.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("<unnamed>");
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Node::as_str);
    Object {
        file,
        text,
        node,
        kind,
        name,
        namespace,
    }
}
