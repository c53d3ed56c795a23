//! Command-line syntax.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "bulkhead",
    version,
    about = "Container security scanner",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Global {
    /// Where the advisory database and caches live [default: $XDG_CACHE_HOME/bulkhead]
    #[arg(long, global = true, env = "BULKHEAD_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// No progress bars or notes on stderr (data gaps and warnings are still reported)
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Raise or lower one bound on what is read, e.g. `--limit sbom-packages=1000000` or
    /// `--limit tar-header=4MiB` (repeatable; `bulkhead limits` lists them)
    #[arg(
        long = "limit",
        value_name = "KEY=VALUE",
        global = true,
        env = "BULKHEAD_LIMITS",
        value_delimiter = ','
    )]
    pub limits: Vec<String>,
}

impl Global {
    pub fn cache_dir(&self) -> PathBuf {
        if let Some(dir) = &self.cache_dir {
            return dir.clone();
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        base.join("bulkhead")
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Scan a container image: an OCI layout dir (DIR or DIR:TAG), an OCI / docker archive, or a
    /// registry reference (HOST[:PORT]/REPO[:TAG][@DIGEST])
    Image(crate::image::ImageArgs),
    /// Scan a root filesystem on disk (an unpacked image, or / of a host)
    Rootfs(crate::rootfs::RootfsArgs),
    /// Scan a source tree (a project checkout): language packages, secrets, Dockerfiles,
    /// Kubernetes and compose files; honours .gitignore files, skips .git/
    Fs(crate::fs::FsArgs),
    /// Audit the host containers run on (this machine, or --root a mounted disk): runtime and
    /// kubelet settings, components and kernel with their CVEs, containers, escape paths
    Host(crate::host::HostArgs),
    /// Check Dockerfiles, Kubernetes manifests and compose files for misconfigurations
    Config(ConfigArgs),
    /// Third-party YARA rule sets for malware scanning: download into the cache, list
    #[command(subcommand)]
    Malware(crate::malware::MalwareCommand),
    /// List the bounds on what bulkhead reads, with their current values (set with --limit)
    Limits,
    /// List the misconfiguration rules, or explain one (`bulkhead rules BH-DF-001`)
    Rules {
        /// A rule ID to explain
        id: Option<String>,
    },
    /// Scan an SBOM: CycloneDX (1.4-1.7) or SPDX (2.2-2.3) JSON, from bulkhead, syft or trivy
    Sbom(crate::sbom::SbomArgs),
    /// Re-match every stored inventory against the current database; report what is new
    Rescan(RescanArgs),
    /// Manage the advisory database
    #[command(subcommand)]
    Db(DbCommand),
    /// Check an image's cosign signatures and attestations against keys and a policy
    Verify(crate::verify::VerifyArgs),
    /// Serve the scan API: tenants submit registry references or SBOMs, workers scan them
    /// (`bulkhead server token create --tenant NAME` for a token)
    Server(crate::server::ServerArgs),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Profile {
    /// Pod Security Standards baseline controls only
    Baseline,
    /// Baseline and restricted controls
    #[default]
    Restricted,
}

#[derive(Args)]
pub struct ConfigArgs {
    /// A directory, a file, or `-` for standard input (e.g. `helm template … | bulkhead config -`)
    pub path: String,
    /// Output format
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: ConfigFormat,
    /// Write the report to a file instead of stdout
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only report these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Exit with this code when misconfigurations or secrets remain after filters, or a file
    /// cannot be parsed (2 is for errors)
    #[arg(long, default_value_t = 0, value_parser = exit_code)]
    pub exit_code: u8,
    /// A host report of the node these workloads will run on (`bulkhead host --format json`):
    /// escape paths its runtime and kernel vulnerabilities would open for them
    #[arg(long, value_name = "HOST_JSON")]
    pub host: Option<PathBuf>,
    /// Rego policies to run as well: .rego files or directories (repeatable)
    #[arg(long)]
    pub policy: Vec<PathBuf>,
    /// Kubernetes Pod Security Standards profile to check against
    #[arg(long, value_enum, default_value = "restricted")]
    pub profile: Profile,
    /// Ignore file: rule IDs, optional path globs, optional `exp:YYYY-MM-DD` [default:
    /// PATH/.bulkheadignore; .trivyignore in the working directory is read too]
    #[arg(long, alias = "ignore-file", value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// List the findings ignore files hid, and which line hid each
    #[arg(long)]
    pub show_suppressed: bool,
    /// The whole check's time budget (e.g. 90s, 10m): past it bulkhead stops with exit code 2
    #[arg(long, env = "BULKHEAD_TIMEOUT", default_value = "10m", value_parser = crate::watchdog::parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
    /// CycloneDX 1.6 JSON (SBOM, with vulnerabilities when found)
    Cyclonedx,
    /// SPDX 2.3 JSON (SBOM)
    SpdxJson,
    /// OpenVEX 0.2 (a statement per vulnerability: affected, or fixed where the fix is installed)
    Openvex,
}

/// What `config` writes: no SBOM formats, it finds no packages.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ConfigFormat {
    Table,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

impl From<ConfigFormat> for Format {
    fn from(format: ConfigFormat) -> Format {
        match format {
            ConfigFormat::Table => Format::Table,
            ConfigFormat::Json => Format::Json,
            ConfigFormat::Sarif => Format::Sarif,
        }
    }
}

/// What `rescan` writes.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RescanFormat {
    Table,
    Json,
}

/// What a scan looks for.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum ScannerKind {
    /// Known vulnerabilities and malicious packages in OS and language packages
    Vuln,
    /// Credentials in files (and, for images, the config and history)
    Secret,
    /// Misconfigurations: image config and file modes (image, rootfs); Dockerfiles, Kubernetes
    /// and compose files (fs)
    Config,
    /// Malicious content in files: YARA rules (built in, and --malware-rules) and known-bad
    /// hashes (--malware-hashes)
    Malware,
}

/// Output, filters and suppressions: every scanning command has these.
#[derive(Args)]
pub struct ReportArgs {
    /// Output format
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the report to a file instead of stdout
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only report these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Exit with this code when any finding remains after filters and suppressions:
    /// vulnerabilities, malware, secrets, misconfigurations, integrity findings (2 is for errors)
    #[arg(long, default_value_t = 0, value_parser = exit_code)]
    pub exit_code: u8,
    /// Ignore file: IDs (advisory, alias, secret or misconfiguration rule), optional `pkg:PURL`,
    /// `package:NAME`, path globs, `exp:YYYY-MM-DD` [default: .bulkheadignore; .trivyignore
    /// in the working directory is read too]
    #[arg(long, alias = "ignore-file", value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// List the findings ignore files and VEX statements hid, and what hid each
    #[arg(long)]
    pub show_suppressed: bool,
    /// The whole scan's time budget (e.g. 90s, 10m, 1h): past it bulkhead stops with exit code 2
    #[arg(long, env = "BULKHEAD_TIMEOUT", default_value = "10m", value_parser = crate::watchdog::parse_duration)]
    pub timeout: std::time::Duration,
}

/// Package-vulnerability options.
#[derive(Args)]
pub struct VulnArgs {
    /// Leave out vulnerabilities that have no fixed version
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// VEX documents (OpenVEX 0.2, CycloneDX VEX; repeatable): `not_affected` and `fixed`
    /// statements suppress the findings they name
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Exit with this code when the OS is past its end of life
    #[arg(long, default_value_t = 0, value_parser = exit_code)]
    pub exit_on_eol: u8,
}

/// What the single pass over files looks for, and how far it reads.
#[derive(Args)]
pub struct AnalysisArgs {
    /// What to look for (comma-separated)
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "vuln,secret,config,malware"
    )]
    pub scanners: Vec<ScannerKind>,
    /// YARA rule files or directories to load besides the built-in malware rules (repeatable;
    /// e.g. signature-base's yara/ or malcontent's rules/)
    #[arg(long, value_name = "PATH")]
    pub malware_rules: Vec<PathBuf>,
    /// Report secrets in package content too: files an OS package installed and files inside
    /// installed third-party packages (site-packages, node_modules, gems, …), which are the
    /// packages' own examples and tests; hidden by default and listed by --show-suppressed
    #[arg(long)]
    pub secrets_in_packages: bool,
    /// Known-bad hash lists, `hash;description` per line (MD5, SHA-1 or SHA-256; repeatable)
    #[arg(long, value_name = "FILE")]
    pub malware_hashes: Vec<PathBuf>,
    /// Secret rules and allow-lists to add (YAML: rules, disable, allow, max_file_size)
    #[arg(long, value_name = "FILE")]
    pub secret_config: Option<PathBuf>,
    /// Largest file handed to an analyzer (bytes, or with KiB, MiB, GiB)
    #[arg(long, default_value = "256MiB", value_parser = inventory::limits::parse_size)]
    pub max_file_size: u64,
    /// Directories to leave out (globs over the path relative to the target or image root)
    #[arg(long, value_delimiter = ',')]
    pub skip_dirs: Vec<String>,
    /// Files to leave out (globs over the path relative to the target or image root)
    #[arg(long, value_delimiter = ',')]
    pub skip_files: Vec<String>,
}

impl AnalysisArgs {
    pub fn wants(&self, scanner: ScannerKind) -> bool {
        self.scanners.contains(&scanner)
    }
}

/// Talking to a registry.
#[derive(Args)]
pub struct RegistryArgs {
    /// Allow plain HTTP (and TLS without certificate checks)
    #[arg(long)]
    pub insecure: bool,
    /// Registry username (else Docker's config.json and credential helpers)
    #[arg(long, env = "BULKHEAD_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token (prefer the environment variable)
    #[arg(long, env = "BULKHEAD_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

pub fn exit_code(text: &str) -> Result<u8, String> {
    let code: u8 = text
        .parse()
        .map_err(|_| format!("{text:?} is not an exit code (0-255)"))?;
    if code == crate::ERROR_EXIT {
        return Err(format!("{code} is the exit code for errors; pick another"));
    }
    Ok(code)
}

#[derive(Args)]
pub struct RescanArgs {
    /// Output format
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: RescanFormat,
    /// Write the report to a file instead of stdout
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Exit with this code when some artifact has new vulnerabilities
    #[arg(long, default_value_t = 0, value_parser = exit_code)]
    pub exit_code: u8,
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Import OSV advisories: JSON, JSONL, .zst-compressed, osv.dev all.zip; files or directories
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Download osv.dev's per-ecosystem archives and import them
    Update {
        /// Ecosystems to download (osv.dev names): by default every OS and language ecosystem
        /// bulkhead matches; malicious-package reports (`MAL-*`) come inside the language ones
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "Debian,Ubuntu,Alpine,AlmaLinux,Rocky Linux,Red Hat,SUSE,openSUSE,PyPI,npm,Go,crates.io,Maven,RubyGems,Packagist,NuGet"
        )]
        ecosystems: Vec<String>,
        /// Where the archives are served
        #[arg(
            long,
            env = "BULKHEAD_DB_URL",
            default_value = "https://osv-vulnerabilities.storage.googleapis.com"
        )]
        url: String,
    },
    /// Show what the database holds
    Info,
}
