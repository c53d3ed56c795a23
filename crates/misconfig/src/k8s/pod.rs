//! Pod identity and placement: service account token, default service account, default
//! namespace.

use inventory::Severity::Low;

use super::rule;
use super::workload::Workload;
use super::{Object, Out};
use crate::rule::Rule;
use crate::yaml::Node;

pub const AUTOMOUNT_TOKEN: Rule = rule(
    "BH-K8S-039",
    Low,
    "Service account token mounted automatically",
    "Every process in the pod can read the token and call the API server with the service account's rights — the first thing an attacker in a pod tries.",
    "Set `automountServiceAccountToken: false` on the pod (or its ServiceAccount) unless it talks to the API.",
    &["CIS Kubernetes Benchmark 5.1.6", "NSA/CISA Kubernetes Hardening Guide: Protecting Pod service account tokens"],
);
pub const DEFAULT_SERVICE_ACCOUNT: Rule = rule(
    "BH-K8S-040",
    Low,
    "Pod uses the default service account",
    "The default service account is shared by every pod of the namespace, so rights granted for one workload reach all of them.",
    "Create a dedicated ServiceAccount and set `serviceAccountName` (or disable token mounting).",
    &["CIS Kubernetes Benchmark 5.1.5", "NSA/CISA Kubernetes Hardening Guide: Protecting Pod service account tokens"],
);
pub const DEFAULT_NAMESPACE: Rule = rule(
    "BH-K8S-041",
    Low,
    "Object in the default namespace",
    "The default namespace mixes unrelated workloads, so RBAC, quotas and NetworkPolicies cannot separate them.",
    "Deploy into a dedicated namespace.",
    &["CIS Kubernetes Benchmark 5.7.4"],
);

pub(crate) fn check(w: &Workload, objects: &[Object], out: &mut Out) {
    let account_entry = w
        .spec
        .entry("serviceAccountName")
        .or_else(|| w.spec.entry("serviceAccount"));
    let account = account_entry
        .and_then(|e| e.value.as_str())
        .unwrap_or("default");
    let automount = match w.spec.entry("automountServiceAccountToken") {
        Some(e) => e.value.as_bool() != Some(false),
        None => service_account_automounts(objects, w.object, account),
    };
    if automount {
        let at = w
            .spec
            .entry("automountServiceAccountToken")
            .map_or(w.pos(), |e| e.key_pos);
        let message = format!("the token of service account {account:?} is mounted into the pod");
        w.report(out, &AUTOMOUNT_TOKEN, at, None, message);
    }
    if account == "default" && automount {
        let at = account_entry.map_or(w.pos(), |e| e.key_pos);
        w.report(
            out,
            &DEFAULT_SERVICE_ACCOUNT,
            at,
            None,
            "pod runs as the default service account".into(),
        );
    }
}

/// Any namespaced object placed explicitly in `default`. Objects without a namespace are not
/// flagged: `kubectl apply -n` / `helm install -n` choose it at deploy time.
pub(crate) fn check_namespace(object: &Object, out: &mut Out) {
    let metadata = object.node.get("metadata");
    if let Some(e) = metadata.and_then(|m| m.entry("namespace")) {
        if e.value.as_str() == Some("default") {
            let message = format!("{} is in the default namespace", object.resource());
            out.report(
                &DEFAULT_NAMESPACE,
                object,
                e.key_pos,
                object.resource(),
                message,
            );
        }
    }
}

/// Whether the ServiceAccount `name` of the workload's namespace (if among the inputs) leaves
/// token mounting on. Defined more than once (BH-K8S-066 says so), the definition in the
/// workload's own file counts — the last one there, as `kubectl apply -f` leaves it — else
/// the first elsewhere.
fn service_account_automounts(objects: &[Object], workload: &Object, name: &str) -> bool {
    let accounts: Vec<&Object> = objects
        .iter()
        .filter(|o| {
            o.kind == "ServiceAccount" && o.name == name && o.namespace == workload.namespace
        })
        .collect();
    let account = accounts
        .iter()
        .rev()
        .find(|a| a.file == workload.file)
        .or_else(|| accounts.first());
    account
        .and_then(|a| a.node.get("automountServiceAccountToken"))
        .and_then(Node::as_bool)
        != Some(false)
}
