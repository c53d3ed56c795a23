//! A real OCI registry for tests: Debian's `docker-registry` (the CNCF distribution server)
//! on 127.0.0.1 with a free port and its own storage in a temp dir, fed by real `skopeo copy`.
//! Stopped on drop. Tools come from `.ci/setup-registry.sh`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SETUP: &str = ".ci/setup-registry.sh";

/// Panics with the setup script's name when a tool the registry tests need is missing.
pub fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    assert!(found, "`{tool}` is not installed; run {SETUP} (CI does)");
}

pub struct Registry {
    child: Child,
    pub port: u16,
    /// Holds `config.yml`, `data/` (the storage), `registry.log` and `htpasswd`.
    pub dir: tempfile::TempDir,
    /// `user:password` when started with htpasswd auth.
    pub creds: Option<String>,
}

impl Registry {
    /// An anonymous registry.
    pub fn start() -> Registry {
        Self::launch(None)
    }

    /// A registry that wants HTTP basic auth (bcrypt htpasswd made by `htpasswd -Bbn`).
    pub fn start_with_htpasswd(user: &str, password: &str) -> Registry {
        Self::launch(Some((user, password)))
    }

    fn launch(auth: Option<(&str, &str)>) -> Registry {
        require("docker-registry");
        let mut dir = tempfile::tempdir().expect("temp dir");
        let mut auth_yaml = String::new();
        if let Some((user, password)) = auth {
            require("htpasswd");
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("run htpasswd");
            assert!(out.status.success(), "htpasswd failed: {out:?}");
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).unwrap();
            auth_yaml = format!(
                "auth:\n  htpasswd:\n    realm: bulkhead-test\n    path: {}\n",
                file.display()
            );
        }
        // A port taken between probing and binding makes the server exit; try a few.
        for _ in 0..5 {
            let port = free_port();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth_yaml}",
                    dir.path().join("data").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            let mut registry = Registry {
                child,
                port,
                dir,
                creds: auth.map(|(u, p)| format!("{u}:{p}")),
            };
            if registry.wait_ready() {
                return registry;
            }
            let _ = registry.child.kill();
            let _ = registry.child.wait();
            let log = registry.log();
            if !log.contains("address already in use") {
                panic!("docker-registry did not start:\n{log}");
            }
            dir = std::mem::replace(&mut registry.dir, tempfile::tempdir().unwrap());
        }
        panic!("docker-registry: no free port after 5 tries");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let request = "GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
                let mut answer = String::new();
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_to_string(&mut answer).is_ok()
                    && answer.starts_with("HTTP/1.")
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// `127.0.0.1:PORT`
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT/NAME`
    pub fn reference(&self, name: &str) -> String {
        format!("{}/{name}", self.host())
    }

    /// Pushes `layout:tag` (an OCI layout) to `name` (`app:1`) with real `skopeo copy`; `all`
    /// copies every platform of an index. Returns the digest the registry now serves.
    pub fn push(&self, layout: &Path, tag: &str, name: &str, all: bool) -> String {
        require("skopeo");
        let digest_file = self.dir.path().join("pushed-digest");
        let mut cmd = Command::new("skopeo");
        cmd.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]);
        if all {
            cmd.arg("--all");
        }
        if let Some(creds) = &self.creds {
            cmd.arg(format!("--dest-creds={creds}"));
        }
        cmd.arg("--digestfile")
            .arg(&digest_file)
            .arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("docker://{}", self.reference(name)));
        let out = cmd.output().expect("run skopeo");
        assert!(
            out.status.success(),
            "skopeo copy failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&digest_file)
            .expect("skopeo --digestfile")
            .trim()
            .to_string()
    }

    /// Where the registry stores a blob: `docker/registry/v2/blobs/sha256/xx/HEX/data`.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The layer digests of a pushed manifest, read from the registry's storage.
    pub fn layer_digests(&self, manifest_digest: &str) -> Vec<serde_json::Value> {
        let bytes = std::fs::read(self.blob_path(manifest_digest)).expect("pushed manifest");
        let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        manifest["layers"]
            .as_array()
            .expect("an image manifest")
            .iter()
            .map(|l| l["digest"].clone())
            .collect()
    }

    /// The server's log, including its access log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// How many `GET …/blobs/DIGEST` requests the access log shows.
    pub fn blob_gets(&self, digest: &str) -> usize {
        let needle = format!("/blobs/{digest} HTTP");
        self.log()
            .lines()
            .filter(|l| l.contains("\"GET ") && l.contains(&needle))
            .count()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
