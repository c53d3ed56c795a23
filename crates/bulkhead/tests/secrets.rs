//! End-to-end secret scanning: a real OCI image built in code with fake credentials in valid
//! formats (generated here, never real ones) planted in files, in a file a later layer
//! deletes, one it overwrites, one an opaque directory hides, in `Env`, `Labels` and history;
//! and a source tree with `.gitignore`, `.git/` and `--skip-dirs`. Every planted secret must
//! be found with its file, layer and deleted flag.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// A small deterministic generator, so fake credentials differ per run of the suite only
/// when the seed does.
struct Rng(u64);
impl Rng {
    fn string(&mut self, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                chars[(self.0 % chars.len() as u64) as usize]
            })
            .collect()
    }
}
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// (rule_id, file, line, layer index or None, deleted) as the report should say.
type Expected = BTreeSet<(String, String, u64, Option<u64>, bool)>;

fn found(report: &Value) -> Expected {
    report["secrets"]
        .as_array()
        .expect("secrets array")
        .iter()
        .map(|s| {
            (
                s["rule_id"].as_str().unwrap().to_string(),
                s["file"].as_str().unwrap().to_string(),
                s["line"].as_u64().unwrap(),
                s["layer"]["index"].as_u64(),
                s["deleted"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn expect(
    rule: &str,
    file: &str,
    line: u64,
    layer: Option<u64>,
    deleted: bool,
) -> (String, String, u64, Option<u64>, bool) {
    (rule.into(), file.into(), line, layer, deleted)
}

#[test]
fn every_planted_secret_in_an_image_is_found_with_layer_and_deleted_flag() {
    let mut rng = Rng(0x5eed_1234_abcd);
    let aws = format!("AKIA{}", rng.string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    let ghp = format!("ghp_{}", rng.string(ALNUM, 36));
    let stripe = format!("sk_live_{}", rng.string(ALNUM, 24));
    let slack = format!(
        "xoxb-{}-{}-{}",
        rng.string("0123456789", 12),
        rng.string("0123456789", 13),
        rng.string(ALNUM, 24)
    );
    let npm = format!("npm_{}", rng.string(ALNUM, 36));
    let db_password = rng.string(ALNUM, 18);
    let pem: String = (0..10).map(|_| rng.string(B64, 64) + "\n").collect();
    let key =
        format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{pem}-----END OPENSSH PRIVATE KEY-----\n");
    let label_token = format!("glpat-{}", rng.string(ALNUM, 20));

    let base = layer(
        "/bin/sh -c #(nop) ADD file:base in /",
        vec![
            os_release("debian", "12"),
            file(
                "app/config.env",
                format!("# settings\nAWS_ACCESS_KEY_ID={aws}\n"),
            ),
            file("root/.ssh/id_ed25519", &key),
            file("srv/cache/stripe.txt", format!("key: {stripe}\n")),
            file("app/main.py", format!("import os\n\nGITHUB = \"{ghp}\"\n")),
            file("app/tests/fixture.py", format!("GITHUB = \"{ghp}\"\n")),
        ],
    );
    let cleanup = layer(
        &format!("|1 NPM_TOKEN={npm} /bin/sh -c rm -f /root/.ssh/id_ed25519 && echo ok > /app/config.env"),
        vec![
            Node::Whiteout("root/.ssh/id_ed25519".into()),
            file("app/config.env", "# settings moved to the vault\n"),
            file("app/slack.yaml", format!("notify:\n  token: {slack}\n")),
        ],
    );
    let hide = layer(
        "/bin/sh -c rm -rf /srv/cache && mkdir /srv/cache",
        vec![
            Node::Opaque("srv/cache".into()),
            file("srv/cache/empty", "x\n"),
        ],
    );
    let runtime = serde_json::json!({
        "Env": ["PATH=/usr/bin", format!("DB_PASSWORD={db_password}")],
        "Labels": {"org.example.ci-token": label_token},
    });
    let built = build_with(&[base, cleanup, hide], "amd64", runtime);
    let dir = tempfile::tempdir().unwrap();
    oci_layout(&dir.path().join("img"), &[("v1", &built)]);

    let target = dir.path().join("img").display().to_string();
    let cache = dir.path().join("cache");
    let out = bulkhead(
        &["image", "--scanners", "secret", "-f", "json", "-q", &target],
        &cache,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();

    let wanted: Expected = [
        expect("aws-access-key-id", "app/config.env", 2, Some(0), true),
        expect(
            "openssh-private-key",
            "root/.ssh/id_ed25519",
            2,
            Some(0),
            true,
        ),
        expect(
            "stripe-secret-key",
            "srv/cache/stripe.txt",
            1,
            Some(0),
            true,
        ),
        expect("github-pat", "app/main.py", 3, Some(0), false),
        expect("slack-bot-token", "app/slack.yaml", 2, Some(1), false),
        expect("npm-access-token", "history[1]", 1, Some(1), false),
        expect("generic-env-secret", "config:Env", 2, None, false),
        expect("gitlab-pat", "config:Labels", 1, None, false),
    ]
    .into_iter()
    .collect();
    assert_eq!(found(&report), wanted);

    // Masked everywhere: no planted value appears whole in the report.
    let text = String::from_utf8_lossy(&out.stdout);
    for secret in [
        &aws,
        &ghp,
        &stripe,
        &slack,
        &npm,
        &db_password,
        &label_token,
    ] {
        assert!(!text.contains(secret.as_str()), "{secret} printed unmasked");
    }
    assert_eq!(report["summary"]["secrets"], 8);
    assert!(report["secrets"][0]["layer"]["digest"].as_str().is_some());

    // --exit-code fails the run on secrets; --scanners vuln alone reports none.
    let out = bulkhead(
        &[
            "image",
            "--scanners",
            "secret",
            "--exit-code",
            "3",
            "-q",
            &target,
        ],
        &cache,
    );
    assert_eq!(out.status.code(), Some(3));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("deleted in a later layer"), "{table}");
    assert!(table.contains("app/slack.yaml:2"), "{table}");
}

#[test]
fn fs_scans_a_source_tree_honouring_gitignore_git_and_skip_dirs() {
    let mut rng = Rng(0xfeed_beef_0042);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let write = |rel: &str, text: String| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let ghp = format!("ghp_{}", rng.string(ALNUM, 36));
    write("src/app.py", format!("TOKEN = \"{ghp}\"\n"));
    write(".gitignore", "*.log\nbuild/\n".into());
    write("debug.log", format!("token {ghp}\n"));
    write("build/out.txt", format!("{ghp}\n"));
    write(
        ".git/config",
        format!("[remote]\n url = https://x:{ghp}@github.com/o/r\n"),
    );
    write("third/vendor.txt", format!("{ghp}\n"));
    write(
        "deploy/k8s.yaml",
        format!("password = \"{}\"\n", rng.string(ALNUM, 16)),
    );
    std::os::unix::fs::symlink("/etc", root.join("etc-link")).unwrap();

    let target = root.display().to_string();
    let cache = dir.path().join("cache");
    let out = bulkhead(
        &[
            "fs",
            "--scanners",
            "secret",
            "--skip-dirs",
            "third",
            "-f",
            "json",
            "-q",
            &target,
        ],
        &cache,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let wanted: Expected = [
        expect("github-pat", "src/app.py", 1, None, false),
        expect("generic-password", "deploy/k8s.yaml", 1, None, false),
    ]
    .into_iter()
    .collect();
    assert_eq!(found(&report), wanted);
    assert_eq!(report["artifact"]["type"], "filesystem");
}

/// Findings on real files of this machine that are explained, not false positives:
/// (rule, path suffix, why).
const EXPLAINED: &[(&str, &str, &str)] = &[
    (
        "rsa-private-key",
        "libxmlsec1-dev/examples/rsakey.pem",
        "a real RSA private key shipped as xmlsec's example: a key in an image is a finding",
    ),
    (
        "generic-password",
        "urllib/request.py",
        "docstring example passwd='geheim$parole': a hard-coded password, as written",
    ),
];

/// Precision on a clean corpus: the machine's documentation and Python standard library.
/// Every finding is printed; each must be one of the explained ones above.
#[test]
fn clean_corpus_of_real_docs_and_python_has_only_explained_findings() {
    let roots: Vec<String> = ["/usr/share/doc", "/usr/lib/python3"]
        .into_iter()
        .map(String::from)
        .chain(
            std::fs::read_dir("/usr/lib")
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path().display().to_string())
                .filter(|p| p.starts_with("/usr/lib/python3.")),
        )
        .filter(|p| std::path::Path::new(p).is_dir())
        .collect();
    assert!(
        !roots.is_empty(),
        "no /usr/share/doc or /usr/lib/python3* on this machine"
    );
    let cache = tempfile::tempdir().unwrap();
    let mut unexplained = Vec::new();
    for root in &roots {
        let out = bulkhead(
            &["fs", "--scanners", "secret", "-f", "json", "-q", root],
            cache.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let secrets = report["secrets"].as_array().unwrap();
        println!("{root}: {} findings", secrets.len());
        for s in secrets {
            let (rule, file) = (s["rule_id"].as_str().unwrap(), s["file"].as_str().unwrap());
            let why = EXPLAINED
                .iter()
                .find(|(r, f, _)| *r == rule && file.ends_with(f))
                .map(|(_, _, why)| *why);
            println!(
                "  {rule} {file}:{} {} — {}",
                s["line"],
                s["match"],
                why.unwrap_or("UNEXPLAINED")
            );
            if why.is_none() {
                unexplained.push(format!("{rule} {root}/{file}:{}", s["line"]));
            }
        }
    }
    assert!(unexplained.is_empty(), "false positives: {unexplained:#?}");
}

/// Go's own `crypto/tls/example_test.go` (real, from Debian's golang-1.19-src) carries an
/// example private key. In a root whose dpkg database says the package installed it, that key
/// is the package's content, not the image's: hidden by default, shown with
/// `--secrets-in-packages`, and listed in `suppressed[]` with the reason. The same kind of key
/// in the application's own file is reported.
#[test]
fn secrets_in_package_content_are_hidden_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let example = "usr/share/go-1.19/src/crypto/tls/example_test.go";
    let list = "var/lib/dpkg/info/golang-1.19-src.list";
    for rel in [example, list] {
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(std::path::Path::new("/").join(rel), &to)
            .unwrap_or_else(|e| panic!("/{rel}: {e} (run .ci/setup-lang-binaries.sh: golang)"));
    }
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    // The same example key, in files no package owns: the application and a pip package.
    let text = std::fs::read_to_string(root.join(example)).unwrap();
    let begin = text.find("-----BEGIN").expect("a PEM block in the example");
    let end = text[begin..].find("PRIVATE KEY-----\n").unwrap();
    let end = begin + end + text[begin + end..].find("-----END").unwrap();
    let pem = &text[begin..end + 40.min(text.len() - end)];
    std::fs::create_dir_all(root.join("srv/app")).unwrap();
    std::fs::write(root.join("srv/app/server.key"), pem).unwrap();
    let pip = root.join("usr/local/lib/python3.11/site-packages/demo/certs");
    std::fs::create_dir_all(&pip).unwrap();
    std::fs::write(pip.join("key.pem"), pem).unwrap();
    // And in toolchains a version manager installed in a home directory.
    let toolchains = [
        "root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/key.pem",
        "root/.pyenv/versions/3.11.7/lib/python3.11/urllib/key.pem",
    ];
    for rel in toolchains {
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, pem).unwrap();
    }
    let scan = |extra: &[&str]| {
        let target = root.to_str().unwrap();
        let args = [
            &["rootfs", "--scanners", "secret", "--format", "json"],
            extra,
            &[target],
        ]
        .concat();
        ok_json(bulkhead(&args, &dir.path().join("cache")))
    };
    let files = |report: &Value| -> Vec<String> {
        let mut f: Vec<String> = report["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["file"].as_str().unwrap().to_string())
            .collect();
        f.sort();
        f.dedup();
        f
    };
    let report = scan(&[]);
    assert_eq!(files(&report), ["srv/app/server.key"]);
    let suppressed = report["suppressed"].as_array().unwrap();
    let reasons: Vec<&str> = suppressed
        .iter()
        .map(|s| s["by"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("a file an OS package installed")),
        "{reasons:?}"
    );
    for dir in ["site-packages", ".rustup/toolchains", ".pyenv/versions"] {
        assert!(
            reasons.iter().any(|r| r.contains(dir)),
            "{dir}: {reasons:?}"
        );
    }
    let report = scan(&["--secrets-in-packages"]);
    assert_eq!(
        files(&report),
        [
            toolchains[1],
            toolchains[0],
            "srv/app/server.key",
            "usr/local/lib/python3.11/site-packages/demo/certs/key.pem",
            example,
        ]
    );
}
