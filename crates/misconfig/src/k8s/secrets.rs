//! Secrets in manifests: literal values under secret-looking names, Secrets injected as
//! environment variables, and Secret objects committed with their data.

use inventory::Severity::{High, Low, Medium};

use super::rule;
use super::workload::Workload;
use super::{Object, Out};
use crate::rule::Rule;
use crate::yaml::Node;

const NSA_SECRETS: &str = "NSA/CISA Kubernetes Hardening Guide: Secrets";

pub const SECRET_ENV_REF: Rule = rule(
    "BH-K8S-027",
    Low,
    "Secret exposed as an environment variable",
    "Environment variables leak through crash dumps, logs, child processes and `/proc/*/environ`; files from a secret volume do not.",
    "Mount the Secret as a volume and read it from a file.",
    &["CIS Kubernetes Benchmark 5.4.1", NSA_SECRETS],
);
pub const SECRET_ENV_LITERAL: Rule = rule(
    "BH-K8S-028",
    High,
    "Plaintext secret in an environment variable",
    "A password or token written into the manifest is readable by everyone with access to the repository, the rendered chart or `get` on the workload.",
    "Move the value into a Secret (or an external secret store) and reference it with `valueFrom.secretKeyRef` or a mounted file.",
    &["CIS Kubernetes Benchmark 5.4.1", NSA_SECRETS],
);
pub const SECRET_OBJECT: Rule = rule(
    "BH-K8S-061",
    Medium,
    "Secret values committed in a manifest",
    "Secret `data` is only base64-encoded: anyone who reads the manifest has the values.",
    "Keep Secret values out of source: use sealed or external secrets, or create the Secret at deploy time.",
    &["CIS Kubernetes Benchmark 5.4.2", NSA_SECRETS],
);

use crate::secret_values::{
    is_literal_secret, secret_name as looks_like_secret_name, url_with_credentials,
};

pub(crate) fn check_workload(w: &Workload, out: &mut Out) {
    for c in &w.containers {
        for var in c.node.get("env").map(Node::items).unwrap_or_default() {
            let name = var.get("name").and_then(Node::as_str).unwrap_or_default();
            if let Some(value) = var.entry("value") {
                let literal = value.value.as_str().unwrap_or_default();
                let secret = looks_like_secret_name(name) && is_literal_secret(literal);
                if secret || url_with_credentials(literal) {
                    let message = format!(
                        "env {name:?} of container {:?} holds a literal value",
                        c.name
                    );
                    w.report(out, &SECRET_ENV_LITERAL, value.key_pos, Some(c), message);
                }
            }
            if let Some(secret) = var.get("valueFrom").and_then(|v| v.entry("secretKeyRef")) {
                let message = format!("env {name:?} of container {:?} comes from a Secret", c.name);
                w.report(out, &SECRET_ENV_REF, secret.key_pos, Some(c), message);
            }
        }
        for source in c.node.get("envFrom").map(Node::items).unwrap_or_default() {
            if let Some(secret) = source.entry("secretRef") {
                let message = format!(
                    "container {:?} imports a whole Secret as environment",
                    c.name
                );
                w.report(out, &SECRET_ENV_REF, secret.key_pos, Some(c), message);
            }
        }
    }
}

pub(crate) fn check_object(object: &Object, out: &mut Out) {
    if object.kind != "Secret" {
        return;
    }
    for key in ["data", "stringData"] {
        if let Some(e) = object
            .node
            .entry(key)
            .filter(|e| !e.value.entries().is_empty())
        {
            let message = format!(
                "Secret {:?} carries {} value(s) in {key}",
                object.name,
                e.value.entries().len()
            );
            out.report(
                &SECRET_OBJECT,
                object,
                e.key_pos,
                object.resource(),
                message,
            );
        }
    }
}
