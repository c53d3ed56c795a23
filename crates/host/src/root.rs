//! The audited root: `/` of a live host, or a mounted disk, VM image or backup. Everything
//! under it is read as data from a possibly hostile machine: reads are bounded, symbolic links
//! are resolved inside the root (an absolute target means the root's own `/`), and nothing is
//! executed or written.

use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Largest configuration file read (unit files, daemon.json, kubelet config, state files).
const MAX_FILE: u64 = 4 << 20;
/// Symbolic links followed to resolve one path.
const MAX_LINKS: usize = 16;
/// Entries listed per directory.
const MAX_ENTRIES: usize = 10_000;

/// A file's owner, group and permission bits as the root records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits with setuid/setgid/sticky (`0o7777`).
    pub bits: u32,
    pub is_socket: bool,
}

#[derive(Debug, Clone)]
pub struct Root {
    path: PathBuf,
    /// `/` of the machine running bulkhead: `/proc` and `/sys` describe it.
    pub live: bool,
}

impl Root {
    pub fn new(path: &Path) -> Root {
        let live = fs::canonicalize(path).is_ok_and(|p| p == Path::new("/"));
        Root {
            path: path.to_path_buf(),
            live,
        }
    }

    /// How the root is shown in the report.
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }

    /// The real path of `rel` (absolute inside the root, e.g. `/etc/docker/daemon.json`),
    /// links resolved inside the root. `None` past the link limit or on a loop.
    pub fn resolve(&self, rel: &str) -> Option<PathBuf> {
        let mut pending: Vec<String> = parts(rel).into_iter().rev().collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                done.pop();
                continue;
            }
            let candidate = self.join(&done).join(&part);
            match fs::symlink_metadata(&candidate) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    links += 1;
                    if links > MAX_LINKS {
                        return None;
                    }
                    let target = fs::read_link(&candidate).ok()?;
                    let target = target.to_string_lossy();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    pending.extend(parts(&target).into_iter().rev());
                }
                _ => done.push(part),
            }
        }
        Some(self.join(&done))
    }

    fn join(&self, parts: &[String]) -> PathBuf {
        let mut path = self.path.clone();
        path.extend(parts);
        path
    }

    /// The text of a file, when it exists and is at most 4 MiB of UTF-8 (lossy).
    pub fn read(&self, rel: &str) -> Option<String> {
        self.read_bytes(rel, MAX_FILE)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// A file's bytes, up to `max`; `None` when missing, not a regular file, or larger.
    pub fn read_bytes(&self, rel: &str, max: u64) -> Option<Vec<u8>> {
        let path = self.resolve(rel)?;
        let file = fs::File::open(&path).ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let mut bytes = Vec::new();
        file.take(max + 1).read_to_end(&mut bytes).ok()?;
        (bytes.len() as u64 <= max).then_some(bytes)
    }

    /// Owner, group and mode of `rel` (links resolved), `None` when missing.
    pub fn mode(&self, rel: &str) -> Option<Mode> {
        use std::os::unix::fs::FileTypeExt;
        let meta = fs::metadata(self.resolve(rel)?).ok()?;
        Some(Mode {
            uid: meta.uid(),
            gid: meta.gid(),
            bits: meta.mode() & 0o7777,
            is_socket: meta.file_type().is_socket(),
        })
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.resolve(rel).is_some_and(|p| p.exists())
    }

    /// Names in a directory, sorted (at most 10,000).
    pub fn list(&self, rel: &str) -> Vec<String> {
        let Some(dir) = self.resolve(rel) else {
            return Vec::new();
        };
        let Ok(entries) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .take(MAX_ENTRIES)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The normal components of a path, `..` kept for the resolver.
fn parts(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("lib/systemd/system")).unwrap();
        fs::create_dir_all(root.join("etc/systemd/system")).unwrap();
        fs::write(
            root.join("lib/systemd/system/docker.service"),
            "[Service]\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(
            "/lib/systemd/system/docker.service",
            root.join("etc/systemd/system/docker.service"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../../../../../etc/shadow", root.join("escape")).unwrap();
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        let r = Root::new(root);
        assert_eq!(
            r.read("/etc/systemd/system/docker.service").as_deref(),
            Some("[Service]\n")
        );
        assert_eq!(r.resolve("/escape"), Some(root.join("etc/shadow")));
        assert_eq!(r.resolve("/loop"), None);
        assert!(!r.live);
    }
}
