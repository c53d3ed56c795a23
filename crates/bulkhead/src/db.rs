//! `bulkhead db …`: import, update, info.

use crate::cli::{DbCommand, Global};
use std::path::Path;

pub fn run(global: &Global, cache_dir: &Path, command: DbCommand) -> anyhow::Result<u8> {
    let quiet = global.quiet;
    let mut progress = |message: &str| {
        if !quiet {
            eprintln!("{message}");
        }
    };
    match command {
        DbCommand::Import { paths } => {
            let summary = store::import(cache_dir, &paths, &mut progress)?;
            print_summary(&summary);
        }
        DbCommand::Update { ecosystems, url } => {
            let summary = store::update(cache_dir, &url, &ecosystems, &mut progress)?;
            print_summary(&summary);
        }
        DbCommand::Info => {
            let info = store::Store::open(cache_dir)?.info()?;
            println!(
                "database: {} (schema {})",
                info.path.display(),
                info.schema_version
            );
            println!(
                "built: {}   updated: {}   size: {} MiB",
                info.built_at,
                info.updated_at,
                info.size_bytes >> 20
            );
            println!("advisories: {}", info.advisories);
            println!(
                "\n{:<32} {:>9} {:>9}  newest modified",
                "feed", "records", "withdrawn"
            );
            for feed in &info.feeds {
                println!(
                    "{:<32} {:>9} {:>9}  {}",
                    feed.name,
                    feed.records,
                    feed.withdrawn,
                    feed.newest_modified.as_deref().unwrap_or("-")
                );
            }
            println!(
                "\n{:<32} {:>9} {:>9}",
                "ecosystem", "advisories", "packages"
            );
            for eco in &info.ecosystems {
                println!("{:<32} {:>9} {:>9}", eco.name, eco.advisories, eco.packages);
            }
        }
    }
    Ok(0)
}

fn print_summary(summary: &store::ImportSummary) {
    println!(
        "imported {} records from {} file(s) in {:.1}s: {} added, {} replaced, {} unchanged; {} advisories in {}",
        summary.records_read,
        summary.files,
        summary.elapsed.as_secs_f64(),
        summary.added,
        summary.replaced,
        summary.unchanged,
        summary.total_advisories,
        summary.db_path.display()
    );
}
