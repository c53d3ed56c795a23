//! podman's effective configuration: `containers.conf` (`/usr/share/containers/`, then
//! `/etc/containers/` and its `containers.conf.d/` drop-ins) over podman's defaults, the API
//! service's listen address, and the registries that `registries.conf` trusts without TLS —
//! read by everything built on containers/image (podman, CRI-O, buildah, skopeo).

use crate::root::Root;
use crate::settings::{Settings, Source};
use crate::{layered, systemd};
use toml::{Table, Value};

const KEYS: &[&str] = &[
    "containers.default_capabilities",
    "containers.apparmor_profile",
    "containers.seccomp_profile",
    "containers.netns",
    "containers.pidns",
    "containers.ipcns",
    "containers.utsns",
    "containers.cgroupns",
];

/// podman's defaults (containers.conf(5)).
const DEFAULTS: &[(&str, &[&str])] = &[
    (
        "containers.default_capabilities",
        &[
            "CHOWN",
            "DAC_OVERRIDE",
            "FOWNER",
            "FSETID",
            "KILL",
            "NET_BIND_SERVICE",
            "SETFCAP",
            "SETGID",
            "SETPCAP",
            "SETUID",
            "SYS_CHROOT",
        ],
    ),
    ("containers.apparmor_profile", &["containers-default"]),
    ("containers.netns", &["private"]),
    ("containers.pidns", &["private"]),
    ("containers.ipcns", &["shareable"]),
    ("containers.utsns", &["private"]),
];

/// podman's settings, or `None` when it is neither installed nor configured.
pub fn effective(root: &Root, warnings: &mut Vec<String>) -> Option<Settings> {
    let installed = ["/usr/bin/podman", "/usr/local/bin/podman"]
        .iter()
        .any(|p| root.exists(p));
    let mut settings = Settings::default();
    let files = [
        "/usr/share/containers/containers.conf",
        "/etc/containers/containers.conf",
    ];
    let dropins = "/etc/containers/containers.conf.d";
    let configured = layered::read(root, &files, dropins, KEYS, "", &mut settings, warnings);
    if !installed && !configured {
        return None;
    }
    // `podman system service tcp:…` (a unit or a drop-in) serves the API on the network.
    if let Some(command) = systemd::exec_start(root, "podman.service") {
        for (i, arg) in command.args.iter().enumerate() {
            if arg.starts_with("tcp:") {
                settings.offer(
                    "service.listen",
                    vec![arg.clone()],
                    command.sources[i].clone(),
                );
            }
        }
    }
    registries(root, &mut settings, warnings);
    for (name, values) in DEFAULTS {
        let values = values.iter().map(|v| v.to_string()).collect();
        settings.offer(name, values, Source::default_value());
    }
    Some(settings)
}

/// `registries.insecure`: registries `registries.conf` (and its drop-ins) reach without TLS
/// verification — `[[registry]] insecure = true` (version 2) or `[registries.insecure]` (1).
pub fn registries(root: &Root, settings: &mut Settings, warnings: &mut Vec<String>) {
    let mut files = vec!["/etc/containers/registries.conf".to_string()];
    let mut names = root.list("/etc/containers/registries.conf.d");
    names.retain(|n| n.ends_with(".conf"));
    names.sort();
    files.extend(
        names
            .iter()
            .map(|n| format!("/etc/containers/registries.conf.d/{n}")),
    );
    for file in files {
        let Some(text) = root.read(&file) else {
            continue;
        };
        let top = match text.parse::<Table>() {
            Ok(top) => top,
            Err(e) => {
                warnings.push(format!("{file}: not valid TOML ({})", e.message()));
                continue;
            }
        };
        let mut insecure: Vec<String> = Vec::new();
        for registry in top
            .get("registry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if registry.get("insecure").and_then(Value::as_bool) == Some(true) {
                let location = registry.get("location").or_else(|| registry.get("prefix"));
                insecure.extend(location.map(layered::scalar));
            }
        }
        let v1 = top.get("registries").and_then(|r| r.get("insecure"));
        if let Some(list) = v1.and_then(|i| i.get("registries")) {
            insecure.extend(layered::values(list));
        }
        insecure.retain(|r| !r.is_empty());
        if insecure.is_empty() {
            continue;
        }
        let line =
            layered::key_line(&text, "insecure").or_else(|| layered::key_line(&text, "registries"));
        settings.offer("registries.insecure", insecure, Source::file(&file, line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn containers_conf_layers_registries_and_the_service() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("etc/containers/containers.conf.d")).unwrap();
        fs::create_dir_all(r.join("usr/bin")).unwrap();
        fs::create_dir_all(r.join("etc/systemd/system")).unwrap();
        fs::write(r.join("usr/bin/podman"), "").unwrap();
        fs::write(
            r.join("etc/containers/containers.conf.d/50-host.conf"),
            "[containers]\nnetns = \"host\"\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/containers/registries.conf"),
            "unqualified-search-registries = [\"docker.io\"]\n\n[[registry]]\nlocation = \"10.0.0.5:5000\"\ninsecure = true\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/systemd/system/podman.service"),
            "[Service]\nExecStart=/usr/bin/podman system service --time=0 tcp:0.0.0.0:8080\n",
        )
        .unwrap();
        let s = effective(&Root::new(r), &mut Vec::new()).unwrap();
        let netns = s.get("containers.netns").unwrap();
        assert_eq!(netns.value(), "host");
        assert_eq!(
            netns.source,
            Source::file("/etc/containers/containers.conf.d/50-host.conf", Some(2))
        );
        assert_eq!(s.value("containers.pidns"), "private");
        let insecure = s.get("registries.insecure").unwrap();
        assert_eq!(insecure.values, ["10.0.0.5:5000"]);
        assert_eq!(insecure.source.line, Some(5));
        assert_eq!(s.value("service.listen"), "tcp:0.0.0.0:8080");
        assert_eq!(s.get("service.listen").unwrap().source.kind, "flag");
    }
}
