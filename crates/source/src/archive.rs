//! Random access to the members of an uncompressed tar file (OCI and docker archives): one
//! pass records where each member's bytes are, then blobs are read straight from the file.

use crate::{io_err, BlobStore, Result, SourceError};
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

enum Member {
    File { offset: u64, size: u64 },
    Link(String),
}

pub struct TarIndex {
    path: PathBuf,
    members: HashMap<String, Member>,
}

/// `./a//b/` → `a/b`; `None` for names that climb out with `..`.
pub(crate) fn normalize(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

impl TarIndex {
    pub fn open(path: &Path) -> Result<TarIndex> {
        let shown = path.display().to_string();
        let mut file = File::open(path).map_err(io_err(&shown))?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(io_err(&shown))?;
        if n >= 2 && magic[..2] == [0x1f, 0x8b] || n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(SourceError::Invalid {
                path: shown,
                what: "image archive",
                message: "the archive itself is compressed; decompress it first (gunzip / zstd -d)"
                    .into(),
            });
        }
        file.seek(SeekFrom::Start(0)).map_err(io_err(&shown))?;
        let invalid = |message: String| SourceError::Invalid {
            path: shown.clone(),
            what: "tar archive",
            message,
        };
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
        for entry in archive.entries().map_err(|e| invalid(e.to_string()))? {
            let entry = entry.map_err(|e| invalid(format!("truncated or corrupt: {e}")))?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = normalize(&raw) else {
                continue;
            };
            let header = entry.header();
            let member = match header.entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    // Symlinks are relative to the member's directory; hardlinks to the root.
                    let base = if header.entry_type() == tar::EntryType::Symlink {
                        Path::new(&name)
                            .parent()
                            .map(|p| p.to_string_lossy().into_owned())
                    } else {
                        None
                    };
                    let joined = match base {
                        Some(dir) if !target.starts_with('/') => format!("{dir}/{target}"),
                        _ => target,
                    };
                    match normalize(&joined) {
                        Some(t) => Member::Link(t),
                        None => continue,
                    }
                }
                _ => continue,
            };
            members.insert(name, member);
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            members,
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.locate(name).is_some()
    }

    /// Follows member links (at most 16 hops, so loops end) to a regular member.
    fn locate(&self, name: &str) -> Option<(u64, u64)> {
        let mut name = normalize(name)?;
        for _ in 0..16 {
            match self.members.get(&name)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link(target) => name = target.clone(),
            }
        }
        None
    }

    pub fn display(&self) -> String {
        self.path.display().to_string()
    }
}

impl BlobStore for TarIndex {
    fn open(&self, blob: &str) -> Result<Box<dyn Read + Send>> {
        let (offset, size) = self.locate(blob).ok_or_else(|| {
            SourceError::NotFound(format!(
                "{}: the archive has no member {blob:?} (the manifest points at a missing blob)",
                self.display()
            ))
        })?;
        let mut file = File::open(&self.path).map_err(io_err(self.display()))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(io_err(self.display()))?;
        Ok(Box::new(file.take(size)))
    }

    fn describe(&self, blob: &str) -> String {
        format!("{}!{blob}", self.display())
    }
}
