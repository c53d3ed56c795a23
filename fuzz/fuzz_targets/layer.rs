//! One image layer (plain, gzip or zstd tar) through the whole single pass with every
//! analyzer: tar walk, whiteouts, hard links, header guard, catalogers, secrets; then squash.
#![no_main]

use artifact::{Analyzer, Limits, Quiet};
use libfuzzer_sys::fuzz_target;
use source::{BlobStore, Image, LayerDesc};
use std::io::Read;

struct Blob(Vec<u8>);

impl BlobStore for Blob {
    fn open(&self, _blob: &str) -> source::Result<Box<dyn Read + Send>> {
        Ok(Box::new(std::io::Cursor::new(self.0.clone())))
    }
    fn describe(&self, _blob: &str) -> String {
        "fuzz".into()
    }
}

fuzz_target!(|data: &[u8]| {
    let config = serde_json::from_str(r#"{"rootfs": {"type": "layers", "diff_ids": []}}"#).unwrap();
    let layer = LayerDesc {
        digest: None,
        media_type: "application/vnd.oci.image.layer.v1.tar".into(),
        size: None,
        diff_id: "sha256:0000000000000000000000000000000000000000000000000000000000000000".into(),
        created_by: None,
        blob: "layer".into(),
    };
    let image = Image {
        name: "fuzz".into(),
        kind: "oci-layout",
        digest: String::new(),
        config_digest: String::new(),
        config,
        layers: vec![layer.clone(), layer],
        repo_tags: Vec::new(),
        index_digest: None,
    };
    let mut all = analyzers::default_analyzers();
    all.push(Box::new(analyzers::SecretAnalyzer::default()));
    let chosen: Vec<&dyn Analyzer> = all.iter().map(|a| a.as_ref()).collect();
    let limits = Limits {
        max_file_size: 1 << 20,
        max_layer_size: 16 << 20,
    };
    // The diff_id never matches: the walk and the analyzers still run before that is found.
    if let Ok(layers) = artifact::analyze_image(&image, &Blob(data.to_vec()), &chosen, limits, &Quiet) {
        let _ = artifact::squash(layers);
    }
});
