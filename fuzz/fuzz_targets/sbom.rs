//! CycloneDX and SPDX JSON SBOMs (ours, syft's, trivy's) read into an inventory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = source::sbom::parse_sbom(data, "fuzz.json");
});
