//! Containers, running and stopped, from the runtime's state on disk: Docker's
//! `<data-root>/containers/<id>/config.v2.json` and `hostconfig.json` (field names as moby's
//! `container` package writes them), the data root taken from the effective configuration;
//! and the OCI runtime bundles containerd (and so Kubernetes through CRI) runs:
//! `/run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/config.json`; and the
//! bundles podman and CRI-O keep in containers/storage:
//! `{/var/lib,/run}/containers/storage/overlay-containers/<id>/userdata/config.json`, named
//! from that store's `containers.json`.

use crate::Context;
use serde::Serialize;
use serde_json::Value;

/// Containers read at most.
const MAX_CONTAINERS: usize = 5_000;

#[derive(Debug, Clone, Serialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub runtime: String,
    pub running: bool,
    pub privileged: bool,
    pub user: String,
    pub namespaces: Namespaces,
    pub capabilities: Capabilities,
    pub mounts: Vec<Mount>,
    pub seccomp: String,
    pub apparmor: String,
    pub selinux: String,
    pub no_new_privileges: bool,
    pub read_only_rootfs: bool,
    /// Where the state was read.
    pub file: String,
}

/// `host` where the container shares the host's namespace (for `user`: root in the container
/// is root on the host); `user` is `remapped` under Docker's userns-remap.
#[derive(Debug, Clone, Serialize)]
pub struct Namespaces {
    pub network: String,
    pub pid: String,
    pub ipc: String,
    pub uts: String,
    pub user: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Capabilities {
    pub add: Vec<String>,
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mount {
    pub source: String,
    pub destination: String,
    pub read_only: bool,
}

pub fn read(ctx: &Context, warnings: &mut Vec<String>) -> Vec<Container> {
    let data_root = ctx
        .docker
        .as_ref()
        .map_or("/var/lib/docker", |d| d.value("data-root"))
        .to_string();
    let remapped = ctx
        .docker
        .as_ref()
        .is_some_and(|d| !d.value("userns-remap").is_empty());
    // Under userns-remap the daemon keeps its state in `<data-root>/<uid>.<gid>/`.
    let mut dirs = vec![format!("{data_root}/containers")];
    for entry in ctx.root.list(&data_root) {
        let remap_dir = entry
            .split_once('.')
            .is_some_and(|(u, g)| u.parse::<u32>().is_ok() && g.parse::<u32>().is_ok());
        if remap_dir {
            dirs.push(format!("{data_root}/{entry}/containers"));
        }
    }
    let mut out = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let in_remap_dir = i > 0;
        for id in ctx.root.list(dir).into_iter().take(MAX_CONTAINERS) {
            let config_path = format!("{dir}/{id}/config.v2.json");
            let Some(config) = ctx.root.read(&config_path) else {
                continue;
            };
            let host = ctx.root.read(&format!("{dir}/{id}/hostconfig.json"));
            match docker_container(&config, host.as_deref(), &config_path) {
                Ok(mut container) => {
                    // The daemon's userns-remap applies to every container that does not opt out.
                    let opted_out = host
                        .as_deref()
                        .is_some_and(|h| h.contains("\"UsernsMode\":\"host\""));
                    if (remapped || in_remap_dir) && !opted_out {
                        container.namespaces.user = "remapped".into();
                    }
                    out.push(container)
                }
                Err(e) => warnings.push(format!("{config_path}: {e}")),
            }
        }
    }
    for namespace in ctx.root.list(TASKS) {
        for id in ctx.root.list(&format!("{TASKS}/{namespace}")) {
            if out.len() >= MAX_CONTAINERS {
                break;
            }
            let file = format!("{TASKS}/{namespace}/{id}/config.json");
            let Some(text) = ctx.root.read(&file) else {
                continue;
            };
            match oci_container(&text, &id, &file) {
                Ok(container) => out.push(container),
                Err(e) => warnings.push(format!("{file}: {e}")),
            }
        }
    }
    for storage in STORAGES {
        let dir = format!("{storage}/overlay-containers");
        let names = storage_names(ctx, &format!("{dir}/containers.json"));
        for id in ctx.root.list(&dir) {
            if out.len() >= MAX_CONTAINERS {
                break;
            }
            if out.iter().any(|c| c.id == id) {
                continue; // CRI-O keeps a running container in both stores
            }
            let file = format!("{dir}/{id}/userdata/config.json");
            let Some(text) = ctx.root.read(&file) else {
                continue;
            };
            match oci_container(&text, &id, &file) {
                Ok(mut container) => {
                    if let Some(name) = names.get(&id).filter(|_| container.name == id) {
                        container.name.clone_from(name);
                    }
                    out.push(container)
                }
                Err(e) => warnings.push(format!("{file}: {e}")),
            }
        }
    }
    out
}

/// containers/storage locations: podman's and CRI-O's (`/var/lib`), CRI-O's running ones (`/run`).
const STORAGES: &[&str] = &["/var/lib/containers/storage", "/run/containers/storage"];

/// id → first name, from containers/storage's `containers.json` (`[{"id", "names": […]}]`).
fn storage_names(ctx: &Context, file: &str) -> std::collections::HashMap<String, String> {
    let Some(json) = ctx.root.read(file) else {
        return Default::default();
    };
    let list: Vec<Value> = serde_json::from_str(&json).unwrap_or_default();
    list.iter()
        .filter_map(|c| {
            let name = c.get("names")?.get(0)?.as_str()?;
            Some((text(c, "id"), name.to_string()))
        })
        .collect()
}

/// Where containerd keeps the bundles of running tasks.
const TASKS: &str = "/run/containerd/io.containerd.runtime.v2.task";

/// The capabilities a container gets from Docker and containerd unless told otherwise.
const DEFAULT_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// An OCI runtime spec (`config.json` of a bundle): a namespace type missing from
/// `linux.namespaces` is shared with the host; no `linux.seccomp` is no filter.
fn oci_container(json: &str, id: &str, file: &str) -> Result<Container, String> {
    let spec: Value = serde_json::from_str(json).map_err(|e| format!("not valid JSON: {e}"))?;
    let process = spec.get("process").unwrap_or(&Value::Null);
    let linux = spec.get("linux").unwrap_or(&Value::Null);
    let annotations = spec.get("annotations").unwrap_or(&Value::Null);
    let caps: Vec<String> = process
        .get("capabilities")
        .map(|c| strings(c, "bounding"))
        .unwrap_or_default()
        .iter()
        .map(|c| cap_name(c))
        .collect();
    let types: Vec<String> = linux
        .get("namespaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|n| text(n, "type"))
        .collect();
    let ns = |kind: &str| {
        if types.iter().any(|t| t == kind) {
            "private"
        } else {
            "host"
        }
        .to_string()
    };
    let masked = linux
        .get("maskedPaths")
        .and_then(Value::as_array)
        .is_some_and(|m| !m.is_empty());
    let mounts = spec
        .get("mounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|m| {
            text(m, "type") == "bind"
                || strings(m, "options")
                    .iter()
                    .any(|o| o == "bind" || o == "rbind")
        })
        .map(|m| Mount {
            source: text(m, "source"),
            destination: text(m, "destination"),
            read_only: strings(m, "options").iter().any(|o| o == "ro"),
        })
        .collect();
    let uid = process
        .get("user")
        .and_then(|u| u.get("uid"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let name = [
        "io.kubernetes.cri.container-name",
        "io.kubernetes.container.name",
    ]
    .iter()
    .map(|k| text(annotations, k))
    .find(|n| !n.is_empty())
    .unwrap_or_else(|| id.to_string());
    let image = [
        "io.kubernetes.cri.image-name",
        "io.kubernetes.cri-o.ImageName",
        "org.opencontainers.image.ref.name",
    ]
    .iter()
    .map(|k| text(annotations, k))
    .find(|n| !n.is_empty())
    .unwrap_or_default();
    Ok(Container {
        id: id.to_string(),
        name,
        image,
        runtime: "runc".into(),
        running: true,
        // Every capability and no masked /proc paths: what `--privileged` produces.
        privileged: caps.len() >= 38 && !masked,
        user: uid.to_string(),
        namespaces: Namespaces {
            network: ns("network"),
            pid: ns("pid"),
            ipc: ns("ipc"),
            uts: ns("uts"),
            user: ns("user"),
        },
        capabilities: Capabilities {
            add: caps
                .iter()
                .filter(|c| !DEFAULT_CAPS.contains(&c.as_str()))
                .cloned()
                .collect(),
            drop: DEFAULT_CAPS
                .iter()
                .filter(|d| !caps.iter().any(|c| c == *d))
                .map(|d| d.to_string())
                .collect(),
        },
        mounts,
        seccomp: if linux.get("seccomp").is_some_and(|s| !s.is_null()) {
            "default"
        } else {
            "unconfined"
        }
        .into(),
        apparmor: Some(text(process, "apparmorProfile"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "unconfined".into()),
        selinux: text(process, "selinuxLabel"),
        no_new_privileges: process
            .get("noNewPrivileges")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        read_only_rootfs: spec
            .get("root")
            .and_then(|r| r.get("readonly"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        file: file.to_string(),
    })
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// `host` when the mode shares the host's namespace, else `private` (or the container named).
fn namespace(mode: &str) -> String {
    match mode {
        "host" => "host".into(),
        "" | "private" | "default" | "bridge" | "none" | "shareable" => "private".into(),
        other => other.into(),
    }
}

fn docker_container(config: &str, host: Option<&str>, file: &str) -> Result<Container, String> {
    let config: Value = serde_json::from_str(config).map_err(|e| format!("not valid JSON: {e}"))?;
    let host: Value = match host {
        Some(h) => serde_json::from_str(h).map_err(|e| format!("hostconfig.json: {e}"))?,
        None => Value::Null,
    };
    let security = strings(&host, "SecurityOpt");
    let option = |name: &str| {
        security.iter().find_map(|o| {
            o.strip_prefix(name)
                .and_then(|r| r.strip_prefix(['=', ':']))
                .map(String::from)
        })
    };
    let mut mounts: Vec<Mount> = Vec::new();
    if let Some(points) = config.get("MountPoints").and_then(Value::as_object) {
        for (destination, point) in points {
            mounts.push(Mount {
                source: text(point, "Source"),
                destination: destination.clone(),
                read_only: point.get("RW").and_then(Value::as_bool) == Some(false),
            });
        }
    }
    for bind in strings(&host, "Binds") {
        let mut parts = bind.splitn(3, ':');
        let source = parts.next().unwrap_or_default().to_string();
        let destination = parts.next().unwrap_or_default().to_string();
        let read_only = parts
            .next()
            .is_some_and(|o| o.split(',').any(|f| f == "ro"));
        if !mounts.iter().any(|m| m.destination == destination) {
            mounts.push(Mount {
                source,
                destination,
                read_only,
            });
        }
    }
    mounts.sort_by(|a, b| a.destination.cmp(&b.destination));
    let inner = config.get("Config").unwrap_or(&Value::Null);
    let state = config.get("State").unwrap_or(&Value::Null);
    Ok(Container {
        id: text(&config, "ID"),
        name: text(&config, "Name").trim_start_matches('/').to_string(),
        image: text(inner, "Image"),
        runtime: Some(text(&host, "Runtime"))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "runc".into()),
        running: state
            .get("Running")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        privileged: host
            .get("Privileged")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        user: text(inner, "User"),
        namespaces: Namespaces {
            network: namespace(&text(&host, "NetworkMode")),
            pid: namespace(&text(&host, "PidMode")),
            ipc: namespace(&text(&host, "IpcMode")),
            uts: namespace(&text(&host, "UTSMode")),
            // Docker makes a user namespace only under the daemon's userns-remap (see `read`).
            user: "host".into(),
        },
        capabilities: Capabilities {
            add: strings(&host, "CapAdd")
                .into_iter()
                .map(|c| cap_name(&c))
                .collect(),
            drop: strings(&host, "CapDrop")
                .into_iter()
                .map(|c| cap_name(&c))
                .collect(),
        },
        mounts,
        seccomp: option("seccomp").unwrap_or_else(|| "default".into()),
        apparmor: option("apparmor")
            .or_else(|| Some(text(&config, "AppArmorProfile")).filter(|p| !p.is_empty()))
            .unwrap_or_else(|| "docker-default".into()),
        selinux: option("label").unwrap_or_default(),
        no_new_privileges: security.iter().any(|o| {
            o == "no-new-privileges"
                || o == "no-new-privileges:true"
                || o == "no-new-privileges=true"
        }),
        read_only_rootfs: host
            .get("ReadonlyRootfs")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        file: file.to_string(),
    })
}

/// `SYS_ADMIN`, `cap_sys_admin` and `CAP_SYS_ADMIN` are one capability.
fn cap_name(cap: &str) -> String {
    let upper = cap.to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or(upper.clone(), String::from)
}
