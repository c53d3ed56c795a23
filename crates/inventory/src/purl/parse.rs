//! Reading package URLs (https://github.com/package-url/purl-spec): SBOM input, VEX products.

use crate::Package;
use std::collections::BTreeMap;

/// A parsed purl: `pkg:type/namespace/name@version?qualifiers#subpath`, components decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: BTreeMap<String, String>,
}

const MAX_PURL_LEN: usize = 4096;

impl Purl {
    pub fn parse(text: &str) -> Result<Purl, String> {
        if text.len() > MAX_PURL_LEN {
            return Err(format!("purl longer than {MAX_PURL_LEN} bytes"));
        }
        let rest = text
            .strip_prefix("pkg:")
            .ok_or_else(|| format!("purl {text:?} does not start with `pkg:`"))?;
        let rest = rest.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(head, _)| head);
        let (rest, query) = match rest.split_once('?') {
            Some((head, q)) => (head, Some(q)),
            None => (rest, None),
        };
        let (kind, path) = rest
            .split_once('/')
            .ok_or_else(|| format!("purl {text:?} has no name"))?;
        let kind = kind.to_ascii_lowercase();
        if kind.is_empty()
            || !kind
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b))
        {
            return Err(format!("purl {text:?} has an invalid type"));
        }
        // The version follows the last `@` of the path (npm scopes are `%40`-encoded).
        let (path, version) = match path.rsplit_once('@') {
            Some((p, v)) => (p, Some(decode(v)?)),
            None => (path, None),
        };
        let path = path.trim_start_matches('/');
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, path),
        };
        let name = decode(name)?;
        if name.is_empty() {
            return Err(format!("purl {text:?} has an empty name"));
        }
        let namespace = match namespace {
            Some(ns) => Some(
                ns.split('/')
                    .map(decode)
                    .collect::<Result<Vec<_>, _>>()?
                    .join("/"),
            ),
            None => None,
        };
        let mut qualifiers = BTreeMap::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            qualifiers.insert(k.to_ascii_lowercase(), decode(v)?);
        }
        Ok(Purl {
            kind,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
        })
    }

    /// The OSV-style ecosystem (lower case) a package of this purl type belongs to; OS package
    /// types give the database kind (`dpkg`, `apk`, `rpm`), which the scan turns into the OS family.
    pub fn ecosystem(&self) -> Option<&'static str> {
        Some(match self.kind.as_str() {
            "deb" => "dpkg",
            "apk" => "apk",
            "rpm" => "rpm",
            "pypi" => "pypi",
            "npm" => "npm",
            "golang" => "go",
            "cargo" => "crates.io",
            "maven" => "maven",
            "gem" => "rubygems",
            "composer" => "packagist",
            "nuget" => "nuget",
            _ => return None,
        })
    }

    /// The name as the ecosystem's advisories write it.
    pub fn package_name(&self) -> String {
        match (self.kind.as_str(), &self.namespace) {
            ("maven", Some(group)) => format!("{group}:{}", self.name),
            ("npm" | "golang" | "composer", Some(ns)) => format!("{ns}/{}", self.name),
            _ => self.name.clone(),
        }
    }

    /// The version as the ecosystem writes it: an `epoch` qualifier (rpm; trivy's deb purls) goes
    /// back in front (`1:3.0.7-24.el9`).
    pub fn package_version(&self) -> Option<String> {
        let version = self.version.clone()?;
        match self
            .qualifiers
            .get("epoch")
            .filter(|e| !e.is_empty() && e.as_str() != "0")
        {
            Some(epoch)
                if matches!(self.kind.as_str(), "rpm" | "deb") && !version.contains(':') =>
            {
                Some(format!("{epoch}:{version}"))
            }
            _ => Some(version),
        }
    }

    /// `distro=debian-12` → (`debian`, `12`); the family may itself contain dashes.
    pub fn distro(&self) -> Option<(String, String)> {
        let distro = self.qualifiers.get("distro")?;
        let (family, version) = distro.rsplit_once('-')?;
        let family = family.to_ascii_lowercase();
        (!family.is_empty() && version.bytes().next().is_some_and(|b| b.is_ascii_digit()))
            .then(|| (family, version.to_string()))
    }

    /// The source package: syft's `upstream=name` or `upstream=name@version`.
    pub fn upstream(&self) -> Option<(String, Option<String>)> {
        let upstream = self.qualifiers.get("upstream")?;
        let (name, version) = match upstream.split_once('@') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (upstream.as_str(), None),
        };
        (!name.is_empty()).then(|| (name.to_string(), version))
    }

    /// A package with what the purl alone says; the caller adds location, layer and licences.
    pub fn to_package(&self, text: &str) -> Result<Package, String> {
        let ecosystem = self
            .ecosystem()
            .ok_or_else(|| format!("purl type {:?} is not supported", self.kind))?;
        let version = self
            .package_version()
            .ok_or_else(|| format!("purl {text:?} has no version"))?;
        let (source_name, source_version) = match self.upstream() {
            Some((n, v)) => (Some(n), v),
            None => (None, None),
        };
        let name = self.package_name();
        Ok(Package {
            source_name: source_name.filter(|s| *s != name),
            source_version: source_version.filter(|v| *v != version),
            name,
            version,
            ecosystem: ecosystem.to_string(),
            purl: text.to_string(),
            arch: self.qualifiers.get("arch").cloned(),
            licenses: Vec::new(),
            location: String::new(),
            layer: None,
        })
    }
}

fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in {text:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{text:?} is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_os_and_language_purls() {
        let p = Purl::parse(
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
        )
        .unwrap();
        let pkg = p.to_package("x").unwrap();
        assert_eq!(
            (
                pkg.name.as_str(),
                pkg.version.as_str(),
                pkg.ecosystem.as_str()
            ),
            ("libssl3", "3.0.11-1~deb12u2", "dpkg")
        );
        assert_eq!(pkg.source_name.as_deref(), Some("openssl"));
        assert_eq!(p.distro(), Some(("debian".into(), "12".into())));
        let p = Purl::parse(
            "pkg:rpm/almalinux/openssl@3.0.7-24.el9?arch=x86_64&epoch=1&distro=almalinux-9.3",
        )
        .unwrap();
        assert_eq!(p.package_version().unwrap(), "1:3.0.7-24.el9");
        let p = Purl::parse("pkg:deb/ubuntu/bsdutils@2.31.1-0.4ubuntu3.6?epoch=1").unwrap();
        assert_eq!(p.package_version().unwrap(), "1:2.31.1-0.4ubuntu3.6");
        let p = Purl::parse("pkg:deb/debian/bash@1%3A5.2+b1").unwrap();
        assert_eq!(p.version.as_deref(), Some("1:5.2+b1"));
        let p = Purl::parse("pkg:npm/%40babel/core@7.22.0").unwrap();
        assert_eq!(
            (p.package_name(), p.ecosystem()),
            ("@babel/core".into(), Some("npm"))
        );
        let p = Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").unwrap();
        assert_eq!(p.package_name(), "org.apache.logging.log4j:log4j-core");
        let p = Purl::parse("pkg:golang/github.com/gin-gonic/gin@v1.9.0").unwrap();
        assert_eq!(
            (p.package_name(), p.ecosystem()),
            ("github.com/gin-gonic/gin".into(), Some("go"))
        );
        let p = Purl::parse("pkg:deb/debian/login@1:4.13+dfsg1-1?upstream=shadow%404.13%2Bdfsg1-1")
            .unwrap();
        assert_eq!(
            p.upstream(),
            Some(("shadow".into(), Some("4.13+dfsg1-1".into())))
        );
        assert_eq!(
            Purl::parse("pkg:opensuse/x@1?distro=opensuse-leap-15.5")
                .unwrap()
                .distro(),
            Some(("opensuse-leap".into(), "15.5".into()))
        );
    }

    #[test]
    fn rejects_bad_purls() {
        for bad in [
            "",
            "deb/debian/x@1",
            "pkg:",
            "pkg:deb",
            "pkg:deb/debian/@1",
            "pkg:deb/debian/x%zz@1",
            "pkg:d b/x@1",
        ] {
            assert!(Purl::parse(bad).is_err(), "{bad}");
        }
        assert!(Purl::parse(&format!("pkg:deb/{}@1", "a".repeat(5000))).is_err());
        let no_version = Purl::parse("pkg:deb/debian/x").unwrap();
        assert!(no_version.to_package("pkg:deb/debian/x").is_err());
        assert!(Purl::parse("pkg:github/x/y@1")
            .unwrap()
            .to_package("p")
            .is_err());
    }
}
