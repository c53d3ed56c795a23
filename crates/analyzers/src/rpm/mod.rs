//! rpm: the installed-package database in any of its three formats — Berkeley DB `Packages`,
//! ndb `Packages.db` and `rpmdb.sqlite` — under `var/lib/rpm/`, `usr/lib/sysimage/rpm/` or
//! `usr/share/rpm/`. The format is recognised from the content, not the file name, since
//! images move and rename these files.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use artifact::Analyzer;
use inventory::{FileResult, Package, PackageDb};

pub struct RpmCataloger;

const DIRS: [&str; 3] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"];
const FILES: [&str; 3] = ["Packages", "Packages.db", "rpmdb.sqlite"];

impl Analyzer for RpmCataloger {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, path: &str) -> bool {
        is_database(path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        Ok(vec![FileResult::Packages {
            db: PackageDb::Rpm,
            packages: parse(path, content)?,
        }])
    }
}

/// An rpm database under one of the usual directories.
pub fn is_database(path: &str) -> bool {
    DIRS.iter()
        .any(|dir| path.strip_prefix(dir).is_some_and(|f| FILES.contains(&f)))
}

/// The header blobs of a database in any supported format.
pub fn header_blobs(content: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if content.is_empty() {
        Err("empty file, not an rpm database".into())
    } else if sqlite::is_sqlite(content) {
        sqlite::blobs(content)
    } else if ndb::is_ndb(content) {
        Ok(ndb::blobs(content)?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect())
    } else if bdb::is_bdb(content) {
        bdb::blobs(content)
    } else {
        Err("not an rpm database: neither SQLite, ndb nor Berkeley DB".into())
    }
}

/// The [`inventory::path_hash`]es of every file the database's packages installed.
pub fn owned_files(content: &[u8]) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for blob in header_blobs(content)? {
        let h = header::Header::parse(&blob)?;
        let dirs = h.strings(header::DIRNAMES)?;
        let names = h.strings(header::BASENAMES)?;
        let index = h.int32s(header::DIRINDEXES)?;
        for (name, dir) in names.iter().zip(&index) {
            let dir = dirs
                .get(*dir as usize)
                .ok_or("rpm header: a file's directory index is out of range")?;
            out.push(inventory::path_hash(&format!("{dir}{name}")));
        }
    }
    Ok(out)
}

/// The packages in a database; `path` becomes each package's location.
pub fn parse(path: &str, content: &[u8]) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    for (n, blob) in header_blobs(content)?.iter().enumerate() {
        let p = package_from_header(path, blob).map_err(|e| format!("record {n}: {e}"))?;
        packages.extend(p);
    }
    Ok(packages)
}

/// One header blob as a package; `None` for the `gpg-pubkey` entries rpm keeps for
/// imported signing keys, which are not software.
pub fn package_from_header(path: &str, blob: &[u8]) -> Result<Option<Package>, String> {
    let info = header::parse_info(blob)?;
    if info.name == "gpg-pubkey" {
        return Ok(None);
    }
    Ok(Some(Package {
        version: info.evr(),
        ecosystem: "rpm".into(),
        purl: String::new(),
        source_name: info.source_name(),
        source_version: None,
        arch: info.arch,
        licenses: info.license.into_iter().collect(),
        location: path.to_string(),
        layer: None,
        name: info.name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_only_database_files() {
        let c = RpmCataloger;
        assert!(c.wants("var/lib/rpm/Packages"));
        assert!(c.wants("usr/lib/sysimage/rpm/rpmdb.sqlite"));
        assert!(c.wants("usr/share/rpm/Packages.db"));
        assert!(!c.wants("var/lib/rpm/Name"));
        assert!(!c.wants("var/lib/rpm/rpmdb.sqlite-wal"));
        assert!(!c.wants("/var/lib/rpm/Packages"));
        assert!(!c.wants("opt/var/lib/rpm/Packages"));
    }

    #[test]
    fn rejects_unknown_content() {
        assert!(parse("var/lib/rpm/Packages", b"").is_err());
        assert!(parse("var/lib/rpm/Packages", b"bogus")
            .unwrap_err()
            .contains("not an rpm"));
        assert!(parse("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0").is_err());
        assert!(parse("var/lib/rpm/Packages.db", b"RpmP").is_err());
    }
}
