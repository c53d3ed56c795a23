//! Which OSV ecosystem holds the advisories for an OS release, and which package name and
//! version an advisory of that ecosystem speaks of.

use inventory::{OsRelease, Package};

/// Candidate OSV ecosystems for an OS, best first. The first one the database holds is used,
/// so a RHEL-family image falls back to AlmaLinux's errata (same package names) only when its
/// own vendor's data is absent.
pub fn ecosystems(os: &OsRelease) -> Vec<String> {
    let major = os.version.split('.').next().unwrap_or("");
    let major_minor: String = os.version.split('.').take(2).collect::<Vec<_>>().join(".");
    match os.family.as_str() {
        "debian" => vec![format!("Debian:{major}")],
        "ubuntu" => vec![
            format!("Ubuntu:{}", os.version),
            format!("Ubuntu:{} LTS", os.version),
        ],
        "alpine" => vec![format!("Alpine:v{major_minor}")],
        "almalinux" => vec![format!("AlmaLinux:{major}")],
        "rocky" => vec![format!("Rocky Linux:{major}"), format!("AlmaLinux:{major}")],
        "rhel" | "centos" | "ol" => vec![format!("Red Hat:{major}"), format!("AlmaLinux:{major}")],
        "opensuse-leap" => vec![format!("openSUSE:Leap {}", os.version)],
        "sles" => vec![format!("SUSE:Linux Enterprise Server {}", os.version)],
        _ => Vec::new(),
    }
}

/// The name an advisory uses for this package: Debian and Ubuntu advisories name source
/// packages, Alpine's name origin packages; RPM errata name binary packages.
pub fn advisory_name<'a>(os_family: &str, package: &'a Package) -> &'a str {
    match os_family {
        "debian" | "ubuntu" | "alpine" => package.source_name.as_deref().unwrap_or(&package.name),
        _ => &package.name,
    }
}

/// The version an advisory's ranges compare against: the source version for binNMUs.
pub fn advisory_version<'a>(os_family: &str, package: &'a Package) -> &'a str {
    match os_family {
        "debian" | "ubuntu" => package
            .source_version
            .as_deref()
            .unwrap_or(&package.version),
        _ => &package.version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_releases() {
        let os = |family: &str, version: &str| OsRelease {
            family: family.into(),
            version: version.into(),
            ..Default::default()
        };
        assert_eq!(ecosystems(&os("debian", "11")), ["Debian:11"]);
        assert_eq!(ecosystems(&os("alpine", "3.11.6")), ["Alpine:v3.11"]);
        assert_eq!(ecosystems(&os("almalinux", "9.3")), ["AlmaLinux:9"]);
        assert_eq!(ecosystems(&os("rocky", "8.9"))[1], "AlmaLinux:8");
        assert!(ecosystems(&os("plan9", "4")).is_empty());
    }
}
