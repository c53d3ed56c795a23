//! Hard links inside a layer. A link names an earlier member of the same layer; analysing it
//! means analysing that member's bytes under the link's path. The pass keeps what it read of
//! each member (which analyzers ran), so most links just take their target's results. When a
//! link is wanted by an analyzer that did not run on the target — `var/lib/dpkg/status` linked
//! to a file only the secret scanner read, or to one nobody read — the target's bytes are gone
//! from the stream: a second pass over the same (again verified) blob reads exactly those
//! targets. Without it, the package database reached through the link would be dropped and a
//! lower layer's would win, silently.

use crate::layer::{run, warning};
use crate::paths::normalize;
use crate::{Analyzer, FileMeta, LayerResult, Limits};
use std::collections::HashMap;
use std::io::Read;

/// A link to analyse in the second pass.
pub(crate) struct PendingLink {
    link: String,
    target: String,
    /// The link's position among the layer's members: its target is the last member of that
    /// name before it.
    position: usize,
    mode: u32,
}

/// What the first pass learnt of the members it saw.
#[derive(Default)]
pub(crate) struct Members {
    /// Members read → their size and the analyzers that ran on them.
    read: HashMap<String, (u64, Vec<&'static str>)>,
    /// Hard links → the member they name (chains of links resolved).
    links: HashMap<String, String>,
    pub(crate) pending: Vec<PendingLink>,
}

impl Members {
    pub(crate) fn record_read(&mut self, path: String, size: u64, ran: &[&dyn Analyzer]) {
        self.links.remove(&path);
        self.read
            .insert(path, (size, ran.iter().map(|a| a.name()).collect()));
    }

    /// A later entry replaces the member of that name.
    pub(crate) fn forget(&mut self, path: &str) {
        self.read.remove(path);
        self.links.remove(path);
    }

    /// A hard link at `position`: copies the target's results when every analyzer the link
    /// needs already ran on it; otherwise queues it for the second pass.
    pub(crate) fn link(
        &mut self,
        path: String,
        target: &str,
        position: usize,
        mode: u32,
        analyzers: &[&dyn Analyzer],
        result: &mut LayerResult,
    ) {
        let target = self
            .links
            .get(target)
            .cloned()
            .unwrap_or_else(|| target.to_string());
        self.links.insert(path.clone(), target.clone());
        // A link entry carries no size: the target's when it was read (else 0; the second
        // pass judges by the real one).
        let size = self.read.get(&target).map_or(0, |(size, _)| *size);
        let meta = FileMeta {
            path: &path,
            mode,
            size,
        };
        let needed: Vec<&str> = analyzers
            .iter()
            .filter(|a| a.wants_file(&meta) || a.wants(&path))
            .map(|a| a.name())
            .collect();
        if needed.is_empty() {
            return;
        }
        result.written.push(path.clone());
        let served = self
            .read
            .get(&target)
            .is_some_and(|(_, ran)| needed.iter().all(|n| ran.contains(n)));
        if served {
            if let Some(found) = result.files.get(&target).cloned() {
                result.files.insert(path.clone(), found);
            }
            self.read.insert(path, (size, needed));
        } else {
            self.pending.push(PendingLink {
                link: path,
                target,
                position,
                mode,
            });
        }
    }
}

/// The second pass: reads the pending links' targets and analyses them under the links'
/// paths. A target the layer does not hold before its link is a warning naming the link.
pub(crate) fn resolve<R: Read>(
    archive: &mut tar::Archive<R>,
    layer: &str,
    analyzers: &[&dyn Analyzer],
    limits: Limits,
    pending: &[PendingLink],
    result: &mut LayerResult,
) -> std::io::Result<()> {
    let mut by_target: HashMap<&str, Vec<&PendingLink>> = HashMap::new();
    for link in pending {
        by_target.entry(&link.target).or_default().push(link);
    }
    let last = pending.iter().map(|l| l.position).max().unwrap_or(0);
    let mut found: HashMap<&str, usize> = HashMap::new();
    for (position, entry) in archive.entries()?.enumerate() {
        if position >= last {
            break;
        }
        let mut entry = entry?;
        let regular = matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse
        );
        let Some(path) = normalize(&String::from_utf8_lossy(&entry.path_bytes())) else {
            continue;
        };
        let Some(links) = by_target.get(path.as_str()) else {
            continue;
        };
        let links: Vec<&PendingLink> = links
            .iter()
            .copied()
            .filter(|l| l.position > position)
            .collect();
        if links.is_empty() || !regular {
            continue;
        }
        let size = entry.size();
        if size > limits.max_file_size {
            for link in &links {
                let message = format!(
                    "hard link to a file of {size} bytes, over --max-file-size {}; not analyzed",
                    limits.max_file_size
                );
                result.warnings.push(warning(&link.link, layer, &message));
            }
            continue;
        }
        let mut content = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut content)?;
        for link in links {
            // The last copy before the link is the one it names.
            result.files.remove(&link.link);
            let meta = FileMeta {
                path: &link.link,
                mode: link.mode,
                size,
            };
            let wanted: Vec<&dyn Analyzer> = analyzers
                .iter()
                .copied()
                .filter(|a| a.wants_file(&meta) || a.wants(&link.link))
                .collect();
            run(&wanted, &meta, &content, layer, result);
            found.insert(&link.link, position);
        }
    }
    for link in pending
        .iter()
        .filter(|l| !found.contains_key(l.link.as_str()))
    {
        result.shadowed.push(link.link.clone());
        result.warnings.push(warning(
            &link.link,
            layer,
            "hard link to a file this layer does not hold; not analyzed",
        ));
    }
    Ok(())
}
