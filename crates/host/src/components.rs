//! The runtimes, orchestrator components and kernel on the host, with their versions: from the
//! OS package database first (a distro's package carries the distro's fixes, matched through
//! its advisories), then a binary's Go build information (main module version, or the version
//! set with `-ldflags -X`), for binaries no package owns.

use crate::changelog::{backports, Backport};
use crate::root::Root;
use analyzers::lang::go_buildinfo;
use inventory::Package;
use serde::Serialize;
use std::collections::HashMap;

/// A component: its name, the OS packages that ship it, its binaries, its Go main modules.
type Known = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const KNOWN: &[Known] = &[
    (
        "runc",
        &["runc"],
        &["runc"],
        &["github.com/opencontainers/runc"],
    ),
    ("crun", &["crun"], &["crun"], &[]),
    (
        "containerd",
        &["containerd", "containerd.io"],
        &["containerd"],
        &[
            "github.com/containerd/containerd",
            "github.com/containerd/containerd/v2",
        ],
    ),
    (
        "dockerd",
        &[
            "docker.io",
            "docker-ce",
            "moby-engine",
            "docker-engine",
            "docker",
        ],
        &["dockerd"],
        &["github.com/docker/docker"],
    ),
    (
        "docker-cli",
        &["docker-ce-cli", "docker-cli", "moby-cli"],
        &["docker"],
        &["github.com/docker/cli"],
    ),
    ("cri-o", &["cri-o"], &["crio"], &["github.com/cri-o/cri-o"]),
    (
        "podman",
        &["podman"],
        &["podman"],
        &[
            "github.com/containers/podman/v4",
            "github.com/containers/podman/v5",
        ],
    ),
    (
        "kubelet",
        &["kubelet"],
        &["kubelet"],
        &["k8s.io/kubernetes"],
    ),
    (
        "kube-proxy",
        &["kube-proxy"],
        &["kube-proxy"],
        &["k8s.io/kubernetes"],
    ),
];

const BIN_DIRS: &[&str] = &[
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/bin",
    "/sbin",
];
/// Largest binary read for its build information (kubelet is ~100 MiB).
const MAX_BINARY: u64 = 512 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// `runc`, `crun`, `containerd`, `dockerd`, `docker-cli`, `cri-o`, `podman`, `kubelet`,
    /// `kube-proxy`.
    pub name: &'static str,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `dpkg`, `rpm`, `apk`, `go-buildinfo`, `ldflags` or `strings`.
    pub source: &'static str,
    /// The OS package that owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// CVEs the installed package's changelog says it fixes (Debian backports).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backported: Vec<Backport>,
    /// What advisories are matched against: the OS package, or the binary's main Go module.
    #[serde(skip)]
    pub matched: Option<Package>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Kernel {
    /// The running kernel's release (live hosts), else the newest installed one.
    pub release: String,
    pub running: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    /// Kernel packages installed besides the running one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub installed: Vec<String>,
    /// Set when an installed kernel fixes advisories the running one has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reboot_required: Option<RebootRequired>,
    #[serde(skip)]
    pub matched: Option<Package>,
    /// The packages of the other installed kernels.
    #[serde(skip)]
    pub others: Vec<Package>,
}

/// "Reboot required": booting `release` (installed) would fix these advisories.
#[derive(Debug, Clone, Serialize)]
pub struct RebootRequired {
    pub release: String,
    pub fixes: Vec<String>,
}

pub struct Found {
    pub components: Vec<Component>,
    pub kernel: Option<Kernel>,
}

pub fn find(root: &Root, warnings: &mut Vec<String>) -> Found {
    let packages = os_packages(root, warnings);
    let by_name: HashMap<&str, &Package> = packages.iter().map(|p| (p.name.as_str(), p)).collect();
    let owned = owned_binaries(root);
    let mut components = Vec::new();
    for (name, package_names, binaries, modules) in KNOWN {
        if let Some(package) = package_names.iter().find_map(|n| by_name.get(n)) {
            components.push(Component {
                name,
                version: package.version.clone(),
                path: binaries
                    .iter()
                    .flat_map(|b| BIN_DIRS.iter().map(move |d| format!("{d}/{b}")))
                    .find(|p| owned.get(p.as_str()) == Some(&package.name)),
                source: source_of(package),
                package: Some(package.name.clone()),
                backported: backports(root, &package.name, &package.version),
                matched: Some((*package).clone()),
            });
        }
        // Binaries no package owns are read for their Go build information.
        for dir in BIN_DIRS {
            for binary in *binaries {
                let path = format!("{dir}/{binary}");
                if owned.contains_key(path.as_str()) || !root.exists(&path) {
                    continue;
                }
                if let Some(component) = from_binary(root, name, &path, modules, warnings) {
                    if !components
                        .iter()
                        .any(|c: &Component| c.path == component.path)
                    {
                        components.push(component);
                    }
                }
            }
        }
    }
    let kernel = kernel(root, &packages);
    Found { components, kernel }
}

fn source_of(package: &Package) -> &'static str {
    match package.ecosystem.as_str() {
        "apk" => "apk",
        "rpm" => "rpm",
        _ => "dpkg",
    }
}

/// Installed OS packages from dpkg, apk or rpm (SQLite) databases.
fn os_packages(root: &Root, warnings: &mut Vec<String>) -> Vec<Package> {
    let mut out = Vec::new();
    if let Some(text) = root.read_bytes("/var/lib/dpkg/status", 256 << 20) {
        match analyzers::dpkg::parse("var/lib/dpkg/status", &String::from_utf8_lossy(&text)) {
            Ok(p) => out.extend(p),
            Err(e) => warnings.push(format!("/var/lib/dpkg/status: {e}")),
        }
    }
    if let Some(text) = root.read_bytes("/lib/apk/db/installed", 256 << 20) {
        match analyzers::apk::parse("lib/apk/db/installed", &String::from_utf8_lossy(&text)) {
            Ok(p) => out.extend(p),
            Err(e) => warnings.push(format!("/lib/apk/db/installed: {e}")),
        }
    }
    for db in [
        "/var/lib/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/var/lib/rpm/Packages",
    ] {
        if let Some(bytes) = root.read_bytes(db, 1 << 30) {
            match analyzers::rpm::parse(db.trim_start_matches('/'), &bytes) {
                Ok(p) => out.extend(p),
                Err(e) => warnings.push(format!("{db}: {e}")),
            }
            break;
        }
    }
    out
}

/// Paths of the component binaries an OS package installed, with the package's name (dpkg
/// `info/*.list`; rpm and apk hosts: by package name alone).
fn owned_binaries(root: &Root) -> HashMap<String, String> {
    let names: Vec<&str> = KNOWN
        .iter()
        .flat_map(|(_, _, bins, _)| bins.iter().copied())
        .collect();
    let mut owned = HashMap::new();
    for list in root.list("/var/lib/dpkg/info") {
        let Some(package) = list.strip_suffix(".list") else {
            continue;
        };
        let package = package.split(':').next().unwrap_or(package);
        let Some(text) = root.read(&format!("/var/lib/dpkg/info/{list}")) else {
            continue;
        };
        for line in text.lines() {
            let file = line.rsplit('/').next().unwrap_or("");
            if names.contains(&file) {
                owned.insert(line.to_string(), package.to_string());
                // Merged /usr: /bin/x and /usr/bin/x are one file.
                if let Some(rest) = line.strip_prefix("/usr") {
                    owned.insert(rest.to_string(), package.to_string());
                } else {
                    owned.insert(format!("/usr{line}"), package.to_string());
                }
            }
        }
    }
    owned
}

/// A component binary no package owns: its main module and version from the Go build info,
/// or the version an `-ldflags -X …version=` setting embedded. Vendoring a runtime as a
/// library does not make a binary that runtime: only the main module counts.
fn from_binary(
    root: &Root,
    name: &'static str,
    path: &str,
    modules: &[&str],
    warnings: &mut Vec<String>,
) -> Option<Component> {
    let bytes = root.read_bytes(path, MAX_BINARY)?;
    let info = match go_buildinfo::read(&bytes) {
        Ok(Some(info)) => info,
        Ok(None) => return None,
        Err(e) => {
            warnings.push(format!("{path}: {e}"));
            return None;
        }
    };
    let (main, mut version) = main_module(&info.modinfo)?;
    // Built outside module mode (as Debian builds them) there is no `mod` line: the main
    // package's path names the module it belongs to.
    let main = modules
        .iter()
        .find(|m| main == **m || main.starts_with(&format!("{m}/")))
        .map(|m| m.to_string())?;
    let mut source = "go-buildinfo";
    if version == "(devel)" || version.is_empty() {
        (version, source) = match ldflags_version(&info.modinfo) {
            Some(v) => (v, "ldflags"),
            None => (embedded_version(&bytes)?, "strings"),
        };
    }
    // A distribution's suffix (`1.1.5+ds1`, `1.6.20~ds1`) is not part of the upstream release
    // the Go advisories name.
    let upstream = version
        .trim_start_matches('v')
        .split(['+', '~'])
        .next()
        .unwrap_or_default();
    let package = Package {
        name: main.clone(),
        version: format!("v{upstream}"),
        ecosystem: "go".into(),
        purl: format!("pkg:golang/{main}@v{upstream}"),
        source_name: None,
        source_version: None,
        arch: None,
        licenses: Vec::new(),
        location: path.trim_start_matches('/').to_string(),
        layer: None,
    };
    Some(Component {
        name,
        version: version.trim_start_matches('v').to_string(),
        path: Some(path.to_string()),
        source,
        package: None,
        backported: Vec::new(),
        matched: Some(package),
    })
}

/// The first version-like string a binary embeds on its own (`1.1.5+ds1`): where a build sets
/// the version in a variable the build info does not record. Printable runs between
/// non-printable bytes, as `strings` finds them.
fn embedded_version(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|b| !(0x20..0x7f).contains(b))
        .filter(|run| (5..=40).contains(&run.len()))
        .filter_map(|run| std::str::from_utf8(run).ok())
        .find(|text| is_version(text))
        .map(str::to_string)
}

/// `1.2.3`, `v1.2.3`, `1.1.5+ds1`, `1.6.20~ds1`.
fn is_version(text: &str) -> bool {
    let text = text.strip_prefix('v').unwrap_or(text);
    let (core, suffix) = match text.find(['+', '~', '-']) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
        && suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+~-.".contains(&b))
}

/// The `mod` line of Go module info (the main module's path and version), else the `path`
/// line (the main package, no version).
fn main_module(modinfo: &str) -> Option<(String, String)> {
    let field = |kind: &str| {
        modinfo.lines().find_map(|line| {
            let mut fields = line.split('\t');
            (fields.next() == Some(kind)).then(|| {
                let path = fields.next().unwrap_or_default().to_string();
                let version = fields.next().unwrap_or_default().to_string();
                (path, version)
            })
        })
    };
    field("mod").or_else(|| field("path"))
}

/// The version an `-X <pkg>.version=` or `-X …gitVersion=` linker flag set.
fn ldflags_version(modinfo: &str) -> Option<String> {
    let flags = modinfo
        .lines()
        .find_map(|l| l.strip_prefix("build\t-ldflags="))?;
    // Go quotes the flags: `\t` and `\"` are escapes in the text.
    let flags = flags.replace("\\t", " ").replace("\\\"", "\"");
    flags.split_whitespace().find_map(|word| {
        let word = word.trim_matches(['"', '\'']);
        let (name, value) = word.split_once('=')?;
        let last = name.rsplit(['.', '/']).next()?;
        (last.eq_ignore_ascii_case("version") || last == "gitVersion")
            .then(|| value.trim_matches(['"', '\'']).to_string())
            .filter(|v| {
                v.trim_start_matches('v')
                    .starts_with(|c: char| c.is_ascii_digit())
            })
    })
}

/// The running kernel (live) or the newest installed kernel package.
fn kernel(root: &Root, packages: &[Package]) -> Option<Kernel> {
    let images: Vec<&Package> = packages
        .iter()
        .filter(|p| {
            p.name.starts_with("linux-image-") && p.name != "linux-image-amd64"
                || matches!(
                    p.name.as_str(),
                    "kernel" | "kernel-core" | "linux-lts" | "linux-virt"
                )
        })
        .collect();
    let running = root
        .live
        .then(|| root.read("/proc/sys/kernel/osrelease"))
        .flatten()
        .map(|r| r.trim().to_string());
    let package_release = |p: &Package| {
        p.name
            .strip_prefix("linux-image-")
            .map(str::to_string)
            .unwrap_or_else(|| p.version.clone())
    };
    let release = running
        .clone()
        .or_else(|| images.last().map(|p| package_release(p)))?;
    let package = images.iter().find(|p| {
        let r = package_release(p);
        r == release || release.starts_with(&r) || r.starts_with(&release)
    });
    Some(Kernel {
        release: release.clone(),
        running: running.is_some(),
        package: package.map(|p| p.name.clone()),
        package_version: package.map(|p| p.version.clone()),
        installed: images
            .iter()
            .map(|p| package_release(p))
            .filter(|r| *r != release)
            .collect(),
        reboot_required: None,
        matched: package.map(|p| (*p).clone()),
        others: images
            .iter()
            .filter(|p| package.is_none_or(|running| running.name != p.name))
            .map(|p| (*p).clone())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_embedded_as_strings() {
        let bytes = b"\x00go1.19.8\x00\x01abc 1.2\x001.1.5+ds1\x00\x001.1.5+ds1-1+deb12u1\x00";
        assert_eq!(embedded_version(bytes).as_deref(), Some("1.1.5+ds1"));
        assert!(is_version("1.6.20~ds1") && is_version("v1.29.3"));
        assert!(!is_version("1.2") && !is_version("go1.19.8") && !is_version("1.2.3 beta"));
    }

    #[test]
    fn versions_from_ldflags() {
        let info = "path\tgithub.com/opencontainers/runc\nmod\tgithub.com/opencontainers/runc\t(devel)\t\nbuild\t-ldflags=\"-X main.gitCommit=abc -X main.version=1.1.12\"\n";
        assert_eq!(
            main_module(info),
            Some(("github.com/opencontainers/runc".into(), "(devel)".into()))
        );
        assert_eq!(ldflags_version(info).as_deref(), Some("1.1.12"));
        let debian = "path\tgithub.com/docker/docker/cmd/dockerd\nbuild\t-ldflags=\" \\t-w \\t-X \\\"github.com/docker/docker/dockerversion.Version=20.10.24+dfsg1\\\" \\t-X \\\"github.com/docker/docker/dockerversion.GitCommit=5d6db84\\\"\"\n";
        assert_eq!(
            main_module(debian),
            Some(("github.com/docker/docker/cmd/dockerd".into(), String::new()))
        );
        assert_eq!(ldflags_version(debian).as_deref(), Some("20.10.24+dfsg1"));
        let k8s = "build\t-ldflags=-X k8s.io/component-base/version.gitVersion=v1.29.3 -X k8s.io/component-base/version.gitCommit=x";
        assert_eq!(ldflags_version(k8s).as_deref(), Some("v1.29.3"));
    }
}
