//! Image references as Docker and OCI tools write them: `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`.

use super::Error;

/// Where Docker Hub's API lives; `docker.io` is only its name.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A parsed image reference. `registry` is the name as written (`docker.io` for Docker Hub);
/// [`Reference::api_host`] is where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// `host:5000/team/app:1.4`, `alpine` (= `docker.io/library/alpine`), `app@sha256:…`.
    /// Neither tag nor digest given: no tag is assumed here; [`Reference::tag_or_digest`] says `latest`.
    pub fn parse(text: &str) -> Result<Reference, Error> {
        let bad = |message: &str| Error::Reference {
            reference: text.to_string(),
            message: message.to_string(),
        };
        if text.is_empty() || text.len() > 1024 {
            return Err(bad("empty or longer than 1024 characters"));
        }
        let (name, digest) = match text.split_once('@') {
            Some((name, digest)) => {
                if !is_sha256_digest(digest) {
                    return Err(bad("the digest after @ must be sha256:<64 lower-case hex>"));
                }
                (name, Some(digest.to_string()))
            }
            None => (text, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &name[last_slash + i + 1..];
                if !is_tag(tag) {
                    return Err(bad("a tag is 1-128 letters, digits, '_', '.', '-', not starting with '.' or '-'"));
                }
                (&name[..last_slash + i], Some(tag.to_string()))
            }
            None => (name, None),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        if !is_host(&registry) {
            return Err(bad("invalid registry host"));
        }
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if repository.len() > 255 || !repository.split('/').all(is_path_component) {
            return Err(bad(
                "repository path components are lower-case letters and digits separated by '.', '_', '__' or '-'",
            ));
        }
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host (and port) requests go to.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// What to ask the manifests endpoint for: the digest if pinned, else the tag, else `latest`.
    pub fn tag_or_digest(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// `registry/repository` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

pub fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn is_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn is_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let label_ok = |label: &str| {
        label.starts_with(|c: char| c.is_ascii_alphanumeric())
            && label.ends_with(|c: char| c.is_ascii_alphanumeric())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    name.split('.').all(label_ok)
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(part: &str) -> bool {
    let bytes = part.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.first().is_none_or(|b| !alnum(b)) || bytes.last().is_none_or(|b| !alnum(b)) {
        return false;
    }
    let mut separator = String::new();
    for &b in bytes {
        if alnum(&b) {
            if !(separator.is_empty()
                || separator == "."
                || separator == "_"
                || separator == "__"
                || separator.bytes().all(|c| c == b'-'))
            {
                return false;
            }
            separator.clear();
        } else if matches!(b, b'.' | b'_' | b'-') {
            separator.push(b as char);
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(text).unwrap();
        (r.registry, r.repository, r.tag, r.digest)
    }

    #[test]
    fn docker_hub_defaults() {
        assert_eq!(
            parse("alpine"),
            ("docker.io".into(), "library/alpine".into(), None, None)
        );
        assert_eq!(
            parse("bitnami/redis:7"),
            (
                "docker.io".into(),
                "bitnami/redis".into(),
                Some("7".into()),
                None
            )
        );
        let r = Reference::parse("docker.io/alpine:3.19").unwrap();
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.repository, "library/alpine");
        assert_eq!(r.tag_or_digest(), "3.19");
        assert_eq!(
            Reference::parse("ubuntu").unwrap().tag_or_digest(),
            "latest"
        );
    }

    #[test]
    fn hosts_ports_tags_digests() {
        let hex = "a".repeat(64);
        assert_eq!(
            parse("host:5000/team/app:1.4"),
            (
                "host:5000".into(),
                "team/app".into(),
                Some("1.4".into()),
                None
            )
        );
        let r = Reference::parse(&format!("127.0.0.1:5000/app:1@sha256:{hex}")).unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert_eq!(r.tag_or_digest(), format!("sha256:{hex}"));
        assert_eq!(r.to_string(), format!("127.0.0.1:5000/app:1@sha256:{hex}"));
        assert_eq!(parse("localhost/app").0, "localhost");
        assert_eq!(parse("ghcr.io/o/r/sub").1, "o/r/sub");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "App:1",
            "host:5000/app:",
            "app@sha256:abc",
            "app@md5:0123",
            "host:5000/../etc",
            "a//b",
            "app:-x",
            "host:port/app",
            "app:1 2",
            "./layout",
            "../x/app",
            "-host.io/app",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
