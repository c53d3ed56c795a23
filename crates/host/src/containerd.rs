//! containerd's effective configuration: `/etc/containerd/config.toml` (or the `--config` of
//! its unit), in the version 1, 2 and 3 schemas, with containerd's defaults, and the registry
//! hosts under `/etc/containerd/certs.d/*/hosts.toml`.

use crate::layered::{key_line, scalar};
use crate::root::Root;
use crate::settings::{parse_flags, Settings, Source};
use crate::{live_command, systemd};
use toml::{Table, Value};

/// (setting, its path under the CRI runtime plugin or the top level, default)
const CRI: &[(&str, &str)] = &[
    ("disable_apparmor", "false"),
    ("enable_unprivileged_ports", "false"),
    ("enable_unprivileged_icmp", "false"),
    ("restrict_oom_score_adj", "false"),
];

/// containerd's settings, or `None` when it is neither installed nor configured.
pub fn effective(root: &Root, warnings: &mut Vec<String>) -> Option<Settings> {
    let command = live_command(root, "containerd")
        .or_else(|| systemd::exec_start(root, "containerd.service"));
    let installed = ["/usr/bin/containerd", "/usr/local/bin/containerd"]
        .iter()
        .any(|p| root.exists(p));
    let mut path = "/etc/containerd/config.toml".to_string();
    if let Some(command) = &command {
        for (name, value, _) in parse_flags(&command.args, &[("c", "config")]) {
            if name == "config" {
                path = value;
            }
        }
    }
    let text = root.read(&path);
    if command.is_none() && !installed && text.is_none() {
        return None;
    }
    let mut settings = Settings::default();
    if let Some(text) = &text {
        match text.parse::<Table>() {
            Ok(table) => read_config(&table, text, &path, &mut settings),
            Err(e) => warnings.push(format!(
                "{path}: not valid TOML ({}); containerd would not start",
                e.message()
            )),
        }
    }
    for dir in root.list("/etc/containerd/certs.d") {
        let file = format!("/etc/containerd/certs.d/{dir}/hosts.toml");
        let Some(text) = root.read(&file) else {
            continue;
        };
        match text.parse::<Table>() {
            Ok(table) => read_hosts(&table, &text, &file, &mut settings),
            Err(e) => warnings.push(format!("{file}: not valid TOML ({})", e.message())),
        }
    }
    for (name, default) in CRI {
        settings.offer(name, vec![default.to_string()], Source::default_value());
    }
    Some(settings)
}

fn table<'a>(table: &'a Table, keys: &[&str]) -> Option<&'a Table> {
    keys.iter()
        .try_fold(table, |t, key| t.get(*key).and_then(Value::as_table))
}

fn read_config(top: &Table, text: &str, file: &str, settings: &mut Settings) {
    let mut offer = |name: &str, value: &Value, key: &str| {
        settings.offer(
            name,
            vec![scalar(value)],
            Source::file(file, key_line(text, key)),
        );
    };
    for (section, key) in [
        ("grpc", "tcp_address"),
        ("grpc", "tcp_tls_cert"),
        ("debug", "address"),
    ] {
        if let Some(value) = table(top, &[section]).and_then(|t| t.get(key)) {
            offer(&format!("{section}.{key}"), value, key);
        }
    }
    // The CRI plugin: `cri` (version 1), `io.containerd.grpc.v1.cri` (2),
    // `io.containerd.cri.v1.runtime` (3).
    let cri = [
        "io.containerd.cri.v1.runtime",
        "io.containerd.grpc.v1.cri",
        "cri",
    ]
    .iter()
    .find_map(|name| table(top, &["plugins", name]));
    if let Some(cri) = cri {
        for (name, _) in CRI {
            if let Some(value) = cri.get(*name) {
                offer(name, value, name);
            }
        }
    }
    // Registries configured inline (version 2): TLS verification off, plain-HTTP mirrors.
    let registry = ["io.containerd.grpc.v1.cri", "cri"]
        .iter()
        .find_map(|name| table(top, &["plugins", name, "registry"]));
    if let Some(registry) = registry {
        for (host, config) in registry
            .get("configs")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            let skip = config
                .get("tls")
                .and_then(|tls| tls.get("insecure_skip_verify"))
                .and_then(Value::as_bool);
            if skip == Some(true) {
                let value = Value::String(host.clone());
                offer("registry.insecure", &value, "insecure_skip_verify");
            }
        }
        for (_, mirror) in registry
            .get("mirrors")
            .and_then(Value::as_table)
            .into_iter()
            .flatten()
        {
            for endpoint in mirror
                .get("endpoint")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if endpoint.as_str().is_some_and(|e| e.starts_with("http://")) {
                    offer("registry.insecure", endpoint, "endpoint");
                }
            }
        }
    }
}

/// A `hosts.toml`: `skip_verify = true` or an `http://` server or host.
fn read_hosts(top: &Table, text: &str, file: &str, settings: &mut Settings) {
    let mut insecure = Vec::new();
    if top
        .get("server")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with("http://"))
    {
        insecure.push(("server", scalar(&top["server"])));
    }
    for (host, config) in top
        .get("host")
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        if host.starts_with("http://") {
            insecure.push(("host", host.clone()));
        }
        if config.get("skip_verify").and_then(Value::as_bool) == Some(true) {
            insecure.push(("skip_verify", host.clone()));
        }
    }
    for (key, value) in insecure {
        let source = Source::file(
            file,
            key_line(text, key)
                .or_else(|| text.lines().position(|l| l.contains(&value)).map(|i| i + 1)),
        );
        settings.offer("registry.insecure", vec![value], source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn version_2_and_3_schemas_and_hosts_files() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("etc/containerd/certs.d/10.0.0.5:5000")).unwrap();
        fs::write(
            r.join("etc/containerd/config.toml"),
            "version = 2\n[grpc]\n  tcp_address = \"0.0.0.0:7777\"\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  disable_apparmor = true\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"http://mirror.local\"]\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/containerd/certs.d/10.0.0.5:5000/hosts.toml"),
            "server = \"https://10.0.0.5:5000\"\n[host.\"https://10.0.0.5:5000\"]\n  skip_verify = true\n",
        )
        .unwrap();
        let s = effective(&Root::new(r), &mut Vec::new()).unwrap();
        assert_eq!(s.value("grpc.tcp_address"), "0.0.0.0:7777");
        let apparmor = s.get("disable_apparmor").unwrap();
        assert_eq!(apparmor.value(), "true");
        assert_eq!(
            apparmor.source,
            Source::file("/etc/containerd/config.toml", Some(5))
        );
        assert_eq!(s.value("enable_unprivileged_ports"), "false");
        let insecure = s.get("registry.insecure").unwrap();
        assert_eq!(
            insecure.values,
            ["http://mirror.local", "https://10.0.0.5:5000"]
        );

        fs::write(
            r.join("etc/containerd/config.toml"),
            "version = 3\n[plugins.'io.containerd.cri.v1.runtime']\n  enable_unprivileged_ports = true\n",
        )
        .unwrap();
        let s = effective(&Root::new(r), &mut Vec::new()).unwrap();
        assert_eq!(s.value("enable_unprivileged_ports"), "true");
        assert_eq!(s.value("disable_apparmor"), "false");
        assert_eq!(
            s.get("registry.insecure").unwrap().values,
            ["https://10.0.0.5:5000"]
        );
    }
}
