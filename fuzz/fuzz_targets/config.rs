//! Configuration checks on one file: the first byte picks Dockerfile, Kubernetes YAML or
//! compose; the rules, the shell parsing of RUN and the inline suppressions all run.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(content) else {
        return;
    };
    let name = ["Dockerfile", "deploy.yaml", "compose.yaml"][pick as usize % 3];
    let _ = misconfig::dockerfile::check(name, text, false);
    let options = misconfig::scan::Options::default();
    let _ = misconfig::scan::scan_text(name, text.to_string(), &options);
});
