//! Secret-scanner throughput on one core: loads every text file under the given roots into
//! memory (binaries and allow-listed paths left out, as the scan does), then times the scan
//! alone and prints MB/s and the findings. Used by bench/secrets.sh.

use analyzers::secret::{Scanner, SecretAnalyzer};
use artifact::{Analyzer, FileMeta};
use std::path::Path;
use std::time::Instant;

fn collect(
    dir: &Path,
    rel: &str,
    depth: usize,
    analyzer: &SecretAnalyzer,
    out: &mut Vec<(String, Vec<u8>)>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < 64 {
            collect(&entry.path(), &path, depth + 1, analyzer, out);
        } else if kind.is_file() {
            let Ok(meta) = entry.metadata() else { continue };
            let file = FileMeta {
                path: &path,
                mode: 0o644,
                size: meta.len(),
            };
            if !analyzer.wants_file(&file) {
                continue;
            }
            if let Ok(content) = std::fs::read(entry.path()) {
                if !Scanner::is_binary(&content) {
                    out.push((path, content));
                }
            }
        }
    }
}

fn main() {
    let analyzer = SecretAnalyzer::new();
    let mut files = Vec::new();
    for root in std::env::args().skip(1) {
        collect(Path::new(&root), &root, 0, &analyzer, &mut files);
    }
    let bytes: usize = files.iter().map(|(_, c)| c.len()).sum();
    let mut best = f64::MAX;
    let mut findings = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        findings.clear();
        for (path, content) in &files {
            findings.extend(analyzer.scan_text(path, content));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let mb = bytes as f64 / 1e6;
    // The prefilter alone, and which rules it wakes most.
    let mut prefilter = f64::MAX;
    let mut hits = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        hits = vec![0usize; analyzer.scanner().rules().len()];
        for (_, content) in &files {
            for (rule, n) in analyzer
                .scanner()
                .keyword_hits(content)
                .into_iter()
                .enumerate()
            {
                hits[rule] += n;
            }
        }
        prefilter = prefilter.min(start.elapsed().as_secs_f64());
    }
    println!(
        "keyword prefilter alone (best of 3): {prefilter:.3} s  =>  {:.0} MB/s",
        mb / prefilter
    );
    let mut busiest: Vec<(usize, &str)> = hits
        .iter()
        .zip(analyzer.scanner().rules())
        .map(|(n, r)| (*n, r.id.as_str()))
        .collect();
    busiest.sort_unstable_by(|a, b| b.cmp(a));
    println!("rules woken most: {:?}", &busiest[..busiest.len().min(12)]);
    println!(
        "files: {}  text: {mb:.1} MB  rules: {}",
        files.len(),
        analyzer.scanner().rules().len()
    );
    println!(
        "scan time (best of 3, one core): {best:.3} s  =>  {:.0} MB/s per core",
        mb / best
    );
    println!("findings: {}", findings.len());
    for s in &findings {
        println!("  {} {}:{} {}", s.rule_id, s.file, s.line, s.matched);
    }
}
