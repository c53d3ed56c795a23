//! SARIF validation with the official schema and Microsoft's SARIF Multitool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The SARIF schema and validator installed by .ci/setup-config.sh.
pub fn sarif_tools() -> (PathBuf, PathBuf) {
    let root = Command::new("npm").args(["root", "-g"]).output().ok();
    let root = root
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .expect("npm is missing: run .ci/setup-config.sh");
    let pkg = root.join("@microsoft/sarif-multitool-linux");
    let schema = pkg.join("sarif-2.1.0.json");
    let tool = pkg.join("Sarif.Multitool");
    assert!(
        schema.exists() && tool.exists(),
        "{} missing: run .ci/setup-config.sh",
        pkg.display()
    );
    (schema, tool)
}

/// Validates a SARIF file with the official schema (Python jsonschema, draft 2020-12) and with
/// Microsoft's SARIF Multitool.
pub fn validate_sarif(path: &Path) {
    let (schema, tool) = sarif_tools();
    let check = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(log))
for e in errors[:10]:
    print(list(e.absolute_path), e.message)
sys.exit(1 if errors else 0)
"#;
    let out = Command::new("python3")
        .args([
            "-c",
            check,
            schema.to_str().unwrap(),
            path.to_str().unwrap(),
        ])
        .output()
        .expect("python3 with jsonschema: run .ci/setup-config.sh");
    assert!(
        out.status.success(),
        "schema validation failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out_file = path.with_extension("validation.sarif");
    let out = Command::new(&tool)
        .args([
            "validate",
            path.to_str().unwrap(),
            "-o",
            out_file.to_str().unwrap(),
            "--log",
            "ForceOverwrite",
        ])
        .output()
        .expect("Sarif.Multitool");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !text.contains(": error "),
        "SARIF Multitool: {text}"
    );
}
