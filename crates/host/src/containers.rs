//! Containers, running and stopped, from the runtime's state on disk: Docker's
//! `<data-root>/containers/<id>/config.v2.json` and `hostconfig.json` (field names as moby's
//! `container` package writes them), the data root taken from the effective configuration.

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

/// `host` where the container shares the host's namespace; `user` is `remapped` under the
/// daemon's userns-remap.
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
    let dir = format!("{data_root}/containers");
    let mut out = Vec::new();
    for id in ctx.root.list(&dir).into_iter().take(MAX_CONTAINERS) {
        let config_path = format!("{dir}/{id}/config.v2.json");
        let Some(config) = ctx.root.read(&config_path) else {
            continue;
        };
        let host = ctx.root.read(&format!("{dir}/{id}/hostconfig.json"));
        match docker_container(&config, host.as_deref(), &config_path) {
            Ok(mut container) => {
                // The daemon's userns-remap applies to every container that does not opt out.
                if remapped && container.namespaces.user != "host" {
                    container.namespaces.user = "remapped".into();
                }
                out.push(container)
            }
            Err(e) => warnings.push(format!("{config_path}: {e}")),
        }
    }
    out
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
            user: namespace(&text(&host, "UsernsMode")),
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
