//! OSV records: parsing, severity assessment and range evaluation against a version.
#![no_main]

use detectors::version::Scheme;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(advisory) = serde_json::from_slice::<store::osv::Advisory>(data) else {
        return;
    };
    let _ = detectors::severity::assess(&advisory, advisory.affected.first());
    for affected in &advisory.affected {
        for scheme in [Scheme::Dpkg, Scheme::Semver, Scheme::Pep440, Scheme::Maven] {
            let _ = detectors::matcher::affects(affected, scheme, "1.2.3-1");
        }
    }
});
