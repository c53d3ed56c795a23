//! Detection: advisory matching over an inventory, version ordering, severity, end of life.

pub mod alias_severity;
pub mod eol;
pub mod language;
pub mod matcher;
pub mod release;
pub mod severity;
pub mod version;
