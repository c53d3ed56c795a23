//! End-to-end registry pulls against a real registry (Debian's `docker-registry`, the CNCF
//! distribution server) started per test on 127.0.0.1, with images pushed by real `skopeo`.
//! Expected results come from scanning the same images as OCI layouts, and from the digests
//! the builder and skopeo computed, never from the client under test.

mod common;

use common::registry::Registry;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const SYFT_DEB: &str = "anchore+syft/syft/pkg/cataloger/debian/testdata";
const POSTGRES_STATUS: &str = "quay+claircore/dpkg/testdata/postgresql.status";

/// Debian 10 with real dpkg databases over three layers (gzip, zstd, plain), so it has
/// packages and real vulnerabilities. `marker` makes every layer unique to one test, so the
/// layer cache the tests share never answers for another test's layers.
fn debian_image(marker: &str) -> Built {
    let mark = || file("etc/bulkhead-test-marker", marker);
    let mut replaced = layer(
        "RUN apt-get install postgresql-client",
        vec![
            file("var/lib/dpkg/status", fixture(POSTGRES_STATUS)),
            mark(),
        ],
    );
    replaced.compression = Compression::Zstd;
    let mut extra = layer(
        "COPY status.d /var/lib/dpkg/status.d",
        vec![
            file(
                "var/lib/dpkg/status.d/doc-examples",
                fixture(&format!("{SYFT_DEB}/var/lib/dpkg/status.d/doc-examples")),
            ),
            mark(),
        ],
    );
    extra.compression = Compression::None;
    build(
        &[
            layer(
                "ADD rootfs.tar /",
                vec![
                    os_release("debian", "10"),
                    file(
                        "var/lib/dpkg/status",
                        fixture(&format!("{SYFT_DEB}/image-dpkg/var/lib/dpkg/status")),
                    ),
                    mark(),
                ],
            ),
            extra,
            replaced,
        ],
        "amd64",
    )
}

/// An image with an OS and no packages: no vulnerabilities, so exit codes are integrity's.
fn bare_image(id: &str, version: &str, arch: &str) -> Built {
    build(&[layer("ADD os", vec![os_release(id, version)])], arch)
}

/// Runs bulkhead with the shared advisory cache and an empty Docker config unless `env`
/// names another.
fn run(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bulkhead"));
    cmd.args(args)
        .env("BULKHEAD_CACHE_DIR", cache_with_os_feeds())
        .env("DOCKER_CONFIG", empty.path())
        .env("NO_COLOR", "1")
        .env_remove("BULKHEAD_USERNAME")
        .env_remove("BULKHEAD_PASSWORD");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().expect("run bulkhead")
}

fn json_of(out: &Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn scan_remote(reference: &str, extra: &[&str]) -> Value {
    let mut args = vec!["image", "--format", "json", "--quiet", "--insecure"];
    args.extend_from_slice(extra);
    args.push(reference);
    json_of(&run(&args, &[]), reference)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn pull_by_tag_and_by_digest_equals_the_layout_scan() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let built = debian_image("pull");
    let layout = dir.path().join("oci");
    oci_layout(&layout, &[("1", &built)]);
    // skopeo gzips the uncompressed layer on the way, so the manifest changes; diff_ids and
    // the config do not.
    let pushed = registry.push(&layout, "1", "team/app:1", false);

    // Without the layer cache, so the two scans share nothing but the advisories.
    let local = scan_json(&layout, &["--no-layer-cache"]);
    assert!(
        local["vulnerabilities"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
        "the image must have findings for the comparison to mean something"
    );
    let by_tag = scan_remote(&registry.reference("team/app:1"), &[]);
    let by_digest = scan_remote(&registry.reference(&format!("team/app@{pushed}")), &[]);
    for remote in [&by_tag, &by_digest] {
        assert_eq!(remote["packages"], local["packages"]);
        assert_eq!(remote["vulnerabilities"], local["vulnerabilities"]);
        assert_eq!(remote["os"], local["os"]);
        assert_eq!(remote["artifact"]["type"], "registry");
        assert_eq!(remote["artifact"]["digest"], pushed.as_str());
        assert_eq!(
            remote["artifact"]["config_digest"],
            built.config_digest.as_str()
        );
        let diff_ids = |r: &Value| -> Vec<Value> {
            r["artifact"]["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["diff_id"].clone())
                .collect()
        };
        assert_eq!(diff_ids(remote), diff_ids(&local));
        let layer_digests: Vec<Value> = remote["artifact"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].clone())
            .collect();
        assert_eq!(layer_digests, registry.layer_digests(&pushed));
        assert_eq!(remote["integrity"]["manifest_digest"], pushed.as_str());
        assert_eq!(
            remote["integrity"]["config_digest"],
            built.config_digest.as_str()
        );
    }
    assert_eq!(by_tag["integrity"]["pinned"], false);
    assert_eq!(
        by_tag["integrity"]["findings"][0]["id"],
        "unpinned-reference"
    );
    assert_eq!(
        by_tag["artifact"]["repo_tags"][0],
        registry.reference("team/app:1").as_str()
    );
    assert_eq!(by_digest["integrity"]["pinned"], true);
    assert_eq!(by_digest["integrity"]["findings"], serde_json::json!([]));
}

#[test]
fn expect_digest_catches_a_moved_tag() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let first = bare_image("alpine", "3.19.1", "amd64");
    let second = bare_image("alpine", "3.20.0", "amd64");
    oci_layout(&dir.path().join("a"), &[("v", &first)]);
    oci_layout(&dir.path().join("b"), &[("v", &second)]);
    let reference = registry.reference("app:stable");
    let recorded = registry.push(&dir.path().join("a"), "v", "app:stable", false);
    let scan = |expected: &str| {
        run(
            &[
                "image",
                "--insecure",
                "--quiet",
                // Integrity alone decides: the image runs as root, which config checks flag.
                "--scanners",
                "vuln",
                "--format",
                "json",
                "--exit-code",
                "5",
                "--expect-digest",
                expected,
                &reference,
            ],
            &[],
        )
    };
    let same = scan(&recorded);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));

    // Someone pushes another image under the same tag.
    let moved_to = registry.push(&dir.path().join("b"), "v", "app:stable", false);
    assert_ne!(moved_to, recorded);
    let moved = scan(&recorded);
    assert_eq!(moved.status.code(), Some(5), "{}", stderr(&moved));
    let report: Value = serde_json::from_slice(&moved.stdout).unwrap();
    let mismatch = report["integrity"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "digest-mismatch")
        .expect("digest-mismatch finding");
    assert_eq!(mismatch["severity"], "CRITICAL");
    let message = mismatch["message"].as_str().unwrap();
    assert!(
        message.contains(&recorded) && message.contains(&moved_to),
        "{message}"
    );
    assert_eq!(report["integrity"]["expected_digest"], recorded.as_str());

    let malformed = scan("sha256:1234");
    assert_eq!(malformed.status.code(), Some(2));
    assert!(stderr(&malformed).contains("--expect-digest"));
}

#[test]
fn multi_platform_index_with_platform() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let amd = bare_image("debian", "11", "amd64");
    let arm = bare_image("alpine", "3.11.6", "arm64");
    let layout = dir.path().join("multi");
    oci_multiplatform(&layout, &[("linux/amd64", &amd), ("linux/arm64", &arm)]);
    let index_digest = registry.push(&layout, "multi", "multi:1", true);
    let reference = registry.reference("multi:1");

    let amd_report = scan_remote(&reference, &[]);
    assert_eq!(amd_report["os"]["family"], "debian");
    assert_eq!(
        amd_report["artifact"]["digest"],
        amd.manifest_digest.as_str()
    );
    let arm_report = scan_remote(&reference, &["--platform", "linux/arm64"]);
    assert_eq!(arm_report["os"]["family"], "alpine");
    assert_eq!(
        arm_report["artifact"]["digest"],
        arm.manifest_digest.as_str()
    );
    assert_eq!(
        arm_report["integrity"]["index_digest"],
        index_digest.as_str()
    );
    let pinned = scan_remote(
        &registry.reference(&format!("multi@{index_digest}")),
        &["--platform", "linux/arm64"],
    );
    assert_eq!(pinned["artifact"]["digest"], arm.manifest_digest.as_str());

    let out = run(
        &[
            "image",
            "--insecure",
            "--platform",
            "linux/s390x",
            &reference,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("linux/amd64") && err.contains("linux/arm64"),
        "{err}"
    );
}

/// Flips bytes in a blob in the registry's storage, keeping its size.
fn tamper(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    let end = (middle + 16).min(bytes.len());
    for b in &mut bytes[middle..end] {
        *b ^= 0x5a;
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn tampered_blobs_in_the_registry_stop_the_scan() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let built = debian_image("tamper");
    let layout = dir.path().join("oci");
    oci_layout(&layout, &[("1", &built)]);
    let pushed = registry.push(&layout, "1", "app:1", false);
    let reference = registry.reference("app:1");
    // No layer cache: a layer verified and analysed once is (rightly) not fetched again.
    let scan = || {
        run(
            &[
                "image",
                "--insecure",
                "--quiet",
                "--no-layer-cache",
                &reference,
            ],
            &[],
        )
    };
    assert_eq!(scan().status.code(), Some(0));

    // A layer: caught while streaming, naming the blob.
    let layers = registry.layer_digests(&pushed);
    let layer = layers[1].as_str().unwrap();
    tamper(&registry.blob_path(layer));
    let out = scan();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(layer) && err.contains("mismatch") && err.contains("tampered"),
        "{err}"
    );

    // The config: caught before any layer is read.
    tamper(&registry.blob_path(&built.config_digest));
    let err = stderr(&scan());
    assert!(
        err.contains(&built.config_digest) && err.contains("digest mismatch"),
        "{err}"
    );

    // The manifest: its bytes no longer hash to the digest the registry announces.
    tamper(&registry.blob_path(&pushed));
    let out = scan();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("manifest") && err.contains("digest mismatch"),
        "{err}"
    );
}

#[test]
fn plain_http_needs_insecure() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let image = bare_image("alpine", "3.19.1", "amd64");
    oci_layout(&dir.path().join("oci"), &[("v", &image)]);
    registry.push(&dir.path().join("oci"), "v", "app:v", false);
    let out = run(&["image", "--quiet", &registry.reference("app:v")], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--insecure") && err.contains(&registry.host()),
        "{err}"
    );
}

fn docker_config(dir: &Path, host: &str, user: &str, password: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let auth = common::registry::b64(format!("{user}:{password}").as_bytes(), false);
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths": {{"{host}": {{"auth": "{auth}"}}}}}}"#),
    )
    .unwrap();
}

#[test]
fn basic_auth_with_docker_config_and_credential_helper() {
    let registry = Registry::start_with_htpasswd("alice", "correct horse");
    let dir = tempfile::tempdir().unwrap();
    let image = bare_image("alpine", "3.19.1", "amd64");
    oci_layout(&dir.path().join("oci"), &[("v", &image)]);
    registry.push(&dir.path().join("oci"), "v", "private/app:v", false);
    let reference = registry.reference("private/app:v");
    let args = [
        "image",
        "--insecure",
        "--quiet",
        "--format",
        "json",
        reference.as_str(),
    ];

    let anonymous = run(&args, &[]);
    assert_eq!(anonymous.status.code(), Some(2));
    let err = stderr(&anonymous);
    assert!(
        err.contains("authentication failed") && err.contains("docker login"),
        "{err}"
    );

    let good = dir.path().join("good");
    docker_config(&good, &registry.host(), "alice", "correct horse");
    let report = json_of(&run(&args, &[("DOCKER_CONFIG", &good)]), "with config.json");
    assert_eq!(report["artifact"]["digest"], image.manifest_digest.as_str());

    let bad = dir.path().join("bad");
    docker_config(&bad, &registry.host(), "alice", "wrong");
    let out = run(&args, &[("DOCKER_CONFIG", &bad)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("rejected") && err.contains(&bad.join("config.json").display().to_string()),
        "{err}"
    );

    // A credential helper (the user's own program, named in config.json) supplies them.
    let helper_dir = dir.path().join("helpers");
    std::fs::create_dir_all(&helper_dir).unwrap();
    let helper = helper_dir.join("docker-credential-bulkheadtest");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"correct horse\"}' \"$server\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let with_helper = dir.path().join("helper-config");
    std::fs::create_dir_all(&with_helper).unwrap();
    std::fs::write(
        with_helper.join("config.json"),
        format!(
            r#"{{"credHelpers": {{"{}": "bulkheadtest"}}}}"#,
            registry.host()
        ),
    )
    .unwrap();
    let path = std::env::join_paths(std::iter::once(helper_dir.clone()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = run(
        &args,
        &[("DOCKER_CONFIG", &with_helper), ("PATH", Path::new(&path))],
    );
    assert_eq!(
        json_of(&out, "with helper")["artifact"]["digest"],
        image.manifest_digest.as_str()
    );

    // Explicit flags win over the config.
    let mut explicit = vec!["image", "--insecure", "--quiet", "--format", "json"];
    explicit.extend([
        "--username",
        "alice",
        "--password",
        "correct horse",
        reference.as_str(),
    ]);
    json_of(
        &run(&explicit, &[("DOCKER_CONFIG", &bad)]),
        "with --username",
    );
}

#[test]
fn second_scan_downloads_no_layer_blobs() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let built = debian_image("cache");
    oci_layout(&dir.path().join("oci"), &[("1", &built)]);
    let pushed = registry.push(&dir.path().join("oci"), "1", "cached:1", false);
    let layers: Vec<String> = registry
        .layer_digests(&pushed)
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let reference = registry.reference("cached:1");

    let first = scan_remote(&reference, &[]);
    for layer in &layers {
        assert_eq!(registry.blob_gets(layer), 1, "{layer} downloaded once");
    }
    let config_gets = registry.blob_gets(&built.config_digest);
    let second = scan_remote(&reference, &[]);
    for layer in &layers {
        assert_eq!(registry.blob_gets(layer), 1, "{layer} not downloaded again");
    }
    // The manifest and config were fetched (and verified) again; only layers were skipped.
    assert_eq!(registry.blob_gets(&built.config_digest), config_gets + 1);
    assert_eq!(second["packages"], first["packages"]);
    assert_eq!(second["vulnerabilities"], first["vulnerabilities"]);
    assert_eq!(second["artifact"], first["artifact"]);
    assert!(first["packages"].as_array().is_some_and(|p| !p.is_empty()));
}

#[test]
fn bearer_token_flow_against_a_token_mode_registry() {
    let token = common::registry::TokenServer::start("bob", "hunter22");
    let registry = Registry::start_with_token(&token);
    let dir = tempfile::tempdir().unwrap();
    let image = bare_image("alpine", "3.18.4", "amd64");
    oci_layout(&dir.path().join("oci"), &[("v", &image)]);
    registry.push(&dir.path().join("oci"), "v", "tokened/app:v", false);
    let reference = registry.reference("tokened/app:v");
    let args = [
        "image",
        "--insecure",
        "--quiet",
        "--format",
        "json",
        reference.as_str(),
    ];

    let anonymous = run(&args, &[]);
    assert_eq!(anonymous.status.code(), Some(2));
    assert!(
        stderr(&anonymous).contains("token server"),
        "{}",
        stderr(&anonymous)
    );

    let before = token.issued.load(std::sync::atomic::Ordering::SeqCst);
    let good = dir.path().join("good");
    docker_config(&good, &registry.host(), "bob", "hunter22");
    let report = json_of(&run(&args, &[("DOCKER_CONFIG", &good)]), "token flow");
    assert_eq!(report["artifact"]["digest"], image.manifest_digest.as_str());
    assert!(
        token.issued.load(std::sync::atomic::Ordering::SeqCst) > before,
        "a token was issued"
    );

    let bad = dir.path().join("bad");
    docker_config(&bad, &registry.host(), "bob", "wrong");
    let out = run(&args, &[("DOCKER_CONFIG", &bad)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("token server") && err.contains("rejected"),
        "{err}"
    );
}

/// The client API the verify command builds on: tags, manifests, blobs, referrers (the
/// registry here predates the OCI 1.1 referrers API, so the `sha256-<hex>` tag schema is used).
#[test]
fn client_tags_manifests_blobs_and_referrers() {
    use source::registry::{Client, Reference, RegistryOptions};
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let image = bare_image("alpine", "3.17.0", "amd64");
    oci_layout(&dir.path().join("oci"), &[("v", &image)]);
    let digest = registry.push(&dir.path().join("oci"), "v", "lib/app:1.0", false);
    registry.push(&dir.path().join("oci"), "v", "lib/app:latest", false);

    let reference = Reference::parse(&registry.reference("lib/app:1.0")).unwrap();
    let options = RegistryOptions {
        insecure: true,
        docker_config: Some(dir.path().join("no-docker-config")),
        ..RegistryOptions::default()
    };
    let client = Client::new(&reference, &options).unwrap();
    let mut tags = client.tags().unwrap();
    tags.sort();
    assert_eq!(tags, ["1.0", "latest"]);
    let fetched = client.manifest("1.0").unwrap();
    assert_eq!(fetched.digest, digest);
    assert_eq!(
        fetched.media_type,
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(client.manifest(&digest).unwrap().bytes, fetched.bytes);
    assert_eq!(
        client.blob(&image.config_digest, 1 << 20).unwrap(),
        image.config
    );
    let err = client
        .blob(&image.config_digest, 8)
        .unwrap_err()
        .to_string();
    assert!(err.contains("limit"), "{err}");
    assert!(matches!(
        client.manifest("nope"),
        Err(source::registry::Error::NotFound { .. })
    ));
    assert!(client.referrers(&digest, None).unwrap().is_empty());

    // Two artifacts "referring" to the image, as an index under the fallback tag.
    let sig = bare_image("alpine", "0.0.1", "amd64");
    let att = bare_image("alpine", "0.0.2", "arm64");
    let layout = dir.path().join("referrers");
    oci_multiplatform(&layout, &[("linux/amd64", &sig), ("linux/arm64", &att)]);
    let fallback_tag = format!("lib/app:sha256-{}", &digest["sha256:".len()..]);
    registry.push(&layout, "multi", &fallback_tag, true);
    let found: Vec<String> = client
        .referrers(&digest, None)
        .unwrap()
        .into_iter()
        .map(|d| d.digest)
        .collect();
    assert_eq!(
        found,
        [sig.manifest_digest.clone(), att.manifest_digest.clone()]
    );
    assert!(client
        .referrers(&digest, Some("application/vnd.dev.sigstore.bundle+json"))
        .unwrap()
        .is_empty());
}
