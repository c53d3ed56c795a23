//! Exposure: Services reachable from outside the cluster, Ingress without TLS.

use inventory::Severity::{Low, Medium};

use super::rule;
use super::{Object, Out};
use crate::rule::Rule;
use crate::yaml::Node;

const NSA_NETWORK: &str = "NSA/CISA Kubernetes Hardening Guide: Network separation and hardening";

pub const NODE_PORT: Rule = rule(
    "BH-K8S-042",
    Low,
    "NodePort Service",
    "A NodePort opens the port on every node's address, bypassing load-balancer source ranges and often firewalls.",
    "Use a ClusterIP Service behind an Ingress, or a LoadBalancer with source ranges.",
    &[NSA_NETWORK],
);
pub const LOAD_BALANCER_OPEN: Rule = rule(
    "BH-K8S-043",
    Medium,
    "LoadBalancer open to the internet",
    "Without `loadBalancerSourceRanges` the cloud load balancer accepts connections from any address.",
    "Set `loadBalancerSourceRanges` to the client networks, or make the load balancer internal.",
    &[NSA_NETWORK],
);
pub const EXTERNAL_IPS: Rule = rule(
    "BH-K8S-044",
    Medium,
    "Service sets externalIPs",
    "Whoever can set externalIPs can intercept traffic to any address in the cluster (CVE-2020-8554).",
    "Remove `externalIPs`; use a LoadBalancer Service. Block the field with an admission policy.",
    &["CVE-2020-8554", NSA_NETWORK],
);
pub const INGRESS_NO_TLS: Rule = rule(
    "BH-K8S-045",
    Medium,
    "Ingress without TLS",
    "Traffic, cookies and credentials cross the network in clear text.",
    "Add a `tls` section with a certificate for each host.",
    &[NSA_NETWORK],
);

/// Cloud annotations that make a LoadBalancer internal-only.
const INTERNAL_LB: &[(&str, &str)] = &[
    ("service.beta.kubernetes.io/aws-load-balancer-internal", ""),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    ("networking.gke.io/load-balancer-type", "internal"),
    ("cloud.google.com/load-balancer-type", "internal"),
];

pub(crate) fn check(object: &Object, out: &mut Out) {
    match object.kind {
        "Service" => check_service(object, out),
        "Ingress" => {
            let tls = object
                .node
                .path(&["spec", "tls"])
                .map(Node::items)
                .unwrap_or_default();
            if tls.is_empty() {
                let at = object
                    .node
                    .entry("spec")
                    .map_or(object.pos(), |e| e.key_pos);
                out.report(
                    &INGRESS_NO_TLS,
                    object,
                    at,
                    object.resource(),
                    "Ingress has no tls section".into(),
                );
            }
        }
        _ => {}
    }
}

fn check_service(object: &Object, out: &mut Out) {
    let Some(spec) = object.node.get("spec") else {
        return;
    };
    let kind = spec.entry("type");
    let annotations = object.node.path(&["metadata", "annotations"]);
    match kind.and_then(|k| k.value.as_str()) {
        Some("NodePort") => {
            out.report(
                &NODE_PORT,
                object,
                kind.map_or(spec.pos, |k| k.key_pos),
                object.resource(),
                "Service type is NodePort".into(),
            );
        }
        Some("LoadBalancer") => {
            let internal = INTERNAL_LB.iter().any(|(key, value)| {
                let set = annotations.and_then(|a| a.get(key)).and_then(Node::as_str);
                set.is_some_and(|v| value.is_empty() || v.eq_ignore_ascii_case(value))
            });
            let ranges: Vec<&str> = spec
                .get("loadBalancerSourceRanges")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let annotated = annotations
                .and_then(|a| a.get("service.beta.kubernetes.io/load-balancer-source-ranges"))
                .and_then(Node::as_str);
            let open = ranges
                .iter()
                .copied()
                .chain(annotated)
                .any(|r| r.contains("0.0.0.0/0") || r.contains("::/0"));
            if !internal && ((ranges.is_empty() && annotated.is_none()) || open) {
                let message = if open {
                    "LoadBalancer source ranges include 0.0.0.0/0"
                } else {
                    "LoadBalancer has no loadBalancerSourceRanges"
                };
                out.report(
                    &LOAD_BALANCER_OPEN,
                    object,
                    kind.map_or(spec.pos, |k| k.key_pos),
                    object.resource(),
                    message.into(),
                );
            }
        }
        _ => {}
    }
    if let Some(e) = spec
        .entry("externalIPs")
        .filter(|e| !e.value.items().is_empty())
    {
        out.report(
            &EXTERNAL_IPS,
            object,
            e.key_pos,
            object.resource(),
            "Service sets externalIPs".into(),
        );
    }
}
