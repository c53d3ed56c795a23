//! One error type for the store; every message says what to do next.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no advisory database at {}: run `bulkhead db import PATH` (OSV files, directories or \
         osv.dev all.zip) or `bulkhead db update` (download from osv.dev) first",
        path.display()
    )]
    NoDatabase { path: PathBuf },

    #[error(
        "advisory database {} has schema version {found}, this bulkhead needs {expected}: \
         re-import it with `bulkhead db import PATH` or `bulkhead db update`",
        path.display()
    )]
    Schema {
        path: PathBuf,
        found: String,
        expected: u32,
    },

    #[error(
        "advisory database {} is unreadable ({message}): delete it and re-import with \
         `bulkhead db import PATH` or `bulkhead db update`",
        path.display()
    )]
    Corrupt { path: PathBuf, message: String },

    /// Bad input data; `location` is `file:line`, `file!entry` (zip) or the file. Nothing was
    /// changed: the previous database is kept.
    #[error("{location}: {message} (import aborted, the previous database is unchanged)")]
    Input { location: String, message: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("advisory database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("downloading {url}: {message} (the previous database is unchanged)")]
    Download { url: String, message: String },

    #[error(
        "another `bulkhead db import/update` is running on {}: wait for it to finish, then retry",
        dir.display()
    )]
    Busy { dir: PathBuf },

    #[error(
        "stored inventories {} have layout version {found}, this bulkhead reads up to {expected}: \
         use a newer bulkhead, or delete the file to start afresh",
        path.display()
    )]
    InventorySchema {
        path: PathBuf,
        found: u32,
        expected: u32,
    },

    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    pub(crate) fn sql(path: impl Into<PathBuf>) -> impl FnOnce(rusqlite::Error) -> Error {
        let path = path.into();
        move |source| Error::Sqlite { path, source }
    }

    pub(crate) fn input(location: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Input {
            location: location.into(),
            message: message.into(),
        }
    }
}
