//! Misconfiguration checks. Each rule family (Dockerfile, image config, Kubernetes, compose)
//! parses its own input with positions and returns [`Finding`]s that name a [`Rule`] of the
//! catalogue.

pub mod compose;
pub mod k8s;
pub mod rule;
pub mod yaml;

pub use rule::{ConfigError, Family, Finding, Rule};
