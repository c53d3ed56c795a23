//! Untrusted text never reaches the terminal raw, and credentials never reach any report:
//! an image whose file names and package fields hold ESC/OSC/BEL bytes, and configuration whose
//! findings quote secrets (table, JSON and SARIF).

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const ESC: u8 = 0x1b;

#[test]
fn control_bytes_from_the_image_are_escaped_in_the_table_and_errors() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("terminal-image");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let evil_name = "srv/\u{1b}]0;pwned\u{7}.env";
    let built = build(
        &[layer(
            "COPY \u{1b}[2J app",
            vec![
                os_release("debian", "12"),
                file(
                    "usr/lib/python3/dist-packages/evil-1.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: evil\u{1b}[31mred\nVersion: 1.0\u{1b}[0m\n",
                ),
                file(evil_name, "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n"),
            ],
        )],
        "amd64",
    );
    let image = dir.join("image");
    oci_layout(&image, &[("latest", &built)]);
    let cache = dir.join("cache");
    let out = bulkhead(
        &[
            "image",
            "--scanners",
            "secret,config",
            image.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.stdout.contains(&ESC),
        "raw ESC in the table:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!out.stderr.contains(&ESC));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("srv/\\x1b]0;pwned\\x07.env"), "{table}");
    // The package fields too (the vulnerability scanner catalogs them; no database needed for
    // the SBOM formats' input side, so the JSON shows the raw value, escaped by JSON).
    let json = bulkhead(
        &[
            "image",
            "--scanners",
            "secret",
            "--format",
            "json",
            image.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(
        !json.stdout.contains(&ESC),
        "JSON escapes control characters"
    );
    // An error naming an untrusted path.
    let out = bulkhead(
        &[
            "image",
            "--scanners",
            "secret",
            "/nonexistent/\u{1b}[31mred\u{7}.tar",
        ],
        &cache,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !out.stderr.contains(&ESC),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stderr.contains(&7u8));
}

#[test]
fn secrets_in_configuration_are_masked_in_every_format() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("terminal-config");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM debian:12@sha256:0000000000000000000000000000000000000000000000000000000000000000\nENV DB_PASSWORD=hunter2secret\nENV BROKER=amqp://app:rabbitpass99@mq/\nUSER app\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1\n        env:\n        - name: API_TOKEN\n          value: tok_live_abcdef123456\n        - name: DATABASE_URL\n          value: postgres://app:pa55word@db/app\n        - name: FROM_SECRET\n          valueFrom:\n            secretKeyRef: {name: s, key: k}\n        - name: REF_TOKEN\n          value: $(OTHER_TOKEN)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: composepass42\n      SIGNING_KEY: \"${SIGNING_KEY}\"\n",
    )
    .unwrap();
    let secrets = [
        "hunter2secret",
        "rabbitpass99",
        "tok_live_abcdef123456",
        "pa55word",
        "composepass42",
    ];
    let cache = dir.join("cache");
    for format in ["table", "json", "sarif"] {
        let out = bulkhead(
            &["config", "--format", format, dir.to_str().unwrap()],
            &cache,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        for secret in secrets {
            assert!(!text.contains(secret), "{format} shows {secret}:\n{text}");
        }
    }
    let out = bulkhead(
        &["config", "--format", "json", dir.to_str().unwrap()],
        &cache,
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String)> = report["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["rule_id"].as_str().unwrap().to_string(),
                format!(
                    "{}:{}",
                    m["file"].as_str().unwrap().rsplit('/').next().unwrap(),
                    m["line"]
                ),
            )
        })
        .collect();
    // Literal secrets and URL credentials are findings; references are not.
    for want in [
        ("BH-K8S-028", "deploy.yaml:13"),
        ("BH-K8S-028", "deploy.yaml:15"),
        ("BH-DC-018", "compose.yaml:5"),
    ] {
        assert!(
            found.iter().any(|(r, at)| r == want.0 && at == want.1),
            "{want:?} not in {found:?}"
        );
    }
    assert!(
        !found
            .iter()
            .any(|(r, at)| r == "BH-K8S-028" && at == "deploy.yaml:19"),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, at)| r == "BH-DC-018" && at == "compose.yaml:6"),
        "{found:?}"
    );
    let dockerfile: Vec<&String> = found
        .iter()
        .filter(|(_, at)| at == "Dockerfile:2" || at == "Dockerfile:3")
        .map(|(_, at)| at)
        .collect();
    assert!(
        dockerfile.len() >= 2,
        "ENV secret and ENV URL credentials: {found:?}"
    );
    // No ESC in a table written to a pipe.
    let out = Command::new(env!("CARGO_BIN_EXE_bulkhead"))
        .args(["config", dir.to_str().unwrap()])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&ESC));
}
