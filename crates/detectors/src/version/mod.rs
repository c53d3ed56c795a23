//! Version ordering per ecosystem, exactly as each ecosystem's own tools order versions.
//!
//! PUBLIC API CONTRACT (used by matching; keep these names):
//! - `Scheme` — one variant per ordering (Dpkg, Apk, Rpm, Semver, …)
//! - `Scheme::for_ecosystem(osv_ecosystem: &str) -> Option<Scheme>` — `Debian:11` → Dpkg,
//!   `Alpine:v3.18` → Apk, `AlmaLinux:9` / `Red Hat` / `Rocky Linux:9` → Rpm, …
//! - `compare(scheme, a, b) -> Result<Ordering, VersionError>`; an invalid version is an error,
//!   never a panic.
