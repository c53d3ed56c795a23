//! Every analyzer's parser on one file: the first byte picks the path (dpkg, apk, rpm, os-release,
//! each language's lock files and manifests, Go/Rust binaries, jars), the rest is the content.
#![no_main]

use artifact::FileMeta;
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d/base",
    "var/lib/dpkg/info/bash.list",
    "usr/share/doc/bash/copyright",
    "lib/apk/db/installed",
    "var/lib/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "etc/os-release",
    "etc/alpine-release",
    "etc/debian_version",
    "etc/redhat-release",
    "app/package-lock.json",
    "app/yarn.lock",
    "app/pnpm-lock.yaml",
    "app/node_modules/x/package.json",
    "app/requirements.txt",
    "app/poetry.lock",
    "app/Pipfile.lock",
    "app/uv.lock",
    "usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
    "app/Gemfile.lock",
    "usr/lib/ruby/gems/3.1.0/specifications/x-1.0.gemspec",
    "app/composer.lock",
    "app/vendor/composer/installed.json",
    "app/x.deps.json",
    "app/packages.lock.json",
    "app/go.mod",
    "usr/local/bin/app",
    "app/Cargo.lock",
    "app/lib/x.jar",
    "app/config.env",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let path = PATHS[pick as usize % PATHS.len()];
    let file = FileMeta {
        path,
        mode: 0o755,
        size: content.len() as u64,
    };
    let mut all = analyzers::default_analyzers();
    all.push(Box::new(analyzers::SecretAnalyzer::default()));
    for analyzer in &all {
        if analyzer.wants_file(&file) {
            let _ = analyzer.analyze_file(&file, content);
        }
    }
});
