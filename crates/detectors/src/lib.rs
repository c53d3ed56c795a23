//! Detection: advisory matching over an inventory, version ordering, severity, end of life.

pub mod version;
