//! One object (kind, namespace, name) defined more than once with different content: which
//! definition the cluster keeps depends on the order they are applied in, and a check that
//! reads one of them (a ServiceAccount's token setting) may judge the other.

use inventory::Severity::Low;
use std::collections::BTreeMap;

use super::rule;
use super::{Object, Out};
use crate::rule::Rule;
use crate::yaml::{Node, Value};

pub const CONFLICTING_DEFINITIONS: Rule = rule(
    "BH-K8S-066",
    Low,
    "Object defined twice with different content",
    "When one object is defined in two places with different settings, the cluster keeps whichever is applied last: a hardening setting in one copy can silently disappear.",
    "Keep one definition (or make the copies identical); overlays belong in Kustomize patches.",
    &["Kubernetes: Declarative Management of Kubernetes Objects Using Configuration Files"],
);

pub(crate) fn check(objects: &[Object], out: &mut Out) {
    let mut seen: BTreeMap<(&str, Option<&str>, &str), Vec<&Object>> = BTreeMap::new();
    for object in objects.iter().filter(|o| !o.name.is_empty()) {
        seen.entry((object.kind, object.namespace, object.name))
            .or_default()
            .push(object);
    }
    for definitions in seen.values() {
        let Some((first, rest)) = definitions.split_first() else {
            continue;
        };
        for later in rest {
            if same_content(first.node, later.node) {
                continue;
            }
            let message = format!(
                "{} is also defined at {}:{} with different content",
                later.resource(),
                first.file,
                first.pos().line
            );
            out.report(
                &CONFLICTING_DEFINITIONS,
                later,
                later.pos(),
                later.resource(),
                message,
            );
        }
    }
}

/// Whether two nodes hold the same data, wherever they are and in whatever key order.
pub(crate) fn same_content(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar(x), Value::Scalar(y)) => x.text == y.text,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_content(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| {
                    y.iter()
                        .find(|f| f.key == e.key)
                        .is_some_and(|f| same_content(&e.value, &f.value))
                })
        }
        _ => false,
    }
}
