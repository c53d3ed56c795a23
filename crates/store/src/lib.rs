//! The embedded store (SQLite, one file in the cache dir): the OSV advisory database,
//! indexed by ecosystem and package name.
//!
//! PUBLIC API CONTRACT (used by `detectors` and the CLI; keep these names):
//! - `Store::open(cache_dir) -> Result<Store>`; `Error::NoDatabase` when nothing was imported.
//! - `Store::info() -> Result<DbInfo>`
//! - `Store::advisories_for(ecosystem, name) -> Result<Vec<Advisory>>` (withdrawn excluded)
//! - `import(cache_dir, inputs, &mut dyn FnMut(&str)) -> Result<ImportSummary>`
//! - `update(cache_dir, base_url, ecosystems, ..) -> Result<ImportSummary>`

pub mod osv;

pub use osv::Advisory;
