//! The whole catalogue: every family's rules, found by ID.

use crate::rule::{Family, Rule};

/// Every rule, grouped by family in [`Family`] order, each family in ID order.
pub fn all_rules() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = crate::dockerfile::rules()
        .chain(crate::image::RULES.iter())
        .chain(crate::k8s::RULES.iter())
        .chain(crate::compose::RULES.iter())
        .collect();
    rules.sort_by_key(|r| r.family);
    rules
}

/// The rule with this ID (case-insensitive).
pub fn lookup(id: &str) -> Option<&'static Rule> {
    all_rules()
        .into_iter()
        .find(|r| r.id.eq_ignore_ascii_case(id))
}

pub fn family_name(family: Family) -> &'static str {
    match family {
        Family::Dockerfile => "Dockerfile",
        Family::Image => "Image config",
        Family::Kubernetes => "Kubernetes",
        Family::Compose => "Compose",
        Family::Rego => "Rego policy",
    }
}
