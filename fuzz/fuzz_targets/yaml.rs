//! The positioned YAML/JSON tree misconfig and the manifest secret scan share.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let limits = yaml_tree::Limits {
            max_bytes: 1 << 20,
            max_depth: 64,
            max_nodes: 100_000,
            max_scalar_bytes: 1 << 20,
        };
        let _ = yaml_tree::parse("fuzz.yaml", text, &limits);
    }
});
