//! Atomic import: all inputs go into `bulkhead.db` in one write transaction. Readers (WAL) keep
//! the snapshot they started with until it commits, so they see the advisories from before or
//! after, never a mix; scans writing the layer cache or inventories meanwhile wait for the commit
//! (busy timeout). A crash or a bad input rolls back and leaves the previous advisories as they were.
//!
//! Policy on bad input: the first malformed record aborts the whole import with an error naming
//! the file and line (or zip entry); nothing is half-imported.

use crate::body::{self, Decoders, Encoder};
use crate::error::{Error, Result};
use crate::osv::Advisory;
use crate::read::{self, InputFile, Loc};
use crate::schema::{self, name_key, DB_FILE_NAME};
use crate::time;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::collections::BTreeSet;
use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub db_path: PathBuf,
    /// Input files read (downloaded archives count as files).
    pub files: u64,
    pub records_read: u64,
    /// New advisory ids.
    pub added: u64,
    /// Known ids whose record had a newer `modified`.
    pub replaced: u64,
    /// Known ids whose record was not newer than the stored one (kept as stored).
    pub unchanged: u64,
    /// Records read per feed, in input order.
    pub feeds: Vec<(String, u64)>,
    /// Advisories in the database afterwards (withdrawn included).
    pub total_advisories: u64,
    pub elapsed: Duration,
}

/// Imports OSV files and directories into `<cache_dir>/bulkhead.db`, adding to what is there.
///
/// Inputs: `.json` (one advisory or an array), `.jsonl`/`.ndjson` (one a line), either
/// `.zst`-compressed, osv.dev `all.zip`; directories are walked recursively (hidden entries and
/// other file types skipped). Feed name: the file name without extensions, the ecosystem for an
/// `all.zip`, the directory name for `.json` files found in a directory.
///
/// A known id is replaced only by a record with a strictly newer `modified` (compared as times,
/// not text), so re-importing the same data changes nothing. Withdrawn advisories are stored
/// but never returned by lookups.
///
/// Atomic: the first malformed record (or a record over the `feed-record` limit) aborts the
/// whole import with [`Error::Input`] naming the file and line or zip entry, and the previous
/// database stays as it was. One import at a time per cache dir ([`Error::Busy`] otherwise);
/// readers are never blocked; other writers (scans storing layers and inventories) wait for it.
pub fn import(
    cache_dir: &Path,
    inputs: &[PathBuf],
    progress: &mut dyn FnMut(&str),
) -> Result<ImportSummary> {
    if inputs.is_empty() {
        return Err(Error::Usage(
            "nothing to import: give OSV files or directories".into(),
        ));
    }
    let files = read::collect(inputs, progress)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no OSV files (.json, .jsonl, .ndjson, optionally .zst, or all.zip) found in {}",
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let lock = ImportLock::acquire(cache_dir)?;
    build(cache_dir, &lock, &files, progress)
}

/// Held for the whole import, downloads included: an exclusive SQLite lock on `bulkhead.db.lock`,
/// so a second importer is told at once rather than after the busy timeout. The OS drops it if
/// the process dies, so a crash never leaves a stale lock behind.
pub(crate) struct ImportLock {
    _conn: Connection,
}

/// Temp databases of older bulkheads, which built a copy and renamed it into place.
const OLD_TEMP_DB_PREFIX: &str = "bulkhead.db.tmp-";
pub(crate) const DOWNLOAD_PREFIX: &str = "bulkhead-download-";

impl ImportLock {
    pub(crate) fn acquire(cache_dir: &Path) -> Result<ImportLock> {
        fs::create_dir_all(cache_dir).map_err(Error::io(cache_dir))?;
        let path = cache_dir.join(format!("{DB_FILE_NAME}.lock"));
        let conn = Connection::open(&path).map_err(Error::sql(&path))?;
        conn.busy_timeout(Duration::from_secs(1))
            .map_err(Error::sql(&path))?;
        match conn.execute_batch("BEGIN EXCLUSIVE") {
            Ok(()) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                return Err(Error::Busy {
                    dir: cache_dir.to_owned(),
                })
            }
            Err(e) => return Err(Error::sql(&path)(e)),
        }
        // We are the only importer now, so any temp file is a leftover of a crashed one.
        let entries = fs::read_dir(cache_dir).map_err(Error::io(cache_dir))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(OLD_TEMP_DB_PREFIX) || name.starts_with(DOWNLOAD_PREFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(ImportLock { _conn: conn })
    }
}

/// Deletes a temp file (a download) when dropped.
pub(crate) struct TempPath(pub(crate) Option<PathBuf>);

impl Drop for TempPath {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(&p);
        }
    }
}

/// Adds `files` to the database in one transaction.
pub(crate) fn build(
    cache_dir: &Path,
    _lock: &ImportLock,
    files: &[InputFile],
    progress: &mut dyn FnMut(&str),
) -> Result<ImportSummary> {
    let start = Instant::now();
    let now = time::now_utc();
    let (db_path, mut conn) = schema::open(cache_dir, true)?;
    let sql = |e| Error::sql(&db_path)(e);
    // A big page cache: pages changed again and again stay in memory until the commit
    // instead of spilling into the WAL.
    conn.execute_batch("PRAGMA cache_size = -65536")
        .map_err(sql)?;

    let mut summary = ImportSummary {
        db_path: db_path.clone(),
        ..Default::default()
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    if schema::meta(&tx, "created_at").map_err(sql)?.is_none() {
        schema::set_meta(&tx, "created_at", &now).map_err(sql)?;
    }
    {
        let corrupt = |message| Error::Corrupt {
            path: db_path.clone(),
            message,
        };
        let mut encoder = Encoder::load(&tx).map_err(corrupt)?;
        if encoder.dict_id == 0 {
            let samples = sample(files)?;
            if let Some(trained) = Encoder::train(&tx, &samples).map_err(corrupt)? {
                progress(&format!(
                    "trained a compression dictionary on {} records",
                    samples.len()
                ));
                encoder = trained;
            }
        }
        let mut writer = Writer::new(&tx, &db_path, encoder);
        for file in files {
            progress(&format!(
                "importing {} (feed {})",
                file.path.display(),
                file.feed
            ));
            let before = writer.read;
            read::read_records(file, &mut |bytes, loc| {
                writer
                    .add(&file.feed, bytes, &file.path, loc)
                    .map(ControlFlow::Continue)
            })?;
            let n = writer.read - before;
            summary.files += 1;
            let feed_total = match summary.feeds.iter_mut().find(|(f, _)| *f == file.feed) {
                Some((_, c)) => {
                    *c += n;
                    *c
                }
                None => {
                    summary.feeds.push((file.feed.clone(), n));
                    n
                }
            };
            tx.execute(
                "INSERT INTO feeds (name, source, imported_at, records_last_import) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET source = excluded.source,
                   imported_at = excluded.imported_at, records_last_import = excluded.records_last_import",
                (&file.feed, &file.source, &now, feed_total as i64),
            )
            .map_err(sql)?;
        }
        (
            summary.records_read,
            summary.added,
            summary.replaced,
            summary.unchanged,
        ) = (writer.read, writer.added, writer.replaced, writer.unchanged);
    }
    // `Store::open` takes this key as the sign that advisories were imported.
    schema::set_meta(&tx, "updated_at", &now).map_err(sql)?;
    // Two imports in one second share `updated_at`: the count tells every update apart.
    let generation = schema::meta(&tx, "generation")
        .map_err(sql)?
        .and_then(|g| g.parse::<u64>().ok())
        .unwrap_or(0);
    schema::set_meta(&tx, "generation", &(generation + 1).to_string()).map_err(sql)?;
    summary.total_advisories = tx
        .query_row("SELECT COUNT(*) FROM advisories", [], |r| {
            schema::get_u64(r, 0)
        })
        .map_err(sql)?;
    tx.commit().map_err(sql)?;
    compact(&conn, &db_path, progress)?;

    // The caller reports the summary; saying it here too printed it twice.
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// Replaced records leave free pages behind. The next import reuses them anyway; when they are a
/// sizeable part of the file, hand them back to the file system (files made by bulkheads before
/// the single file have no incremental vacuum and just keep them for reuse).
fn compact(conn: &Connection, db_path: &Path, progress: &mut dyn FnMut(&str)) -> Result<()> {
    let (free, pages, mode): (i64, i64, i64) = conn
        .query_row(
            "SELECT * FROM pragma_freelist_count, pragma_page_count, pragma_auto_vacuum",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(Error::sql(db_path))?;
    const INCREMENTAL: i64 = 2;
    if mode == INCREMENTAL && free * 4 > pages {
        progress(&format!("returning {free} free pages to the file system"));
        conn.execute_batch("PRAGMA incremental_vacuum")
            .map_err(Error::sql(db_path))?;
    }
    Ok(())
}

/// Records from the head of each input, to train the compression dictionary on.
fn sample(files: &[InputFile]) -> Result<Vec<Vec<u8>>> {
    let (mut samples, mut total) = (Vec::new(), 0usize);
    for file in files {
        let mut n = 0;
        read::read_records(file, &mut |bytes, _| {
            samples.push(bytes.to_vec());
            (n, total) = (n + 1, total + bytes.len());
            let enough = n >= body::SAMPLES_PER_FILE || total >= body::MAX_SAMPLE_BYTES;
            Ok(if enough {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        if total >= body::MAX_SAMPLE_BYTES {
            break;
        }
    }
    Ok(samples)
}

/// Upserts records: a known id is replaced only by a strictly newer `modified`.
struct Writer<'c> {
    tx: &'c Connection,
    db: PathBuf,
    encoder: Encoder,
    decoders: Decoders,
    read: u64,
    added: u64,
    replaced: u64,
    unchanged: u64,
}

impl<'c> Writer<'c> {
    fn new(tx: &'c Connection, db: &Path, encoder: Encoder) -> Self {
        let decoders = Decoders::default();
        Writer {
            tx,
            db: db.to_owned(),
            encoder,
            decoders,
            read: 0,
            added: 0,
            replaced: 0,
            unchanged: 0,
        }
    }

    fn add(&mut self, feed: &str, bytes: &[u8], path: &Path, loc: Loc) -> Result<()> {
        let bad = |msg: String| Error::input(read::describe(path, loc), msg);
        let adv: Advisory = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not a valid OSV record: {e}")))?;
        if adv.id.trim().is_empty() {
            return Err(bad("record has an empty `id`".into()));
        }
        let modified = adv.modified.clone().unwrap_or_default();
        let modified_key = if modified.is_empty() {
            String::new()
        } else {
            time::sort_key(&modified).ok_or_else(|| {
                bad(format!(
                    "{}: `modified` is not an RFC 3339 time: {modified:?}",
                    adv.id
                ))
            })?
        };
        self.read += 1;
        let sql = Error::sql(self.db.clone());

        let existing: Option<(i64, String)> = self
            .tx
            .prepare_cached("SELECT rowid, modified_key FROM advisories WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([&adv.id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(Error::sql(&self.db))?;
        if let Some((_, old_key)) = &existing {
            if modified_key <= *old_key {
                self.unchanged += 1;
                return Ok(());
            }
        }
        let body = self.encoder.encode(bytes).map_err(Error::io(path))?;
        let dict = self.encoder.dict_id;
        let withdrawn = adv
            .withdrawn
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty());
        let rowid = match existing {
            Some((rowid, _)) => {
                self.remove_affected(rowid)?;
                self.tx
                    .prepare_cached(
                        "UPDATE advisories SET feed = ?2, modified = ?3, modified_key = ?4, withdrawn = ?5,
                         dict = ?6, body = ?7 WHERE rowid = ?1",
                    )
                    .and_then(|mut s| s.execute((rowid, feed, &modified, &modified_key, withdrawn, dict, &body)))
                    .map_err(sql)?;
                self.replaced += 1;
                rowid
            }
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO advisories (id, feed, modified, modified_key, withdrawn, dict, body)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .and_then(|mut s| s.execute((&adv.id, feed, &modified, &modified_key, withdrawn, dict, &body)))
                    .map_err(sql)?;
                self.added += 1;
                self.tx.last_insert_rowid()
            }
        };
        let mut ins = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO affected (ecosystem, name_key, adv) VALUES (?1, ?2, ?3)",
            )
            .map_err(Error::sql(&self.db))?;
        for (eco, key) in package_keys(&adv) {
            ins.execute((eco, key, rowid))
                .map_err(Error::sql(&self.db))?;
        }
        crate::aliases::insert(self.tx, &self.db, &adv, rowid)?;
        Ok(())
    }

    /// Drops the index rows of a stored advisory, found from its stored body.
    fn remove_affected(&mut self, rowid: i64) -> Result<()> {
        let (dict, body): (i64, Vec<u8>) = self
            .tx
            .query_row(
                "SELECT dict, body FROM advisories WHERE rowid = ?1",
                [rowid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(Error::sql(&self.db))?;
        let old = self
            .decoders
            .decode(self.tx, dict, &body)
            .map_err(|message| Error::Corrupt {
                path: self.db.clone(),
                message,
            })?;
        let mut del = self
            .tx
            .prepare_cached(
                "DELETE FROM affected WHERE ecosystem = ?1 AND name_key = ?2 AND adv = ?3",
            )
            .map_err(Error::sql(&self.db))?;
        for (eco, key) in package_keys(&old) {
            del.execute((eco, key, rowid))
                .map_err(Error::sql(&self.db))?;
        }
        crate::aliases::remove(self.tx, &self.db, rowid)
    }
}

/// The distinct (ecosystem, name key) pairs an advisory is indexed under.
fn package_keys(adv: &Advisory) -> BTreeSet<(&str, String)> {
    adv.affected
        .iter()
        .filter_map(|a| a.package.as_ref())
        .filter(|p| !p.ecosystem.is_empty() && !p.name.is_empty())
        .map(|p| (p.ecosystem.as_str(), name_key(&p.ecosystem, &p.name)))
        .collect()
}
