//! Published ports: on every host interface, and sensitive services among them.

use inventory::Severity::{High, Medium};

use super::{rule, Out, Service};
use crate::rule::Rule;
use crate::yaml::{Node, Pos};

pub const ALL_INTERFACES: Rule = rule(
    "BH-DC-016",
    Medium,
    "Port published on all interfaces",
    "Without a host IP Docker publishes on 0.0.0.0 and writes iptables rules ahead of the host firewall (ufw, firewalld), so the port is reachable from every network the host is on.",
    "Bind to an address: `127.0.0.1:8080:80`, or put the service behind a reverse proxy.",
    &["CIS Docker Benchmark 5.14"],
);
pub const SENSITIVE_PORT: Rule = rule(
    "BH-DC-017",
    High,
    "Sensitive port published on all interfaces",
    "SSH, the Docker API, databases and caches published on 0.0.0.0 are scanned for and attacked within minutes of going online.",
    "Publish on 127.0.0.1 or a private address only, or not at all (services on the same network reach it by name).",
    &["CIS Docker Benchmark 5.14", "CIS Docker Benchmark 2.1"],
);

/// SSH, Docker API, databases, caches, message brokers, etcd and kubelet.
const SENSITIVE: &[u32] = &[
    22, 23, 2375, 2376, 2379, 3306, 5432, 6379, 9200, 9300, 11211, 27017, 5984, 1433, 1521, 9042,
    5672, 15672, 10250, 8500,
];

/// A published port: host IP if any, and the port numbers exposed on the host (the container
/// port when Docker picks the host port).
struct Published {
    host_ip: Option<String>,
    ports: (u32, u32),
}

fn range(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    match text.split_once('-') {
        Some((low, high)) => Some((low.trim().parse().ok()?, high.trim().parse().ok()?)),
        None => text.parse().ok().map(|p| (p, p)),
    }
}

/// Short syntax: `80`, `8080:80`, `127.0.0.1:8080:80`, `[::1]:8080:80`, `8000-8010:8000-8010/udp`.
fn parse_short(spec: &str) -> Option<Published> {
    let spec = spec.split('/').next()?.trim();
    let (host_ip, rest) = match spec.strip_prefix('[') {
        Some(v6) => {
            let (ip, rest) = v6.split_once(']')?;
            (Some(ip.to_string()), rest.trim_start_matches(':'))
        }
        None => (None, spec),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, host, container) = match parts.as_slice() {
        [container] => (host_ip, None, *container),
        [host, container] => (host_ip, Some(*host), *container),
        [ip, host, container] => (Some(ip.to_string()), Some(*host), *container),
        _ => return None,
    };
    let host = host.filter(|h| !h.is_empty());
    Some(Published {
        host_ip: ip,
        ports: range(host.unwrap_or(container))?,
    })
}

fn parse_long(port: &Node) -> Option<Published> {
    let host_ip = port
        .get("host_ip")
        .and_then(Node::as_str)
        .map(str::to_string);
    let published = port.get("published").and_then(Node::as_str);
    let target = port.get("target").and_then(Node::as_str);
    Some(Published {
        host_ip,
        ports: range(published.or(target)?)?,
    })
}

fn all_interfaces(ip: Option<&str>) -> bool {
    matches!(
        ip.map(str::trim),
        None | Some("" | "0.0.0.0" | "::" | "[::]")
    )
}

pub(crate) fn check(s: &Service, out: &mut Out) {
    for port in s.node.get("ports").map(Node::items).unwrap_or_default() {
        let published = match port.as_str() {
            Some(spec) => parse_short(spec),
            None => parse_long(port),
        };
        let Some(published) = published else { continue };
        if !all_interfaces(published.host_ip.as_deref()) {
            continue;
        }
        let at: Pos = port.pos;
        let (low, high) = published.ports;
        match SENSITIVE.iter().find(|p| (low..=high).contains(p)) {
            Some(sensitive) => out.report(
                &SENSITIVE_PORT,
                s,
                at,
                format!("port {sensitive} is published on all interfaces"),
            ),
            None => out.report(
                &ALL_INTERFACES,
                s,
                at,
                format!("port {low} is published on all interfaces"),
            ),
        }
    }
}
