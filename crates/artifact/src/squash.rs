//! Builds the final filesystem view from per-layer results, applying whiteouts in order, and
//! attributes each package to the layer that introduced it.

use crate::paths::Deletions;
use crate::LayerResult;
use inventory::{FileResult, Inventory, MalwareContent, Package, Secret};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The squashed inventory: what a container started from this image would hold. The
/// packages are moved out of the layer results, not copied: a lock file of half a million
/// packages is held once.
pub fn squash(mut layers: Vec<LayerResult>) -> Inventory {
    let (mut inventory, moves, dpkg_licenses) = view(&layers);
    inventory.secrets = secrets(&mut layers);
    inventory.malware_quiet = layers
        .iter()
        .flat_map(|l| l.files.values().flatten())
        .map(|r| match r {
            FileResult::Malware { quiet, .. } => *quiet,
            _ => 0,
        })
        .sum();
    inventory.malware = malware(&mut layers);
    let layer_refs: Vec<_> = layers.iter().map(|l| l.layer.clone()).collect();
    for (path, top, introduced) in moves {
        let Some(found) = layers[top].files.get_mut(&path) else {
            continue;
        };
        let mut introduced = introduced.into_iter();
        for result in found.iter_mut() {
            if let FileResult::Packages { packages, .. } = result {
                let mut taken = std::mem::take(packages);
                for package in &mut taken {
                    let from = introduced.next().unwrap_or(top);
                    if package.layer.is_none() {
                        package.layer = layer_refs[from].clone();
                    }
                }
                if inventory.packages.is_empty() {
                    inventory.packages = taken; // one big lock file: no second array
                } else {
                    inventory.packages.append(&mut taken);
                }
            }
        }
    }
    // Copyright files and the status database are separate files, possibly in separate
    // layers: join them once the final view is known.
    for package in &mut inventory.packages {
        if package.ecosystem == "dpkg" && package.licenses.is_empty() {
            if let Some(licenses) = dpkg_licenses.get(package.name.as_str()) {
                package.licenses = licenses.clone();
            }
        }
    }
    inventory
}

/// A visible file's packages to move: its path, the layer holding the visible copy, and for
/// each package the layer that introduced it.
type Move = (String, usize, Vec<usize>);

/// Everything of the final view but its packages, where those are, and the licences the
/// visible Debian copyright files name (by package).
fn view(layers: &[LayerResult]) -> (Inventory, Vec<Move>, HashMap<String, Vec<String>>) {
    // path → index of the layer whose copy is visible
    let mut visible: BTreeMap<&str, usize> = BTreeMap::new();
    let deletions: Vec<Deletions> = layers.iter().map(Deletions::new).collect();
    for (index, layer) in layers.iter().enumerate() {
        if !deletions[index].is_empty() {
            visible.retain(|path, _| !deletions[index].covers(path));
        }
        for path in layer.files.keys() {
            visible.insert(path, index);
        }
    }

    let mut inventory = Inventory::default();
    let mut moves = Vec::new();
    let mut dpkg_licenses = HashMap::new();
    let mut os_priority = 0;
    for (path, &top) in &visible {
        for found in &layers[top].files[*path] {
            match found {
                FileResult::Os { release, priority } => {
                    if inventory.os.is_none() || *priority > os_priority {
                        inventory.os = Some(release.clone());
                        os_priority = *priority;
                    }
                }
                FileResult::Secrets { .. }
                | FileResult::Malware { .. }
                | FileResult::Warning { .. } => {}
                FileResult::Licenses { package, licenses } => {
                    dpkg_licenses.insert(package.clone(), licenses.clone());
                }
                FileResult::Packages { packages, .. } => {
                    let introduced = packages
                        .iter()
                        .map(|package| introduced_in(layers, &deletions, path, top, package))
                        .collect();
                    moves.push((path.to_string(), top, introduced));
                }
                FileResult::FileMode { mode } => {
                    inventory.file_modes.push(inventory::FileModeEntry {
                        path: path.to_string(),
                        mode: *mode,
                    })
                }
                FileResult::OwnedFiles { hashes } => inventory.owned_files.extend(hashes),
            }
        }
    }
    inventory.owned_files.sort_unstable();
    inventory.owned_files.dedup();
    inventory.warnings = layers
        .iter()
        .flat_map(|l| l.warnings.iter().cloned())
        .collect();
    (inventory, moves, dpkg_licenses)
}

/// The lowest layer from which `package` at `path` has been present without a break.
fn introduced_in(
    layers: &[LayerResult],
    deletions: &[Deletions],
    path: &str,
    top: usize,
    package: &Package,
) -> usize {
    let mut introduced = top;
    for index in (0..top).rev() {
        if let Some(found) = layers[index].files.get(path) {
            if !holds(found, package) {
                break;
            }
            introduced = index;
        }
        // Deletions in a layer act on the layers below it, so check them after its own files.
        if deletions[index].covers(path) {
            break;
        }
    }
    introduced
}

fn holds(found: &[FileResult], package: &Package) -> bool {
    found.iter().any(|r| match r {
        FileResult::Packages { packages, .. } => packages.iter().any(|p| {
            p.name == package.name && p.version == package.version && p.arch == package.arch
        }),
        FileResult::Os { .. }
        | FileResult::Secrets { .. }
        | FileResult::Malware { .. }
        | FileResult::FileMode { .. }
        | FileResult::OwnedFiles { .. }
        | FileResult::Licenses { .. }
        | FileResult::Warning { .. } => false,
    })
}

/// A finding kept from every layer (secrets, malicious content): the image ships the bytes of
/// every layer, whatever later layers hide.
trait EveryLayer: Clone {
    /// Moves this kind's findings out of a file's result.
    fn take(result: &mut FileResult) -> Vec<Self>;
    /// The file, layer and deleted mark the collector sets.
    fn slots(&mut self) -> (&mut String, &mut Option<inventory::LayerRef>, &mut bool);
    fn layer(&self) -> Option<&inventory::LayerRef>;
    /// The same finding in a rewritten copy of the file.
    fn same(&self, other: &Self) -> bool;
    fn order(&self) -> (&str, usize, &str);

    fn place(&mut self, path: &str, added_by: Option<inventory::LayerRef>) {
        let (file, layer, deleted) = self.slots();
        // A member of a compressed file keeps its `path!member` name.
        let member = file
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('!'));
        if !member {
            *file = path.to_string();
        }
        *layer = layer.take().or(added_by);
        *deleted = false;
    }
    fn set_layer(&mut self, to: Option<inventory::LayerRef>) {
        *self.slots().1 = to;
    }
    fn mark_deleted(&mut self) {
        *self.slots().2 = true;
    }
}

impl EveryLayer for Secret {
    fn take(result: &mut FileResult) -> Vec<Self> {
        match result {
            FileResult::Secrets { secrets } => std::mem::take(secrets),
            _ => Vec::new(),
        }
    }
    fn slots(&mut self) -> (&mut String, &mut Option<inventory::LayerRef>, &mut bool) {
        (&mut self.file, &mut self.layer, &mut self.deleted)
    }
    fn layer(&self) -> Option<&inventory::LayerRef> {
        self.layer.as_ref()
    }
    fn same(&self, other: &Self) -> bool {
        self.rule_id == other.rule_id && self.line == other.line && self.matched == other.matched
    }
    fn order(&self) -> (&str, usize, &str) {
        (&self.file, self.line, &self.rule_id)
    }
}

impl EveryLayer for MalwareContent {
    fn take(result: &mut FileResult) -> Vec<Self> {
        match result {
            FileResult::Malware { findings, .. } => std::mem::take(findings),
            _ => Vec::new(),
        }
    }
    fn slots(&mut self) -> (&mut String, &mut Option<inventory::LayerRef>, &mut bool) {
        (&mut self.file, &mut self.layer, &mut self.deleted)
    }
    fn layer(&self) -> Option<&inventory::LayerRef> {
        self.layer.as_ref()
    }
    fn same(&self, other: &Self) -> bool {
        self.rule_id == other.rule_id
            && self.rule_set == other.rule_set
            && self.sha256 == other.sha256
    }
    fn order(&self) -> (&str, usize, &str) {
        (&self.file, 0, &self.rule_id)
    }
}

/// Secrets from every layer, not only the visible files: a key copied in one layer and
/// deleted in the next still ships in the image. Each is attributed to the lowest layer from
/// which it has been present without a break, and marked `deleted` when a later layer
/// removes, hides or overwrites its file. The findings are moved out of `layers`, not copied:
/// a third-party rule set can match a hundred thousand times in one image.
pub fn secrets(layers: &mut [LayerResult]) -> Vec<Secret> {
    every_layer(layers)
}

/// Malicious content from every layer, attributed and marked like [`secrets`].
pub fn malware(layers: &mut [LayerResult]) -> Vec<MalwareContent> {
    every_layer(layers)
}

fn every_layer<T: EveryLayer>(layers: &mut [LayerResult]) -> Vec<T> {
    // path → findings in the copy of that path visible so far
    let mut live: BTreeMap<String, Vec<T>> = BTreeMap::new();
    let mut out = Vec::new();
    for layer in layers {
        let (dead, kept): (BTreeMap<_, _>, BTreeMap<_, _>) = {
            let deletions = Deletions::new(layer);
            let written: HashSet<&str> = layer
                .written
                .iter()
                .map(String::as_str)
                .chain(layer.files.keys().map(String::as_str))
                .collect();
            std::mem::take(&mut live)
                .into_iter()
                .partition(|(path, _)| deletions.covers(path) || written.contains(path.as_str()))
        };
        live = kept;
        let added_by = layer.layer.clone();
        for (path, found) in &mut layer.files {
            let mut here: Vec<T> = found
                .iter_mut()
                .flat_map(T::take)
                .map(|mut f| {
                    f.place(path, added_by.clone());
                    f
                })
                .collect();
            if here.is_empty() {
                continue;
            }
            // The same finding rewritten in place keeps the layer that first added it.
            if let Some(before) = dead.get(path.as_str()) {
                for finding in &mut here {
                    if let Some(old) = before.iter().find(|o| o.same(finding)) {
                        finding.set_layer(old.layer().cloned());
                    }
                }
            }
            live.insert(path.clone(), here);
        }
        for (path, findings) in dead {
            let still = live.get(&path);
            out.extend(
                findings
                    .into_iter()
                    .filter(|f| !still.is_some_and(|now| now.iter().any(|n| n.same(f))))
                    .map(|mut f| {
                        f.mark_deleted();
                        f
                    }),
            );
        }
    }
    out.extend(live.into_values().flatten());
    out.sort_by(|a, b| {
        (a.order(), a.layer().map(|l| l.index)).cmp(&(b.order(), b.layer().map(|l| l.index)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use inventory::{LayerRef, Severity};

    fn secret(rule: &str, masked: &str) -> FileResult {
        FileResult::Secrets {
            secrets: vec![Secret {
                rule_id: rule.into(),
                title: rule.into(),
                severity: Severity::High,
                file: String::new(),
                line: 1,
                column: None,
                matched: masked.into(),
                layer: None,
                deleted: false,
            }],
        }
    }

    fn layer(index: usize, files: &[(&str, FileResult)]) -> LayerResult {
        LayerResult {
            layer: Some(LayerRef {
                index,
                digest: format!("sha256:{index}").into(),
                created_by: None,
            }),
            files: files
                .iter()
                .map(|(p, r)| (p.to_string(), vec![r.clone()]))
                .collect(),
            written: files.iter().map(|(p, _)| p.to_string()).collect(),
            ..LayerResult::default()
        }
    }

    fn summary(layers: &[LayerResult]) -> Vec<(String, String, usize, bool)> {
        secrets(&mut layers.to_vec())
            .into_iter()
            .map(|s| (s.file, s.rule_id, s.layer.unwrap().index, s.deleted))
            .collect()
    }

    #[test]
    fn secrets_keep_their_layer_and_learn_when_they_were_deleted() {
        let mut second = layer(
            1,
            &[
                ("a/same", secret("x", "ab**")),
                ("a/new", secret("y", "cd**")),
            ],
        );
        second.removed.push("gone".into());
        second.written.push("a/clean".into());
        let mut third = layer(2, &[]);
        third.opaque.push("d".into());
        let layers = [
            layer(
                0,
                &[
                    ("a/same", secret("x", "ab**")),
                    ("a/clean", secret("z", "ef**")),
                    ("gone/key", secret("k", "gh**")),
                    ("d/file", secret("d", "ij**")),
                    ("kept", secret("q", "kl**")),
                ],
            ),
            second,
            third,
        ];
        let got = summary(&layers);
        let want = [
            ("a/clean", "z", 0, true),  // overwritten by a file without it
            ("a/new", "y", 1, false),   // added later
            ("a/same", "x", 0, false),  // rewritten unchanged: first layer, once, live
            ("d/file", "d", 0, true),   // hidden by an opaque directory
            ("gone/key", "k", 0, true), // under a whiteout
            ("kept", "q", 0, false),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(f, r, l, d)| (f.to_string(), r.to_string(), *l, *d))
            .collect();
        assert_eq!(got, want);
    }
}
