//! containerd's settings: its API, the CRI plugin's confinement switches, and registries.

use super::{is_true, Check, Finding};
use crate::Context;
use inventory::Severity::*;

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-080",
        severity: Critical,
        title: "containerd's API listens on TCP without TLS",
        why: "Anyone who reaches the port starts any container with any privilege on this host.",
        fix: "Remove [grpc] tcp_address, or set tcp_tls_cert, tcp_tls_key and tcp_tls_ca.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-081",
        severity: High,
        title: "The CRI plugin disables AppArmor",
        why: "Pods get no AppArmor profile at all, even where they ask for runtime/default.",
        fix: "Remove disable_apparmor = true.",
        benchmark: &["CIS Kubernetes 5.7.2"],
    },
    Check {
        id: "BH-HOST-082",
        severity: High,
        title: "containerd pulls from a registry without TLS verification",
        why: "Images from these registries or mirrors can be replaced by anyone on the network path.",
        fix: "Use https:// endpoints with certificates the host trusts; remove skip_verify and insecure_skip_verify.",
        benchmark: &["CIS Docker 2.5"],
    },
    Check {
        id: "BH-HOST-083",
        severity: Low,
        title: "containerd's debug socket is enabled",
        why: "The debug socket serves pprof and internal state to whoever can open it.",
        fix: "Remove [debug] address.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-084",
        severity: Low,
        title: "Containers may bind privileged ports without NET_BIND_SERVICE",
        why: "enable_unprivileged_ports lets every container listen on ports below 1024, which other hosts may trust.",
        fix: "Set enable_unprivileged_ports = false where workloads do not need it.",
        benchmark: &[],
    },
    Check {
        id: "BH-HOST-085",
        severity: Low,
        title: "Containers may open ICMP sockets without privileges",
        why: "enable_unprivileged_icmp widens what a container can send on the network.",
        fix: "Set enable_unprivileged_icmp = false where workloads do not need it.",
        benchmark: &[],
    },
];

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("a containerd check id")
}

pub fn run(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(s) = &ctx.containerd else { return };
    if let Some(insecure) = s.get("registry.insecure") {
        let message = format!("no TLS verification for {}", insecure.values.join(", "));
        out.push(Finding::setting(
            check("BH-HOST-082"),
            "registry",
            insecure,
            message,
        ));
    }
    let mut when = |id: &str, name: &str, failed: bool, message: String| {
        if let (true, Some(setting)) = (failed, s.get(name)) {
            out.push(Finding::setting(check(id), name, setting, message));
        }
    };
    let tcp = s.value("grpc.tcp_address");
    let plain = !tcp.is_empty() && s.value("grpc.tcp_tls_cert").is_empty();
    when(
        "BH-HOST-080",
        "grpc.tcp_address",
        plain,
        format!("containerd listens on {tcp} without TLS"),
    );
    let apparmor = is_true(s.value("disable_apparmor"));
    when(
        "BH-HOST-081",
        "disable_apparmor",
        apparmor,
        "disable_apparmor is true".into(),
    );
    let debug = s.value("debug.address");
    when(
        "BH-HOST-083",
        "debug.address",
        !debug.is_empty(),
        format!("debug socket at {debug}"),
    );
    let ports = is_true(s.value("enable_unprivileged_ports"));
    when(
        "BH-HOST-084",
        "enable_unprivileged_ports",
        ports,
        "enable_unprivileged_ports is true".into(),
    );
    let icmp = is_true(s.value("enable_unprivileged_icmp"));
    when(
        "BH-HOST-085",
        "enable_unprivileged_icmp",
        icmp,
        "enable_unprivileged_icmp is true".into(),
    );
}
