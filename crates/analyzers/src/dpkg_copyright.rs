//! Licences of Debian packages: `usr/share/doc/<package>/copyright`. Machine-readable (DEP-5)
//! files give their `License:` short names; older free-form files give the licences they name
//! through `/usr/share/common-licenses/…` or a few unmistakable phrases. Read as text only.

use artifact::Analyzer;
use inventory::FileResult;

pub struct DpkgCopyrightAnalyzer;

/// Only the head of a copyright file is read: the licence lines come first, and some files
/// carry whole licence texts below.
const MAX_READ: usize = 512 << 10;

impl Analyzer for DpkgCopyrightAnalyzer {
    fn name(&self) -> &'static str {
        "dpkg-copyright"
    }

    fn wants(&self, path: &str) -> bool {
        package_of(path).is_some()
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let Some(package) = package_of(path) else {
            return Ok(Vec::new());
        };
        let text = String::from_utf8_lossy(&content[..content.len().min(MAX_READ)]);
        let licenses = licenses(&text);
        if licenses.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![FileResult::Licenses {
            package: package.to_string(),
            licenses,
        }])
    }
}

/// `usr/share/doc/bash/copyright` → `bash`.
fn package_of(path: &str) -> Option<&str> {
    let package = path
        .strip_prefix("usr/share/doc/")?
        .strip_suffix("/copyright")?;
    (!package.is_empty() && !package.contains('/')).then_some(package)
}

pub fn licenses(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let add = |found: &mut Vec<String>, name: &str| {
        let name = name.trim().trim_end_matches(['.', ',']).trim();
        if !name.is_empty() && name.len() <= 64 && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
    };
    let machine_readable = text
        .lines()
        .next()
        .is_some_and(|l| l.starts_with("Format:") && l.contains("copyright-format"));
    if machine_readable {
        for line in text.lines() {
            let Some(value) = line.strip_prefix("License:") else {
                continue;
            };
            // `GPL-3+ and ISC`, `GPL-2+ or Artistic`: each named licence; `with …
            // exception` stays with its licence.
            for part in value.split([',', '|']) {
                for name in part.split(" and ").flat_map(|p| p.split(" or ")) {
                    add(&mut found, name);
                }
            }
        }
        return found;
    }
    for (at, _) in text.match_indices("/usr/share/common-licenses/") {
        let rest = &text[at + "/usr/share/common-licenses/".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+'))
            .collect();
        add(&mut found, name.trim_end_matches('.'));
    }
    for (phrase, name) in [
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("Permission is hereby granted, free of charge", "MIT"),
        ("GNU Lesser General Public License", "LGPL"),
        ("GNU Library General Public License", "LGPL"),
    ] {
        if found.is_empty() && text.contains(phrase) {
            add(&mut found, name);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep5_and_free_form() {
        let dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\nLicense: GPL-3+\n\nFiles: lib/*\nLicense: GPL-3+ and ISC\n\nLicense: ISC\n Permission to use…\n\nFiles: y\nLicense: GPL-3+ with Bison exception\n";
        assert_eq!(
            licenses(dep5),
            ["GPL-3+", "ISC", "GPL-3+ with Bison exception"]
        );
        let free = "This is Debian's libc.\nDistributed under the LGPL; see /usr/share/common-licenses/LGPL-2.1.\nAlso /usr/share/common-licenses/GPL-2\n";
        assert_eq!(licenses(free), ["LGPL-2.1", "GPL-2"]);
        assert!(licenses("no licence named here").is_empty());
        assert_eq!(package_of("usr/share/doc/bash/copyright"), Some("bash"));
        assert_eq!(package_of("usr/share/doc/bash/examples/copyright"), None);
    }
}
