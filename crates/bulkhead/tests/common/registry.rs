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
        Self::launch(None, None)
    }

    /// A registry that wants HTTP basic auth (bcrypt htpasswd made by `htpasswd -Bbn`).
    pub fn start_with_htpasswd(user: &str, password: &str) -> Registry {
        Self::launch(Some((user, password)), None)
    }

    /// A registry in token mode: clients are sent to `token`'s realm for a JWT, which the
    /// registry checks against the token server's certificate.
    pub fn start_with_token(token: &TokenServer) -> Registry {
        let mut registry = Self::launch(None, Some(token));
        registry.creds = Some(format!("{}:{}", token.user, token.password));
        registry
    }

    fn launch(auth: Option<(&str, &str)>, token: Option<&TokenServer>) -> Registry {
        require("docker-registry");
        let mut dir = tempfile::tempdir().expect("temp dir");
        let mut auth_yaml = String::new();
        if let Some(token) = token {
            auth_yaml = format!(
                "auth:\n  token:\n    realm: {}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
                token.realm(),
                token.cert.display()
            );
        }
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

pub const TOKEN_SERVICE: &str = "bulkhead-test-registry";
pub const TOKEN_ISSUER: &str = "bulkhead-test-token-issuer";

/// The token server of the distribution spec's auth flow, small enough to read: it answers
/// `GET /token?service=…&scope=…` carrying the right basic credentials with a JWT (RS256,
/// signed by the real `openssl` CLI, its certificate in the `x5c` header) granting the
/// scopes asked for, and 401 otherwise. The registry verifies the JWT itself.
pub struct TokenServer {
    pub user: String,
    pub password: String,
    pub port: u16,
    pub cert: PathBuf,
    /// How many tokens were issued.
    pub issued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl TokenServer {
    pub fn start(user: &str, password: &str) -> TokenServer {
        require("openssl");
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("token.key");
        let cert = dir.path().join("token.crt");
        let out = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=bulkhead-test-token-issuer", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("run openssl");
        assert!(out.status.success(), "openssl req: {out:?}");
        let der = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert)
            .output()
            .expect("run openssl");
        let x5c = b64(&der.stdout, false);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let issued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let expected = format!(
            "Basic {}",
            b64(format!("{user}:{password}").as_bytes(), false)
        );
        let (counter, key_path) = (issued.clone(), key.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer_token_request(stream, &expected, &key_path, &x5c, &counter);
            }
        });
        TokenServer {
            user: user.into(),
            password: password.into(),
            port,
            cert,
            issued,
            _dir: dir,
        }
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }
}

fn answer_token_request(
    mut stream: TcpStream,
    expected_auth: &str,
    key: &Path,
    x5c: &str,
    issued: &std::sync::atomic::AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16384 {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split(' ').nth(1).unwrap_or_default();
    let authorized = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("authorization") && v.trim() == expected_auth
        })
    });
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let access: Vec<serde_json::Value> = query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("scope="))
        .flat_map(|s| percent_decode(s).split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter_map(|scope| {
            let mut parts = scope.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(serde_json::json!({"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}))
        })
        .collect();
    if !target.starts_with("/token") || !authorized {
        let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#;
        return write!(
            stream,
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": TOKEN_ISSUER, "sub": "test", "aud": TOKEN_SERVICE,
        "exp": now + 600, "nbf": now - 60, "iat": now - 60,
        "jti": format!("t{now}{}", issued.load(std::sync::atomic::Ordering::SeqCst)),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes(), true),
        b64(claims.to_string().as_bytes(), true)
    );
    let input_file = key.with_extension(format!(
        "in{}",
        issued.load(std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::write(&input_file, &signing_input)?;
    let signature = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .arg(&input_file)
        .output()?;
    let jwt = format!("{signing_input}.{}", b64(&signature.stdout, true));
    issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let body = serde_json::json!({"token": jwt, "expires_in": 600}).to_string();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Base64 (RFC 4648), standard or URL-safe without padding; written here so the tests do not
/// share the client's encoder.
pub fn b64(bytes: &[u8], url: bool) -> String {
    let alphabet: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | *b as u32) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
