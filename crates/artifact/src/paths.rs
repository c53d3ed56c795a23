//! Paths inside layers come from attackers: normalise them before anyone looks.

/// `./usr//lib/../bin/sh` → `usr/bin/sh`; a leading `/` is dropped. `None` when the path
/// climbs above the root (`../etc/passwd`) or is empty.
pub fn normalize(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A layer's deletions, for asking of many paths whether one of them removes it: each path
/// checks itself and its ancestors against sets, so squashing costs the depth of a path, not
/// the number of whiteouts (100,000 whiteouts used to take minutes).
pub(crate) struct Deletions<'a> {
    /// Whiteouts and shadowing entries: the path and everything below it.
    removed: std::collections::HashSet<&'a str>,
    /// Opaque directories: everything below them, not the directory itself.
    opaque: std::collections::HashSet<&'a str>,
}

impl<'a> Deletions<'a> {
    pub(crate) fn new(layer: &'a crate::LayerResult) -> Self {
        Deletions {
            removed: layer
                .removed
                .iter()
                .chain(&layer.shadowed)
                .map(String::as_str)
                .collect(),
            opaque: layer.opaque.iter().map(String::as_str).collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.opaque.is_empty()
    }

    /// Does this layer delete, hide or replace `path` of a lower layer?
    pub(crate) fn covers(&self, path: &str) -> bool {
        if self.removed.contains(path) || self.removed.contains("") || self.opaque.contains("") {
            return true;
        }
        let mut end = path.len();
        while let Some(slash) = path[..end].rfind('/') {
            let dir = &path[..slash];
            if self.removed.contains(dir) || self.opaque.contains(dir) {
                return true;
            }
            end = slash;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses_escapes() {
        assert_eq!(
            normalize("./usr//lib/../bin/sh").as_deref(),
            Some("usr/bin/sh")
        );
        assert_eq!(
            normalize("/etc/os-release").as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(normalize("../etc/passwd"), None);
        assert_eq!(normalize("a/../../etc/passwd"), None);
        assert_eq!(normalize("./"), None);
    }

    #[test]
    fn deletions_cover_paths_below_them() {
        let layer = crate::LayerResult {
            removed: vec!["etc/app".into()],
            opaque: vec!["var/lib".into()],
            ..Default::default()
        };
        let d = Deletions::new(&layer);
        assert!(d.covers("etc/app"));
        assert!(d.covers("etc/app/conf"));
        assert!(!d.covers("etc/apple"));
        assert!(d.covers("var/lib/dpkg/status"));
        assert!(!d.covers("var/lib"), "an opaque directory itself stays");
        assert!(!d.covers("usr/bin/sh"));
    }
}
