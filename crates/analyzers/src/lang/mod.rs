//! Language-package catalogers: one file per ecosystem. Each returns
//! `FileResult::Packages { db: PackageDb::Language, .. }` whose packages carry the OSV
//! ecosystem name in lower case and a purl built by [`purl`].

pub mod binary;
pub mod dotnet;
pub mod go_buildinfo;
pub mod golang;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;

use inventory::{FileResult, Package, PackageDb};

/// Lower-case OSV ecosystem names, as `Package::ecosystem` carries them.
pub mod ecosystem {
    pub const PYPI: &str = "pypi";
    pub const NPM: &str = "npm";
    pub const GO: &str = "go";
    pub const CRATES_IO: &str = "crates.io";
    pub const MAVEN: &str = "maven";
    pub const RUBYGEMS: &str = "rubygems";
    pub const PACKAGIST: &str = "packagist";
    pub const NUGET: &str = "nuget";
}

/// Largest manifest or lock file a cataloger parses; bigger ones are reported, not read.
pub const MAX_MANIFEST_SIZE: usize = 64 << 20;

/// The purl type for an ecosystem: `pypi`, `npm`, `golang`, `cargo`, `maven`, `gem`,
/// `composer`, `nuget`.
pub fn purl_type(ecosystem: &str) -> &'static str {
    match ecosystem {
        ecosystem::PYPI => "pypi",
        ecosystem::NPM => "npm",
        ecosystem::GO => "golang",
        ecosystem::CRATES_IO => "cargo",
        ecosystem::MAVEN => "maven",
        ecosystem::RUBYGEMS => "gem",
        ecosystem::PACKAGIST => "composer",
        ecosystem::NUGET => "nuget",
        _ => "generic",
    }
}

/// `pkg:<type>/<namespace>/<name>@<version>` per the purl spec: each namespace segment and
/// the name are percent-encoded (an npm scope `@babel` becomes `%40babel`); PyPI names are
/// lower-cased with `_` → `-`. Names with a namespace are given as `namespace/name`
/// (`@babel/core`, `symfony/console`, `golang.org/x/net`) or, for Maven, `group:artifact`.
pub fn purl(ecosystem: &str, name: &str, version: &str) -> String {
    let kind = purl_type(ecosystem);
    let (namespace, name) = match ecosystem {
        ecosystem::MAVEN => match name.split_once(':') {
            Some((group, artifact)) => (Some(group), artifact),
            None => (None, name),
        },
        ecosystem::NPM | ecosystem::PACKAGIST | ecosystem::GO => match name.rsplit_once('/') {
            Some((namespace, name)) => (Some(namespace), name),
            None => (None, name),
        },
        _ => (None, name),
    };
    let name = match ecosystem {
        ecosystem::PYPI => inventory::purl::encode(&name.to_ascii_lowercase().replace('_', "-")),
        _ => inventory::purl::encode(name),
    };
    let mut out = format!("pkg:{kind}/");
    if let Some(namespace) = namespace {
        for segment in namespace.split('/').filter(|s| !s.is_empty()) {
            out.push_str(&inventory::purl::encode(segment));
            out.push('/');
        }
    }
    out.push_str(&name);
    if !version.is_empty() {
        out.push('@');
        out.push_str(&inventory::purl::encode(version));
    }
    out
}

/// A language package with its purl; licences, source and layer are filled in by the caller
/// or the pass.
pub fn package(ecosystem: &str, name: &str, version: &str, location: &str) -> Package {
    Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: ecosystem.to_string(),
        purl: purl(ecosystem, name, version),
        source_name: None,
        source_version: None,
        arch: None,
        licenses: Vec::new(),
        location: location.to_string(),
        layer: None,
    }
}

/// The result a language cataloger returns for one file.
pub fn found(packages: Vec<Package>) -> Vec<FileResult> {
    vec![FileResult::Packages {
        db: PackageDb::Language,
        packages,
    }]
}

/// The file as UTF-8 text (a leading BOM dropped), or an error naming the first bad byte;
/// files over [`MAX_MANIFEST_SIZE`] are refused.
pub fn text(content: &[u8]) -> Result<&str, String> {
    if content.len() > MAX_MANIFEST_SIZE {
        return Err(format!(
            "manifest too large ({} bytes, limit {MAX_MANIFEST_SIZE})",
            content.len()
        ));
    }
    let text = std::str::from_utf8(content)
        .map_err(|e| format!("not UTF-8 text (invalid byte at {})", e.valid_up_to()))?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The last path component.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a name and version look like a real package: non-empty, one line, no control
/// characters, bounded length. Hostile manifests are filtered through this.
pub fn plausible(name: &str, version: &str) -> bool {
    let ok = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && !s.chars().any(|c| c.is_control() || c == ' ')
    };
    ok(name, 512) && ok(version, 128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_follow_the_spec_per_type() {
        assert_eq!(purl("npm", "@babel/core", "7.0.0"), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(purl("npm", "lodash", "4.17.20"), "pkg:npm/lodash@4.17.20");
        assert_eq!(purl("pypi", "Django_Rest", "1.0"), "pkg:pypi/django-rest@1.0");
        assert_eq!(
            purl("maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(
            purl("go", "golang.org/x/net", "v0.1.0"),
            "pkg:golang/golang.org/x/net@v0.1.0"
        );
        assert_eq!(
            purl("packagist", "symfony/console", "v5.4.0"),
            "pkg:composer/symfony/console@v5.4.0"
        );
        assert_eq!(purl("rubygems", "rack", "2.2.3"), "pkg:gem/rack@2.2.3");
        assert_eq!(purl("crates.io", "serde", "1.0.0"), "pkg:cargo/serde@1.0.0");
        assert_eq!(purl("nuget", "Newtonsoft.Json", "12.0.1"), "pkg:nuget/Newtonsoft.Json@12.0.1");
    }

    #[test]
    fn text_refuses_bad_utf8_and_drops_bom() {
        assert!(text(b"\xff\xfe").is_err());
        assert_eq!(text("\u{feff}{}".as_bytes()).unwrap(), "{}");
    }
}
