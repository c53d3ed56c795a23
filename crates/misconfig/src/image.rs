//! Image-config rules for `bulkhead image`: the config JSON (user, env, ports), its history,
//! and what the squashed filesystem holds (setuid and world-writable files, package caches,
//! shells in distroless-looking images).

use crate::rule::{Finding, Rule};
use inventory::Severity::{Critical, High, Low, Medium};

crate::rule::family_rule_constructor!(crate::rule::Family::Image);

const CIS_4_1: &str =
    "CIS Docker Benchmark v1.6 4.1: Ensure that a user for the container has been created";
const CIS_4_8: &str =
    "CIS Docker Benchmark v1.6 4.8: Ensure setuid and setgid permissions are removed";
const CIS_4_10: &str =
    "CIS Docker Benchmark v1.6 4.10: Ensure secrets are not stored in Dockerfiles";
const NSA_CISA: &str =
    "NSA/CISA Kubernetes Hardening Guide v1.2: Container images (non-root, minimal, scanned)";

pub static RULES: &[Rule] = &[
    rule("BH-IMG-001", High, "The image runs as root",
        "The config's User is empty, root or 0, so the entrypoint runs as UID 0 unless the runtime overrides it: an application compromise is root in the container.",
        "Set a non-root USER in the final build stage (or `--user` at run time, runAsNonRoot in Kubernetes).",
        &[CIS_4_1, NSA_CISA]),
    rule("BH-IMG-002", High, "An environment variable looks like a secret",
        "Env in the image config is readable by anyone who can pull the image (`docker inspect`) and inherited by every process.",
        "Remove the value from the image; inject it at run time from a secret store.",
        &[CIS_4_10]),
    rule("BH-IMG-003", Medium, "History shows ADD from a remote URL",
        "A layer was built from a URL fetched without verification; its content depended on that server at build time.",
        "Rebuild with a verified download (checksum or signature) or `ADD --checksum`.",
        &["CIS Docker Benchmark v1.6 4.9: Ensure that COPY is used instead of ADD in Dockerfiles"]),
    rule("BH-IMG-004", High, "The image exposes SSH or the Docker daemon port",
        "Exposed 22 means an SSH service is expected in the container; 2375/2376 means a Docker daemon API, which is root on its host.",
        "Remove the EXPOSE and the service; use exec for debugging.",
        &["CIS Docker Benchmark v1.6 5.7: Ensure sshd is not run within containers"]),
    rule("BH-IMG-005", Medium, "Files with setuid or setgid bits",
        "Each setuid/setgid executable is a path for an unprivileged process in the container to gain its owner's (usually root's) privileges.",
        "Strip the bits in the build: `find / -xdev -perm /6000 -type f -exec chmod a-s {} +`.",
        &[CIS_4_8]),
    rule("BH-IMG-006", Medium, "World-writable files",
        "Any process in the container can replace world-writable files that others execute or trust.",
        "Fix the modes in the build (`chmod o-w`), give ownership to the user that needs it.",
        &[NSA_CISA]),
    rule("BH-IMG-007", Low, "Package-manager caches were left in the image",
        "Downloaded packages and index files (apt lists, .deb archives, apk and pip caches) add size and stale metadata nobody audits.",
        "Clean up in the same RUN: `rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, `pip install --no-cache-dir`.",
        &["CIS Docker Benchmark v1.6 4.7: Ensure update instructions are not used alone in the Dockerfile"]),
    rule("BH-IMG-008", Medium, "A shell or sudo in an image that looks distroless",
        "The image has no package manager (distroless style) yet carries a shell or sudo: exactly the tools an attacker needs after an exploit, which a minimal image is meant to lack.",
        "Build the final stage from a distroless/scratch base and copy only the application into it.",
        &[NSA_CISA]),
    rule("BH-IMG-010", Low, "Setuid or setgid files installed by OS packages",
        "The package manager installed these setuid/setgid programs (passwd, su, mount…): expected in a full distribution, but each is still a way to gain privileges the application rarely needs.",
        "Strip the bits the application does not need in the build (`chmod a-s`), or use a base image without them.",
        &[CIS_4_8]),
    rule("BH-IMG-011", High, "A setuid or setgid file that no package installed",
        "No installed package owns this setuid/setgid file: it was added by a build step or copied in, which is how a planted privilege-escalation backdoor looks.",
        "Find which build step added it (the layer); remove it or its setuid/setgid bits.",
        &[CIS_4_8]),
    rule("BH-IMG-009", Critical, "A private key is stored in an environment variable",
        "An env value holding a PEM private key gives anyone who can pull the image that key.",
        "Remove the key from the image and rotate it.",
        &[CIS_4_10]),
];

fn by_id(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// The parts of an image the rules read; the CLI fills it from source::ImageConfig and the
/// squashed inventory.
#[derive(Debug, Default)]
pub struct ImageFacts {
    /// The image's name, used as the finding's `file`.
    pub name: String,
    pub user: Option<String>,
    pub env: Vec<String>,
    pub exposed_ports: Vec<String>,
    /// The setuid/setgid files (of `special_files`) an OS package installed; `None` when no
    /// package file list was found (ownership unknown: each is reported as BH-IMG-005).
    pub package_owned: Option<Vec<String>>,
    /// `created_by` of every history entry.
    pub history: Vec<String>,
    /// Files still present in the final view with special bits: (path, mode).
    pub special_files: Vec<(String, u32)>,
    /// Every path in the final view the pass recorded for these rules (caches, shells).
    pub paths: Vec<String>,
}

fn finding(id: &str, facts: &ImageFacts, message: String, snippet: Option<String>) -> Finding {
    let mut f = Finding::new(by_id(id), &facts.name, 0, 0, message);
    f.snippet = snippet;
    f.resource = Some("image config".to_string());
    f
}

/// Every image rule over one image.
pub fn check(facts: &ImageFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let user = facts.user.as_deref().unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() || name == "root" || name == "0" {
        let shown = if user.is_empty() { "(not set)" } else { user };
        out.push(finding(
            "BH-IMG-001",
            facts,
            format!("User is {shown}: the container runs as root"),
            None,
        ));
    }
    for entry in &facts.env {
        let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
        if value.contains("PRIVATE KEY-----") {
            out.push(finding(
                "BH-IMG-009",
                facts,
                format!("Env {key} holds a private key"),
                Some(key.to_string()),
            ));
        } else if (crate::secret_values::secret_name(key)
            && crate::secret_values::is_literal_secret(value))
            || crate::secret_values::url_with_credentials(value)
        {
            out.push(finding(
                "BH-IMG-002",
                facts,
                format!("Env {key} has a secret-looking name and a value"),
                Some(format!("{key}=***")),
            ));
        }
    }
    for step in &facts.history {
        let text = step
            .trim_start_matches("/bin/sh -c ")
            .trim_start_matches("#(nop) ")
            .trim();
        let add = text
            .strip_prefix("ADD ")
            .or_else(|| text.strip_prefix("ADD"));
        if let Some(args) = add {
            let remote = args
                .split_whitespace()
                .any(|w| w.starts_with("http://") || w.starts_with("https://"));
            if remote {
                out.push(finding(
                    "BH-IMG-003",
                    facts,
                    "a layer was added from a URL".into(),
                    Some(shorten(text)),
                ));
            }
        }
    }
    for port in &facts.exposed_ports {
        let number = port.split('/').next().unwrap_or(port);
        if matches!(number, "22" | "2375" | "2376") {
            out.push(finding(
                "BH-IMG-004",
                facts,
                format!("port {port} is exposed"),
                Some(port.clone()),
            ));
        }
    }
    out.extend(check_files(facts));
    out
}

/// The rules about what the filesystem holds (setuid and world-writable files, caches, a
/// shell in a distroless image): for images and root filesystems alike.
pub fn check_files(facts: &ImageFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut owned = Vec::new();
    for (path, mode) in &facts.special_files {
        if mode & 0o6000 != 0 {
            let bits = if mode & 0o4000 != 0 {
                "setuid"
            } else {
                "setgid"
            };
            let how = format!("{bits} (mode {:o})", mode & 0o7777);
            match &facts.package_owned {
                None => out.push(finding(
                    "BH-IMG-005",
                    facts,
                    format!("/{path} is {how}"),
                    Some(format!("/{path}")),
                )),
                Some(by_package) if by_package.contains(path) => owned.push(format!("/{path}")),
                Some(_) => out.push(finding(
                    "BH-IMG-011",
                    facts,
                    format!("/{path} is {how} and no installed package owns it"),
                    Some(format!("/{path}")),
                )),
            }
        }
        if mode & 0o002 != 0 {
            out.push(finding(
                "BH-IMG-006",
                facts,
                format!("/{path} is world-writable (mode {:o})", mode & 0o7777),
                Some(format!("/{path}")),
            ));
        }
    }
    if !owned.is_empty() {
        out.push(finding(
            "BH-IMG-010",
            facts,
            format!(
                "{} setuid/setgid file(s) installed by OS packages: {}",
                owned.len(),
                owned.join(", ")
            ),
            None,
        ));
    }
    let caches: Vec<&str> = facts
        .paths
        .iter()
        .filter_map(|p| cache_kind(p))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for cache in caches {
        out.push(finding(
            "BH-IMG-007",
            facts,
            format!("{cache} left in the image"),
            None,
        ));
    }
    let has = |p: &str| facts.paths.iter().any(|x| x == p);
    let package_manager = [
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/Packages",
    ]
    .iter()
    .any(|p| has(p));
    if !package_manager {
        for tool in [
            "bin/sh",
            "bin/bash",
            "bin/busybox",
            "usr/bin/sudo",
            "bin/su",
            "usr/bin/su",
        ] {
            if has(tool) {
                out.push(finding(
                    "BH-IMG-008",
                    facts,
                    format!("/{tool} in an image without a package manager"),
                    Some(format!("/{tool}")),
                ));
            }
        }
    }
    out
}

/// Paths the image rules want to see in the final view.
pub fn wants_path(path: &str) -> bool {
    cache_kind(path).is_some()
        || matches!(
            path,
            "bin/sh"
                | "bin/bash"
                | "bin/busybox"
                | "usr/bin/sudo"
                | "bin/su"
                | "usr/bin/su"
                | "var/lib/dpkg/status"
                | "lib/apk/db/installed"
                | "var/lib/rpm/rpmdb.sqlite"
                | "var/lib/rpm/Packages"
        )
}

fn cache_kind(path: &str) -> Option<&'static str> {
    if path.starts_with("var/cache/apt/archives/") && path.ends_with(".deb") {
        Some("apt package archives (/var/cache/apt/archives/*.deb)")
    } else if path.starts_with("var/lib/apt/lists/")
        && !path.ends_with("/lock")
        && !path.contains("/partial")
    {
        Some("apt package lists (/var/lib/apt/lists)")
    } else if path.starts_with("var/cache/apk/") && path.ends_with(".tar.gz") {
        Some("the apk cache (/var/cache/apk)")
    } else if path.contains(".cache/pip/") {
        Some("the pip cache (~/.cache/pip)")
    } else if path.starts_with("var/cache/yum/")
        || path.starts_with("var/cache/dnf/") && path.ends_with(".rpm")
    {
        Some("the yum/dnf cache")
    } else {
        None
    }
}

fn shorten(step: &str) -> String {
    step.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_owned_setuid_files_are_grouped_and_unowned_ones_named() {
        let facts = ImageFacts {
            special_files: vec![
                ("usr/bin/passwd".into(), 0o104755),
                ("usr/bin/su".into(), 0o104755),
                ("opt/planted/revshell.sh".into(), 0o104755),
            ],
            package_owned: Some(vec!["usr/bin/passwd".into(), "usr/bin/su".into()]),
            ..Default::default()
        };
        let found: Vec<(String, inventory::Severity, String)> = check_files(&facts)
            .into_iter()
            .map(|f| (f.rule_id, f.severity, f.message))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "BH-IMG-011".into(),
                    High,
                    "/opt/planted/revshell.sh is setuid (mode 4755) and no installed package owns it".into()
                ),
                (
                    "BH-IMG-010".into(),
                    Low,
                    "2 setuid/setgid file(s) installed by OS packages: /usr/bin/passwd, /usr/bin/su".into()
                ),
            ]
        );
    }

    #[test]
    fn root_secrets_ports_files() {
        let facts = ImageFacts {
            name: "img".into(),
            user: Some("".into()),
            env: vec![
                "PATH=/usr/bin".into(),
                "DB_PASSWORD=hunter2".into(),
                "PASSWORD_FILE=/run/x".into(),
            ],
            exposed_ports: vec!["22/tcp".into(), "8080/tcp".into()],
            history: vec![
                "/bin/sh -c #(nop) ADD https://example.com/a.tgz /opt".into(),
                "/bin/sh -c #(nop) ADD file:abc in /".into(),
            ],
            special_files: vec![
                ("usr/bin/passwd".into(), 0o104755),
                ("tmp/x".into(), 0o100666),
            ],
            paths: vec![
                "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease".into(),
                "bin/sh".into(),
            ],
            package_owned: None,
        };
        let ids: Vec<String> = check(&facts).into_iter().map(|f| f.rule_id).collect();
        for id in [
            "BH-IMG-001",
            "BH-IMG-002",
            "BH-IMG-003",
            "BH-IMG-004",
            "BH-IMG-005",
            "BH-IMG-006",
            "BH-IMG-007",
            "BH-IMG-008",
        ] {
            assert_eq!(
                ids.iter().filter(|i| *i == id).count(),
                1,
                "{id} in {ids:?}"
            );
        }
        let clean = ImageFacts {
            name: "img".into(),
            user: Some("10001".into()),
            ..Default::default()
        };
        assert!(check(&clean).is_empty());
    }
}
