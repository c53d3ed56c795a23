//! The bounds on everything bulkhead reads, as one table: each has a key, a default and a
//! description, and `--limit KEY=VALUE` (or `BULKHEAD_LIMITS`) sets it for the whole process.
//! A process-wide table because the readers that enforce them sit deep in every crate; the CLI
//! sets it once, before any reading starts. docs/limits.md says what happens past each one.

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! limits {
    ($($name:ident = $key:literal, $default:expr, $unit:ident, $what:literal;)*) => {
        /// One bound; `get(Limit::X)` is its current value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Limit { $($name),* }

        /// Every limit: key, default, unit and what it bounds.
        pub const ALL: &[LimitInfo] = &[
            $(LimitInfo { limit: Limit::$name, key: $key, default: $default, unit: Unit::$unit, what: $what }),*
        ];

        static VALUES: [AtomicU64; ALL.len()] = [$(AtomicU64::new($default)),*];
    };
}

limits! {
    TarHeader = "tar-header", 1 << 20, Bytes, "one tar header record (GNU long name or link, PAX)";
    Document = "document", 8 << 20, Bytes, "one manifest, index or image config";
    IndexDepth = "index-depth", 4, Count, "nested image indexes";
    Redirects = "redirects", 5, Count, "registry redirects per request";
    TagPages = "tag-pages", 100, Count, "pages of a registry tag list";
    WalkDepth = "walk-depth", 64, Count, "directory levels walked by rootfs, fs and config";
    ManifestFile = "manifest-file", 64 << 20, Bytes, "one language manifest or lock file";
    ArchiveDepth = "archive-depth", 4, Count, "levels of Java archives inside archives";
    ArchiveNested = "archive-nested", 128 << 20, Bytes, "one nested Java archive";
    ArchiveTotal = "archive-total", 512 << 20, Bytes, "all nested archives of one Java archive";
    ArchiveEntries = "archive-entries", 200_000, Count, "entries of one Java archive";
    RpmRows = "rpm-rows", 200_000, Count, "rows of an rpm SQLite database";
    SbomBytes = "sbom-bytes", 256 << 20, Bytes, "one SBOM document";
    SbomPackages = "sbom-packages", 500_000, Count, "components or packages of one SBOM";
    VexBytes = "vex-bytes", 64 << 20, Bytes, "one VEX document";
    ConfigFile = "config-file", 8 << 20, Bytes, "one Dockerfile, Kubernetes or compose file";
    DockerfileInstructions = "dockerfile-instructions", 20_000, Count, "instructions of one Dockerfile";
    Heredocs = "heredocs", 16, Count, "heredocs of one Dockerfile instruction";
    Stdin = "stdin", 64 << 20, Bytes, "standard input (`config -`)";
    YamlNodes = "yaml-nodes", 2_000_000, Count, "nodes of one YAML file, aliases expanded";
    YamlDepth = "yaml-depth", 200, Count, "nesting of one YAML file";
    SecretFindings = "secret-findings", 1000, Count, "secret findings reported per file";
    MalwareFile = "malware-file", 32 << 20, Bytes, "one file matched with YARA rules (larger: hashed only)";
    FeedRecord = "feed-record", 16 << 20, Bytes, "one advisory record";
    FeedDocument = "feed-document", 256 << 20, Bytes, "one advisory JSON document";
    FeedZipEntries = "feed-zip-entries", 5_000_000, Count, "entries of one advisory zip";
    FeedBytes = "feed-bytes", 1 << 30, Bytes, "one .zst advisory feed, decompressed";
    Download = "download", 4 << 30, Bytes, "one advisory download (`db update`)";
    VersionLength = "version-length", 1024, Bytes, "one version string compared";
    CacheValue = "cache-value", 512 << 20, Bytes, "one layer analysis kept in the cache";
    StoredInventory = "stored-inventory", 256 << 20, Bytes, "one stored inventory";
}

/// How a limit's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Count,
}

/// A limit's entry in the table.
#[derive(Debug, Clone, Copy)]
pub struct LimitInfo {
    pub limit: Limit,
    pub key: &'static str,
    pub default: u64,
    pub unit: Unit,
    pub what: &'static str,
}

/// The limit's current value.
pub fn get(limit: Limit) -> u64 {
    VALUES[limit as usize].load(Ordering::Relaxed)
}

/// The limit's current value as a `usize` (saturating on 32-bit targets).
pub fn get_usize(limit: Limit) -> usize {
    usize::try_from(get(limit)).unwrap_or(usize::MAX)
}

/// The limit's key, for messages that name it.
pub fn key(limit: Limit) -> &'static str {
    ALL[limit as usize].key
}

/// The limit's current value for a message: `8MiB`, `10 bytes`, `20000`.
pub fn shown(limit: Limit) -> String {
    let info = &ALL[limit as usize];
    let text = format_value(get(limit), info.unit);
    match info.unit {
        Unit::Bytes if text.bytes().all(|b| b.is_ascii_digit()) => format!("{text} bytes"),
        _ => text,
    }
}

/// What an error past the limit says about raising it: `--limit KEY=…`.
pub fn hint(limit: Limit) -> String {
    format!("raise it with --limit {}=…", key(limit))
}

/// Applies `KEY=VALUE`, e.g. `tar-header=4MiB` or `sbom-packages=1000000`.
pub fn apply(setting: &str) -> Result<(), String> {
    let (key, value) = setting
        .split_once('=')
        .ok_or_else(|| format!("`{setting}`: write a limit as KEY=VALUE"))?;
    let key = key.trim();
    let info = ALL.iter().find(|info| info.key == key).ok_or_else(|| {
        let keys: Vec<&str> = ALL.iter().map(|info| info.key).collect();
        format!("unknown limit `{key}`; the limits are: {}", keys.join(", "))
    })?;
    let value = parse_size(value.trim()).map_err(|e| format!("limit `{key}`: {e}"))?;
    if value == 0 {
        return Err(format!("limit `{key}` must be above 0"));
    }
    VALUES[info.limit as usize].store(value, Ordering::Relaxed);
    Ok(())
}

/// `KEY=VALUE` for each limit set away from its default, in table order.
pub fn changed() -> Vec<String> {
    ALL.iter()
        .filter(|info| get(info.limit) != info.default)
        .map(|info| format!("{}={}", info.key, get(info.limit)))
        .collect()
}

/// Parses `4096`, `64KiB`, `8MiB`, `1GiB`, `2TiB` (also `K`, `M`, `G`, `T`, `KB`…, all
/// binary multiples, as in `--max-layer-size`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a number (examples: 4096, 64KiB, 8MiB, 1GiB)"))?;
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("`{text}`: unknown unit (use KiB, MiB, GiB or TiB)")),
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Writes a value the way `apply` reads it.
pub fn format_value(value: u64, unit: Unit) -> String {
    if unit == Unit::Bytes {
        for (shift, name) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
            if value >= 1 << shift && value.is_multiple_of(1 << shift) {
                return format!("{}{name}", value >> shift);
            }
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_enum_order() {
        for (index, info) in ALL.iter().enumerate() {
            assert_eq!(info.limit as usize, index, "{}", info.key);
        }
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("8M"), Ok(8_388_608));
        assert_eq!(parse_size("1 GiB"), Ok(1_073_741_824));
        assert!(parse_size("1.5GiB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
        assert!(parse_size("").is_err());
        assert_eq!(format_value(8 << 20, Unit::Bytes), "8MiB");
        assert_eq!(format_value(1000, Unit::Bytes), "1000");
        assert_eq!(format_value(1 << 20, Unit::Count), "1048576");
    }

    #[test]
    fn bad_settings_name_the_keys() {
        let error = apply("no-such=1").unwrap_err();
        assert!(error.contains("tar-header"), "{error}");
        assert!(apply("tar-header").unwrap_err().contains("KEY=VALUE"));
        assert!(apply("tar-header=0").unwrap_err().contains("above 0"));
    }
}
