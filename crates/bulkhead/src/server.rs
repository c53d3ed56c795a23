//! `bulkhead server`: the REST API and scan workers (crates/server), and its tokens.

use clap::{Args, Subcommand};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    pub command: Option<ServerCommand>,
    /// Address to serve on (HOST:PORT; port 0 picks a free one and prints it)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// PostgreSQL URL (postgres://user:password@host/db) of the store N replicas share;
    /// without it, the embedded store in the cache directory (one node)
    #[arg(long, env = "BULKHEAD_DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// Scans run at once
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// A registry host (HOST[:PORT]) reached over plain HTTP or without TLS verification
    /// (repeatable)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registries: Vec<String>,
    /// Time budget of one scan (e.g. 90s, 10m)
    #[arg(long, default_value = "10m", value_parser = crate::watchdog::parse_duration)]
    pub scan_timeout: std::time::Duration,
    /// How long a job stays claimed by a replica that stopped renewing it (it died) before
    /// another replica takes it over
    #[arg(long, default_value = "60s", value_parser = crate::watchdog::parse_duration)]
    pub lease: std::time::Duration,
    /// How often to check the cache's advisory database for a new update (`bulkhead db
    /// update`): each one re-matches the stored inventories and notifies new findings
    #[arg(long, default_value = "60s", value_parser = crate::watchdog::parse_duration)]
    pub rematch_every: std::time::Duration,
}

#[derive(Subcommand)]
pub enum ServerCommand {
    /// Bearer tokens of the API, one tenant each
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token for a tenant; prints only the token (stored hashed, shown once)
    Create {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a token
    Revoke { token: String },
}

pub fn run(cache_dir: &Path, args: &ServerArgs) -> anyhow::Result<u8> {
    let store =
        || server::store::open(args.database.as_deref(), cache_dir).map_err(anyhow::Error::msg);
    match &args.command {
        Some(ServerCommand::Token(TokenCommand::Create { tenant })) => {
            let token = store()?.create_token(tenant).map_err(anyhow::Error::msg)?;
            println!("{token}");
            Ok(0)
        }
        Some(ServerCommand::Token(TokenCommand::Revoke { token })) => {
            if !store()?.revoke_token(token).map_err(anyhow::Error::msg)? {
                anyhow::bail!("no such token (or already revoked)");
            }
            eprintln!("revoked");
            Ok(0)
        }
        None => {
            let stop = Arc::new(AtomicBool::new(false));
            for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
                signal_hook::flag::register(signal, stop.clone())?;
            }
            let config = server::Config {
                listen: args.listen.clone(),
                cache_dir: cache_dir.to_path_buf(),
                database: args.database.clone(),
                lease: args.lease,
                rematch_every: args.rematch_every,
                workers: args.workers,
                insecure_registries: args.insecure_registries.clone(),
                scan_timeout: args.scan_timeout,
                exe: std::env::current_exe()?,
            };
            server::serve(config, stop).map_err(anyhow::Error::msg)?;
            Ok(0)
        }
    }
}
