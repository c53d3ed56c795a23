//! `bulkhead db update`: downloads osv.dev's per-ecosystem `all.zip` archives into the cache dir
//! and imports them in one atomic import (all ecosystems or none).

use crate::error::{Error, Result};
use crate::import::{self, ImportLock, ImportSummary, TempPath, DOWNLOAD_PREFIX};
use crate::read::{self, Format, InputFile};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Duration;

/// osv.dev's public bucket: `{base}/{ecosystem}/all.zip`.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Largest archive accepted (osv.dev's biggest, npm, is a few hundred MiB).
pub fn max_download_bytes() -> u64 {
    inventory::limits::get(inventory::limits::Limit::Download)
}

/// Downloads `{base_url}/{ecosystem}/all.zip` for each ecosystem (osv.dev names: `Debian`,
/// `PyPI`, `crates.io`, …) and imports them atomically; see [`crate::import()`].
pub fn update(
    cache_dir: &Path,
    base_url: &str,
    ecosystems: &[String],
    progress: &mut dyn FnMut(&str),
) -> Result<ImportSummary> {
    update_with_limit(
        cache_dir,
        base_url,
        ecosystems,
        max_download_bytes(),
        progress,
    )
}

/// [`update`] with another download size limit (per archive).
pub fn update_with_limit(
    cache_dir: &Path,
    base_url: &str,
    ecosystems: &[String],
    max_bytes: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<ImportSummary> {
    if ecosystems.is_empty() {
        return Err(Error::Usage(
            "name at least one osv.dev ecosystem to download (e.g. Debian, Alpine, PyPI, npm, Go, crates.io)".into(),
        ));
    }
    if let Some(bad) = ecosystems
        .iter()
        .find(|e| e.trim().is_empty() || e.contains('/') || e.trim_matches('.').is_empty())
    {
        return Err(Error::Usage(format!(
            "{bad:?} is not an osv.dev ecosystem name"
        )));
    }
    let lock = ImportLock::acquire(cache_dir)?;
    let agent = agent();

    let mut temps = Vec::new();
    let mut files = Vec::new();
    for (i, eco) in ecosystems.iter().enumerate() {
        let url = format!(
            "{}/{}/all.zip",
            base_url.trim_end_matches('/'),
            encode_segment(eco)
        );
        let path = cache_dir.join(format!("{DOWNLOAD_PREFIX}{}-{i}.zip", std::process::id()));
        temps.push(TempPath(Some(path.clone())));
        progress(&format!("downloading {url}"));
        let bytes = download(&agent, &url, &path, max_bytes)?;
        progress(&format!("downloaded {} MiB for {eco}", bytes >> 20));
        // Fail here, naming the URL, rather than later with only a temp file name.
        read::open_zip(&path).map_err(|e| Error::Download {
            url: url.clone(),
            message: e.to_string(),
        })?;
        files.push(InputFile {
            path,
            format: Format::Zip,
            zstd: false,
            feed: eco.clone(),
            source: url,
        });
    }
    import::build(cache_dir, &lock, &files, progress).map_err(|e| match e {
        // Temp file names mean nothing to the user; say which download was bad.
        Error::Input { location, message } => {
            let url = files
                .iter()
                .find(|f| location.starts_with(&f.path.display().to_string()))
                .map_or_else(String::new, |f| f.source.clone());
            Error::Input {
                location: format!("{url} ({location})"),
                message,
            }
        }
        other => other,
    })
}

/// Streams the response body to `path`, at most `max_bytes`; returns the size.
fn download(agent: &ureq::Agent, url: &str, path: &Path, max_bytes: u64) -> Result<u64> {
    let fail = |message: String| Error::Download {
        url: url.to_owned(),
        message,
    };
    let mut resp = agent.get(url).call().map_err(|e| match e {
        ureq::Error::StatusCode(404) => fail(
            "404 Not Found: check the ecosystem name (osv.dev spelling and case, e.g. `PyPI`, `crates.io`, `Debian`) and the base URL".into(),
        ),
        ureq::Error::StatusCode(code) => fail(format!("server answered HTTP {code}")),
        other => fail(other.to_string()),
    })?;
    let file = std::fs::File::create(path).map_err(Error::io(path))?;
    let mut out = BufWriter::new(file);
    let mut body = resp.body_mut().with_config().limit(max_bytes).reader();
    let n = std::io::copy(&mut body, &mut out).map_err(|e| {
        let limit = matches!(
            e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()),
            Some(ureq::Error::BodyExceedsLimit(_))
        );
        if limit {
            fail(format!(
                "archive is larger than the {} MiB download limit",
                max_bytes >> 20
            ))
        } else {
            fail(format!("download interrupted: {e}"))
        }
    })?;
    out.flush().map_err(Error::io(path))?;
    Ok(n)
}

/// Downloads `url` to `path` (at most `max_bytes`), with the timeouts of `db update`: for
/// other data the cache holds (`bulkhead malware update`).
pub fn fetch(url: &str, path: &Path, max_bytes: u64) -> Result<u64> {
    download(&agent(), url, path, max_bytes)
}

/// The HTTP client of every download: bounded connect, response and body times.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        // Last-resort bound on a stalled transfer; generous for the biggest archive on a slow link.
        .timeout_recv_body(Some(Duration::from_secs(3600)))
        .user_agent(concat!("bulkhead/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Percent-encodes an ecosystem for a URL path segment (`Rocky Linux` → `Rocky%20Linux`).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_segments() {
        assert_eq!(super::encode_segment("Rocky Linux"), "Rocky%20Linux");
        assert_eq!(super::encode_segment("crates.io"), "crates.io");
    }
}
