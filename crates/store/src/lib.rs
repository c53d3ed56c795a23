//! The embedded store, one SQLite file in the cache dir (`bulkhead.db`, see `schema.rs`): the
//! OSV advisory database indexed by ecosystem and package name, the per-layer analysis cache and
//! the inventories stored for `bulkhead rescan`.
//!
//! PUBLIC API CONTRACT (used by `detectors` and the CLI; keep these names):
//! - `Store::open(cache_dir) -> Result<Store>`; `Error::NoDatabase` when nothing was imported.
//! - `Store::info() -> Result<DbInfo>`
//! - `Store::advisories_for(ecosystem, name) -> Result<Vec<Advisory>>` (withdrawn excluded)
//! - `import(cache_dir, inputs, &mut dyn FnMut(&str)) -> Result<ImportSummary>`
//! - `update(cache_dir, base_url, ecosystems, ..) -> Result<ImportSummary>`
//! - `LayerCache`, `InventoryStore` (with `ArtifactKey`, `StoredInventory`): the scan-side tables.
//!
//! WAL journal: an import adds its records in one write transaction (see `import.rs`), so any
//! number of readers can run during an import and each sees the advisories before or after it;
//! scans writing the other tables wait for it to commit.

mod aliases;
mod body;
mod error;
mod import;
mod info;
pub mod inventories;
mod layers;
mod legacy;
pub mod osv;
mod read;
mod schema;
mod store;
pub mod time;
mod update;

pub use error::{Error, Result};
pub use import::{import, ImportSummary};
pub use info::{DbInfo, EcosystemInfo, FeedInfo};
pub use inventories::{ArtifactKey, InventoryStore, StoredInventory};
pub use layers::{LayerCache, LayerCacheError};
pub use osv::Advisory;
pub use schema::{name_key, DB_FILE_NAME, SCHEMA_VERSION};
pub use store::Store;
pub use update::{fetch, update, update_with_limit, DEFAULT_BASE_URL};
