//! Misconfiguration checks. Each rule family (Dockerfile, image config, Kubernetes, compose)
//! parses its own input with positions and returns [`Finding`]s that name a [`Rule`] of the
//! catalogue.

pub mod rule;

pub use rule::{ConfigError, Family, Finding, Rule};
