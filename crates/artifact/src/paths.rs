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

/// Is `path` equal to `dir` or below it?
pub(crate) fn within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
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
    fn within_respects_component_boundaries() {
        assert!(within("var/lib/dpkg/status", "var/lib/dpkg"));
        assert!(within("var/lib/dpkg", "var/lib/dpkg"));
        assert!(!within("var/lib/dpkgx/status", "var/lib/dpkg"));
        assert!(within("anything", ""));
    }
}
