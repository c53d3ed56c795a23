//! One error type for the store; every message says what to do next.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no advisories imported into {}: run `bulkhead db import PATH` (OSV files, directories or \
         osv.dev all.zip) or `bulkhead db update` (download from osv.dev) first",
        path.display()
    )]
    NoDatabase { path: PathBuf },

    /// The file was written by a newer bulkhead (older layouts are upgraded on open).
    #[error(
        "{} has layout version {found}, this bulkhead reads up to {expected}: use a newer \
         bulkhead, or move the file away to start afresh (it also holds the layer cache and the \
         inventories stored for `bulkhead rescan`)",
        path.display()
    )]
    Schema {
        path: PathBuf,
        found: String,
        expected: u32,
    },

    #[error(
        "database {} is unreadable ({message}): move it away and re-import with \
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

    #[error("database {}: {source}", path.display())]
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

    /// An older bulkhead's `inventories.db` could not be copied into the single file.
    #[error(
        "stored inventories in {} could not be moved into {} ({message}): move the old file \
         away to go on without them",
        from.display(),
        to.display()
    )]
    Migration {
        from: PathBuf,
        to: PathBuf,
        message: String,
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
