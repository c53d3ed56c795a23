//! dockerd's effective configuration: flags (the live process's command line, else the
//! systemd unit with drop-ins and `/etc/default/docker`), then `daemon.json` (`--config-file`
//! or `/etc/docker/daemon.json`), then moby's documented defaults.

use crate::root::Root;
use crate::settings::{json_key_line, parse_flags, Settings, Source};
use crate::{live_command, systemd};

/// moby's defaults for the settings the checks read (dockerd --help, daemon.json reference).
const DEFAULTS: &[(&str, &str)] = &[
    ("hosts", "unix:///var/run/docker.sock"),
    ("icc", "true"),
    ("userns-remap", ""),
    ("no-new-privileges", "false"),
    ("live-restore", "false"),
    ("userland-proxy", "true"),
    ("log-driver", "json-file"),
    ("log-level", "info"),
    ("experimental", "false"),
    ("iptables", "true"),
    ("tlsverify", "false"),
    ("data-root", "/var/lib/docker"),
    ("seccomp-profile", "builtin"),
    ("selinux-enabled", "false"),
];

/// Flags whose daemon.json key is spelled differently.
const FLAG_KEYS: &[(&str, &str)] = &[
    ("host", "hosts"),
    ("insecure-registry", "insecure-registries"),
    ("authorization-plugin", "authorization-plugins"),
    ("log-opt", "log-opts"),
    ("label", "labels"),
    ("registry-mirror", "registry-mirrors"),
    ("add-runtime", "runtimes"),
    ("graph", "data-root"),
    ("tlsverify", "tlsverify"),
];

/// Short flags dockerd accepts.
const SHORT: &[(&str, &str)] = &[
    ("H", "host"),
    ("G", "group"),
    ("D", "debug"),
    ("l", "log-level"),
];

/// dockerd's settings, or `None` when dockerd is neither installed nor configured here.
pub fn effective(root: &Root, warnings: &mut Vec<String>) -> Option<Settings> {
    let command =
        live_command(root, "dockerd").or_else(|| systemd::exec_start(root, "docker.service"));
    let installed = [
        "/usr/bin/dockerd",
        "/usr/sbin/dockerd",
        "/usr/local/bin/dockerd",
    ]
    .iter()
    .any(|p| root.exists(p));
    if command.is_none() && !installed && !root.exists("/etc/docker/daemon.json") {
        return None;
    }
    Some(from_sources(
        root,
        command.as_ref(),
        "/etc/docker/daemon.json",
        warnings,
    ))
}

/// Rootless dockerd instances, one per user who set one up (`dockerd-rootless-setuptool.sh`
/// installs `~/.config/systemd/user/docker.service`; its daemon.json is
/// `~/.config/docker/daemon.json`): (home, settings).
pub fn rootless(root: &Root, warnings: &mut Vec<String>) -> Vec<(String, Settings)> {
    let mut homes = vec!["/root".to_string()];
    homes.extend(root.list("/home").into_iter().map(|h| format!("/home/{h}")));
    let mut out = Vec::new();
    for home in homes {
        let command = systemd::user_exec_start(root, &home, "docker.service");
        let config = format!("{home}/.config/docker/daemon.json");
        if command.is_none() && !root.exists(&config) {
            continue;
        }
        let settings = from_sources(root, command.as_ref(), &config, warnings);
        out.push((home, settings));
    }
    out
}

/// Flags, then the daemon.json they name (else `config_file`), then moby's defaults.
fn from_sources(
    root: &Root,
    command: Option<&systemd::Command>,
    config_file: &str,
    warnings: &mut Vec<String>,
) -> Settings {
    let mut settings = Settings::default();
    let mut config_file = config_file.to_string();
    if let Some(command) = command {
        for (name, value, at) in parse_flags(&command.args, SHORT) {
            let name = FLAG_KEYS
                .iter()
                .find(|(flag, _)| *flag == name)
                .map_or(name.as_str(), |(_, key)| key);
            if name == "config-file" {
                config_file.clone_from(&value);
            }
            settings.offer(name, vec![value], command.sources[at].clone());
        }
    }
    if let Some(text) = root.read(&config_file) {
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text) {
            Ok(map) => {
                for (key, value) in map {
                    let source = Source::file(&config_file, json_key_line(&text, &key));
                    settings.offer(&key, json_values(&value), source);
                }
            }
            Err(e) => warnings.push(format!(
                "{config_file}: not valid JSON ({e}); dockerd would not start"
            )),
        }
    }
    for (name, value) in DEFAULTS {
        let values = if value.is_empty() {
            Vec::new()
        } else {
            vec![value.to_string()]
        };
        settings.offer(name, values, Source::default_value());
    }
    settings
}
/// A daemon.json value as setting values: arrays element by element, objects as `k=v`.
fn json_values(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Array(items) => items.iter().flat_map(json_values).collect(),
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str().map_or_else(|| v.to_string(), String::from)
                )
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn flags_files_and_defaults_with_their_sources() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("lib/systemd/system")).unwrap();
        fs::create_dir_all(r.join("etc/docker")).unwrap();
        fs::write(
            r.join("lib/systemd/system/docker.service"),
            "[Service]\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/docker/daemon.json"),
            "{\n  \"icc\": false,\n  \"insecure-registries\": [\"10.0.0.1:5000\"]\n}\n",
        )
        .unwrap();
        let mut warnings = Vec::new();
        let s = effective(&Root::new(r), &mut warnings).unwrap();
        assert_eq!(s.value("hosts"), "fd://");
        assert_eq!(s.get("hosts").unwrap().source.kind, "flag");
        assert_eq!(s.value("icc"), "false");
        assert_eq!(
            s.get("icc").unwrap().source,
            Source::file("/etc/docker/daemon.json", Some(2))
        );
        assert_eq!(
            s.get("insecure-registries").unwrap().values,
            ["10.0.0.1:5000"]
        );
        assert_eq!(s.value("live-restore"), "false");
        assert_eq!(s.get("live-restore").unwrap().source.kind, "default");
        assert!(warnings.is_empty());
    }
}
