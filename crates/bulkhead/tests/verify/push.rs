//! Pushing signature and attestation artifacts the way cosign does, with the real `curl` CLI
//! speaking the OCI distribution API (POST upload session, PUT blob by digest, PUT manifest).

use super::reference::{sha256, ArtifactManifest};
use std::io::Write;
use std::process::{Command, Stdio};

fn curl(args: &[&str], body: &[u8]) -> String {
    let mut child = Command::new("curl")
        .args(["-sS", "--fail-with-body"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl runs (.ci/setup-verify.sh installs it)");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Uploads a blob (two-step: upload session, then PUT with its digest); returns the digest.
pub fn put_blob(host: &str, repo: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let headers = curl(
        &[
            "-X",
            "POST",
            "-D",
            "-",
            "-o",
            "/dev/null",
            &format!("http://{host}/v2/{repo}/blobs/uploads/"),
        ],
        b"",
    );
    let location = headers
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
        })
        .map(|(_, v)| v.trim().to_string())
        .expect("upload session Location header");
    let url = if location.starts_with('/') {
        format!("http://{host}{location}")
    } else {
        location
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    curl(
        &[
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            "@-",
            &format!("{url}{sep}digest={digest}"),
        ],
        bytes,
    );
    digest
}

/// PUTs a manifest under a tag or digest; returns its digest.
pub fn put_manifest(
    host: &str,
    repo: &str,
    reference: &str,
    manifest: &[u8],
    media_type: &str,
) -> String {
    curl(
        &[
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {media_type}"),
            "--data-binary",
            "@-",
            &format!("http://{host}/v2/{repo}/manifests/{reference}"),
        ],
        manifest,
    );
    sha256(manifest)
}

/// Pushes an artifact's blobs and its manifest under `reference`.
pub fn push_artifact(
    host: &str,
    repo: &str,
    reference: &str,
    artifact: &ArtifactManifest,
) -> String {
    for blob in &artifact.blobs {
        put_blob(host, repo, blob);
    }
    put_manifest(
        host,
        repo,
        reference,
        &artifact.manifest,
        "application/vnd.oci.image.manifest.v1+json",
    )
}
