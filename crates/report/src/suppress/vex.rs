//! VEX input: OpenVEX (0.2 and the earlier 0.0.x shapes) and CycloneDX VEX (a BOM whose
//! `vulnerabilities[]` carry an `analysis`). Each statement names a vulnerability (its id or an
//! alias), the packages it is about (purls: products and subcomponents in OpenVEX, `affects[]`
//! refs in CycloneDX, with optional versions or `vers:` ranges) and a status.
//!
//! `not_affected` and `fixed` suppress the finding (the report keeps the statement and its
//! justification in `suppressed[]`); `affected` and `under_investigation` keep it with a note.
//! Later statements win over earlier ones, by timestamp when given, else by order.

use super::ignorefile::same_package;
use detectors::version::{compare, Scheme};
use inventory::purl::Purl;
use serde_json::Value;
use std::cmp::Ordering;
use std::path::Path;

/// VEX documents are small; a larger file is refused rather than read.
fn max_vex_bytes() -> u64 {
    inventory::limits::get(inventory::limits::Limit::VexBytes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    pub fn suppresses(self) -> bool {
        matches!(self, Status::NotAffected | Status::Fixed)
    }
}

#[derive(Debug)]
pub struct Statement {
    /// The vulnerability's name and aliases.
    pub ids: Vec<String>,
    products: Vec<Product>,
    pub status: Status,
    pub justification: Option<String>,
    /// `impact_statement`, `status_notes` or CycloneDX `analysis.detail`.
    pub detail: Option<String>,
    timestamp: String,
    /// `FILE#N`: the document and the statement's position in it.
    pub source: String,
}

#[derive(Debug)]
struct Product {
    purl: Purl,
    /// CycloneDX `affects[].versions[]`: exact versions and `vers:` ranges; empty: every version.
    versions: Vec<VersionSpec>,
}

#[derive(Debug)]
enum VersionSpec {
    Exact(String),
    Range(Vec<(String, String)>),
}

/// Every statement of the documents read, in the order they apply.
#[derive(Debug, Default)]
pub struct VexStatements {
    statements: Vec<Statement>,
}

impl VexStatements {
    pub fn load(paths: &[std::path::PathBuf]) -> Result<VexStatements, String> {
        let mut all = VexStatements::default();
        for path in paths {
            all.statements.extend(read(path)?);
        }
        // Stable: equal timestamps keep document order, and later documents come later.
        all.statements.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
        Ok(all)
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The statement that decides for this finding: the last one naming one of `ids` and the
    /// package (`purl`, with its version).
    pub fn decide(&self, ids: &[&str], purl: &str) -> Option<&Statement> {
        let found = Purl::parse(purl).ok()?;
        self.statements.iter().rev().find(|s| {
            s.ids
                .iter()
                .any(|sid| ids.iter().any(|id| id.eq_ignore_ascii_case(sid)))
                && s.products.iter().any(|p| p.matches(&found))
        })
    }
}

fn read(path: &Path) -> Result<Vec<Statement>, String> {
    use std::io::Read;
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max_vex_bytes() + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > max_vex_bytes() {
        return Err(format!(
            "{name}: larger than {} bytes ({})",
            max_vex_bytes(),
            inventory::limits::hint(inventory::limits::Limit::VexBytes)
        ));
    }
    let doc: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{name}: not JSON: {e}"))?;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        Ok(cyclonedx(&doc, &name))
    } else if doc.get("statements").is_some_and(Value::is_array) {
        openvex(&doc, &name)
    } else {
        Err(format!(
            "{name}: neither an OpenVEX document (`statements`) nor a CycloneDX BOM (`bomFormat`)"
        ))
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn openvex(doc: &Value, name: &str) -> Result<Vec<Statement>, String> {
    let doc_time = text(doc.get("timestamp")).unwrap_or_default();
    let mut out = Vec::new();
    for (index, s) in doc["statements"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let source = format!("{name}#statement {}", index + 1);
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => Status::NotAffected,
            Some("affected") => Status::Affected,
            Some("fixed") => Status::Fixed,
            Some("under_investigation") => Status::UnderInvestigation,
            other => return Err(format!("{source}: unknown status {other:?}")),
        };
        // 0.2: {"name", "@id", "aliases"}; 0.0.x: a plain string.
        let vulnerability = &s["vulnerability"];
        let mut ids: Vec<String> = [
            text(Some(vulnerability)),
            text(vulnerability.get("name")),
            text(vulnerability.get("@id")),
        ]
        .into_iter()
        .flatten()
        .collect();
        ids.extend(
            vulnerability["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| text(Some(a))),
        );
        let mut products = Vec::new();
        for product in s["products"].as_array().into_iter().flatten() {
            products.extend(component_purl(product));
            for sub in product["subcomponents"].as_array().into_iter().flatten() {
                products.extend(component_purl(sub));
            }
        }
        // 0.0.x kept subcomponents beside the products.
        for sub in s["subcomponents"].as_array().into_iter().flatten() {
            products.extend(component_purl(sub));
        }
        out.push(Statement {
            ids,
            products,
            status,
            justification: text(s.get("justification")),
            detail: text(s.get("impact_statement")).or_else(|| text(s.get("status_notes"))),
            timestamp: text(s.get("timestamp")).unwrap_or_else(|| doc_time.clone()),
            source,
        });
    }
    Ok(out)
}

/// A product or subcomponent: a purl as `@id`, in `identifiers.purl`, or a bare string.
fn component_purl(component: &Value) -> Option<Product> {
    let candidates = [
        text(Some(component)),
        text(component.get("@id")),
        text(component.pointer("/identifiers/purl")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|c| Purl::parse(&c).ok())
        .map(|purl| Product {
            purl,
            versions: Vec::new(),
        })
}

fn cyclonedx(doc: &Value, name: &str) -> Vec<Statement> {
    // `affects[].ref` names a component's bom-ref (often the purl itself).
    let mut refs = std::collections::HashMap::new();
    let mut stack: Vec<&Value> = doc["components"].as_array().into_iter().flatten().collect();
    if let Some(root) = doc.pointer("/metadata/component") {
        stack.push(root);
    }
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (text(c.get("bom-ref")), text(c.get("purl"))) {
            refs.insert(r, p);
        }
        stack.extend(c["components"].as_array().into_iter().flatten());
    }
    let doc_time = text(doc.pointer("/metadata/timestamp")).unwrap_or_default();
    let mut out = Vec::new();
    for (index, v) in doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(state) = v.pointer("/analysis/state").and_then(Value::as_str) else {
            continue; // a plain vulnerability listing, not a VEX statement
        };
        let status = match state {
            "not_affected" | "false_positive" => Status::NotAffected,
            "resolved" | "resolved_with_pedigree" => Status::Fixed,
            "exploitable" => Status::Affected,
            _ => Status::UnderInvestigation,
        };
        let mut ids: Vec<String> = text(v.get("id")).into_iter().collect();
        ids.extend(
            v["references"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| text(r.get("id"))),
        );
        let products = v["affects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                let reference = text(a.get("ref"))?;
                let purl = refs.get(&reference).cloned().unwrap_or(reference);
                let purl = Purl::parse(&purl).ok()?;
                let versions = a["versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| {
                        text(e.get("version"))
                            .map(VersionSpec::Exact)
                            .or_else(|| text(e.get("range")).and_then(|r| vers_range(&r)))
                    })
                    .collect();
                Some(Product { purl, versions })
            })
            .collect();
        out.push(Statement {
            ids,
            products,
            status,
            justification: text(v.pointer("/analysis/justification")),
            detail: text(v.pointer("/analysis/detail")),
            timestamp: text(v.get("updated"))
                .or_else(|| text(v.get("published")))
                .unwrap_or_else(|| doc_time.clone()),
            source: format!("{name}#vulnerability {}", index + 1),
        });
    }
    out
}

/// `vers:pypi/>=1.0|<2.0` → its constraints (comparator, version); `*` matches everything.
fn vers_range(text: &str) -> Option<VersionSpec> {
    let (_, constraints) = text.strip_prefix("vers:")?.split_once('/')?;
    let parsed = constraints
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let op_len = c.find(|ch: char| !"<>=!".contains(ch)).unwrap_or(c.len());
            let (op, version) = c.split_at(op_len);
            let op = if op.is_empty() { "=" } else { op };
            (op.to_string(), version.trim().to_string())
        })
        .collect();
    Some(VersionSpec::Range(parsed))
}

impl Product {
    fn matches(&self, found: &Purl) -> bool {
        if !same_package(&self.purl, found) {
            return false;
        }
        let Some(version) = found.version.as_deref() else {
            return self.purl.version.is_none() && self.versions.is_empty();
        };
        if let Some(wanted) = &self.purl.version {
            if wanted != version {
                return false;
            }
        }
        let scheme = scheme_for(&found.kind);
        self.versions.is_empty() || self.versions.iter().any(|v| v.contains(scheme, version))
    }
}

impl VersionSpec {
    /// The vers algorithm: an equal `=` is in, an equal `!=` is out; otherwise the remaining
    /// constraints, in version order, are read as intervals.
    fn contains(&self, scheme: Option<Scheme>, version: &str) -> bool {
        let cmp = |a: &str, b: &str| match scheme {
            Some(s) => compare(s, a, b).ok(),
            None => Some(a.cmp(b)),
        };
        let constraints = match self {
            VersionSpec::Exact(v) => return cmp(v, version) == Some(Ordering::Equal),
            VersionSpec::Range(c) => c,
        };
        if constraints.iter().any(|(op, v)| op == "*" || v == "*") {
            return true;
        }
        for (op, v) in constraints {
            let equal = cmp(version, v) == Some(Ordering::Equal);
            match op.as_str() {
                "=" if equal => return true,
                "!=" if equal => return false,
                _ => {}
            }
        }
        let holds = |op: &str, v: &str| match cmp(version, v) {
            Some(o) => match op {
                "<" => o == Ordering::Less,
                "<=" => o != Ordering::Greater,
                ">" => o == Ordering::Greater,
                ">=" => o != Ordering::Less,
                _ => false,
            },
            None => false,
        };
        let bounds: Vec<&(String, String)> = constraints
            .iter()
            .filter(|(op, _)| op.starts_with(['<', '>']))
            .collect();
        let mut i = 0;
        while i < bounds.len() {
            let (op, v) = bounds[i];
            if op.starts_with('>') {
                match bounds.get(i + 1).filter(|(next, _)| next.starts_with('<')) {
                    Some((upper_op, upper)) => {
                        if holds(op, v) && holds(upper_op, upper) {
                            return true;
                        }
                        i += 2;
                    }
                    None => return holds(op, v),
                }
            } else {
                if holds(op, v) {
                    return true;
                }
                i += 1;
            }
        }
        false
    }
}

fn scheme_for(purl_type: &str) -> Option<Scheme> {
    Some(match purl_type {
        "deb" => Scheme::Dpkg,
        "apk" => Scheme::Apk,
        "rpm" => Scheme::Rpm,
        "pypi" => Scheme::Pep440,
        "npm" | "cargo" => Scheme::Semver,
        "golang" => Scheme::Go,
        "maven" => Scheme::Maven,
        "gem" => Scheme::RubyGems,
        "nuget" => Scheme::NuGet,
        "composer" => Scheme::Packagist,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> VersionSpec {
        vers_range(text).unwrap()
    }

    #[test]
    fn vers_ranges() {
        let r = range("vers:pypi/>=3.0|<3.2.5");
        let s = Some(Scheme::Pep440);
        assert!(r.contains(s, "3.2.0"));
        assert!(r.contains(s, "3.0"));
        assert!(!r.contains(s, "3.2.5"));
        assert!(!r.contains(s, "2.9"));
        let r = range("vers:npm/<1.0.0|>=2.0.0|<2.1.0|3.0.0");
        let s = Some(Scheme::Semver);
        for (v, want) in [
            ("0.9.0", true),
            ("1.5.0", false),
            ("2.0.5", true),
            ("2.1.0", false),
            ("3.0.0", true),
            ("3.0.1", false),
        ] {
            assert_eq!(r.contains(s, v), want, "{v}");
        }
        assert!(range("vers:deb/*").contains(Some(Scheme::Dpkg), "1.0-1"));
    }
}
