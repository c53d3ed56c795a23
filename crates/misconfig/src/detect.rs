//! Which kind of configuration a file holds, from its name and a look at its text.

/// What a file is checked as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dockerfile,
    Kubernetes,
    Compose,
}

/// `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `api.dockerfile`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}

/// `compose.yaml`, `docker-compose.yml`, `docker-compose.prod.yml`.
pub fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    yaml && (lower.starts_with("docker-compose") || lower.starts_with("compose."))
}

/// A top-level `services:` key.
fn has_services(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("services:"))
}

/// The kind of the file `name` (a base name) holding `text`; `None` for anything else.
pub fn detect(name: &str, text: &str) -> Option<Kind> {
    if is_dockerfile_name(name) {
        return Some(Kind::Dockerfile);
    }
    if is_compose_name(name) {
        return Some(Kind::Compose);
    }
    let lower = name.to_ascii_lowercase();
    let structured = [".yml", ".yaml", ".json"]
        .iter()
        .any(|e| lower.ends_with(e));
    if !structured {
        return None;
    }
    if crate::k8s::looks_like_manifest(text) {
        Some(Kind::Kubernetes)
    } else if has_services(text) && !lower.ends_with(".json") {
        Some(Kind::Compose)
    } else {
        None
    }
}

/// Standard input has no name: manifests (helm output), compose, or a Dockerfile.
pub fn detect_stdin(text: &str) -> Option<Kind> {
    if crate::k8s::looks_like_manifest(text) {
        return Some(Kind::Kubernetes);
    }
    if has_services(text) {
        return Some(Kind::Compose);
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let keyword = first.split_whitespace().next()?.to_ascii_uppercase();
    matches!(keyword.as_str(), "FROM" | "ARG").then_some(Kind::Dockerfile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_dockerfile_name("Dockerfile"));
        assert!(is_dockerfile_name("Containerfile.dev"));
        assert!(is_dockerfile_name("api.Dockerfile"));
        assert!(!is_dockerfile_name("dockerfile.md.bak.txt") || is_dockerfile_name("dockerfile.x"));
        assert!(is_compose_name("docker-compose.prod.yml"));
        assert!(is_compose_name("compose.yaml"));
        assert!(!is_compose_name("composer.json"));
        assert_eq!(detect("README.md", "FROM x"), None);
        assert_eq!(
            detect("app.yaml", "services:\n  web:\n    image: x\n"),
            Some(Kind::Compose)
        );
        assert_eq!(
            detect_stdin("# syntax=docker/dockerfile:1\nFROM alpine\n"),
            Some(Kind::Dockerfile)
        );
    }
}
