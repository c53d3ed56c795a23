//! CRI-O and podman: the defaults every container they start gets (capabilities, confinement,
//! namespaces), their APIs, and the registries containers/image trusts without TLS.

use super::{Check, Finding};
use crate::settings::Settings;
use crate::Context;
use inventory::Severity::*;

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-100",
        severity: High,
        title: "Every container gets a dangerous capability by default",
        why: "CAP_SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH, NET_ADMIN or BPF in the default set hand each container a known escape or host-wide reach, whatever its manifest asks for.",
        fix: "Remove them from default_capabilities; give them only to the workloads that need them.",
        benchmark: &["CIS Docker 5.3"],
    },
    Check {
        id: "BH-HOST-101",
        severity: High,
        title: "Containers run without AppArmor or seccomp by default",
        why: "An unconfined default profile removes the syscall filter or the mandatory access control that blocks most kernel escapes.",
        fix: "Remove apparmor_profile / seccomp_profile = \"unconfined\" so the runtime's default profile applies.",
        benchmark: &["CIS Docker 5.1", "CIS Docker 5.21", "CIS Kubernetes 5.7.2"],
    },
    Check {
        id: "BH-HOST-102",
        severity: High,
        title: "Images are pulled from registries without TLS verification",
        why: "Images from these registries can be replaced by anyone on the network path.",
        fix: "Remove insecure = true (registries.conf) and insecure_registries (crio.conf); give the registry a certificate the host trusts.",
        benchmark: &["CIS Docker 2.5"],
    },
    Check {
        id: "BH-HOST-103",
        severity: High,
        title: "podman shares a host namespace with every container by default",
        why: "netns, pidns, ipcns or utsns = \"host\" in containers.conf puts each container in the host's network, processes, IPC or hostname.",
        fix: "Remove the setting (the default is a private namespace); pass --network=host and the like only where needed.",
        benchmark: &["CIS Docker 5.9", "CIS Docker 5.15", "CIS Docker 5.16"],
    },
    Check {
        id: "BH-HOST-104",
        severity: Critical,
        title: "The podman API is served on TCP",
        why: "`podman system service tcp:…` serves the API without authentication: anyone who reaches the port runs containers as the service's user.",
        fix: "Serve the API on its unix socket (the default), or reach it over SSH (podman --remote with ssh://).",
        benchmark: &["CIS Docker 2.7"],
    },
    Check {
        id: "BH-HOST-105",
        severity: Medium,
        title: "Pods may add host devices through a CRI-O annotation",
        why: "allowed_annotations with io.kubernetes.cri-o.Devices lets any pod that sets the annotation map host devices into its containers.",
        fix: "Allow the annotation only in a dedicated runtime handler used by trusted workloads.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-106",
        severity: Medium,
        title: "CRI-O runs without SELinux on an SELinux distribution",
        why: "Containers are not labelled container_t: the policy that confines them on RHEL-family hosts does not apply.",
        fix: "Set selinux = true in [crio.runtime].",
        benchmark: &["CIS Kubernetes 5.7.2"],
    },
    Check {
        id: "BH-HOST-107",
        severity: High,
        title: "CRI-O sets kernel sysctls for every pod",
        why: "kernel.* sysctls are not namespaced: a default like kernel.core_pattern changes the host for every pod (the CVE-2022-0811 escape).",
        fix: "Remove kernel.* entries from default_sysctls.",
        benchmark: &[],
    },
];

/// Capabilities that are an escape or host-wide power on their own.
const DANGEROUS: &[&str] = &[
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "NET_ADMIN",
    "BPF",
    "ALL",
];

/// A runtime's names for the settings the shared checks read.
struct Engine<'a> {
    name: &'static str,
    settings: &'a Settings,
    capabilities: &'static str,
    apparmor: &'static str,
    seccomp: &'static str,
}

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("an engine check id")
}

pub fn run(ctx: &Context, out: &mut Vec<Finding>) {
    let crio = ctx.crio.as_ref().map(|settings| Engine {
        name: "CRI-O",
        settings,
        capabilities: "runtime.default_capabilities",
        apparmor: "runtime.apparmor_profile",
        seccomp: "runtime.seccomp_profile",
    });
    let podman = ctx.podman.as_ref().map(|settings| Engine {
        name: "podman",
        settings,
        capabilities: "containers.default_capabilities",
        apparmor: "containers.apparmor_profile",
        seccomp: "containers.seccomp_profile",
    });
    for engine in crio.iter().chain(podman.iter()) {
        defaults(engine, out);
    }
    // registries.conf is shared: one finding per file, whichever engine read it.
    let mut insecure = Vec::new();
    if let Some(crio) = &ctx.crio {
        insecure.extend(
            crio.get("image.insecure_registries")
                .map(|s| ("insecure_registries", s)),
        );
    }
    if let Some(s) = ctx.podman.as_ref().or(ctx.crio.as_ref()) {
        insecure.extend(s.get("registries.insecure").map(|s| ("registries", s)));
    }
    for (name, setting) in insecure.into_iter().filter(|(_, s)| !s.values.is_empty()) {
        let message = format!("no TLS verification for {}", setting.values.join(", "));
        out.push(Finding::setting(
            check("BH-HOST-102"),
            name,
            setting,
            message,
        ));
    }
    if let Some(s) = &ctx.podman {
        podman_defaults(s, out);
    }
    if let Some(s) = &ctx.crio {
        crio_runtime(ctx, s, out);
    }
}

fn defaults(engine: &Engine, out: &mut Vec<Finding>) {
    let s = engine.settings;
    if let Some(caps) = s.get(engine.capabilities) {
        let bad: Vec<&str> = caps
            .values
            .iter()
            .map(|c| c.trim_start_matches("CAP_"))
            .filter(|c| DANGEROUS.iter().any(|d| c.eq_ignore_ascii_case(d)))
            .collect();
        if !bad.is_empty() {
            let message = format!("{} adds {} to every container", engine.name, bad.join(", "));
            out.push(Finding::setting(
                check("BH-HOST-100"),
                engine.capabilities,
                caps,
                message,
            ));
        }
    }
    for name in [engine.apparmor, engine.seccomp] {
        if let Some(setting) = s.get(name).filter(|p| p.value() == "unconfined") {
            let message = format!(
                "{} runs every container with {name} unconfined",
                engine.name
            );
            out.push(Finding::setting(
                check("BH-HOST-101"),
                name,
                setting,
                message,
            ));
        }
    }
}

fn podman_defaults(s: &Settings, out: &mut Vec<Finding>) {
    for name in [
        "containers.netns",
        "containers.pidns",
        "containers.ipcns",
        "containers.utsns",
    ] {
        if let Some(setting) = s.get(name).filter(|n| n.value() == "host") {
            let message = format!("{name} = \"host\" for every podman container");
            out.push(Finding::setting(
                check("BH-HOST-103"),
                name,
                setting,
                message,
            ));
        }
    }
    if let Some(listen) = s.get("service.listen") {
        let message = format!("the podman API is served on {}", listen.value());
        out.push(Finding::setting(
            check("BH-HOST-104"),
            "service.listen",
            listen,
            message,
        ));
    }
}

fn crio_runtime(ctx: &Context, s: &Settings, out: &mut Vec<Finding>) {
    for runtime in ["runc", "crun"] {
        let name = format!("runtime.runtimes.{runtime}.allowed_annotations");
        let Some(allowed) = s.get(&name) else {
            continue;
        };
        if allowed
            .values
            .iter()
            .any(|a| a == "io.kubernetes.cri-o.Devices")
        {
            let message = format!("pods run by {runtime} may set io.kubernetes.cri-o.Devices");
            out.push(Finding::setting(
                check("BH-HOST-105"),
                &name,
                allowed,
                message,
            ));
        }
    }
    let selinux_os = ctx.os_family().is_some_and(|f| {
        matches!(
            f,
            "rhel" | "centos" | "fedora" | "almalinux" | "rocky" | "ol"
        )
    });
    if let Some(selinux) = s
        .get("runtime.selinux")
        .filter(|v| selinux_os && v.value() != "true")
    {
        let message = "selinux is false".to_string();
        out.push(Finding::setting(
            check("BH-HOST-106"),
            "runtime.selinux",
            selinux,
            message,
        ));
    }
    if let Some(sysctls) = s.get("runtime.default_sysctls") {
        let kernel: Vec<&str> = sysctls
            .values
            .iter()
            .map(String::as_str)
            .filter(|v| v.trim_start().starts_with("kernel."))
            .collect();
        if !kernel.is_empty() {
            let message = format!("every pod gets {}", kernel.join(", "));
            out.push(Finding::setting(
                check("BH-HOST-107"),
                "runtime.default_sysctls",
                sysctls,
                message,
            ));
        }
    }
}
