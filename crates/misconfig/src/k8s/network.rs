//! NetworkPolicies: policies that allow everything, and — across all input files — workloads
//! no policy selects and namespaces without a default-deny policy.

use std::collections::BTreeMap;

use inventory::Severity::{Low, Medium};

use super::rule;
use super::workload::Workload;
use super::{Object, Out};
use crate::rule::Rule;
use crate::yaml::{Entry, Node};

const NSA_NETWORK: &str = "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening";

pub const NOT_SELECTED: Rule = rule(
    "BH-K8S-057",
    Low,
    "No NetworkPolicy selects the workload",
    "Pods no policy selects accept traffic from every pod in the cluster, so one compromised pod reaches them all.",
    "Add a NetworkPolicy whose podSelector matches the workload's labels.",
    &["CIS Kubernetes Benchmark 5.3.2", NSA_NETWORK],
);
pub const NO_DEFAULT_DENY: Rule = rule(
    "BH-K8S-058",
    Medium,
    "Namespace has no default-deny NetworkPolicy",
    "Without a default-deny ingress policy, any new workload in the namespace is open to the whole cluster until someone writes its policy.",
    "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` (and Egress) and no rules.",
    &["CIS Kubernetes Benchmark 5.3.2", NSA_NETWORK],
);
pub const ALLOW_ALL_INGRESS: Rule = rule(
    "BH-K8S-059",
    Medium,
    "NetworkPolicy allows all ingress",
    "An ingress rule without `from` (or from 0.0.0.0/0) admits traffic from every source, cancelling the policy.",
    "List the pods, namespaces or CIDRs that may connect.",
    &[NSA_NETWORK],
);
pub const ALLOW_ALL_EGRESS: Rule = rule(
    "BH-K8S-060",
    Low,
    "NetworkPolicy allows all egress",
    "An egress rule without `to` (or to 0.0.0.0/0) lets a compromised pod reach any address, including cloud metadata endpoints.",
    "List the destinations the pods need (DNS, their services).",
    &[NSA_NETWORK],
);

pub(crate) fn check_policy(object: &Object, out: &mut Out) {
    if object.kind != "NetworkPolicy" {
        return;
    }
    for (key, peers, rule) in [
        ("ingress", "from", &ALLOW_ALL_INGRESS),
        ("egress", "to", &ALLOW_ALL_EGRESS),
    ] {
        for policy_rule in object
            .node
            .path(&["spec", key])
            .map(Node::items)
            .unwrap_or_default()
        {
            let peer_list = policy_rule.get(peers).map(Node::items).unwrap_or_default();
            let anywhere = peer_list.iter().any(|peer| {
                let cidr = peer.path(&["ipBlock", "cidr"]).and_then(Node::as_str);
                matches!(cidr, Some("0.0.0.0/0" | "::/0"))
                    && peer.path(&["ipBlock", "except"]).is_none()
            });
            if peer_list.is_empty() || anywhere {
                let message = format!(
                    "an {key} rule allows every {}",
                    if key == "ingress" {
                        "source"
                    } else {
                        "destination"
                    }
                );
                out.report(rule, object, policy_rule.pos, object.resource(), message);
            }
        }
    }
}

struct Policy<'a> {
    namespace: Option<&'a str>,
    selector: Option<&'a Node>,
    default_deny_ingress: bool,
}

fn policies<'a>(objects: &'a [Object<'a>]) -> Vec<Policy<'a>> {
    let mut found = Vec::new();
    for object in objects.iter().filter(|o| o.kind == "NetworkPolicy") {
        let spec = object.node.get("spec");
        let selector = spec.and_then(|s| s.get("podSelector"));
        let types: Vec<&str> = spec
            .and_then(|s| s.get("policyTypes"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let ingress = spec
            .and_then(|s| s.get("ingress"))
            .map(Node::items)
            .unwrap_or_default();
        // policyTypes defaults to [Ingress] (plus Egress when egress rules exist).
        let covers_ingress = types.is_empty() || types.contains(&"Ingress");
        let select_all = selector.is_none_or(selects_everything);
        found.push(Policy {
            namespace: object.namespace,
            selector,
            default_deny_ingress: select_all && covers_ingress && ingress.is_empty(),
        });
    }
    found
}

fn selects_everything(selector: &Node) -> bool {
    selector
        .get("matchLabels")
        .is_none_or(|m| m.entries().is_empty())
        && selector
            .get("matchExpressions")
            .is_none_or(|m| m.items().is_empty())
}

/// Label-selector semantics: every matchLabels pair and every matchExpression must hold.
fn matches(selector: &Node, labels: &[Entry]) -> bool {
    let label = |key: &str| {
        labels
            .iter()
            .rev()
            .find(|l| l.key == key)
            .and_then(|l| l.value.as_str())
    };
    let labels_hold = selector
        .get("matchLabels")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .all(|want| label(&want.key) == want.value.as_str());
    let expressions_hold = selector
        .get("matchExpressions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .all(|expression| {
            let key = expression
                .get("key")
                .and_then(Node::as_str)
                .unwrap_or_default();
            let values: Vec<&str> = expression
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            match expression.get("operator").and_then(Node::as_str) {
                Some("In") => label(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => label(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => label(key).is_some(),
                Some("DoesNotExist") => label(key).is_none(),
                _ => false,
            }
        });
    labels_hold && expressions_hold
}

/// Cross-object checks. Objects without a namespace are taken to share one (the namespace
/// they are applied to), as `helm template` output usually has none.
pub(crate) fn check_coverage(objects: &[Object], workloads: &[Workload], out: &mut Out) {
    let policies = policies(objects);
    let mut first_in_namespace: BTreeMap<Option<&str>, &Workload> = BTreeMap::new();
    for w in workloads {
        let namespace = w.object.namespace;
        first_in_namespace.entry(namespace).or_insert(w);
        let selected = policies
            .iter()
            .any(|p| p.namespace == namespace && p.selector.is_none_or(|s| matches(s, w.labels())));
        if !selected {
            w.report(
                out,
                &NOT_SELECTED,
                w.object.pos(),
                None,
                "no NetworkPolicy selects this workload's pods".into(),
            );
        }
    }
    for (namespace, w) in first_in_namespace {
        if !policies
            .iter()
            .any(|p| p.namespace == namespace && p.default_deny_ingress)
        {
            let shown = namespace.map_or("(unspecified)".to_string(), |n| format!("{n:?}"));
            let message = format!(
                "namespace {shown} has workloads but no default-deny ingress NetworkPolicy"
            );
            w.report(out, &NO_DEFAULT_DENY, w.object.pos(), None, message);
        }
    }
}
