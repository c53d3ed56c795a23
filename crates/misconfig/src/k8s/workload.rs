//! From workload objects to their pod spec and containers, whatever the kind: Pod, the
//! controllers with a pod `template`, and CronJob's job template.

use super::{Object, Out};
use crate::rule::Rule;
use crate::yaml::{Node, Pos};

/// A pod spec and where it came from.
pub(crate) struct Workload<'a> {
    pub object: &'a Object<'a>,
    pub spec: &'a Node,
    /// The pod's metadata (the template's for controllers): labels and annotations.
    pub metadata: Option<&'a Node>,
    pub containers: Vec<Container<'a>>,
    /// The pod's `spec` key: where findings about something the pod lacks point.
    spec_pos: Pos,
    /// Set when `runtimeClassName` names a sandboxed runtime (gVisor, Kata).
    pub sandbox: Option<&'a str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerKind {
    Regular,
    Init,
    Ephemeral,
}

pub(crate) struct Container<'a> {
    pub name: &'a str,
    pub node: &'a Node,
    pub kind: ContainerKind,
}

impl Container<'_> {
    /// Where findings about something this container lacks point: its `name` key.
    pub fn pos(&self) -> Pos {
        self.node.entry("name").map_or(self.node.pos, |e| e.key_pos)
    }

    pub fn security_context(&self, key: &str) -> Option<&crate::yaml::Entry> {
        self.node.get("securityContext")?.entry(key)
    }
}

/// The path from the object to its pod template, by kind.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "PodTemplate" => &["template"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => return None,
    })
}

impl<'a> Workload<'a> {
    pub fn of(object: &'a Object<'a>) -> Option<Workload<'a>> {
        let pod = object.node.path(template_path(object.kind)?)?;
        let spec_entry = pod.entry("spec").filter(|s| s.value.is_map())?;
        let spec = &spec_entry.value;
        let mut containers = Vec::new();
        for (key, kind) in [
            ("initContainers", ContainerKind::Init),
            ("containers", ContainerKind::Regular),
            ("ephemeralContainers", ContainerKind::Ephemeral),
        ] {
            for node in spec.get(key).map(Node::items).unwrap_or_default() {
                let name = node
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("<unnamed>");
                containers.push(Container { name, node, kind });
            }
        }
        let sandbox = spec
            .get("runtimeClassName")
            .and_then(Node::as_str)
            .filter(|class| is_sandboxed_runtime(class));
        Some(Workload {
            object,
            spec,
            metadata: pod.get("metadata"),
            containers,
            spec_pos: spec_entry.key_pos,
            sandbox,
        })
    }

    /// `Deployment/web (container app)`.
    pub fn resource(&self, container: Option<&Container>) -> String {
        match container {
            None => self.object.resource(),
            Some(c) => {
                let kind = match c.kind {
                    ContainerKind::Regular => "container",
                    ContainerKind::Init => "init container",
                    ContainerKind::Ephemeral => "ephemeral container",
                };
                format!("{} ({kind} {})", self.object.resource(), c.name)
            }
        }
    }

    /// Where findings about something the pod lacks point: the pod spec's `spec` key.
    pub fn pos(&self) -> Pos {
        self.spec_pos
    }

    pub fn pod_security_context(&self, key: &str) -> Option<&'a crate::yaml::Entry> {
        self.spec.get("securityContext")?.entry(key)
    }

    /// A security-context setting as it applies to `container`: its own, else the pod's.
    pub fn effective(
        &self,
        container: &Container<'a>,
        key: &str,
    ) -> Option<&'a crate::yaml::Entry> {
        let own = container
            .node
            .get("securityContext")
            .and_then(|sc| sc.entry(key));
        own.or_else(|| self.pod_security_context(key))
    }

    pub fn annotation(&self, key: &str) -> Option<&'a crate::yaml::Entry> {
        let from_template = self
            .metadata
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.entry(key));
        from_template.or_else(|| {
            self.object
                .node
                .path(&["metadata", "annotations"])?
                .entry(key)
        })
    }

    pub fn labels(&self) -> &'a [crate::yaml::Entry] {
        self.metadata
            .and_then(|m| m.get("labels"))
            .map(Node::entries)
            .unwrap_or_default()
    }

    pub fn report(
        &self,
        out: &mut Out,
        rule: &Rule,
        at: Pos,
        container: Option<&Container>,
        message: String,
    ) {
        out.report_sandboxed(
            rule,
            self.object,
            at,
            self.resource(container),
            message,
            self.sandbox,
        );
    }
}

/// gVisor (`runsc`) and Kata Containers runtime classes, by the names their installers use.
pub(crate) fn is_sandboxed_runtime(class: &str) -> bool {
    let class = class.to_ascii_lowercase();
    ["gvisor", "runsc", "kata"]
        .iter()
        .any(|name| class.contains(name))
}
