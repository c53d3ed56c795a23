//! Package URLs (https://github.com/package-url/purl-spec): built for OS packages, parsed
//! for SBOM input and VEX statements.

mod parse;
pub use parse::Purl;

use crate::{OsRelease, Package, PackageDb};

/// Percent-encodes everything but the purl-safe characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b".-_~+".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `pkg:deb/debian/bash@5.2.15-2?arch=amd64&distro=debian-12`; rpm epochs go in a qualifier.
pub fn os_package(db: PackageDb, os: Option<&OsRelease>, package: &Package) -> String {
    let kind = match db {
        PackageDb::Dpkg => "deb",
        PackageDb::Apk => "apk",
        PackageDb::Rpm => "rpm",
        // Language catalogers build their own purls; this is not called for them.
        PackageDb::Language => return package.purl.clone(),
    };
    let namespace = os.map_or(kind, |os| os.family.as_str());
    let (epoch, version) = match (db, package.version.split_once(':')) {
        (PackageDb::Rpm, Some((epoch, rest))) => (Some(epoch), rest),
        _ => (None, package.version.as_str()),
    };
    let mut qualifiers = Vec::new();
    if let Some(arch) = &package.arch {
        qualifiers.push(format!("arch={}", encode(arch)));
    }
    if let Some(epoch) = epoch {
        qualifiers.push(format!("epoch={}", encode(epoch)));
    }
    if let Some(os) = os.filter(|os| !os.version.is_empty()) {
        qualifiers.push(format!(
            "distro={}-{}",
            encode(&os.family),
            encode(&os.version)
        ));
    }
    let mut purl = format!(
        "pkg:{kind}/{}/{}@{}",
        encode(namespace),
        encode(&package.name),
        encode(version)
    );
    if !qualifiers.is_empty() {
        purl.push('?');
        purl.push_str(&qualifiers.join("&"));
    }
    purl
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem: String::new(),
            purl: String::new(),
            source_name: None,
            source_version: None,
            arch: Some("x86_64".into()),
            licenses: vec![],
            location: String::new(),
            layer: None,
        }
    }

    #[test]
    fn rpm_epoch_is_a_qualifier() {
        let os = OsRelease {
            family: "almalinux".into(),
            version: "9.3".into(),
            ..Default::default()
        };
        assert_eq!(
            os_package(PackageDb::Rpm, Some(&os), &pkg("openssl", "1:3.0.7-24.el9")),
            "pkg:rpm/almalinux/openssl@3.0.7-24.el9?arch=x86_64&epoch=1&distro=almalinux-9.3"
        );
        assert_eq!(
            os_package(PackageDb::Dpkg, None, &pkg("bash", "1:5.2+b1")),
            "pkg:deb/deb/bash@1%3A5.2+b1?arch=x86_64"
        );
    }
}
