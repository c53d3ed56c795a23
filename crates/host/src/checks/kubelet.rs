//! The kubelet's effective settings (CIS Kubernetes Benchmark 1.12, section 4.2).

use super::{is_true, Check, Finding};
use crate::Context;
use inventory::Severity::*;

pub const CHECKS: &[Check] = &[
    Check {
        id: "BH-HOST-040",
        severity: Critical,
        title: "The kubelet accepts anonymous requests",
        why: "Unauthenticated callers reach the kubelet API on port 10250: with permissive authorization they exec into every pod on the node.",
        fix: "Set authentication.anonymous.enabled: false (or --anonymous-auth=false).",
        benchmark: &["CIS Kubernetes 4.2.1"],
    },
    Check {
        id: "BH-HOST-041",
        severity: Critical,
        title: "The kubelet authorizes every request",
        why: "With AlwaysAllow, anyone who reaches port 10250 runs commands in every pod on the node.",
        fix: "Set authorization.mode: Webhook (or --authorization-mode=Webhook).",
        benchmark: &["CIS Kubernetes 4.2.2"],
    },
    Check {
        id: "BH-HOST-042",
        severity: High,
        title: "The kubelet has no client CA to verify callers",
        why: "Without a client CA the kubelet cannot authenticate the API server's client certificate.",
        fix: "Set authentication.x509.clientCAFile (or --client-ca-file).",
        benchmark: &["CIS Kubernetes 4.2.3"],
    },
    Check {
        id: "BH-HOST-043",
        severity: Medium,
        title: "The kubelet's read-only port is open",
        why: "Port 10255 serves pod specs, environment and metrics to anyone, without authentication.",
        fix: "Set readOnlyPort: 0 (or --read-only-port=0).",
        benchmark: &["CIS Kubernetes 4.2.4"],
    },
    Check {
        id: "BH-HOST-044",
        severity: Low,
        title: "Streaming connections never time out",
        why: "Idle exec and port-forward sessions stay open forever and exhaust the node.",
        fix: "Set streamingConnectionIdleTimeout to a bounded duration such as 5m.",
        benchmark: &["CIS Kubernetes 4.2.5"],
    },
    Check {
        id: "BH-HOST-045",
        severity: Low,
        title: "The kubelet does not protect the kernel defaults",
        why: "Pods may get kernel tunables different from what the node was hardened with.",
        fix: "Set protectKernelDefaults: true.",
        benchmark: &["CIS Kubernetes 4.2.6"],
    },
    Check {
        id: "BH-HOST-046",
        severity: Low,
        title: "The kubelet does not manage its iptables chains",
        why: "Pod networking rules drift from what the kubelet expects.",
        fix: "Set makeIPTablesUtilChains: true.",
        benchmark: &["CIS Kubernetes 4.2.7"],
    },
    Check {
        id: "BH-HOST-047",
        severity: Medium,
        title: "The kubelet does not rotate its client certificate",
        why: "An expiring certificate is replaced by hand or the node drops out; a stolen one stays valid longer.",
        fix: "Set rotateCertificates: true.",
        benchmark: &["CIS Kubernetes 4.2.11"],
    },
    Check {
        id: "BH-HOST-048",
        severity: Medium,
        title: "Pods run without a seccomp profile by default",
        why: "Containers that set no profile get every system call, including those behind past kernel escapes.",
        fix: "Set seccompDefault: true (RuntimeDefault for every pod that sets no profile).",
        benchmark: &["CIS Kubernetes 4.2.14"],
    },
    Check {
        id: "BH-HOST-049",
        severity: Low,
        title: "The kubelet overrides its hostname",
        why: "A node name that differs from the host name breaks the TLS checks between the API server and the kubelet.",
        fix: "Remove --hostname-override.",
        benchmark: &["CIS Kubernetes 4.2.8"],
    },
    Check {
        id: "BH-HOST-050",
        severity: Medium,
        title: "The kubelet serves with a self-signed certificate",
        why: "Without a serving certificate (tlsCertFile or serverTLSBootstrap), clients of port 10250 cannot verify they talk to this kubelet.",
        fix: "Set tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap: true with certificate approval.",
        benchmark: &["CIS Kubernetes 4.2.10"],
    },
    Check {
        id: "BH-HOST-051",
        severity: Low,
        title: "Pods may start unlimited processes",
        why: "A fork bomb in one pod exhausts the node's PIDs and takes every other pod down.",
        fix: "Set podPidsLimit (e.g. 4096).",
        benchmark: &["CIS Kubernetes 4.2.13"],
    },
    Check {
        id: "BH-HOST-052",
        severity: Low,
        title: "The kubelet accepts weak TLS cipher suites",
        why: "Without a cipher list, older suites without forward secrecy remain acceptable to clients of port 10250.",
        fix: "Set tlsCipherSuites to strong suites (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, …).",
        benchmark: &["CIS Kubernetes 4.2.12"],
    },
];

fn check(id: &str) -> &'static Check {
    CHECKS
        .iter()
        .find(|c| c.id == id)
        .expect("a kubelet check id")
}

pub fn run(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(kubelet) = &ctx.kubelet else { return };
    let s = &kubelet.settings;
    let mut when = |id: &str, name: &str, failed: bool, message: String| {
        if !failed {
            return;
        }
        match s.get(name) {
            Some(setting) => out.push(Finding::setting(check(id), name, setting, message)),
            None => {
                let source = crate::settings::Source::default_value();
                out.push(Finding::at(check(id), name, "", &source, message));
            }
        }
    };
    let anonymous = s.value("anonymous-auth");
    when(
        "BH-HOST-040",
        "anonymous-auth",
        is_true(anonymous),
        format!("anonymous-auth is {anonymous}"),
    );
    let mode = s.value("authorization-mode");
    let always = mode.split(',').any(|m| m.trim() == "AlwaysAllow");
    when(
        "BH-HOST-041",
        "authorization-mode",
        always,
        format!("authorization-mode is {mode}"),
    );
    let no_ca = s.value("client-ca-file").is_empty();
    when(
        "BH-HOST-042",
        "client-ca-file",
        no_ca,
        "no client CA file is set".into(),
    );
    let port = s.value("read-only-port");
    when(
        "BH-HOST-043",
        "read-only-port",
        port != "0",
        format!("read-only-port is {port}"),
    );
    let idle = s.value("streaming-connection-idle-timeout");
    let never = matches!(idle, "0" | "0s" | "0m0s" | "0h0m0s");
    when(
        "BH-HOST-044",
        "streaming-connection-idle-timeout",
        never,
        format!("streaming-connection-idle-timeout is {idle}"),
    );
    let protect = is_true(s.value("protect-kernel-defaults"));
    when(
        "BH-HOST-045",
        "protect-kernel-defaults",
        !protect,
        "protect-kernel-defaults is false".into(),
    );
    let chains = s.value("make-iptables-util-chains") != "false";
    when(
        "BH-HOST-046",
        "make-iptables-util-chains",
        !chains,
        "make-iptables-util-chains is false".into(),
    );
    let rotate = is_true(s.value("rotate-certificates"));
    when(
        "BH-HOST-047",
        "rotate-certificates",
        !rotate,
        "rotate-certificates is false".into(),
    );
    let hostname = s.value("hostname-override");
    let overridden = !hostname.is_empty();
    when(
        "BH-HOST-049",
        "hostname-override",
        overridden,
        format!("hostname-override is {hostname}"),
    );
    let self_signed =
        s.value("tls-cert-file").is_empty() && !is_true(s.value("server-tls-bootstrap"));
    when(
        "BH-HOST-050",
        "tls-cert-file",
        self_signed,
        "no tls-cert-file and no server-tls-bootstrap".into(),
    );
    let pids = s.value("pod-max-pids");
    when(
        "BH-HOST-051",
        "pod-max-pids",
        pids == "-1",
        "pod-max-pids is -1 (unlimited)".into(),
    );
    let ciphers = s.value("tls-cipher-suites").is_empty();
    when(
        "BH-HOST-052",
        "tls-cipher-suites",
        ciphers,
        "no tls-cipher-suites are set".into(),
    );
    let seccomp = is_true(s.value("seccomp-default"));
    when(
        "BH-HOST-048",
        "seccomp-default",
        !seccomp,
        "seccomp-default is false".into(),
    );
}
