//! PHP: `composer.lock` and `vendor/composer/installed.json` (Composer 1: an array; Composer
//! 2: `{"packages": [...]}`).

use super::{
    ecosystem::PACKAGIST, file_name, found, inside_installed_package, package, plausible, text,
};
use artifact::Analyzer;
use inventory::{FileResult, Package};
use serde_json::Value;

pub struct PhpCataloger;

impl Analyzer for PhpCataloger {
    fn name(&self) -> &'static str {
        "php"
    }

    fn wants(&self, path: &str) -> bool {
        (file_name(path) == "composer.lock" && !inside_installed_package(path))
            || path.ends_with("vendor/composer/installed.json")
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Vec<FileResult>, String> {
        Ok(found(parse(path, text(content)?)?))
    }
}

pub fn parse(path: &str, text: &str) -> Result<Vec<Package>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let lists: Vec<&Value> = match &doc {
        Value::Array(_) => vec![&doc],
        _ => ["packages", "packages-dev"]
            .iter()
            .filter_map(|k| doc.get(k))
            .collect(),
    };
    let mut packages = Vec::new();
    for entry in lists.into_iter().filter_map(Value::as_array).flatten() {
        let field = |k: &str| entry.get(k).and_then(Value::as_str).unwrap_or("");
        let (name, version) = (field("name"), field("version"));
        // Branch checkouts (`dev-main`) are not releases an advisory can name.
        if !plausible(name, version) || version.starts_with("dev-") {
            continue;
        }
        let mut p = package(PACKAGIST, name, version, path);
        p.licenses = match entry.get("license") {
            Some(Value::Array(all)) => all
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        packages.push(p);
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_installed_json_formats_and_lock() {
        let v1 = r#"[{"name":"monolog/monolog","version":"1.25.0","license":["MIT"]}]"#;
        let v2 = r#"{"packages":[{"name":"monolog/monolog","version":"1.25.0"},{"name":"a/b","version":"dev-main"}],"dev":true}"#;
        let lock = r#"{"packages":[{"name":"monolog/monolog","version":"1.25.0"}],"packages-dev":[{"name":"phpunit/phpunit","version":"9.5.0"}]}"#;
        let p = &parse("i", v1).unwrap()[0];
        assert_eq!(p.purl, "pkg:composer/monolog/monolog@1.25.0");
        assert_eq!(p.licenses, ["MIT"]);
        assert_eq!(parse("i", v2).unwrap().len(), 1);
        assert_eq!(parse("l", lock).unwrap().len(), 2);
        assert!(parse("l", "[").is_err());
    }
}
