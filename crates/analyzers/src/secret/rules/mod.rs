//! The built-in rules, one file per provider category.

mod ai;
mod chat;
mod cloud;
mod databases;
mod generic;
mod keys;
mod payment;
mod registries;
mod saas;
mod vcs;

use super::rule::Spec;

/// A UUID, as many providers issue keys.
pub(crate) const UUID: &str = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/// Every built-in rule.
pub fn builtin() -> impl Iterator<Item = &'static Spec> {
    [
        cloud::RULES,
        ai::RULES,
        vcs::RULES,
        chat::RULES,
        payment::RULES,
        registries::RULES,
        databases::RULES,
        keys::RULES,
        saas::RULES,
        generic::RULES,
    ]
    .into_iter()
    .flatten()
}
