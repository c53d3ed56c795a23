//! RBAC: Roles and ClusterRoles that grant escalation paths, and bindings to powerful roles or
//! to everyone.

use inventory::Severity::{Critical, High, Medium};

use super::rule;
use super::{Object, Out};
use crate::rule::Rule;
use crate::yaml::{Node, Pos};

const NSA_RBAC: &str = "NSA/CISA Kubernetes Hardening Guide: Authentication and authorization";

pub const WILDCARD_VERBS: Rule = rule(
    "BH-K8S-046",
    High,
    "Role grants every verb",
    "`verbs: [\"*\"]` includes delete, escalate, bind and impersonate, and verbs added in future versions.",
    "List the verbs the subject needs.",
    &["CIS Kubernetes Benchmark 5.1.3", NSA_RBAC],
);
pub const WILDCARD_RESOURCES: Rule = rule(
    "BH-K8S-047",
    High,
    "Role grants every resource",
    "`resources: [\"*\"]` includes secrets, pods/exec and RBAC objects, and resources added later.",
    "List the resources the subject needs.",
    &["CIS Kubernetes Benchmark 5.1.3", NSA_RBAC],
);
pub const WILDCARD_API_GROUPS: Rule = rule(
    "BH-K8S-048",
    Medium,
    "Role grants every API group",
    "`apiGroups: [\"*\"]` reaches custom resources of every operator installed now or later.",
    "List the API groups the subject needs.",
    &["CIS Kubernetes Benchmark 5.1.3", NSA_RBAC],
);
pub const READ_SECRETS: Rule = rule(
    "BH-K8S-049",
    High,
    "Role can read Secrets",
    "get/list/watch on secrets reveals every credential of the namespace (or cluster), including service account tokens.",
    "Grant access to named secrets with `resourceNames`, or mount the secret instead of reading it through the API.",
    &["CIS Kubernetes Benchmark 5.1.2", NSA_RBAC],
);
pub const POD_EXEC: Rule = rule(
    "BH-K8S-050",
    High,
    "Role can exec or attach into pods",
    "pods/exec and pods/attach run commands inside any pod of the scope, with its identity and secrets.",
    "Remove pods/exec and pods/attach; use logs and debugging tools with audit instead.",
    &["CIS Kubernetes Benchmark 5.1.3", NSA_RBAC],
);
pub const ESCALATE_VERBS: Rule = rule(
    "BH-K8S-051",
    Critical,
    "Role can escalate, bind or impersonate",
    "escalate and bind let a subject grant itself any permission; impersonate lets it act as any user, group or service account.",
    "Remove these verbs; keep them for cluster administrators only.",
    &["CIS Kubernetes Benchmark 5.1.8", NSA_RBAC],
);
pub const CREATE_WORKLOADS: Rule = rule(
    "BH-K8S-052",
    Medium,
    "Role can create pods or workloads",
    "Creating a pod (directly or through a controller) lets a subject mount any secret and service account of the namespace, and run privileged pods where admission allows.",
    "Limit workload creation to deployment pipelines.",
    &["CIS Kubernetes Benchmark 5.1.4", NSA_RBAC],
);
pub const NODE_PROXY: Rule = rule(
    "BH-K8S-053",
    High,
    "Role can reach nodes/proxy",
    "nodes/proxy reaches the kubelet API directly, which can run commands in any pod of the node, bypassing audit and admission.",
    "Remove access to nodes/proxy.",
    &["CIS Kubernetes Benchmark 5.1.10", NSA_RBAC],
);
pub const CLUSTER_ADMIN_BINDING: Rule = rule(
    "BH-K8S-054",
    Critical,
    "Binding to cluster-admin",
    "cluster-admin can do anything anywhere; a compromised subject owns the cluster.",
    "Bind a role with only the permissions needed.",
    &["CIS Kubernetes Benchmark 5.1.1", NSA_RBAC],
);
pub const ADMIN_EDIT_CLUSTER_BINDING: Rule = rule(
    "BH-K8S-064",
    High,
    "Cluster-wide binding to admin or edit",
    "The built-in admin and edit roles read secrets and create workloads; bound by a ClusterRoleBinding they apply in every namespace, kube-system included.",
    "Bind them per namespace with a RoleBinding, or bind a role with only the permissions needed.",
    &["CIS Kubernetes Benchmark 5.1.1", NSA_RBAC],
);
pub const ANONYMOUS_BINDING: Rule = rule(
    "BH-K8S-055",
    Critical,
    "Binding grants rights to anonymous or all users",
    "system:anonymous, system:unauthenticated and system:authenticated include everyone who can reach the API server (authenticated: any account of any identity provider).",
    "Bind to specific users, groups or service accounts.",
    &["CIS Kubernetes Benchmark 5.1.1", NSA_RBAC],
);
pub const DEFAULT_SA_BINDING: Rule = rule(
    "BH-K8S-056",
    Medium,
    "Binding grants rights to a default service account",
    "Every pod of the namespace that does not name a service account gets these rights.",
    "Create a dedicated ServiceAccount and bind the role to it.",
    &["CIS Kubernetes Benchmark 5.1.5", NSA_RBAC],
);

const WORKLOAD_RESOURCES: &[&str] = &[
    "pods",
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "replicationcontrollers",
    "jobs",
    "cronjobs",
];

pub(crate) fn check(object: &Object, out: &mut Out) {
    match object.kind {
        "Role" | "ClusterRole" => {
            for policy in object
                .node
                .get("rules")
                .map(Node::items)
                .unwrap_or_default()
            {
                check_policy_rule(object, policy, out);
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => check_binding(object, out),
        _ => {}
    }
}

/// A rule's list under `key`: its strings and the key's position.
fn list<'a>(policy: &'a Node, key: &str) -> (Vec<&'a str>, Pos) {
    let entry = policy.entry(key);
    let values = entry
        .map(|e| e.value.items().iter().filter_map(Node::as_str).collect())
        .unwrap_or_default();
    (values, entry.map_or(policy.pos, |e| e.key_pos))
}

fn check_policy_rule(object: &Object, policy: &Node, out: &mut Out) {
    let (verbs, verbs_at) = list(policy, "verbs");
    let (resources, resources_at) = list(policy, "resources");
    let (groups, groups_at) = list(policy, "apiGroups");
    let mut report = |rule: &Rule, at: Pos, message: String| {
        out.report(rule, object, at, object.resource(), message)
    };
    let any_verb = |wanted: &[&str]| verbs.iter().any(|v| *v == "*" || wanted.contains(v));
    let any_resource = |wanted: &[&str]| resources.iter().any(|r| wanted.contains(r));
    if verbs.contains(&"*") {
        report(&WILDCARD_VERBS, verbs_at, "verbs include \"*\"".into());
    }
    if resources.contains(&"*") {
        report(
            &WILDCARD_RESOURCES,
            resources_at,
            "resources include \"*\"".into(),
        );
    }
    if groups.contains(&"*") {
        report(
            &WILDCARD_API_GROUPS,
            groups_at,
            "apiGroups include \"*\"".into(),
        );
    }
    let scoped = policy
        .get("resourceNames")
        .is_some_and(|n| !n.items().is_empty());
    if any_resource(&["secrets"]) && any_verb(&["get", "list", "watch"]) && !scoped {
        report(&READ_SECRETS, resources_at, "can read secrets".into());
    }
    if any_resource(&["pods/exec", "pods/attach"]) && any_verb(&["create", "get"]) {
        report(
            &POD_EXEC,
            resources_at,
            "can exec or attach into pods".into(),
        );
    }
    for verb in verbs
        .iter()
        .filter(|v| matches!(**v, "escalate" | "bind" | "impersonate"))
    {
        report(&ESCALATE_VERBS, verbs_at, format!("grants {verb}"));
    }
    if any_resource(WORKLOAD_RESOURCES) && any_verb(&["create"]) {
        report(
            &CREATE_WORKLOADS,
            resources_at,
            "can create pods or workloads".into(),
        );
    }
    if any_resource(&["nodes/proxy"]) {
        report(&NODE_PROXY, resources_at, "can reach nodes/proxy".into());
    }
}

fn check_binding(object: &Object, out: &mut Out) {
    if let Some(name) = object.node.get("roleRef").and_then(|r| r.entry("name")) {
        if name.value.as_str() == Some("cluster-admin") {
            out.report(
                &CLUSTER_ADMIN_BINDING,
                object,
                name.key_pos,
                object.resource(),
                "binds cluster-admin".into(),
            );
        }
        let role = name.value.as_str().unwrap_or_default();
        if object.kind == "ClusterRoleBinding" && matches!(role, "admin" | "edit") {
            out.report(
                &ADMIN_EDIT_CLUSTER_BINDING,
                object,
                name.key_pos,
                object.resource(),
                format!("binds {role} in every namespace"),
            );
        }
    }
    for subject in object
        .node
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
    {
        let Some(name) = subject.entry("name") else {
            continue;
        };
        let value = name.value.as_str().unwrap_or_default();
        let kind = subject
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or_default();
        if matches!(
            value,
            "system:anonymous" | "system:unauthenticated" | "system:authenticated"
        ) {
            out.report(
                &ANONYMOUS_BINDING,
                object,
                name.key_pos,
                object.resource(),
                format!("subject {value:?}"),
            );
        }
        if kind == "ServiceAccount" && value == "default" {
            out.report(
                &DEFAULT_SA_BINDING,
                object,
                name.key_pos,
                object.resource(),
                "subject is the default service account".into(),
            );
        }
    }
}
