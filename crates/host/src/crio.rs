//! CRI-O's effective configuration: flags (the live process, else `crio.service`), then
//! `/etc/crio/crio.conf` and the drop-ins of `/etc/crio/crio.conf.d/` (or the unit's
//! `--config`/`--config-dir`), then CRI-O's documented defaults.

use crate::root::Root;
use crate::settings::{parse_flags, Settings, Source};
use crate::{layered, live_command, podman, systemd};

/// Keys read from the configuration files, named without the `crio.` prefix.
const KEYS: &[&str] = &[
    "crio.runtime.default_capabilities",
    "crio.runtime.default_sysctls",
    "crio.runtime.selinux",
    "crio.runtime.apparmor_profile",
    "crio.runtime.seccomp_profile",
    "crio.runtime.default_runtime",
    "crio.runtime.runtimes.runc.allowed_annotations",
    "crio.runtime.runtimes.crun.allowed_annotations",
    "crio.image.insecure_registries",
    "crio.api.listen",
];

/// Flags with the setting they override (`crio --help`).
const FLAGS: &[(&str, &str)] = &[
    ("default-capabilities", "runtime.default_capabilities"),
    ("default-sysctls", "runtime.default_sysctls"),
    ("selinux", "runtime.selinux"),
    ("apparmor-profile", "runtime.apparmor_profile"),
    ("seccomp-profile", "runtime.seccomp_profile"),
    ("default-runtime", "runtime.default_runtime"),
    ("insecure-registry", "image.insecure_registries"),
    ("listen", "api.listen"),
];

/// CRI-O's defaults (crio.conf(5)).
const DEFAULTS: &[(&str, &[&str])] = &[
    (
        "runtime.default_capabilities",
        &[
            "CHOWN",
            "DAC_OVERRIDE",
            "FSETID",
            "FOWNER",
            "SETGID",
            "SETUID",
            "SETPCAP",
            "NET_BIND_SERVICE",
            "KILL",
        ],
    ),
    ("runtime.selinux", &["false"]),
    ("runtime.apparmor_profile", &["crio-default"]),
    ("runtime.seccomp_profile", &[]),
    ("api.listen", &["/var/run/crio/crio.sock"]),
];

/// CRI-O's settings, or `None` when it is neither installed nor configured.
pub fn effective(root: &Root, warnings: &mut Vec<String>) -> Option<Settings> {
    let command = live_command(root, "crio").or_else(|| systemd::exec_start(root, "crio.service"));
    let installed = ["/usr/bin/crio", "/usr/local/bin/crio"]
        .iter()
        .any(|p| root.exists(p));
    let mut file = "/etc/crio/crio.conf".to_string();
    let mut dir = "/etc/crio/crio.conf.d".to_string();
    let mut settings = Settings::default();
    if let Some(command) = &command {
        for (name, value, at) in parse_flags(&command.args, &[("c", "config")]) {
            match name.as_str() {
                "config" => file = value,
                "config-dir" => dir = value,
                _ => {
                    if let Some((_, key)) = FLAGS.iter().find(|(flag, _)| *flag == name) {
                        settings.offer(key, vec![value], command.sources[at].clone());
                    }
                }
            }
        }
    }
    let configured = layered::read(root, &[&file], &dir, KEYS, "crio.", &mut settings, warnings);
    if command.is_none() && !installed && !configured {
        return None;
    }
    podman::registries(root, &mut settings, warnings);
    for (name, values) in DEFAULTS {
        let values = values.iter().map(|v| v.to_string()).collect();
        settings.offer(name, values, Source::default_value());
    }
    Some(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn drop_ins_replace_the_main_file_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("etc/crio/crio.conf.d")).unwrap();
        fs::create_dir_all(r.join("usr/lib/systemd/system")).unwrap();
        fs::write(
            r.join("etc/crio/crio.conf"),
            "[crio.runtime]\nselinux = true\napparmor_profile = \"crio-default\"\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/crio/crio.conf.d/10-caps.conf"),
            "[crio.runtime]\ndefault_capabilities = [\n  \"CHOWN\",\n  \"SYS_ADMIN\",\n]\napparmor_profile = \"unconfined\"\n",
        )
        .unwrap();
        fs::write(
            r.join("usr/lib/systemd/system/crio.service"),
            "[Service]\nExecStart=/usr/bin/crio --selinux=false\n",
        )
        .unwrap();
        let s = effective(&Root::new(r), &mut Vec::new()).unwrap();
        let caps = s.get("runtime.default_capabilities").unwrap();
        assert_eq!(caps.values, ["CHOWN", "SYS_ADMIN"]);
        assert_eq!(
            caps.source,
            Source::file("/etc/crio/crio.conf.d/10-caps.conf", Some(2))
        );
        assert_eq!(s.value("runtime.apparmor_profile"), "unconfined");
        assert_eq!(s.value("runtime.selinux"), "false");
        assert_eq!(s.get("runtime.selinux").unwrap().source.kind, "flag");
        assert_eq!(s.value("api.listen"), "/var/run/crio/crio.sock");
    }
}
