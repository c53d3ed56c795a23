//! Language-package catalogers: one file per ecosystem. Each returns
//! `FileResult::Packages { db: PackageDb::Language, .. }` whose packages carry the OSV
//! ecosystem name in lower case and a purl built by [`purl`].

pub mod binary;
pub mod dotnet;
pub mod go_buildinfo;
pub mod golang;
pub mod java;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;

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
pub fn max_manifest_size() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::ManifestFile)
}

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
/// files over `max_manifest_size()` are refused.
pub fn text(content: &[u8]) -> Result<&str, String> {
    if content.len() > max_manifest_size() {
        return Err(format!(
            "manifest too large ({} bytes, over {}; {})",
            content.len(),
            max_manifest_size(),
            inventory::limits::hint(inventory::limits::Limit::ManifestFile)
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

/// One `[[package]]` table of a generated TOML lock file (`poetry.lock`, `uv.lock`,
/// `Cargo.lock`): its top-level `name`, `version` and the raw `source` value.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LockEntry {
    pub name: String,
    pub version: String,
    pub source: String,
}

/// The `[[package]]` tables of a lock file written by a tool: one `key = value` per line, so
/// a line reader is exact here; keys inside sub-tables (`[package.dependencies]`) are ignored.
pub fn toml_packages(text: &str) -> Vec<LockEntry> {
    let mut entries = Vec::new();
    let mut current: Option<LockEntry> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            entries.extend(current.take().filter(|e| !e.name.is_empty()));
            if line == "[[package]]" {
                current = Some(LockEntry::default());
            }
            continue;
        }
        let (Some(entry), Some((key, value))) = (current.as_mut(), line.split_once('=')) else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "name" => entry.name = toml_string(value).unwrap_or_default(),
            "version" => entry.version = toml_string(value).unwrap_or_default(),
            "source" => entry.source = value.to_string(),
            _ => {}
        }
    }
    entries.extend(current.filter(|e| !e.name.is_empty()));
    entries
}

/// A TOML basic or literal string on one line, without escapes beyond `\"`.
fn toml_string(value: &str) -> Option<String> {
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &value[1..];
    let end = body.find(quote)?;
    Some(body[..end].to_string())
}

/// Where OS package managers install language packages, by package database: a language
/// package read from there belongs to an OS package and is reported once, as the OS package
/// (whose advisories the distribution publishes). The rule is by directory, not by file
/// list: pip writes to `/usr/local/...` on Debian, Ubuntu and RHEL-family systems, so these
/// directories hold only what dpkg/rpm put there. Alpine's pip and apk share
/// `/usr/lib/python3.X/site-packages`; there [`drop_os_owned`] matches `py3-*` names and
/// versions instead (apk file lists would be exact).
const OS_OWNED: &[(&str, &[&str])] = &[
    (
        "dpkg",
        &[
            "usr/lib/python3/dist-packages/",
            "usr/lib/python2.7/dist-packages/",
            "usr/share/rubygems-integration/",
            // ruby's default and bundled gems; `gem install` writes to var/lib/gems instead.
            "usr/lib/ruby/",
        ],
    ),
    (
        "rpm",
        &[
            "usr/lib/python3",
            "usr/lib64/python3",
            // rubygem-* packages; `gem install` writes to usr/local/share/gems instead.
            "usr/share/gems/",
        ],
    ),
];

/// Drops the language packages an OS package manager installed (see `OS_OWNED`); call it
/// on the squashed inventory before the OS packages are renamed to the OS family.
/// On Alpine, where apk and pip share `site-packages`, a distribution is apk's when an
/// installed `py3-<name>` package has its version (`py3-six 1.16.0-r4` owns six 1.16.0).
pub fn drop_os_owned(inventory: &mut inventory::Inventory) {
    let owned: Vec<&str> = OS_OWNED
        .iter()
        .filter(|(db, _)| inventory.packages.iter().any(|p| p.ecosystem == *db))
        .flat_map(|(_, dirs)| dirs.iter().copied())
        .collect();
    let apk_python: std::collections::HashSet<(String, String)> = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == "apk")
        .filter_map(|p| {
            let name = p.name.strip_prefix("py3-")?;
            let version = p
                .version
                .rsplit_once("-r")
                .map_or(p.version.as_str(), |(v, _)| v);
            Some((pep503(name), version.to_string()))
        })
        .collect();
    if owned.is_empty() && apk_python.is_empty() {
        return;
    }
    inventory.packages.retain(|p| {
        let in_os_dir = owned.iter().any(|dir| {
            p.location.starts_with(dir)
                && (dir.ends_with('/') || p.location.contains("/site-packages/"))
        });
        let apk_owned = p.ecosystem == ecosystem::PYPI
            && p.location.starts_with("usr/lib/python3")
            && apk_python.contains(&(pep503(&p.name), p.version.clone()));
        !(is_language(&p.ecosystem) && (in_os_dir || apk_owned))
    });
}

/// PEP 503 normalised name: lower case, runs of `-`, `_`, `.` as one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Whether packages of this ecosystem come from a language cataloger.
pub fn is_language(ecosystem_name: &str) -> bool {
    use ecosystem::*;
    [PYPI, NPM, GO, CRATES_IO, MAVEN, RUBYGEMS, PACKAGIST, NUGET].contains(&ecosystem_name)
}

/// Directories that hold installed third-party packages: a lock file or manifest inside one
/// is that dependency's own development file (rbs ships a `Gemfile.lock`, npm packages ship
/// `package-lock.json`), not a record of what is installed, and is not read.
const INSTALLED_PACKAGE_DIRS: &[&str] = &[
    "node_modules/",
    "site-packages/",
    "dist-packages/",
    "/gems/",
    "vendor/",
    ".nuget/packages/",
    "pkg/mod/",
];

/// Whether `path` lies inside an installed third-party package (see
/// `INSTALLED_PACKAGE_DIRS`); lock-file catalogers skip those.
pub fn inside_installed_package(path: &str) -> bool {
    INSTALLED_PACKAGE_DIRS.iter().any(|dir| {
        path.starts_with(dir.trim_start_matches('/'))
            || path.contains(&format!("/{}", dir.trim_start_matches('/')))
    })
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
        assert_eq!(
            purl("npm", "@babel/core", "7.0.0"),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(purl("npm", "lodash", "4.17.20"), "pkg:npm/lodash@4.17.20");
        assert_eq!(
            purl("pypi", "Django_Rest", "1.0"),
            "pkg:pypi/django-rest@1.0"
        );
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
        assert_eq!(
            purl("nuget", "Newtonsoft.Json", "12.0.1"),
            "pkg:nuget/Newtonsoft.Json@12.0.1"
        );
    }

    #[test]
    fn text_refuses_bad_utf8_and_drops_bom() {
        assert!(text(b"\xff\xfe").is_err());
        assert_eq!(text("\u{feff}{}".as_bytes()).unwrap(), "{}");
    }

    /// Every cataloger of this module on hostile input: errors or nothing, never a panic.
    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        use artifact::Analyzer;
        let catalogers: [(&dyn Analyzer, &[&str]); 5] = [
            (
                &python::PythonCataloger,
                &[
                    "a.dist-info/METADATA",
                    "requirements.txt",
                    "poetry.lock",
                    "Pipfile.lock",
                    "uv.lock",
                ],
            ),
            (
                &node::NodeCataloger,
                &[
                    "node_modules/a/package.json",
                    "package-lock.json",
                    "yarn.lock",
                    "pnpm-lock.yaml",
                ],
            ),
            (
                &ruby::RubyCataloger,
                &["specifications/a.gemspec", "Gemfile.lock"],
            ),
            (
                &php::PhpCataloger,
                &["composer.lock", "vendor/composer/installed.json"],
            ),
            (
                &dotnet::DotnetCataloger,
                &["a.deps.json", "packages.lock.json"],
            ),
        ];
        let deep = "[".repeat(100_000);
        let wide = format!(
            "{{\"packages\":{{{}}}}}",
            "\"node_modules/x\":{\"version\":\"1\"},".repeat(1000) + "\"\":{}"
        );
        let inputs: [&[u8]; 6] = [
            b"\xff\xfe\x00garbage",
            deep.as_bytes(),
            b"",
            b"\0\0\0\0",
            b"{\"dependencies\":[1,2]}",
            wide.as_bytes(),
        ];
        for (cataloger, paths) in catalogers {
            for path in paths {
                assert!(cataloger.wants(path), "{path}");
                for input in inputs {
                    let _ = cataloger.analyze(path, input);
                }
                assert!(
                    cataloger.analyze(path, b"\xff\xfe").is_err(),
                    "{path}: bad UTF-8"
                );
            }
        }
        let huge = vec![b' '; max_manifest_size() + 1];
        assert!(text(&huge).is_err());
        // Names with control characters or absurd lengths are not packages.
        assert!(!plausible("a\nb", "1"));
        assert!(!plausible(&"a".repeat(600), "1"));
    }

    #[test]
    fn lock_files_inside_installed_packages_are_the_dependency_s_own() {
        assert!(inside_installed_package(
            "usr/lib/ruby/gems/3.1.0/gems/rbs-2.7.0/Gemfile.lock"
        ));
        assert!(inside_installed_package(
            "app/node_modules/x/package-lock.json"
        ));
        assert!(inside_installed_package("node_modules/x/yarn.lock"));
        assert!(inside_installed_package(
            "app/vendor/symfony/console/composer.lock"
        ));
        assert!(inside_installed_package(
            "usr/lib/python3/dist-packages/x/requirements.txt"
        ));
        assert!(!inside_installed_package("app/Gemfile.lock"));
        assert!(!inside_installed_package("srv/gemstone/Gemfile.lock"));
        assert!(!inside_installed_package("app/composer.lock"));
    }

    #[test]
    fn os_owned_python_is_dropped_only_when_that_os_database_is_present() {
        let site = "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";
        let local = "usr/local/lib/python3.11/dist-packages/six-1.16.0.dist-info/METADATA";
        let rpm_site = "usr/lib/python3.9/site-packages/six-1.15.0.dist-info/METADATA";
        let mut inv = inventory::Inventory::default();
        for location in [site, local, rpm_site] {
            inv.packages
                .push(package("pypi", "six", "1.16.0", location));
        }
        let mut only_language = inv.clone();
        drop_os_owned(&mut only_language);
        assert_eq!(only_language.packages.len(), 3);
        let mut dpkg = package("dpkg", "python3-six", "1.16.0-4", "var/lib/dpkg/status");
        dpkg.purl.clear();
        inv.packages.push(dpkg);
        drop_os_owned(&mut inv);
        let left: Vec<&str> = inv.packages.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(left, [local, rpm_site, "var/lib/dpkg/status"]);

        // Alpine: apk's py3-six owns six 1.16.0 in site-packages; pip's idna there stays.
        let alpine_site = "usr/lib/python3.11/site-packages";
        let mut inv = inventory::Inventory::default();
        inv.packages.push(package(
            "apk",
            "py3-six",
            "1.16.0-r4",
            "lib/apk/db/installed",
        ));
        inv.packages.push(package(
            "pypi",
            "six",
            "1.16.0",
            &format!("{alpine_site}/six-1.16.0.dist-info/METADATA"),
        ));
        inv.packages.push(package(
            "pypi",
            "idna",
            "3.4",
            &format!("{alpine_site}/idna-3.4.dist-info/METADATA"),
        ));
        drop_os_owned(&mut inv);
        let left: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(left, ["py3-six", "idna"]);
        assert_eq!(pep503("Foo__Bar.baz"), "foo-bar-baz");
    }

    #[test]
    fn lock_tables_read_top_level_keys_only() {
        let lock = "[[package]]\nname = \"idna\"\nversion = \"2.7\"\n\n[package.dependencies]\nversion = \"x\"\n\n[[package]]\nname = 'app'\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n[metadata]\nname = \"no\"\n";
        let got = toml_packages(lock);
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].name.as_str(), got[0].version.as_str()),
            ("idna", "2.7")
        );
        assert!(got[1].source.contains("editable"));
    }
}
