//! A client for the OCI distribution API (what every registry speaks): manifests, blobs,
//! tags and referrers, with anonymous, basic and bearer-token auth. Every document is read
//! under a size cap and checked against its digest; layers are streamed to the artifact
//! stage, which checks digest and size as it reads.

mod auth;
mod image;
mod reference;

pub use auth::{docker_config_dir, Challenge, Credentials};
pub use image::{open, RegistryBlobs};
pub use reference::{is_sha256_digest, Reference};

use crate::digest::sha256_digest;
use crate::spec::{Descriptor, Index};
use crate::Platform;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use ureq::http::{Response, StatusCode};
use ureq::Body;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
fn max_redirects() -> u32 {
    u32::try_from(inventory::limits::get(inventory::limits::Limit::Redirects)).unwrap_or(u32::MAX)
}
fn max_tag_pages() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::TagPages)
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{reference:?} is not an image reference: {message}")]
    Reference { reference: String, message: String },
    #[error("cannot reach registry {registry}: {message}")]
    Connect { registry: String, message: String },
    #[error("{registry}: authentication failed: {message}")]
    Auth { registry: String, message: String },
    #[error("credentials from {origin}: {message}")]
    Credentials { origin: String, message: String },
    #[error("{what}: not found")]
    NotFound { what: String },
    #[error("{url}: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("{what}: larger than the {limit}-byte limit for documents")]
    TooLarge { what: String, limit: u64 },
    #[error("{what}: digest mismatch: expected {expected}, content hashes to {actual} (the registry or something between it and us served altered content)")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
}

/// How to reach a registry and what to pick from it.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Allows plain HTTP (and TLS without certificate checks); HTTPS with verified
    /// certificates otherwise.
    pub insecure: bool,
    pub platform: Platform,
    /// Cap on manifests, indexes and configs, which are read into memory.
    pub max_document_size: u64,
    /// Explicit credentials; when `None`, Docker's `config.json` is consulted.
    pub credentials: Option<Credentials>,
    /// Where `config.json` lives; `None`: `$DOCKER_CONFIG` or `~/.docker`.
    pub docker_config: Option<PathBuf>,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            insecure: false,
            platform: Platform::parse("linux/amd64").expect("valid default platform"),
            max_document_size: inventory::limits::get(inventory::limits::Limit::Document),
            credentials: None,
            docker_config: None,
        }
    }
}

/// A manifest or index as served, already checked against its digest.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: String,
}

/// A connection to one repository of one registry. Cheap to share between threads.
pub struct Client {
    agent: ureq::Agent,
    /// `https://host[:port]` or, with `insecure`, possibly `http://…`.
    base: String,
    reference: Reference,
    credentials: Option<auth::Found>,
    max_document_size: u64,
    insecure: bool,
    /// The `Authorization` header value that works, once known.
    authorization: Mutex<Option<String>>,
}

impl Client {
    /// Connects (`GET /v2/`) and settles on a scheme and an auth method.
    pub fn new(reference: &Reference, options: &RegistryOptions) -> Result<Client, Error> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if options.insecure {
            tls = tls.disable_verification(true);
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(!options.insecure)
            .tls_config(tls.build())
            .max_redirects(max_redirects())
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_per_read(Some(Duration::from_secs(120)))
            .user_agent(concat!("bulkhead/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let credentials = match &options.credentials {
            Some(c) => Some(auth::Found {
                credentials: c.clone(),
                origin: "--username/--password".into(),
            }),
            None => match options.docker_config.clone().or_else(docker_config_dir) {
                Some(dir) => auth::from_docker_config(&dir, &reference.registry)?,
                None => None,
            },
        };
        let host = reference.api_host();
        let https = format!("https://{host}");
        let (base, ping) = match ping(&agent, &https) {
            Ok(resp) => (https, resp),
            Err(tls_error) if options.insecure => {
                let http = format!("http://{host}");
                match ping(&agent, &http) {
                    Ok(resp) => (http, resp),
                    Err(e) => {
                        return Err(Error::Connect {
                            registry: host.to_string(),
                            message: format!("over HTTPS: {tls_error}; over HTTP: {e}"),
                        })
                    }
                }
            }
            Err(e) => {
                // A name that does not resolve is not a TLS problem: --insecure would not help.
                let text = e.to_string();
                let unresolved = ["lookup address", "Name or service not known", "dns"]
                    .iter()
                    .any(|m| text.contains(m));
                let message = if unresolved {
                    format!("{text} (the host name does not resolve: check the reference)")
                } else {
                    format!(
                        "{text} (over HTTPS; if this registry serves plain HTTP, add --insecure)"
                    )
                };
                return Err(Error::Connect {
                    registry: host.to_string(),
                    message,
                });
            }
        };
        let client = Client {
            agent,
            base,
            reference: reference.clone(),
            credentials,
            max_document_size: options.max_document_size,
            insecure: options.insecure,
            authorization: Mutex::new(None),
        };
        match ping.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => client.answer_challenge(&ping, None)?,
            status => {
                return Err(Error::Connect {
                    registry: host.to_string(),
                    message: format!(
                        "GET {}/v2/ answered HTTP {} (is this an OCI registry?)",
                        client.base,
                        status.as_u16()
                    ),
                })
            }
        }
        Ok(client)
    }

    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// A manifest or index by tag or digest, checked against the digest asked for and
    /// against the registry's `Docker-Content-Digest`.
    pub fn manifest(&self, reference_or_digest: &str) -> Result<Fetched, Error> {
        let by_digest = is_sha256_digest(reference_or_digest);
        if !by_digest && Reference::parse(&format!("x:{reference_or_digest}")).is_err() {
            return Err(Error::Reference {
                reference: reference_or_digest.to_string(),
                message: "neither a tag nor a sha256 digest".into(),
            });
        }
        let what = format!("manifest {}@{reference_or_digest}", self.reference.name());
        let url = self.url(&format!("manifests/{reference_or_digest}"));
        let mut resp = self.get(&url, Some(MANIFEST_ACCEPT))?;
        self.expect_ok(&resp, &url, &what)?;
        let header_digest = header(&resp, "docker-content-digest");
        let content_type = header(&resp, "content-type")
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_string());
        let bytes = self.read_document(&mut resp, &what, self.max_document_size)?;
        let digest = sha256_digest(&bytes);
        let mismatch = |expected: &str| Error::DigestMismatch {
            what: what.clone(),
            expected: expected.to_string(),
            actual: digest.clone(),
        };
        if by_digest && digest != reference_or_digest {
            return Err(mismatch(reference_or_digest));
        }
        if let Some(claimed) = header_digest.filter(|d| d.starts_with("sha256:")) {
            if claimed != digest {
                return Err(mismatch(&claimed));
            }
        }
        let media_type = content_type
            .filter(|t| t.starts_with("application/vnd."))
            .or_else(|| {
                serde_json::from_slice::<MediaTypeOnly>(&bytes)
                    .ok()
                    .and_then(|m| m.media_type)
            })
            .unwrap_or_default();
        Ok(Fetched {
            bytes,
            media_type,
            digest,
        })
    }

    /// A small blob (config, signature payload), at most `max_size` bytes, digest-checked.
    pub fn blob(&self, digest: &str, max_size: u64) -> Result<Vec<u8>, Error> {
        let (url, mut resp) = self.open_blob(digest)?;
        let bytes = self.read_document(&mut resp, &url, max_size)?;
        let actual = sha256_digest(&bytes);
        if actual != digest {
            return Err(Error::DigestMismatch {
                what: format!("blob {url}"),
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Starts a blob download (redirects to blob storage followed); the caller verifies.
    pub(crate) fn open_blob(&self, digest: &str) -> Result<(String, Response<Body>), Error> {
        if !is_sha256_digest(digest) {
            return Err(Error::Reference {
                reference: digest.to_string(),
                message: "a blob digest must be sha256:<64 lower-case hex>".into(),
            });
        }
        let url = self.url(&format!("blobs/{digest}"));
        let resp = self.get(&url, None)?;
        self.expect_ok(&resp, &url, &format!("blob {url}"))?;
        Ok((url, resp))
    }

    pub(crate) fn blob_url(&self, digest: &str) -> String {
        self.url(&format!("blobs/{digest}"))
    }

    /// Manifests that refer to `digest` (signatures, attestations, SBOMs): the OCI 1.1
    /// referrers API, or the `sha256-<hex>` tag schema where the registry lacks it.
    pub fn referrers(
        &self,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>, Error> {
        if !is_sha256_digest(digest) {
            return Err(Error::Reference {
                reference: digest.to_string(),
                message: "referrers are looked up by sha256 digest".into(),
            });
        }
        let mut url = self.url(&format!("referrers/{digest}"));
        if let Some(kind) = artifact_type {
            url = format!("{url}?artifactType={}", percent_encode(kind));
        }
        let what = format!("referrers of {}@{digest}", self.reference.name());
        let mut resp = self.get(&url, Some(OCI_INDEX))?;
        let index_bytes = if resp.status() == StatusCode::OK {
            self.read_document(&mut resp, &what, self.max_document_size)?
        } else if matches!(resp.status().as_u16(), 404 | 400 | 405) {
            let fallback = format!("sha256-{}", &digest["sha256:".len()..]);
            match self.manifest(&fallback) {
                Ok(fetched) => fetched.bytes,
                Err(Error::NotFound { .. }) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            }
        } else {
            return Err(self.status_error(&resp, &url, &what));
        };
        let index: Index = parse_json(&index_bytes, &what)?;
        Ok(index
            .manifests
            .into_iter()
            .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
            .collect())
    }

    /// Every tag of the repository (paginated through `Link` headers).
    pub fn tags(&self) -> Result<Vec<String>, Error> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut tags = Vec::new();
        let mut url = self.url("tags/list");
        for _ in 0..max_tag_pages() {
            let what = format!("tags of {}", self.reference.name());
            let mut resp = self.get(&url, Some("application/json"))?;
            self.expect_ok(&resp, &url, &what)?;
            let next = header(&resp, "link").and_then(|l| next_link(&l));
            let bytes = self.read_document(&mut resp, &what, self.max_document_size)?;
            let page: TagList = parse_json(&bytes, &what)?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(path) if path.starts_with('/') => url = format!("{}{path}", self.base),
                _ => return Ok(tags),
            }
        }
        Ok(tags)
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/v2/{}/{rest}", self.base, self.reference.repository)
    }

    /// GET with the auth that works; on a 401, answers the challenge once and retries.
    fn get(&self, url: &str, accept: Option<&str>) -> Result<Response<Body>, Error> {
        let send = |authorization: Option<String>| {
            let mut req = self.agent.get(url);
            if let Some(accept) = accept {
                req = req.header("Accept", accept);
            }
            if let Some(value) = authorization {
                req = req.header("Authorization", value);
            }
            req.call().map_err(|e| self.transport_error(url, e))
        };
        let current = self.current_authorization();
        let resp = send(current.clone())?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        self.answer_challenge(&resp, current.as_deref())?;
        let resp = send(self.current_authorization())?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            return Err(self.rejected("the registry refused the credentials it asked for"));
        }
        Ok(resp)
    }

    fn current_authorization(&self) -> Option<String> {
        self.authorization
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Works out the `Authorization` header a 401 asks for.
    fn answer_challenge(&self, resp: &Response<Body>, sent: Option<&str>) -> Result<(), Error> {
        let challenge = header(resp, "www-authenticate")
            .and_then(|h| Challenge::parse(&h))
            .ok_or_else(|| {
                self.rejected("HTTP 401 without a Basic or Bearer WWW-Authenticate challenge")
            })?;
        let value = match challenge {
            Challenge::Basic => {
                let Some(found) = &self.credentials else {
                    return Err(self.rejected("the registry wants a username and password; log in with `docker login`, or pass --username and --password"));
                };
                let value = found.credentials.basic_header();
                if sent == Some(value.as_str()) {
                    return Err(self.rejected(&format!(
                        "the credentials from {} were rejected",
                        found.origin
                    )));
                }
                value
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                let scope = scope
                    .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
                format!(
                    "Bearer {}",
                    self.fetch_token(&realm, service.as_deref(), &scope)?
                )
            }
        };
        *self
            .authorization
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(value);
        Ok(())
    }

    /// The token flow of the distribution spec: GET realm?service=…&scope=… (with basic
    /// credentials when we have them) answers `{"token": …}` or `{"access_token": …}`.
    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, Error> {
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        if !(realm.starts_with("https://") || (self.insecure && realm.starts_with("http://"))) {
            return Err(self.rejected(&format!(
                "token realm {realm:?} is not an HTTPS URL (add --insecure to allow plain HTTP)"
            )));
        }
        let mut url = format!(
            "{realm}{}scope={}",
            if realm.contains('?') { '&' } else { '?' },
            percent_encode(scope)
        );
        if let Some(service) = service {
            url = format!("{url}&service={}", percent_encode(service));
        }
        let mut req = self.agent.get(&url);
        if let Some(found) = &self.credentials {
            req = req.header("Authorization", found.credentials.basic_header());
        }
        let mut resp = req.call().map_err(|e| self.transport_error(&url, e))?;
        if matches!(resp.status().as_u16(), 401 | 403) {
            return Err(self.rejected(&match &self.credentials {
                Some(found) => format!(
                    "the token server {realm} rejected the credentials from {}",
                    found.origin
                ),
                None => format!("the token server {realm} wants credentials; log in with `docker login`, or pass --username and --password"),
            }));
        }
        self.expect_ok(&resp, realm, &format!("token from {realm}"))?;
        let bytes = self.read_document(&mut resp, realm, 1 << 20)?;
        let answer: TokenAnswer = parse_json(&bytes, &format!("token from {realm}"))?;
        answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| self.rejected(&format!("the token server {realm} sent no usable token")))
    }

    fn rejected(&self, message: &str) -> Error {
        Error::Auth {
            registry: self.reference.registry.clone(),
            message: message.to_string(),
        }
    }

    fn transport_error(&self, url: &str, e: ureq::Error) -> Error {
        let hint = match e {
            ureq::Error::RequireHttpsOnly(_) => {
                " (plain HTTP is refused unless you add --insecure)"
            }
            ureq::Error::TooManyRedirects => " (more than 5 redirects)",
            _ => "",
        };
        Error::Connect {
            registry: self.reference.registry.clone(),
            message: format!("GET {url}: {e}{hint}"),
        }
    }

    /// Turns a non-200 answer into an error carrying the registry's own error message.
    fn expect_ok(&self, resp: &Response<Body>, url: &str, what: &str) -> Result<(), Error> {
        if resp.status() == StatusCode::OK {
            Ok(())
        } else {
            Err(self.status_error(resp, url, what))
        }
    }

    fn status_error(&self, resp: &Response<Body>, url: &str, what: &str) -> Error {
        match resp.status().as_u16() {
            404 => Error::NotFound {
                what: what.to_string(),
            },
            status @ (401 | 403) => self.rejected(&format!(
                "{what}: HTTP {status} (no access to {})",
                self.reference.name()
            )),
            status => Error::Http {
                url: url.to_string(),
                status,
            },
        }
    }

    fn read_document(
        &self,
        resp: &mut Response<Body>,
        what: &str,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        resp.body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Error::TooLarge {
                    what: what.to_string(),
                    limit,
                },
                e => Error::Connect {
                    registry: self.reference.registry.clone(),
                    message: format!("{what}: reading the answer: {e}"),
                },
            })
    }
}

fn ping(agent: &ureq::Agent, base: &str) -> Result<Response<Body>, ureq::Error> {
    agent.get(format!("{base}/v2/")).call()
}

fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaTypeOnly {
    #[serde(default)]
    media_type: Option<String>,
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Invalid {
        what: what.to_string(),
        message: format!("not the JSON expected: {e}"),
    })
}

/// `<https://host/v2/app/tags/list?n=2&last=b>; rel="next"` → the URL.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_and_encoding() {
        assert_eq!(
            next_link(r#"</v2/app/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?n=2&last=b")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
        assert_eq!(
            percent_encode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
