//! The kubelet's effective configuration: flags (the live process, else `kubelet.service` with
//! its drop-ins and kubeadm's environment files), then the `--config` file as passed, then
//! the defaults. The defaults depend on how the kubelet is configured: a KubeletConfiguration
//! file defaults to secure values (anonymous auth off, Webhook authorization, no read-only
//! port), while a kubelet configured by flags alone gets the legacy flag defaults (anonymous
//! auth on, AlwaysAllow, read-only port 10255).

use crate::root::Root;
use crate::settings::{parse_flags, Settings, Source};
use crate::{live_command, systemd};

/// (flag, KubeletConfiguration path, default with a config file, legacy flag default)
const FIELDS: &[(&str, &[&str], &str, &str)] = &[
    (
        "anonymous-auth",
        &["authentication", "anonymous", "enabled"],
        "false",
        "true",
    ),
    (
        "authorization-mode",
        &["authorization", "mode"],
        "Webhook",
        "AlwaysAllow",
    ),
    (
        "client-ca-file",
        &["authentication", "x509", "clientCAFile"],
        "",
        "",
    ),
    ("read-only-port", &["readOnlyPort"], "0", "10255"),
    (
        "streaming-connection-idle-timeout",
        &["streamingConnectionIdleTimeout"],
        "4h0m0s",
        "4h0m0s",
    ),
    (
        "protect-kernel-defaults",
        &["protectKernelDefaults"],
        "false",
        "false",
    ),
    (
        "make-iptables-util-chains",
        &["makeIPTablesUtilChains"],
        "true",
        "true",
    ),
    (
        "rotate-certificates",
        &["rotateCertificates"],
        "false",
        "false",
    ),
    ("seccomp-default", &["seccompDefault"], "false", "false"),
    ("tls-cert-file", &["tlsCertFile"], "", ""),
    ("tls-private-key-file", &["tlsPrivateKeyFile"], "", ""),
    (
        "server-tls-bootstrap",
        &["serverTLSBootstrap"],
        "false",
        "false",
    ),
    ("pod-max-pids", &["podPidsLimit"], "-1", "-1"),
    ("tls-cipher-suites", &["tlsCipherSuites"], "", ""),
    ("hostname-override", &[], "", ""),
];

/// Where the kubelet's files are, for the file-permission checks.
#[derive(Debug, Clone, Default)]
pub struct Kubelet {
    pub settings: Settings,
    /// The `--config` file, when one is passed and exists.
    pub config_file: Option<String>,
    /// The unit file and drop-ins that start it.
    pub unit_files: Vec<String>,
}

/// The kubelet's settings, or `None` when no kubelet is installed or configured.
pub fn effective(root: &Root, warnings: &mut Vec<String>) -> Option<Kubelet> {
    let command =
        live_command(root, "kubelet").or_else(|| systemd::exec_start(root, "kubelet.service"));
    let installed = ["/usr/bin/kubelet", "/usr/local/bin/kubelet"]
        .iter()
        .any(|p| root.exists(p));
    if command.is_none() && !installed {
        return None;
    }
    let mut kubelet = Kubelet::default();
    let settings = &mut kubelet.settings;
    if let Some(command) = &command {
        kubelet.unit_files.clone_from(&command.files);
        for (name, value, at) in parse_flags(&command.args, &[]) {
            if name == "config" {
                kubelet.config_file = Some(value.clone());
            }
            settings.offer(&name, vec![value], command.sources[at].clone());
        }
    }
    let config = kubelet.config_file.clone().and_then(|path| {
        let text = root.read(&path);
        if text.is_none() {
            warnings.push(format!(
                "{path}: the kubelet's --config file is missing or unreadable"
            ));
        }
        text.map(|t| (path, t))
    });
    let flag_only = config.is_none();
    if let Some((path, text)) = &config {
        match yaml_tree::parse(path, text, &yaml_tree::Limits::default()) {
            Ok(documents) => {
                if let Some(doc) = documents.first() {
                    for (flag, keys, _, _) in FIELDS.iter().filter(|f| !f.1.is_empty()) {
                        if let Some(node) = doc.path(keys) {
                            let value = match node.as_str() {
                                Some(text) => text.to_string(),
                                None => node
                                    .items()
                                    .iter()
                                    .filter_map(|item| item.as_str())
                                    .collect::<Vec<_>>()
                                    .join(","),
                            };
                            let source = Source::file(path, Some(node.pos.line));
                            settings.offer(flag, vec![value], source);
                        }
                    }
                }
            }
            Err(e) => warnings.push(format!("{e}: the kubelet would not start")),
        }
    }
    // A default is fixed where the kubelet is started: the findings point at its unit.
    let default = Source {
        file: kubelet.unit_files.first().cloned(),
        ..Source::default_value()
    };
    for (flag, _, with_config, legacy) in FIELDS {
        let value = if flag_only { legacy } else { with_config };
        let values = if value.is_empty() {
            Vec::new()
        } else {
            vec![value.to_string()]
        };
        kubelet.settings.offer(flag, values, default.clone());
    }
    Some(kubelet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn unit(dir: &std::path::Path, exec: &str) {
        fs::create_dir_all(dir.join("lib/systemd/system")).unwrap();
        fs::write(
            dir.join("lib/systemd/system/kubelet.service"),
            format!("[Service]\nExecStart={exec}\n"),
        )
        .unwrap();
    }

    #[test]
    fn a_flag_only_kubelet_gets_the_legacy_defaults() {
        let dir = tempfile::tempdir().unwrap();
        unit(
            dir.path(),
            "/usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf",
        );
        let k = effective(&Root::new(dir.path()), &mut Vec::new()).unwrap();
        assert_eq!(k.settings.value("anonymous-auth"), "true");
        assert_eq!(k.settings.value("authorization-mode"), "AlwaysAllow");
        assert_eq!(k.settings.value("read-only-port"), "10255");
        assert_eq!(
            k.settings.get("read-only-port").unwrap().source.kind,
            "default"
        );
    }

    #[test]
    fn a_config_file_gets_secure_defaults_and_its_own_lines() {
        let dir = tempfile::tempdir().unwrap();
        unit(
            dir.path(),
            "/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml",
        );
        fs::create_dir_all(dir.path().join("var/lib/kubelet")).unwrap();
        fs::write(
            dir.path().join("var/lib/kubelet/config.yaml"),
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthorization:\n  mode: AlwaysAllow\n",
        )
        .unwrap();
        let k = effective(&Root::new(dir.path()), &mut Vec::new()).unwrap();
        assert_eq!(k.settings.value("anonymous-auth"), "false");
        assert_eq!(k.settings.value("read-only-port"), "0");
        let mode = k.settings.get("authorization-mode").unwrap();
        assert_eq!(mode.value(), "AlwaysAllow");
        assert_eq!(
            mode.source,
            Source::file("/var/lib/kubelet/config.yaml", Some(4))
        );
    }
}
