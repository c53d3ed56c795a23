//! What verification needs from a registry, so discovery does not depend on transport.

/// A manifest as fetched: its bytes (already checked against `digest`) and its digest.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub digest: String,
}

/// One entry of the OCI 1.1 referrers list.
#[derive(Debug, Clone)]
pub struct Referrer {
    pub digest: String,
    pub artifact_type: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The content does not match its digest.
    #[error("{0}")]
    Tampered(String),
    #[error("{0}")]
    Other(String),
}

pub trait ArtifactStore {
    /// The manifest a tag or digest names; `Ok(None)` when there is none.
    fn manifest(&self, reference: &str) -> Result<Option<Fetched>, FetchError>;
    /// A blob, checked against its digest, refused when larger than `max_size`.
    fn blob(&self, digest: &str, max_size: u64) -> Result<Vec<u8>, FetchError>;
    /// Manifests whose `subject` is `digest`.
    fn referrers(&self, digest: &str) -> Result<Vec<Referrer>, FetchError>;
}

/// The registry client: not found is `None`, content that does not match its digest is
/// tampering, anything else a failed lookup.
impl ArtifactStore for source::registry::Client {
    fn manifest(&self, reference: &str) -> Result<Option<Fetched>, FetchError> {
        match source::registry::Client::manifest(self, reference) {
            Ok(fetched) => Ok(Some(Fetched {
                bytes: fetched.bytes,
                digest: fetched.digest,
            })),
            Err(source::registry::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(fetch_error(error)),
        }
    }

    fn blob(&self, digest: &str, max_size: u64) -> Result<Vec<u8>, FetchError> {
        source::registry::Client::blob(self, digest, max_size).map_err(fetch_error)
    }

    fn referrers(&self, digest: &str) -> Result<Vec<Referrer>, FetchError> {
        let found = source::registry::Client::referrers(self, digest, None).map_err(fetch_error)?;
        Ok(found
            .into_iter()
            .map(|d| Referrer {
                digest: d.digest,
                artifact_type: d.artifact_type,
            })
            .collect())
    }
}

fn fetch_error(error: source::registry::Error) -> FetchError {
    match error {
        source::registry::Error::DigestMismatch { .. } => FetchError::Tampered(error.to_string()),
        other => FetchError::Other(other.to_string()),
    }
}
