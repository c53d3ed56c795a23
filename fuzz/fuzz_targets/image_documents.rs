//! OCI and Docker manifests, indexes and image configs as the sources parse them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<source::Manifest>(data);
    let _ = serde_json::from_slice::<source::Index>(data);
    let _ = serde_json::from_slice::<source::ImageConfig>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = source::registry::Reference::parse(text);
        let _ = inventory::purl::Purl::parse(text);
    }
});
