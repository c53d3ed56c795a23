//! Input formats: finds OSV files under the import paths and streams their records as raw JSON.
//! `.json` (one object or an array), `.jsonl`/`.ndjson` (one object a line), either of those
//! `.zst`-compressed (decompressed as a stream), and osv.dev's `all.zip` (one `<ID>.json` per entry).

use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Largest single advisory accepted (the biggest real ones are a few hundred KiB).
pub(crate) fn max_record_bytes() -> u64 {
    inventory::limits::get(inventory::limits::Limit::FeedRecord)
}
/// Largest `.json` document (it is parsed whole); bigger collections should be JSONL.
pub(crate) fn max_json_document_bytes() -> u64 {
    inventory::limits::get(inventory::limits::Limit::FeedDocument)
}
/// More entries than any osv.dev archive has; stops a crafted zip from running forever.
pub(crate) fn max_zip_entries() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::FeedZipEntries)
}
/// Most bytes a `.zst` feed may decompress to (the real feeds are well under 100 MiB): a
/// zstd bomb of newlines would otherwise keep an import busy for minutes.
pub(crate) fn max_feed_bytes() -> u64 {
    inventory::limits::get(inventory::limits::Limit::FeedBytes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Jsonl,
    Zip,
}

/// One file to import.
#[derive(Debug, Clone)]
pub(crate) struct InputFile {
    pub path: PathBuf,
    pub format: Format,
    pub zstd: bool,
    /// Where its records are counted in `info`.
    pub feed: String,
    /// Shown in `info`: the path, or the URL it was downloaded from.
    pub source: String,
}

/// Where a record came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loc<'a> {
    Whole,
    Line(u64),
    Element(usize),
    Entry(&'a str),
}

pub(crate) fn describe(path: &Path, loc: Loc) -> String {
    let p = path.display();
    match loc {
        Loc::Whole => p.to_string(),
        Loc::Line(n) => format!("{p}:{n}"),
        Loc::Element(i) => format!("{p}: array element {i}"),
        Loc::Entry(name) => format!("{p}!{name}"),
    }
}

/// The format of a file name, with whether it is zstd-compressed, and the name without extensions.
fn classify(file_name: &str) -> Option<(Format, bool, &str)> {
    let lower = file_name.to_ascii_lowercase();
    let (zst, rest_len) = match lower.strip_suffix(".zst") {
        Some(r) => (true, r.len()),
        None => (false, lower.len()),
    };
    let rest = &lower[..rest_len];
    let (format, ext) = if rest.ends_with(".jsonl") {
        (Format::Jsonl, ".jsonl")
    } else if rest.ends_with(".ndjson") {
        (Format::Jsonl, ".ndjson")
    } else if rest.ends_with(".json") {
        (Format::Json, ".json")
    } else if rest.ends_with(".zip") && !zst {
        (Format::Zip, ".zip")
    } else {
        return None;
    };
    // ASCII lowercasing keeps byte offsets, so the stem can be cut from the original name.
    Some((format, zst, &file_name[..rest_len - ext.len()]))
}

/// Expands the import paths: files are taken as given (unknown extensions are an error),
/// directories are walked recursively in name order, skipping hidden entries, symlinked
/// directories and files of other types.
pub(crate) fn collect(
    inputs: &[PathBuf],
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<InputFile>> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(Error::io(input))?;
        if meta.is_dir() {
            let dir_name = input
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "osv".into());
            let mut skipped = 0u64;
            walk(input, &dir_name, &mut out, &mut skipped)?;
            if skipped > 0 {
                progress(&format!(
                    "{}: skipped {skipped} files that are not OSV JSON/JSONL/zip",
                    input.display()
                ));
            }
        } else {
            let file = input_file(input, None)?.ok_or_else(|| {
                Error::Usage(format!(
                    "{}: unknown file type; expected .json, .jsonl, .ndjson (optionally .zst) or an osv.dev all.zip",
                    input.display()
                ))
            })?;
            out.push(file);
        }
    }
    Ok(out)
}

fn walk(dir: &Path, dir_feed: &str, out: &mut Vec<InputFile>, skipped: &mut u64) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(Error::io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(Error::io(&path))?;
        if kind.is_dir() {
            walk(&path, dir_feed, out, skipped)?;
        } else if kind.is_symlink() && path.is_dir() {
            *skipped += 1;
        } else {
            match input_file(&path, Some(dir_feed))? {
                Some(f) => out.push(f),
                None => *skipped += 1,
            }
        }
    }
    Ok(())
}

/// `dir_feed`: the feed of single-advisory `.json` files found in a walked directory (a directory
/// of `<ID>.json` files is one feed, not thousands).
fn input_file(path: &Path, dir_feed: Option<&str>) -> Result<Option<InputFile>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((format, zstd, stem)) = classify(&name) else {
        return Ok(None);
    };
    let feed = match (format, dir_feed) {
        (Format::Json, Some(dir)) => dir.to_owned(),
        (Format::Zip, _) if stem.eq_ignore_ascii_case("all") => {
            zip_feed(path)?.unwrap_or_else(|| stem.to_owned())
        }
        _ => stem.to_owned(),
    };
    Ok(Some(InputFile {
        path: path.to_owned(),
        format,
        zstd,
        feed,
        source: path.display().to_string(),
    }))
}

/// Opens a zip for reading, with an error that hints at a bad download.
pub(crate) fn open_zip(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>> {
    let file = File::open(path).map_err(Error::io(path))?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        Error::input(
            path.display().to_string(),
            format!("not a readable zip archive (truncated or corrupt download?): {e}"),
        )
    })
}

/// The ecosystem (without `:version`) of the first record in an osv.dev `all.zip` that names one.
fn zip_feed(path: &Path) -> Result<Option<String>> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        affected: Vec<HeadAffected>,
    }
    #[derive(Deserialize)]
    struct HeadAffected {
        package: Option<HeadPackage>,
    }
    #[derive(Deserialize)]
    struct HeadPackage {
        ecosystem: String,
    }
    let mut archive = open_zip(path)?;
    for i in 0..archive.len().min(1000) {
        let Ok(entry) = archive.by_index(i) else {
            continue;
        };
        if entry.is_dir() || entry.size() > max_record_bytes() {
            continue;
        }
        let mut buf = Vec::new();
        if entry
            .take(max_record_bytes())
            .read_to_end(&mut buf)
            .is_err()
        {
            continue;
        }
        if let Ok(head) = serde_json::from_slice::<Head>(&buf) {
            let eco = head
                .affected
                .into_iter()
                .filter_map(|a| a.package)
                .map(|p| p.ecosystem)
                .next();
            if let Some(eco) = eco {
                return Ok(Some(eco.split(':').next().unwrap_or_default().to_owned()));
            }
        }
    }
    Ok(None)
}

/// Gets each record; `Break` stops reading the file early (used for sampling).
pub(crate) type Sink<'s> = dyn FnMut(&[u8], Loc) -> Result<ControlFlow<()>> + 's;

/// Streams every record of `file` (raw JSON bytes, trimmed) to `sink`.
pub(crate) fn read_records(file: &InputFile, sink: &mut Sink) -> Result<()> {
    if file.format == Format::Zip {
        return read_zip(&file.path, sink);
    }
    let f = File::open(&file.path).map_err(Error::io(&file.path))?;
    let reader: Box<dyn Read> = if file.zstd {
        let decoder = zstd::Decoder::new(f).map_err(Error::io(&file.path))?;
        Box::new(Capped {
            inner: decoder,
            left: max_feed_bytes(),
        })
    } else {
        Box::new(f)
    };
    let reader = BufReader::with_capacity(256 << 10, reader);
    match file.format {
        Format::Jsonl => read_jsonl(&file.path, reader, sink),
        _ => read_json(&file.path, reader, sink),
    }
}

/// Fails, rather than ends, once more than the allowed bytes were read.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(format!(
                "decompresses to more than {}, over the feed limit ({})",
                inventory::limits::shown(inventory::limits::Limit::FeedBytes),
                inventory::limits::hint(inventory::limits::Limit::FeedBytes)
            ))
        })?;
        Ok(n)
    }
}

fn read_err(path: &Path, loc: Loc, e: std::io::Error) -> Error {
    Error::input(describe(path, loc), format!("read error: {e}"))
}

fn too_big(path: &Path, loc: Loc, limit: u64) -> Error {
    Error::input(
        describe(path, loc),
        format!(
            "record is larger than the {} limit ({})",
            inventory::limits::format_value(limit, inventory::limits::Unit::Bytes),
            inventory::limits::hint(inventory::limits::Limit::FeedRecord)
        ),
    )
}

fn read_jsonl(path: &Path, mut reader: impl BufRead, sink: &mut Sink) -> Result<()> {
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        // Runs of blank lines are skipped a buffer at a time, not a line at a time.
        loop {
            let chunk = reader
                .fill_buf()
                .map_err(|e| read_err(path, Loc::Line(line), e))?;
            let blank = chunk.iter().take_while(|b| **b == b'\n').count();
            if blank == 0 {
                break;
            }
            line += blank as u64;
            reader.consume(blank);
        }
        // Bounded: a missing newline in a huge stream must not be buffered whole.
        let n = (&mut reader)
            .take(max_record_bytes() + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| read_err(path, Loc::Line(line), e))?;
        if n == 0 {
            return Ok(());
        }
        if buf.len() as u64 > max_record_bytes() && buf.last() != Some(&b'\n') {
            return Err(too_big(path, Loc::Line(line), max_record_bytes()));
        }
        let rec = buf.trim_ascii();
        if !rec.is_empty() && sink(rec, Loc::Line(line))?.is_break() {
            return Ok(());
        }
    }
}

fn read_json(path: &Path, reader: impl Read, sink: &mut Sink) -> Result<()> {
    let mut buf = Vec::new();
    reader
        .take(max_json_document_bytes() + 1)
        .read_to_end(&mut buf)
        .map_err(|e| read_err(path, Loc::Whole, e))?;
    if buf.len() as u64 > max_json_document_bytes() {
        return Err(Error::input(
            describe(path, Loc::Whole),
            format!(
                "JSON document is larger than {}; split it, use JSONL (one record a line) or {}",
                inventory::limits::shown(inventory::limits::Limit::FeedDocument),
                inventory::limits::hint(inventory::limits::Limit::FeedDocument)
            ),
        ));
    }
    let doc = buf
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&buf)
        .trim_ascii();
    if doc.first() != Some(&b'[') {
        if doc.len() as u64 > max_record_bytes() {
            return Err(too_big(path, Loc::Whole, max_record_bytes()));
        }
        return sink(doc, Loc::Whole).map(|_| ());
    }
    let items: Vec<&RawValue> = serde_json::from_slice(doc).map_err(|e| {
        Error::input(
            describe(path, Loc::Whole),
            format!("not a JSON array of OSV records: {e}"),
        )
    })?;
    for (i, item) in items.iter().enumerate() {
        let bytes = item.get().as_bytes();
        if bytes.len() as u64 > max_record_bytes() {
            return Err(too_big(path, Loc::Element(i), max_record_bytes()));
        }
        if sink(bytes, Loc::Element(i))?.is_break() {
            break;
        }
    }
    Ok(())
}

fn read_zip(path: &Path, sink: &mut Sink) -> Result<()> {
    let mut archive = open_zip(path)?;
    if archive.len() > max_zip_entries() {
        return Err(Error::input(
            path.display().to_string(),
            format!(
                "zip has {} entries, over the limit of {} ({})",
                archive.len(),
                max_zip_entries(),
                inventory::limits::hint(inventory::limits::Limit::FeedZipEntries)
            ),
        ));
    }
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| {
            Error::input(
                path.display().to_string(),
                format!("zip entry {i} is unreadable (truncated download?): {e}"),
            )
        })?;
        let name = entry.name().to_owned();
        if entry.is_dir() || !name.to_ascii_lowercase().ends_with(".json") {
            continue;
        }
        let loc = Loc::Entry(&name);
        // The declared size is checked first (cheap zip-bomb guard), the read is bounded anyway
        // because the header can lie.
        if entry.size() > max_record_bytes() {
            return Err(Error::input(
                describe(path, loc),
                format!(
                    "entry declares {} bytes uncompressed, over the {} limit for one advisory ({})",
                    entry.size(),
                    inventory::limits::shown(inventory::limits::Limit::FeedRecord),
                    inventory::limits::hint(inventory::limits::Limit::FeedRecord)
                ),
            ));
        }
        buf.clear();
        entry
            .take(max_record_bytes() + 1)
            .read_to_end(&mut buf)
            .map_err(|e| read_err(path, loc, e))?;
        if buf.len() as u64 > max_record_bytes() {
            return Err(too_big(path, loc, max_record_bytes()));
        }
        if sink(buf.trim_ascii(), loc)?.is_break() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names() {
        assert_eq!(
            classify("Debian-DSA-DLA.jsonl.zst"),
            Some((Format::Jsonl, true, "Debian-DSA-DLA"))
        );
        assert_eq!(
            classify("crates.io.jsonl.zst"),
            Some((Format::Jsonl, true, "crates.io"))
        );
        assert_eq!(
            classify("GO-2020-0001.json"),
            Some((Format::Json, false, "GO-2020-0001"))
        );
        assert_eq!(classify("x.NDJSON"), Some((Format::Jsonl, false, "x")));
        assert_eq!(classify("all.zip"), Some((Format::Zip, false, "all")));
        assert_eq!(classify("all.zip.zst"), None);
        assert_eq!(classify("README.md"), None);
    }
}
