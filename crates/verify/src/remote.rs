//! Verification of an image in a registry, from its reference: connect, resolve the digest the
//! reference names now, check what is attached. Used by `bulkhead verify` and by scans that
//! read an attached SBOM instead of the image.

use crate::{verify_image, FetchError, Limits, PublicKey, SbomFormat, Verification};
use source::registry::{Client, Reference, RegistryOptions};

/// Resolves `reference` (by tag: the digest it points at now; for a multi-platform image the
/// index digest, which is what `cosign sign` signs) and checks everything attached to it.
pub fn verify_reference(
    reference: &Reference,
    options: &RegistryOptions,
    keys: &[PublicKey],
    limits: Limits,
) -> Result<Verification, FetchError> {
    let registry = |e: source::registry::Error| FetchError::Other(e.to_string());
    let client = Client::new(reference, options).map_err(registry)?;
    let manifest = client
        .manifest(reference.tag_or_digest())
        .map_err(registry)?;
    verify_image(
        &client,
        &reference.to_string(),
        &manifest.digest,
        keys,
        limits,
    )
}

/// The SBOM attached to `reference` as an attestation signed by one of `keys`: its format and
/// document (CycloneDX or SPDX JSON), to be scanned instead of the image. `None` when there is
/// no such attestation.
pub fn attached_sbom(
    reference: &Reference,
    options: &RegistryOptions,
    keys: &[PublicKey],
) -> Result<Option<(SbomFormat, Vec<u8>)>, FetchError> {
    let found = verify_reference(reference, options, keys, Limits::default())?;
    Ok(found
        .attached_sbom()
        .map(|(format, document)| (format, document.to_vec())))
}
