//! Java archives (`.jar`, `.war`, `.ear` and kin, nested ones too): Maven coordinates from
//! `META-INF/maven/<group>/<artifact>/pom.properties`; failing that, `META-INF/MANIFEST.MF`;
//! failing that, the file name. Nesting depth, entry count and the total bytes inflated are
//! bounded, so zip bombs and jar-in-jar towers end in an error, not an exhausted machine.

use super::{ecosystem::MAVEN, file_name, found, package, plausible};
use artifact::Analyzer;
use inventory::{FileResult, Package};
use std::io::{Cursor, Read};

/// Archives inside archives deeper than this are refused (real ones nest 2 or 3 deep).
fn max_depth() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::ArchiveDepth)
}
/// Largest nested archive inflated (it is held in memory to be read as a zip).
fn max_nested() -> u64 {
    inventory::limits::get(inventory::limits::Limit::ArchiveNested)
}
/// Most bytes inflated for one top-level archive, nested archives included.
fn max_total() -> u64 {
    inventory::limits::get(inventory::limits::Limit::ArchiveTotal)
}
/// Most entries one archive may list.
fn max_entries() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::ArchiveEntries)
}
/// Largest pom.properties or MANIFEST.MF read.
const MAX_METADATA: u64 = 1 << 20;

pub struct JavaArchiveCataloger;

impl Analyzer for JavaArchiveCataloger {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn wants(&self, path: &str) -> bool {
        is_archive(path)
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let mut budget = max_total();
        Ok(found(
            archive(path, content, 0, &mut budget).map_err(String::from)?,
        ))
    }
}

/// Java archive extensions: jar, web and enterprise archives, Jenkins plugins (jpi, hpi),
/// JBoss service and resource archives (sar, par), NiFi archives (nar).
const EXTENSIONS: &[&str] = &[
    ".jar", ".war", ".ear", ".jpi", ".hpi", ".sar", ".par", ".nar",
];

fn is_archive(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// Why an archive gave no packages: it is not a readable zip (a nested one is then still named
/// by its file name), or a limit refused it (the whole top-level file is refused).
#[derive(Debug)]
pub enum ArchiveError {
    Corrupt(String),
    Refused(String),
}

impl From<ArchiveError> for String {
    fn from(e: ArchiveError) -> String {
        match e {
            ArchiveError::Corrupt(m) | ArchiveError::Refused(m) => m,
        }
    }
}

/// The packages of one archive and the archives inside it. `location` is the path of this
/// archive, nested ones written `outer.war!WEB-INF/lib/inner.jar`. Nested archives are read
/// one at a time, so at most one per level is in memory.
pub fn archive(
    location: &str,
    bytes: &[u8],
    depth: usize,
    budget: &mut u64,
) -> Result<Vec<Package>, ArchiveError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ArchiveError::Corrupt(format!("{location}: corrupt zip archive: {e}")))?;
    if zip.len() > max_entries() {
        return Err(ArchiveError::Refused(format!(
            "{location}: {} zip entries, over {} ({})",
            zip.len(),
            max_entries(),
            inventory::limits::hint(inventory::limits::Limit::ArchiveEntries)
        )));
    }
    let mut poms = Vec::new();
    let mut manifest = None;
    let mut nested_packages = Vec::new();
    for index in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(index) else {
            continue; // unsupported compression or a damaged entry: the others still count
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        if is_pom_properties(&name) {
            poms.push(read(&mut entry, &name, location, MAX_METADATA, budget)?);
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = Some(read(&mut entry, &name, location, MAX_METADATA, budget)?);
        } else if is_archive(&name) {
            let inner_location = format!("{location}!{name}");
            if depth + 1 > max_depth() {
                return Err(ArchiveError::Refused(format!(
                    "{inner_location}: archives nested deeper than {} levels ({})",
                    max_depth(),
                    inventory::limits::hint(inventory::limits::Limit::ArchiveDepth)
                )));
            }
            let inner = read(&mut entry, &name, location, max_nested(), budget)?;
            match archive(&inner_location, &inner, depth + 1, budget) {
                Ok(found) => nested_packages.extend(found),
                // A damaged jar inside a good war still names a library by its file name.
                Err(ArchiveError::Corrupt(_)) => {
                    nested_packages.extend(from_manifest_or_name(None, &inner_location))
                }
                Err(refused) => return Err(refused),
            }
        }
    }
    let mut packages: Vec<Package> = poms
        .iter()
        .filter_map(|p| from_pom_properties(&String::from_utf8_lossy(p), location))
        .collect();
    if packages.is_empty() {
        let manifest = manifest.as_deref().map(String::from_utf8_lossy);
        packages.extend(from_manifest_or_name(manifest.as_deref(), location));
    }
    packages.extend(nested_packages);
    Ok(packages)
}

/// Reads an entry, refusing to inflate more than `limit` bytes or what is left of the budget.
fn read(
    entry: &mut impl Read,
    name: &str,
    location: &str,
    limit: u64,
    budget: &mut u64,
) -> Result<Vec<u8>, ArchiveError> {
    let cap = limit.min(*budget);
    let mut out = Vec::new();
    entry
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| ArchiveError::Corrupt(format!("{location}!{name}: {e}")))?;
    if out.len() as u64 > cap {
        return Err(ArchiveError::Refused(format!(
            "{location}!{name}: inflates past {cap} bytes (zip bomb?)"
        )));
    }
    *budget -= out.len() as u64;
    Ok(out)
}

/// `META-INF/maven/<group>/<artifact>/pom.properties`.
fn is_pom_properties(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    matches!(
        parts.as_slice(),
        ["META-INF", "maven", _, _, "pom.properties"]
    )
}

/// `key=value` (or `key: value`) lines; `#`/`!` comments.
fn properties(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once(['=', ':']))
        .map(|(k, v)| (k.trim(), v.trim()))
}

fn from_pom_properties(text: &str, location: &str) -> Option<Package> {
    let (mut group, mut artifact, mut version) = (None, None, None);
    for (key, value) in properties(text) {
        match key {
            "groupId" => group = Some(value),
            "artifactId" => artifact = Some(value),
            "version" => version = Some(value),
            _ => {}
        }
    }
    let name = format!("{}:{}", group?, artifact?);
    let version = version?;
    plausible(&name, version).then(|| package(MAVEN, &name, version, location))
}

/// `Key: value` headers of a manifest's main section, continuation lines joined.
fn manifest_fields(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break; // the main section ends at the first blank line
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, value)) = fields.last_mut() {
                value.push_str(more);
            }
        } else if let Some((key, value)) = line.split_once(':') {
            fields.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    fields
}

/// `log4j-core-2.14.1.jar` → (`log4j-core`, `2.14.1`): the version starts at the first
/// `-` followed by a digit.
fn name_and_version(file: &str) -> (String, Option<String>) {
    let stem = file
        .rsplit_once('.')
        .map_or(file, |(stem, _)| stem)
        .to_string();
    let split = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
    match split {
        Some((i, _)) => (stem[..i].to_string(), Some(stem[i + 1..].to_string())),
        None => (stem, None),
    }
}

/// A package from MANIFEST.MF fields, the file name filling the gaps.
fn from_manifest_or_name(manifest: Option<&str>, location: &str) -> Option<Package> {
    let fields = manifest.map(manifest_fields).unwrap_or_default();
    let field = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            fields
                .iter()
                .find(|(key, v)| key.eq_ignore_ascii_case(k) && !v.is_empty())
                .map(|(_, v)| v.clone())
        })
    };
    let (file_artifact, file_version) = name_and_version(file_name(location));
    let version = field(&["Implementation-Version", "Bundle-Version"]).or(file_version)?;
    let artifact = if file_artifact.is_empty() {
        field(&["Implementation-Title", "Bundle-SymbolicName"])?
    } else {
        file_artifact
    };
    let group = field(&["Implementation-Vendor-Id"]).filter(|g| !g.contains(' '));
    let name = match group {
        Some(group) => format!("{group}:{artifact}"),
        None => artifact,
    };
    plausible(&name, &version).then(|| package(MAVEN, &name, &version, location))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn purls(path: &str, bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
        let mut budget = max_total();
        Ok(archive(path, bytes, 0, &mut budget)
            .map_err(String::from)?
            .into_iter()
            .map(|p| (p.purl, p.location))
            .collect())
    }

    #[test]
    fn manifest_and_file_name_fallbacks() {
        // A continuation line extends the vendor id; no version header, so the file name's.
        let manifest = b"Manifest-Version: 1.0\r\nImplementation-Title: ignored\r\n\
            Implementation-Vendor-Id: org.exa\r\n mple\r\n\r\nName: x\r\nImplementation-Version: 9\r\n";
        let jar = zip_of(&[("META-INF/MANIFEST.MF", manifest)]);
        assert_eq!(
            purls("lib/commons-lang3-3.12.0.jar", &jar).unwrap(),
            [(
                "pkg:maven/org.example/commons-lang3@3.12.0".to_string(),
                "lib/commons-lang3-3.12.0.jar".to_string()
            )]
        );
        let bundle = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Bundle-SymbolicName: b\nBundle-Version: 2.0.0\n",
        )]);
        assert_eq!(
            purls("x/plugin.jar", &bundle).unwrap()[0].0,
            "pkg:maven/plugin@2.0.0"
        );
    }

    #[test]
    fn corrupt_and_bomb_archives_are_errors() {
        let e = purls("a.jar", b"PK\x03\x04 not really").unwrap_err();
        assert!(e.contains("a.jar: corrupt zip archive"), "{e}");
        let zeros = vec![0u8; (MAX_METADATA + 1) as usize];
        let bomb = zip_of(&[("META-INF/MANIFEST.MF", &zeros)]);
        let e = purls("b.jar", &bomb).unwrap_err();
        assert!(e.contains("zip bomb"), "{e}");
    }

    #[test]
    fn nesting_is_bounded() {
        let pom = b"groupId=g\nartifactId=a\nversion=1\n";
        let mut jar = zip_of(&[("META-INF/maven/g/a/pom.properties", pom)]);
        for level in 0..max_depth() {
            jar = zip_of(&[(&format!("lib/l{level}.jar"), &jar)]);
        }
        let found = purls("top.jar", &jar).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].1,
            "top.jar!lib/l3.jar!lib/l2.jar!lib/l1.jar!lib/l0.jar"
        );
        let deeper = zip_of(&[("lib/l4.jar", &jar)]);
        let e = purls("top.jar", &deeper).unwrap_err();
        assert!(e.contains("nested deeper"), "{e}");
    }

    #[test]
    fn a_corrupt_nested_jar_is_named_by_its_file() {
        let war = zip_of(&[("WEB-INF/lib/broken-1.2.jar", b"garbage")]);
        assert_eq!(
            purls("app.war", &war).unwrap(),
            [(
                "pkg:maven/broken@1.2".to_string(),
                "app.war!WEB-INF/lib/broken-1.2.jar".to_string()
            )]
        );
    }
}
