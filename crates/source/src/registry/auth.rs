//! Registry authentication: the `WWW-Authenticate` challenge, and credentials from the
//! options or Docker's `config.json` (inline `auths`, `credHelpers`, `credsStore`).

use super::Error;
use base64::Engine;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

impl Credentials {
    pub fn basic_header(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

/// Credentials and where they came from, for error messages.
#[derive(Debug, Clone)]
pub struct Found {
    pub credentials: Credentials,
    pub origin: String,
}

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = parse_params(rest);
        Some(Challenge::Bearer {
            realm: params.get("realm")?.clone(),
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        })
    }
}

/// `k="v", k2=v2` (quoted values may hold commas and escaped quotes).
fn parse_params(text: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = chars.by_ref().take_while(|c| *c != ',').collect();
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    params
}

/// Where Docker keeps `config.json`: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The keys `config.json` may file a registry under.
fn config_keys(registry: &str) -> Vec<String> {
    if registry == super::reference::DOCKER_HUB {
        return vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ];
    }
    vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
    ]
}

/// Credentials for `registry` from the Docker config in `dir`, if any. A helper named by
/// `credHelpers` (or `credsStore`) is the user's own program, run as `docker-credential-NAME get`.
pub fn from_docker_config(dir: &Path, registry: &str) -> Result<Option<Found>, Error> {
    let path = dir.join("config.json");
    let shown = path.display().to_string();
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Credentials {
                origin: shown,
                message: e.to_string(),
            })
        }
    };
    let config: DockerConfig = serde_json::from_slice(&bytes).map_err(|e| Error::Credentials {
        origin: shown.clone(),
        message: format!("not valid JSON: {e}"),
    })?;
    let keys = config_keys(registry);
    let helper = keys
        .iter()
        .find_map(|k| config.cred_helpers.get(k))
        .or(config.creds_store.as_ref());
    if let Some(helper) = helper {
        // A credsStore holds only what was stored with it; fall through to `auths` when it has
        // nothing for this registry.
        if let Some(found) = run_helper(helper, registry)? {
            return Ok(Some(found));
        }
    }
    for key in &keys {
        let Some(entry) = config.auths.get(key) else {
            continue;
        };
        let origin = format!("{shown} (auths.{key})");
        if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
            return Ok(Some(Found {
                credentials: Credentials {
                    username: username.clone(),
                    password: password.clone(),
                },
                origin,
            }));
        }
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((username, password)) = decoded.as_deref().and_then(|d| d.split_once(':'))
            else {
                return Err(Error::Credentials {
                    origin,
                    message: "`auth` is not base64 of USER:PASSWORD".into(),
                });
            };
            return Ok(Some(Found {
                credentials: Credentials {
                    username: username.to_string(),
                    password: password.to_string(),
                },
                origin,
            }));
        }
    }
    Ok(None)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

fn run_helper(name: &str, registry: &str) -> Result<Option<Found>, Error> {
    let program = format!("docker-credential-{name}");
    let fail = |message: String| Error::Credentials {
        origin: program.clone(),
        message,
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(fail("not a valid credential helper name".into()));
    }
    let server = if registry == super::reference::DOCKER_HUB {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run it (is it on PATH?): {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is reported by its exit status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        // The protocol's answer for "nothing stored for this server".
        if stderr.contains("credentials not found") {
            return Ok(None);
        }
        return Err(fail(format!("{}: {}", out.status, stderr.trim())));
    }
    let answer: HelperAnswer = serde_json::from_slice(&out.stdout)
        .map_err(|e| fail(format!("answer is not the helper protocol's JSON: {e}")))?;
    if answer.username == "<token>" {
        return Err(fail(
            "returned an identity token (OAuth2 refresh token); only username/password credentials are supported".into(),
        ));
    }
    Ok(Some(Found {
        credentials: Credentials {
            username: answer.username,
            password: answer.secret,
        },
        origin: format!("{program} get"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_challenges() {
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        assert_eq!(
            Challenge::parse(
                r#"bearer realm=http://127.0.0.1:1/t, scope="repository:a:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: None,
                scope: Some("repository:a:pull,push".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Bearer service=x"), None);
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn reads_docker_config_auths() {
        let dir = tempfile::tempdir().unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3:cret");
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths": {{"https://reg.example:5000": {{"auth": "{auth}"}}}}}}"#),
        )
        .unwrap();
        let found = from_docker_config(dir.path(), "reg.example:5000")
            .unwrap()
            .unwrap();
        assert_eq!(found.credentials.username, "alice");
        assert_eq!(found.credentials.password, "s3:cret");
        assert!(from_docker_config(dir.path(), "other.example")
            .unwrap()
            .is_none());
    }

    #[test]
    fn rejects_hostile_helper_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"credHelpers": {"reg.example": "../../bin/sh"}}"#,
        )
        .unwrap();
        let err = from_docker_config(dir.path(), "reg.example").unwrap_err();
        assert!(err
            .to_string()
            .contains("not a valid credential helper name"));
    }
}
