//! A node that runs containers should carry little else: compilers, debuggers, network tools
//! and remote shells help an intruder who lands on it. Tools the user allows (`--allow`) are
//! not reported; on a live host, services listening on every address are listed.

use super::{Check, Finding};
use crate::settings::Source;
use crate::Context;
use inventory::Inventory;
use inventory::Severity::*;

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-090",
        severity: Low,
        title: "Compilers on a container host",
        why: "An intruder builds exploits and tools in place; a node that runs containers needs no compiler.",
        fix: "Remove the compilers (build in CI, not on nodes), or allow them with --allow.",
        benchmark: &["CIS Docker 1.1.1 (host hardening)"],
    },
    Check {
        id: "BH-HOST-091",
        severity: Low,
        title: "Debuggers and tracers on a container host",
        why: "gdb and strace read the memory and secrets of every process, containers included.",
        fix: "Remove them, or allow them with --allow.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-092",
        severity: Low,
        title: "Network tools on a container host",
        why: "netcat, socat and nmap are an intruder's relay and scanner.",
        fix: "Remove them, or allow them with --allow.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-093",
        severity: Medium,
        title: "An SSH server on a container host",
        why: "A remote shell on a node bypasses the orchestrator's access control and audit.",
        fix: "Remove the SSH server and use the orchestrator's node access (e.g. kubectl debug node), or allow it with --allow.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-094",
        severity: Low,
        title: "Services listen on every address",
        why: "A service bound to 0.0.0.0 or :: is reachable from every network the node is on, including from its containers.",
        fix: "Bind each service to the address it serves, or filter the port.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-095",
        severity: Medium,
        title: "setuid or setgid files no package owns",
        why: "A setuid file outside the package database was put there by hand or by an intruder: it runs as its owner (often root) for anyone, and no update fixes it.",
        fix: "Remove the file or its setuid/setgid bit (chmod u-s,g-s), or install it from a package.",
        benchmark: &["CIS Docker 1.1.1 (host hardening)"],
    },
];

/// Where setuid files are looked for, and how far.
const SETUID_DIRS: &[&str] = &["/usr", "/bin", "/sbin", "/opt"];
const SETUID_MAX_ENTRIES: usize = 500_000;
const SETUID_MAX_DEPTH: usize = 16;

/// (check, tool names looked for on the usual binary paths)
const TOOLS: &[(&str, &[&str])] = &[
    (
        "BH-HOST-090",
        &["gcc", "g++", "cc", "clang", "tcc", "go", "rustc", "make"],
    ),
    ("BH-HOST-091", &["gdb", "strace", "ltrace", "lldb"]),
    (
        "BH-HOST-092",
        &["nc", "ncat", "netcat", "socat", "nmap", "tcpdump"],
    ),
    ("BH-HOST-093", &["sshd", "dropbear"]),
];

const BIN_DIRS: &[&str] = &[
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/bin",
    "/sbin",
];

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("a minimal-host check id")
}

pub fn run(ctx: &Context, out: &mut Vec<Finding>) {
    // Only a host that runs containers is judged by what else it carries.
    if ctx.docker.is_none() && ctx.kubelet.is_none() && !ctx.root.exists("/usr/bin/containerd") {
        return;
    }
    // An image-based OS ships what it ships: nothing to remove.
    if ctx
        .os_family()
        .is_some_and(|f| crate::IMMUTABLE.contains(&f))
    {
        return;
    }
    for (id, tools) in TOOLS {
        let mut found = Vec::new();
        for tool in *tools {
            if ctx.allowed.iter().any(|a| a == tool) {
                continue;
            }
            if let Some(path) = BIN_DIRS
                .iter()
                .map(|d| format!("{d}/{tool}"))
                .find(|p| ctx.root.exists(p))
            {
                found.push(path);
            }
        }
        let first = found.first().cloned().unwrap_or_default();
        listed(out, id, "installed", &found, &first, "found");
    }
    let unowned = setuid_unowned(ctx);
    let first = unowned.first().cloned().unwrap_or_default();
    let said = "setuid/setgid and owned by no package:";
    listed(out, "BH-HOST-095", "setuid", &unowned, &first, said);
    if ctx.root.live {
        let ports: Vec<String> = listening(ctx).iter().map(u16::to_string).collect();
        let said = "TCP ports listening on every address:";
        listed(
            out,
            "BH-HOST-094",
            "listening",
            &ports,
            "/proc/net/tcp",
            said,
        );
    }
}

/// One finding listing what a check found (nothing when the list is empty), placed at `file`.
fn listed(
    out: &mut Vec<Finding>,
    id: &str,
    setting: &str,
    items: &[String],
    file: &str,
    said: &str,
) {
    if items.is_empty() {
        return;
    }
    let message = format!("{said} {}", items.join(", "));
    let source = Source::file(file, None);
    out.push(Finding::at(
        check(id),
        setting,
        &items.join(","),
        &source,
        message,
    ));
}

/// Regular files with the setuid or setgid bit that no dpkg, apk or rpm package lists (links not
/// followed; the walk is bounded). Nothing on hosts without either database.
fn setuid_unowned(ctx: &Context) -> Vec<String> {
    let Some(owned) = owned_files(ctx) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut seen = 0;
    let mut stack: Vec<(String, usize)> = SETUID_DIRS.iter().map(|d| (d.to_string(), 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        // /bin and /sbin are links to /usr/… on merged-/usr hosts: resolve() follows them, so
        // only real directories are walked.
        let Some(real) = ctx.root.resolve(&dir) else {
            continue;
        };
        if std::fs::symlink_metadata(&real).is_ok_and(|m| m.file_type().is_symlink()) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&real) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > SETUID_MAX_ENTRIES {
                return found;
            }
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let path = format!("{dir}/{}", entry.file_name().to_string_lossy());
            if meta.is_dir() {
                if depth < SETUID_MAX_DEPTH {
                    stack.push((path, depth + 1));
                }
                continue;
            }
            let special = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o6000;
            if meta.is_file() && special != 0 && owned.package_owns(&path) == Some(false) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The files the dpkg (`info/*.list`), apk or rpm database lists, as an inventory that answers
/// [`Inventory::package_owns`]; `None` without a database.
fn owned_files(ctx: &Context) -> Option<Inventory> {
    // Not Root::list: a big host's info directory passes its 10,000-name cap.
    let info = ctx.root.resolve("/var/lib/dpkg/info");
    let mut databases: Vec<String> = info
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .flatten()
        .take(1_000_000)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".list"))
        .map(|name| format!("/var/lib/dpkg/info/{name}"))
        .collect();
    databases.extend(
        [
            "/lib/apk/db/installed",
            "/var/lib/rpm/rpmdb.sqlite",
            "/usr/lib/sysimage/rpm/rpmdb.sqlite",
            "/var/lib/rpm/Packages",
        ]
        .map(String::from),
    );
    let mut inventory = Inventory::default();
    for path in databases {
        if let Some(bytes) = ctx.root.read_bytes(&path, 1 << 30) {
            let rel = path.trim_start_matches('/');
            if let Ok(hashes) = analyzers::package_files::owned_hashes(rel, &bytes) {
                inventory.owned_files.extend(hashes);
            }
        }
    }
    inventory.owned_files.sort_unstable();
    inventory.owned_files.dedup();
    (!inventory.owned_files.is_empty()).then_some(inventory)
}

/// TCP ports in LISTEN state bound to 0.0.0.0 or :: (`/proc/net/tcp`, `/proc/net/tcp6`).
fn listening(ctx: &Context) -> Vec<u16> {
    let mut ports = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Some(text) = ctx.root.read(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            let Some((address, port)) = local.split_once(':') else {
                continue;
            };
            let any = address.bytes().all(|b| b == b'0');
            if *state == "0A" && any {
                if let Ok(port) = u16::from_str_radix(port, 16) {
                    ports.push(port);
                }
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}
