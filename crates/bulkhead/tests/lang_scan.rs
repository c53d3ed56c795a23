//! End to end: an OCI image holding real `pip install --target` and `npm install` output
//! (built by .ci/setup-lang.sh) plus real-format lock files of the other ecosystems, scanned
//! against the real PyPI, npm, RubyGems and malicious-npm feeds. Expected packages come from
//! the directory layout; expected findings from the OSV records, read here with serde_json
//! and decided by a plain numeric comparison, independently of the matcher.

mod common;
#[path = "lang/image.rs"]
mod image;
#[path = "lang/oracle.rs"]
mod oracle;

use common::*;
use image::*;
use oracle::{affects, feed, lowest_fix, pep503};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// (ecosystem, name, version, purl, location, layer index) of the report's language packages.
fn language_packages(report: &Value) -> BTreeSet<(String, String, String, String, String, u64)> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !["debian"].contains(&p["ecosystem"].as_str().unwrap()))
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            (
                s("ecosystem"),
                s("name"),
                s("version"),
                s("purl"),
                s("location"),
                p["layer"]["index"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn installed_python_and_node_packages_with_purls_locations_and_layers() {
    let fx = fixtures();
    let got = language_packages(report());
    let mut want = BTreeSet::new();
    // pip: one `<name>-<version>.dist-info` per distribution.
    for entry in std::fs::read_dir(fx.join("site-packages")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some((n, v)) = name
            .strip_suffix(".dist-info")
            .and_then(|d| d.rsplit_once('-'))
        {
            let location = format!("{SITE}/{name}/METADATA");
            want.insert((
                "pypi".into(),
                n.into(),
                v.into(),
                format!("pkg:pypi/{}@{v}", pep503(n)),
                location,
                1,
            ));
        }
    }
    assert_eq!(want.len(), 5, "pip fixture has the 5 pinned distributions");
    // npm: every installed package directory, and every package-lock entry.
    let lock: Value =
        serde_json::from_slice(&std::fs::read(fx.join("node/package-lock.json")).unwrap()).unwrap();
    for (key, entry) in lock["packages"].as_object().unwrap() {
        let Some(name) = key.strip_prefix("node_modules/") else {
            continue;
        };
        let version = entry["version"].as_str().unwrap();
        let purl = format!("pkg:npm/{name}@{version}");
        want.insert((
            "npm".into(),
            name.into(),
            version.into(),
            purl.clone(),
            "app/package-lock.json".into(),
            2,
        ));
        want.insert((
            "npm".into(),
            name.into(),
            version.into(),
            purl,
            format!("app/node_modules/{name}/package.json"),
            2,
        ));
    }
    let (mal, mal_version) = malicious_npm();
    want.insert((
        "npm".into(),
        mal.clone(),
        mal_version.clone(),
        format!("pkg:npm/{mal}@{mal_version}"),
        format!("app/node_modules/{mal}/package.json"),
        2,
    ));
    let installed: BTreeSet<_> = got.iter().filter(|p| p.5 < 3).cloned().collect();
    assert_eq!(installed, want);
    // dpkg's python3-six is reported once, as the Debian package.
    assert!(
        !got.iter().any(|p| p.4.starts_with(OS_SITE)),
        "OS-owned dist-info reported: {got:?}"
    );
    let debian_six = report()["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "python3-six");
    assert!(debian_six);
}

#[test]
fn lock_files_of_every_ecosystem() {
    let got: BTreeSet<(String, String, String)> = language_packages(report())
        .into_iter()
        .filter(|p| p.5 == 3)
        .map(|p| (p.4, p.1, p.3))
        .collect();
    // Written from the lock files above by hand: (location, name, purl).
    let want: BTreeSet<(String, String, String)> = [
        (
            "srv/ruby/Gemfile.lock",
            "mustermann",
            "pkg:gem/mustermann@1.1.1",
        ),
        (
            "srv/ruby/Gemfile.lock",
            "nokogiri",
            "pkg:gem/nokogiri@1.13.3",
        ),
        ("srv/ruby/Gemfile.lock", "racc", "pkg:gem/racc@1.6.0"),
        ("srv/ruby/Gemfile.lock", "rack", "pkg:gem/rack@2.2.3"),
        (
            "srv/ruby/Gemfile.lock",
            "rack-protection",
            "pkg:gem/rack-protection@2.1.0",
        ),
        (
            "srv/ruby/Gemfile.lock",
            "ruby2_keywords",
            "pkg:gem/ruby2_keywords@0.0.5",
        ),
        ("srv/ruby/Gemfile.lock", "sinatra", "pkg:gem/sinatra@2.1.0"),
        ("srv/ruby/Gemfile.lock", "tilt", "pkg:gem/tilt@2.0.10"),
        (
            "srv/py/poetry.lock",
            "certifi",
            "pkg:pypi/certifi@2022.12.7",
        ),
        ("srv/py/poetry.lock", "requests", "pkg:pypi/requests@2.25.1"),
        ("srv/py/uv.lock", "jinja2", "pkg:pypi/jinja2@2.10"),
        ("srv/py/uv.lock", "markupsafe", "pkg:pypi/markupsafe@2.1.5"),
        ("srv/py/Pipfile.lock", "pyyaml", "pkg:pypi/pyyaml@5.3"),
        (
            "srv/js/yarn.lock",
            "@types/node",
            "pkg:npm/%40types/node@18.19.3",
        ),
        ("srv/js/yarn.lock", "handlebars", "pkg:npm/handlebars@4.0.5"),
        (
            "srv/js/yarn.lock",
            "undici-types",
            "pkg:npm/undici-types@5.26.5",
        ),
        (
            "srv/js/pnpm-lock.yaml",
            "@sindresorhus/is",
            "pkg:npm/%40sindresorhus/is@4.6.0",
        ),
        ("srv/js/pnpm-lock.yaml", "ms", "pkg:npm/ms@2.0.0"),
        (
            "srv/php/composer.lock",
            "monolog/monolog",
            "pkg:composer/monolog/monolog@1.25.0",
        ),
        (
            "srv/php/composer.lock",
            "psr/log",
            "pkg:composer/psr/log@1.1.4",
        ),
        (
            "srv/php/vendor/composer/installed.json",
            "symfony/http-foundation",
            "pkg:composer/symfony/http-foundation@v5.4.0",
        ),
        (
            "srv/dotnet/App.deps.json",
            "Newtonsoft.Json",
            "pkg:nuget/Newtonsoft.Json@12.0.1",
        ),
        (
            "srv/dotnet/packages.lock.json",
            "Serilog",
            "pkg:nuget/Serilog@2.10.0",
        ),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn vulnerabilities_match_the_feeds() {
    let report = report();
    let packages = language_packages(report);
    for (ecosystem, osv, file) in [
        ("pypi", "PyPI", "PyPI.jsonl.zst"),
        ("npm", "npm", "npm-nodejs-security-wg.jsonl.zst"),
        ("rubygems", "RubyGems", "RubyGems.jsonl.zst"),
    ] {
        let records = feed(file);
        let mut want = BTreeSet::new();
        for (_, name, version, ..) in packages.iter().filter(|p| p.0 == ecosystem) {
            for record in records.iter().filter(|r| affects(r, osv, name, version)) {
                let fix = lowest_fix(record, osv, name, version);
                want.insert((
                    record["id"].as_str().unwrap().to_string(),
                    name.clone(),
                    version.clone(),
                    fix,
                ));
            }
        }
        let got: BTreeSet<_> = report["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["ecosystem"] == ecosystem)
            .map(|v| {
                let s = |k: &str| v[k].as_str().unwrap().to_string();
                let fix = v["fixed_version"].as_str().map(str::to_string);
                (s("id"), s("package"), s("installed_version"), fix)
            })
            .collect();
        assert!(
            want.len() >= 3,
            "{ecosystem}: the fixture should be vulnerable: {want:?}"
        );
        assert_eq!(got, want, "{ecosystem}");
        // One finding per advisory and package version, however many files name it.
        let count = report["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["ecosystem"] == ecosystem)
            .count();
        assert_eq!(count, got.len(), "{ecosystem}: duplicated findings");
    }
}

#[test]
fn malicious_packages_are_a_critical_section_of_their_own() {
    let (mal, version) = malicious_npm();
    let want: BTreeSet<String> = feed("malicious/malicious-npm.jsonl.zst")
        .iter()
        .filter(|r| affects(r, "npm", mal, version))
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let report = report();
    let malware = report["malware"].as_array().unwrap();
    let got: BTreeSet<String> = malware
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!want.is_empty() && want.iter().all(|id| id.starts_with("MAL-")));
    assert_eq!(got, want);
    for m in malware {
        assert_eq!(
            (m["package"].as_str(), m["version"].as_str()),
            (Some(mal.as_str()), Some(version.as_str()))
        );
        assert_eq!(m["ecosystem"], "npm");
        assert_eq!(m["purl"], format!("pkg:npm/{mal}@{version}"));
        assert_eq!(
            m["location"],
            format!("app/node_modules/{mal}/package.json")
        );
        assert_eq!(m["layer"]["index"], 2);
    }
    assert_eq!(report["summary"]["malware"], want.len());
    let in_vulns = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"].as_str().unwrap().starts_with("MAL-"));
    assert!(!in_vulns, "malware duplicated in vulnerabilities");
}

/// A malicious PyPI report whose name has a separator, written in METADATA the way a wheel
/// may spell it (capitalised, `_` for `-`): PEP 503 must bring them together.
#[test]
fn malicious_pypi_found_through_pep503_names() {
    let records = feed("malicious/malicious-pypi.jsonl.zst");
    let (name, version) = records
        .iter()
        .flat_map(|r| r["affected"].as_array().cloned().unwrap_or_default())
        .find_map(|a| {
            let name = a["package"]["name"].as_str()?;
            let version = a["versions"].as_array()?.first()?.as_str()?;
            (name.contains('-') && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                .then(|| (name.to_string(), version.to_string()))
        })
        .expect("a malicious PyPI report with a dashed name and a version list");
    let spelled = {
        let mut s = name.replace('-', "_");
        s[..1].make_ascii_uppercase();
        s
    };
    let want: BTreeSet<String> = records
        .iter()
        .filter(|r| affects(r, "PyPI", &name, &version))
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let location = format!("{SITE}/{spelled}-{version}.dist-info/METADATA");
    let metadata = format!("Metadata-Version: 2.1\nName: {spelled}\nVersion: {version}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oci");
    let built = build(&[layer("pip", vec![file(&location, metadata)])], "amd64");
    oci_layout(&path, &[("pypi-mal:1", &built)]);
    let (report, _) = scan(&path, &[]);
    let got: BTreeSet<String> = report["malware"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["package"], spelled.as_str());
            assert_eq!(m["location"], location.as_str());
            m["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[test]
fn malware_alone_fails_exit_code_and_shows_in_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let (mal, version) = malicious_npm();
    let built = build(
        &[layer(
            "planted",
            vec![file(
                &format!("app/node_modules/{mal}/package.json"),
                format!(r#"{{"name":"{mal}","version":"{version}"}}"#),
            )],
        )],
        "amd64",
    );
    let path = dir.path().join("oci");
    oci_layout(&path, &[("mal:1", &built)]);
    // Only the vulnerability scanner: image-config findings (root user) would also fail the run.
    let (report, code) = scan(&path, &["--scanners", "vuln", "--exit-code", "7"]);
    assert!(report["vulnerabilities"].as_array().unwrap().is_empty());
    assert!(!report["malware"].as_array().unwrap().is_empty());
    assert_eq!(code, Some(7));
    // Malware has no fix to wait for: --ignore-unfixed keeps it; only a severity list
    // without CRITICAL hides it.
    let (kept, code) = scan(
        &path,
        &["--scanners", "vuln", "--ignore-unfixed", "--exit-code", "7"],
    );
    assert_eq!(
        (kept["malware"].as_array().unwrap().len(), code),
        (report["malware"].as_array().unwrap().len(), Some(7))
    );
    let (hidden, code) = scan(
        &path,
        &[
            "--scanners",
            "vuln",
            "--severity",
            "HIGH",
            "--exit-code",
            "7",
        ],
    );
    assert_eq!(
        (hidden["malware"].as_array().unwrap().len(), code),
        (0, Some(0))
    );
    let t = path.display().to_string();
    let out = bulkhead(&["image", "--quiet", &t], cache());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("MALWARE") && table.contains(mal.as_str()) && table.contains("CRITICAL"),
        "{table}"
    );
}

#[test]
fn licences_come_from_the_metadata() {
    let fx = fixtures();
    let packages = report()["packages"].as_array().unwrap();
    let licences = |location: &str| -> Vec<String> {
        let p = packages
            .iter()
            .find(|p| p["location"] == location)
            .unwrap_or_else(|| panic!("{location} not reported"));
        p["licenses"]
            .as_array()
            .map(|l| l.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(fx.join("node/node_modules")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read(dir.join("package.json")) else {
            continue;
        };
        let manifest: Value = serde_json::from_slice(&text).unwrap();
        let name = manifest["name"].as_str().unwrap();
        let want: Vec<String> = manifest["license"]
            .as_str()
            .map(String::from)
            .into_iter()
            .collect();
        assert_eq!(
            licences(&format!("app/node_modules/{name}/package.json")),
            want,
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 7);
    // urllib3 1.24.1's METADATA says `License: MIT`.
    let metadata =
        std::fs::read_to_string(fx.join("site-packages/urllib3-1.24.1.dist-info/METADATA"))
            .unwrap();
    let declared = metadata
        .lines()
        .find_map(|l| l.strip_prefix("License: "))
        .unwrap();
    assert_eq!(
        licences(&format!("{SITE}/urllib3-1.24.1.dist-info/METADATA")),
        [declared]
    );
}

/// The default gems' specifications of the ruby installed by .ci/setup-lang.sh.
fn default_gemspecs() -> Vec<PathBuf> {
    let out = std::process::Command::new("ruby")
        .args(["-e", "print Gem.default_specifications_dir"])
        .output()
        .expect("ruby is needed: run .ci/setup-lang.sh");
    let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap());
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gemspec"))
        .collect();
    specs.sort();
    specs
}

#[test]
fn real_gemspecs_read_as_rubygems_loads_them() {
    let specs = default_gemspecs();
    assert!(specs.len() >= 20, "ruby's default gems: {specs:?}");
    // The oracle: RubyGems itself loads each spec (name, version, licences).
    let mut args = vec![
        "-e".to_string(),
        "ARGV.each { |f| s = Gem::Specification.load(f); puts [File.basename(f), s.name, s.version, s.licenses.join(',')].join(' ') }".into(),
    ];
    args.extend(specs.iter().map(|p| p.display().to_string()));
    let out = std::process::Command::new("ruby")
        .args(&args)
        .output()
        .unwrap();
    assert!(out.status.success());
    let prefix = "usr/local/lib/ruby/gems/3.1.0/specifications/default";
    let want: BTreeSet<(String, String, String, Vec<String>)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.split(' ');
            let mut next = || f.next().unwrap_or("").to_string();
            let (file, name, version, licences) = (next(), next(), next(), next());
            let licences = licences
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            (format!("{prefix}/{file}"), name, version, licences)
        })
        .collect();
    // As the official ruby images lay them out, plus Debian's own gems (owned by dpkg).
    let mut nodes: Vec<Node> = specs
        .iter()
        .map(|p| {
            file(
                &format!("{prefix}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    nodes.push(os_release("debian", "12"));
    nodes.push(file(
        "var/lib/dpkg/status",
        "Package: ruby-rack\nStatus: install ok installed\nVersion: 2.2.4-3\n\n",
    ));
    nodes.push(file(
        "usr/share/rubygems-integration/all/specifications/rack-2.2.4.gemspec",
        "Gem::Specification.new do |s|\n  s.name = \"rack\"\n  s.version = \"2.2.4\"\nend\n",
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oci");
    oci_layout(
        &path,
        &[("ruby:1", &build(&[layer("ruby", nodes)], "amd64"))],
    );
    let (report, code) = scan(&path, &[]);
    assert_eq!(code, Some(0));
    let got: BTreeSet<(String, String, String, Vec<String>)> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "rubygems")
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            let licences = p["licenses"]
                .as_array()
                .map(|l| l.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (s("location"), s("name"), s("version"), licences)
        })
        .collect();
    assert_eq!(got, want);
}
