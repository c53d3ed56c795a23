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
            let info = match store::Store::open(cache_dir) {
                Ok(store) => store.info()?,
                // Nothing imported yet is a state, not an error: say how to fill it.
                Err(store::Error::NoDatabase { path }) => {
                    println!("database: {} (empty)", path.display());
                    println!(
                        "no advisories imported yet: run `bulkhead db import PATH` (OSV files, directories or osv.dev all.zip) or `bulkhead db update`"
                    );
                    return Ok(0);
                }
                Err(e) => return Err(e.into()),
            };
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
                "\n{:<32} {:>9} {:>9}  {:<26} age",
                "feed", "records", "withdrawn", "newest modified"
            );
            let now = std::time::SystemTime::now();
            for feed in &info.feeds {
                let newest = feed.newest_modified.as_deref();
                let age = newest
                    .and_then(store::time::to_system_time)
                    .and_then(|t| now.duration_since(t).ok())
                    .map_or("-".to_string(), |d| {
                        format!("{} days", d.as_secs() / 86_400)
                    });
                println!(
                    "{:<32} {:>9} {:>9}  {:<26} {age}",
                    feed.name,
                    feed.records,
                    feed.withdrawn,
                    newest.unwrap_or("-")
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
