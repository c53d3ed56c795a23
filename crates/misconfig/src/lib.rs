//! Misconfiguration checks. Each rule family (Dockerfile, image config, Kubernetes, compose)
//! parses its own input with positions and returns [`Finding`]s that name a [`Rule`] of the
//! catalogue.

pub mod catalog;
pub mod compose;
pub mod detect;
pub mod dockerfile;
pub mod ignore;
pub mod image;
pub mod k8s;
pub mod rego;
pub mod rule;
pub mod scan;
pub mod secret_values;

pub use catalog::{all_rules, lookup};
pub use rule::{ConfigError, Family, Finding, Rule};
/// The positioned YAML tree every YAML-based rule family reads.
pub use yaml_tree as yaml;
