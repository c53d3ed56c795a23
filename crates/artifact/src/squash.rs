//! Builds the final filesystem view from per-layer results, applying whiteouts in order, and
//! attributes each package to the layer that introduced it.

use crate::paths::within;
use crate::LayerResult;
use inventory::{FileResult, Inventory, Package};
use std::collections::BTreeMap;

/// The squashed inventory: what a container started from this image would hold.
pub fn squash(layers: &[LayerResult]) -> Inventory {
    // path → index of the layer whose copy is visible
    let mut visible: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, layer) in layers.iter().enumerate() {
        for dir in &layer.opaque {
            visible.retain(|path, _| !(within(path, dir) && *path != dir));
        }
        for gone in layer.removed.iter().chain(&layer.shadowed) {
            visible.retain(|path, _| !within(path, gone));
        }
        for path in layer.files.keys() {
            visible.insert(path, index);
        }
    }

    let mut inventory = Inventory::default();
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
                FileResult::Packages { packages, .. } => {
                    for package in packages {
                        let introduced = introduced_in(layers, path, top, package);
                        let mut package = package.clone();
                        if package.layer.is_none() {
                            package.layer = layers[introduced].layer.clone();
                        }
                        inventory.packages.push(package);
                    }
                }
                FileResult::FileMode { mode } => {
                    inventory.file_modes.push(inventory::FileModeEntry {
                        path: path.to_string(),
                        mode: *mode,
                    })
                }
            }
        }
    }
    inventory.warnings = layers
        .iter()
        .flat_map(|l| l.warnings.iter().cloned())
        .collect();
    inventory
}

/// The lowest layer from which `package` at `path` has been present without a break.
fn introduced_in(layers: &[LayerResult], path: &str, top: usize, package: &Package) -> usize {
    let mut introduced = top;
    for index in (0..top).rev() {
        let layer = &layers[index];
        if let Some(found) = layer.files.get(path) {
            if !holds(found, package) {
                break;
            }
            introduced = index;
        }
        // Deletions in a layer act on the layers below it, so check them after its own files.
        let deleted = layer
            .removed
            .iter()
            .chain(&layer.shadowed)
            .any(|g| within(path, g))
            || layer.opaque.iter().any(|d| within(path, d) && path != d);
        if deleted {
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
        FileResult::Os { .. } | FileResult::FileMode { .. } => false,
    })
}
