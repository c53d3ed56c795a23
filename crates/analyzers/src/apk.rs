//! apk: `lib/apk/db/installed`.

use crate::records::{records, text};
use artifact::Analyzer;
use inventory::{FileResult, Package, PackageDb};

pub struct ApkCataloger;

impl Analyzer for ApkCataloger {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, path: &str) -> bool {
        path == "lib/apk/db/installed"
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let packages = parse(path, text(content)?)?;
        Ok(vec![FileResult::Packages {
            db: PackageDb::Apk,
            packages,
        }])
    }
}

/// Parses the installed database: records of `K:value` lines. Records that are not in that
/// form are skipped; a file with no usable record but some text is corrupt.
pub fn parse(path: &str, text: &str) -> Result<Vec<Package>, String> {
    let mut packages = Vec::new();
    let mut malformed = 0usize;
    for record in records(text) {
        let mut fields = std::collections::HashMap::new();
        let mut well_formed = true;
        for line in record.lines().filter(|l| !l.trim().is_empty()) {
            match line.split_once(':') {
                Some((key, value)) if key.len() == 1 => {
                    fields.entry(key).or_insert(value.trim());
                }
                _ => well_formed = false,
            }
        }
        match (fields.get("P"), fields.get("V")) {
            (Some(name), Some(version))
                if well_formed && !name.is_empty() && !version.is_empty() =>
            {
                let origin = fields.get("o").filter(|o| !o.is_empty() && *o != name);
                packages.push(Package {
                    name: name.to_string(),
                    version: version.to_string(),
                    ecosystem: "apk".into(),
                    purl: String::new(),
                    source_name: origin.map(|o| o.to_string()),
                    source_version: None,
                    arch: fields.get("A").map(|a| a.to_string()),
                    licenses: fields
                        .get("L")
                        .map(|l| vec![l.to_string()])
                        .unwrap_or_default(),
                    location: path.to_string(),
                    layer: None,
                });
            }
            _ => malformed += 1,
        }
    }
    if packages.is_empty() && malformed > 0 {
        return Err(format!(
            "corrupt apk database: {malformed} record(s) without P:/V: fields"
        ));
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_origin_and_skips_garbage() {
        let db = "this is a corrupt db\n\nP:libcrypto3\nV:3.1.4-r0\nA:x86_64\no:openssl\nL:Apache-2.0\n\nP:musl\nV:1.2.4-r2\no:musl\n";
        let got = parse("lib/apk/db/installed", db).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].source_name.as_deref(), Some("openssl"));
        assert_eq!(got[1].source_name, None);
        assert!(parse("x", "garbage\n").is_err());
    }
}
