//! Ruby: installed gem specifications (`specifications/*.gemspec`) and `Gemfile.lock`.
//! Gemspecs are Ruby code: only the literal `s.name = "…"` / `s.version = "…"` /
//! `s.licenses = [...]` lines RubyGems writes are read; nothing is evaluated.

use super::{
    ecosystem::RUBYGEMS, file_name, found, inside_installed_package, package, plausible, text,
};
use artifact::Analyzer;
use inventory::{FileResult, Package};

pub struct RubyCataloger;

impl Analyzer for RubyCataloger {
    fn name(&self) -> &'static str {
        "ruby"
    }

    fn wants(&self, path: &str) -> bool {
        let name = file_name(path);
        (name == "Gemfile.lock" && !inside_installed_package(path))
            || (name.ends_with(".gemspec") && path.contains("specifications/"))
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        let text = text(content)?;
        let packages = if file_name(path) == "Gemfile.lock" {
            gemfile_lock(path, text)
        } else {
            gemspec(path, text)?.into_iter().collect()
        };
        Ok(found(packages))
    }
}

/// The string literals in a line, in order (`"MIT".freeze` → `MIT`).
fn literals(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = &rest[start..start + 1];
        let body = &rest[start + 1..];
        let Some(end) = body.find(quote) else { break };
        out.push(&body[..end]);
        rest = &body[end + 1..];
    }
    out
}

/// A gemspec as `gem install` writes it under `specifications/`.
pub fn gemspec(path: &str, text: &str) -> Result<Option<Package>, String> {
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines() {
        let Some((lhs, rhs)) = line.trim().split_once('=') else {
            continue;
        };
        let field = lhs.trim().rsplit('.').next().unwrap_or("");
        match field {
            "name" => name = name.or_else(|| literals(rhs).first().copied()),
            "version" => version = version.or_else(|| literals(rhs).first().copied()),
            "license" | "licenses" => licenses.extend(literals(rhs).iter().map(|l| l.to_string())),
            _ => {}
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if plausible(n, v) => {
            let mut p = package(RUBYGEMS, n, v, path);
            p.licenses = licenses;
            Ok(Some(p))
        }
        _ => Err("gemspec without literal name/version".into()),
    }
}

/// `Gemfile.lock`: the `specs:` of `GEM` sections (`    rack (2.2.3)`, platform suffixes
/// like `-x86_64-linux` dropped). GIT and PATH gems do not come from rubygems.org.
pub fn gemfile_lock(path: &str, text: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut in_gem = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_gem = line.trim_end() == "GEM";
            continue;
        }
        let Some(spec) = line.strip_prefix("    ").filter(|_| in_gem) else {
            continue;
        };
        if spec.starts_with(' ') {
            continue; // a dependency of the gem above
        }
        let Some((name, version)) = spec
            .trim_end()
            .strip_suffix(')')
            .and_then(|s| s.split_once(" ("))
        else {
            continue;
        };
        let version = version.split('-').next().unwrap_or(version);
        if plausible(name, version) {
            packages.push(package(RUBYGEMS, name, version, path));
        }
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemspec_literals_only() {
        let spec = "# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\n  s.licenses = [\"MIT\".freeze]\n  s.summary = `rm -rf /`\nend\n";
        let p = gemspec(
            "usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.3.gemspec",
            spec,
        )
        .unwrap()
        .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("rack", "2.2.3"));
        assert_eq!(p.purl, "pkg:gem/rack@2.2.3");
        assert_eq!(p.licenses, ["MIT"]);
        assert!(gemspec("x", "s.name = name_from_env\n").is_err());
    }

    #[test]
    fn gemfile_lock_gem_specs() {
        let lock = "GIT\n  remote: https://x\n  specs:\n    mine (1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.3-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n\nPLATFORMS\n  x86_64-linux\n\nBUNDLED WITH\n   2.3.7\n";
        let got: Vec<_> = gemfile_lock("Gemfile.lock", lock)
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect();
        assert_eq!(
            got,
            [
                ("nokogiri".into(), "1.13.3".into()),
                ("racc".into(), "1.6.0".into())
            ]
        );
    }
}
