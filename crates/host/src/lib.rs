//! `bulkhead host`: audits the machine containers run on, from files and (on a live host)
//! `/proc` and `/sys` — no daemon, no kubelet needs to answer. It builds each component's
//! effective configuration with provenance, runs the host checks, finds the runtimes,
//! orchestrator components and kernel with their versions, reads containers' state from disk,
//! and ranks the escape paths their settings open.

pub mod changelog;
pub mod checks;
pub mod components;
pub mod containerd;
pub mod containers;
pub mod crio;
pub mod docker;
pub mod escape;
pub mod kubelet;
pub mod layered;
pub mod podman;
pub mod root;
pub mod settings;
pub mod systemd;

use root::Root;
use serde::Serialize;
use settings::{Settings, Source};
use std::path::Path;

/// Container-optimised operating systems (os-release `ID`): immutable, image-based.
pub(crate) const IMMUTABLE: &[&str] = &[
    "bottlerocket",
    "flatcar",
    "talos",
    "cos",
    "fedora-coreos",
    "rhcos",
];

/// Version of the host report's JSON layout (docs/host-report.md).
pub const SCHEMA_VERSION: u32 = 1;

/// What the audit found, before vulnerabilities are matched.
#[derive(Debug, Serialize)]
pub struct Audit {
    pub host: HostInfo,
    pub components: Vec<components::Component>,
    pub misconfigurations: Vec<checks::Finding>,
    pub containers: Vec<containers::Container>,
    pub escape_paths: Vec<escape::EscapePath>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct HostInfo {
    pub root: String,
    pub live: bool,
    pub os: Option<Os>,
    pub kernel: Option<components::Kernel>,
    /// `v1` or `v2`, and what says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<Fact>,
    /// The enforcing security module (`apparmor`, `selinux`) of a live host, or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lsm: Option<Fact>,
    /// Whether unprivileged users may create user namespaces: `allowed`, `restricted` (by
    /// AppArmor) or `blocked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unprivileged_userns: Option<Fact>,
    /// dockerd's authorization plugins, when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_authorization: Option<Fact>,
}

/// A fact about the host and its evidence (a file and line, or a documented default).
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub value: String,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Os {
    pub family: String,
    pub version: String,
}

/// What the checks look at.
pub struct Context {
    pub root: Root,
    pub os: Option<Os>,
    /// Tools the user accepts on this host (`--allow`).
    pub allowed: Vec<String>,
    pub docker: Option<Settings>,
    pub containerd: Option<Settings>,
    pub kubelet: Option<kubelet::Kubelet>,
    pub crio: Option<Settings>,
    pub podman: Option<Settings>,
    /// Rootless dockerd instances: (home directory, settings).
    pub rootless_docker: Vec<(String, Settings)>,
}

impl Context {
    /// The OS family (`debian`, `rhel`, …) from os-release.
    pub fn os_family(&self) -> Option<&str> {
        self.os.as_ref().map(|os| os.family.as_str())
    }

    /// A group's id from the root's `/etc/group`.
    pub fn group_id(&self, name: &str) -> Option<u32> {
        let text = self.root.read("/etc/group")?;
        text.lines().find_map(|line| {
            let mut fields = line.split(':');
            (fields.next() == Some(name))
                .then(|| fields.nth(1).and_then(|gid| gid.parse().ok()))
                .flatten()
        })
    }

    /// A sysctl's value and where it came from: `/proc/sys` on a live host, else the last
    /// assignment in `/etc/sysctl.conf` and `/etc/sysctl.d/*.conf` (in file-name order).
    pub fn sysctl(&self, name: &str) -> Option<(String, Source)> {
        if self.root.live {
            let path = format!("/proc/sys/{}", name.replace('.', "/"));
            let value = self.root.read(&path)?;
            return Some((value.trim().to_string(), Source::file(&path, None)));
        }
        let mut files = vec!["/etc/sysctl.conf".to_string()];
        for dir in ["/usr/lib/sysctl.d", "/etc/sysctl.d"] {
            files.extend(
                self.root
                    .list(dir)
                    .into_iter()
                    .map(|n| format!("{dir}/{n}")),
            );
        }
        let mut found = None;
        for file in files {
            let Some(text) = self.root.read(&file) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let key = key.trim().trim_start_matches('-').replace('/', ".");
                if key == name && !line.trim_start().starts_with(['#', ';']) {
                    found = Some((value.trim().to_string(), Source::file(&file, Some(i + 1))));
                }
            }
        }
        found
    }

    /// Whether unprivileged user namespaces can be created: Debian's and Ubuntu's
    /// `kernel.unprivileged_userns_clone`, Ubuntu's AppArmor restriction, then
    /// `user.max_user_namespaces`; the kernel's default allows them.
    pub fn unprivileged_userns(&self) -> Fact {
        let fact = |value: &str, name: &str, source: Source| Fact {
            value: value.into(),
            evidence: match (source.file, source.line) {
                (Some(file), Some(line)) => format!("{name} in {file}:{line}"),
                (Some(file), None) => format!("{name} in {file}"),
                _ => name.to_string(),
            },
        };
        let switches = [
            (
                "kernel.apparmor_restrict_unprivileged_userns",
                "1",
                "restricted",
            ),
            ("kernel.unprivileged_userns_clone", "0", "blocked"),
            ("user.max_user_namespaces", "0", "blocked"),
        ];
        let mut allowed = None;
        for (name, off, state) in switches {
            if let Some((value, source)) = self.sysctl(name) {
                if value == off {
                    return fact(state, &format!("{name} = {value}"), source);
                }
                if name == "kernel.unprivileged_userns_clone" {
                    allowed = Some(fact("allowed", &format!("{name} = {value}"), source));
                }
            }
        }
        if let Some(allowed) = allowed {
            return allowed;
        }
        Fact {
            value: "allowed".into(),
            evidence: "no sysctl blocks them (the kernel's default)".into(),
        }
    }

    /// A live host mounting cgroup v1 (no unified hierarchy at /sys/fs/cgroup).
    pub fn cgroup_v1(&self) -> bool {
        self.root.live
            && self.root.exists("/sys/fs/cgroup")
            && !self.root.exists("/sys/fs/cgroup/cgroup.controllers")
    }

    /// The cgroup version: `/sys` on a live host; on a mounted root the kernel command line
    /// in `/etc/default/grub`, else the distribution's default.
    pub fn cgroup(&self, os: Option<&Os>) -> Option<Fact> {
        let fact = |value: &str, evidence: String| {
            Some(Fact {
                value: value.into(),
                evidence,
            })
        };
        if self.root.live {
            if self.root.exists("/sys/fs/cgroup/cgroup.controllers") {
                return fact("v2", "/sys/fs/cgroup/cgroup.controllers".into());
            }
            return self
                .root
                .exists("/sys/fs/cgroup")
                .then(|| fact("v1", "/sys/fs/cgroup (no cgroup.controllers)".into()))
                .flatten();
        }
        if let Some(text) = self.root.read("/etc/default/grub") {
            for (i, line) in text.lines().enumerate() {
                if !line.trim_start().starts_with("GRUB_CMDLINE_LINUX") {
                    continue;
                }
                for (setting, value) in [
                    ("systemd.unified_cgroup_hierarchy=0", "v1"),
                    ("systemd.unified_cgroup_hierarchy=false", "v1"),
                    ("systemd.unified_cgroup_hierarchy=1", "v2"),
                ] {
                    if line.contains(setting) {
                        return fact(value, format!("/etc/default/grub:{}: {setting}", i + 1));
                    }
                }
            }
        }
        let os = os?;
        let major: u32 = os.version.split('.').next()?.parse().ok()?;
        let v1 = match os.family.as_str() {
            "debian" => major < 11,
            "ubuntu" => major < 21 || (major == 21 && os.version.as_str() < "21.10"),
            "rhel" | "almalinux" | "rocky" | "centos" | "ol" => major < 9,
            _ => return None,
        };
        let value = if v1 { "v1" } else { "v2" };
        fact(
            value,
            format!("the default of {} {}", os.family, os.version),
        )
    }

    /// The enforcing security module of a live host: `apparmor` or `selinux`.
    pub fn lsm(&self) -> Option<&'static str> {
        let apparmor = self.root.read("/sys/module/apparmor/parameters/enabled");
        if apparmor.is_some_and(|v| v.trim() == "Y") {
            return Some("apparmor");
        }
        let selinux = self.root.read("/sys/fs/selinux/enforce");
        selinux.filter(|v| v.trim() == "1").map(|_| "selinux")
    }
}

/// The command line of a live process named `name` (its `/proc/<pid>/comm`): what the
/// component really runs with, whatever its unit files say.
pub fn live_command(root: &Root, name: &str) -> Option<systemd::Command> {
    if !root.live {
        return None;
    }
    for pid in root.list("/proc") {
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if root
            .read(&format!("/proc/{pid}/comm"))
            .as_deref()
            .map(str::trim)
            != Some(name)
        {
            continue;
        }
        let path = format!("/proc/{pid}/cmdline");
        let bytes = root.read_bytes(&path, 1 << 20)?;
        let args: Vec<String> = bytes
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let sources = vec![Source::flag(&path, 0); args.len()];
        return Some(systemd::Command {
            args,
            sources,
            files: Vec::new(),
        });
    }
    None
}

/// What the user tells the audit.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Tools accepted on the host (compilers, debuggers, … by binary name).
    pub allow: Vec<String>,
}

/// Audits the host mounted at `root` (`/` for this machine).
pub fn audit(root: &Path, options: &Options) -> Audit {
    let root = Root::new(root);
    let mut warnings = Vec::new();
    let os = root
        .read("/etc/os-release")
        .or_else(|| root.read("/usr/lib/os-release"))
        .and_then(|text| analyzers::os::os_release(&text))
        .map(|os| Os {
            family: os.family,
            version: os.version,
        });
    if let Some(os) = os
        .as_ref()
        .filter(|os| IMMUTABLE.contains(&os.family.as_str()))
    {
        warnings.push(format!(
            "{} is a container-optimised OS: its packages come as one signed image, so package and minimal-host findings do not apply; update it with its own updater",
            os.family
        ));
    }
    let docker = docker::effective(&root, &mut warnings);
    let kubelet = kubelet::effective(&root, &mut warnings);
    let containerd = containerd::effective(&root, &mut warnings);
    let crio = crio::effective(&root, &mut warnings);
    let podman = podman::effective(&root, &mut warnings);
    let rootless_docker = docker::rootless(&root, &mut warnings);
    let found = components::find(&root, &mut warnings);
    let ctx = Context {
        root,
        os,
        allowed: options.allow.clone(),
        docker,
        containerd,
        kubelet,
        crio,
        podman,
        rootless_docker,
    };
    let misconfigurations = checks::run(&ctx);
    let cgroup = ctx.cgroup(ctx.os.as_ref());
    let lsm = ctx.root.live.then(|| Fact {
        value: ctx.lsm().unwrap_or("none").into(),
        evidence: "/sys/module/apparmor, /sys/fs/selinux".into(),
    });
    let unprivileged_userns = Some(ctx.unprivileged_userns());
    let docker_authorization = ctx.docker.as_ref().and_then(|d| {
        let plugins = d
            .get("authorization-plugins")
            .filter(|p| !p.values.is_empty())?;
        let at = plugins.source.file.clone().unwrap_or_default();
        Some(Fact {
            value: plugins.values.join(","),
            evidence: match plugins.source.line {
                Some(line) => format!("{at}:{line}"),
                None => at,
            },
        })
    });
    let containers = containers::read(&ctx, &mut warnings);
    let escape_paths = escape::from_settings(&ctx, &containers);
    Audit {
        host: HostInfo {
            root: ctx.root.display(),
            live: ctx.root.live,
            os: ctx.os.clone(),
            kernel: found.kernel,
            cgroup,
            lsm,
            unprivileged_userns,
            docker_authorization,
        },
        components: found.components,
        misconfigurations,
        containers,
        escape_paths,
        warnings,
    }
}
