//! What the build downloads, and how.

use super::{CIS_4_11, CIS_4_9, SHELLS};
use crate::dockerfile::parse::assignments;
use crate::dockerfile::{rule, shell, Check, Context, Instruction};
use crate::rule::Rule;
use inventory::Severity::{High, Low, Medium};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-005",
            Medium,
            "ADD fetches a remote URL or repository",
            "ADD downloads at build time without verifying what it gets (and unpacks nothing from URLs, so archives land as-is); a compromised or hijacked server changes your image silently.",
            "Download in a RUN step that verifies a checksum or signature (`curl -fsSLO … && sha256sum -c`), or use `ADD --checksum=sha256:…`.",
            &[CIS_4_9, "https://docs.docker.com/reference/dockerfile/#add"],
        ),
        run: add_remote,
    },
    Check {
        rule: rule(
            "BH-DF-006",
            Low,
            "ADD copies local files: use COPY",
            "ADD has implicit behaviour (it extracts archives and fetches URLs); for plain files COPY says exactly what happens, so a renamed or swapped source cannot change the build's meaning.",
            "Replace `ADD` with `COPY` for local files; keep ADD only to extract a local tar archive on purpose.",
            &[CIS_4_9],
        ),
        run: add_local,
    },
    Check {
        rule: rule(
            "BH-DF-007",
            High,
            "A downloaded script is piped into a shell",
            "`curl … | sh` runs whatever the server (or anyone on the path) returns at build time, unreviewed and unverified; a truncated download can even run half a script.",
            "Download to a file, verify its checksum or signature, then run it; or install from a signed package.",
            &["https://docs.docker.com/build/building/best-practices/#using-pipes", CIS_4_11],
        ),
        run: pipe_to_shell,
    },
    Check {
        rule: rule(
            "BH-DF-008",
            High,
            "TLS certificate verification is disabled in a download",
            "`curl -k`, `wget --no-check-certificate`, `git -c http.sslVerify=false` accept any certificate: anyone on the network path can substitute the download.",
            "Remove the option; if a private CA is needed, add its certificate to the trust store (`update-ca-certificates`).",
            &[CIS_4_11],
        ),
        run: insecure_tls,
    },
    Check {
        rule: rule(
            "BH-DF-009",
            Medium,
            "A download uses plain http://",
            "Without TLS anyone on the network path can read and replace what is downloaded into the image.",
            "Use https:// URLs (and verify a checksum).",
            &[CIS_4_11],
        ),
        run: plain_http,
    },
    Check {
        rule: rule(
            "BH-DF-010",
            High,
            "ENV disables TLS verification for the whole image",
            "Variables like NODE_TLS_REJECT_UNAUTHORIZED=0, PYTHONHTTPSVERIFY=0 or GIT_SSL_NO_VERIFY=1 persist into the running container and turn off certificate checks for every connection it makes.",
            "Remove the variable; trust a private CA by adding it to the system store or NODE_EXTRA_CA_CERTS instead.",
            &[CIS_4_10],
        ),
        run: tls_env,
    },
];

use super::CIS_4_10;

fn is_url(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    ["http://", "https://", "ftp://", "git@", "git://", "ssh://"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// ADD/COPY sources: every argument but the destination.
pub(super) fn sources(at: &Instruction) -> Vec<String> {
    let mut words = match &at.json {
        Some(words) => words.clone(),
        None => shell::words(&at.args),
    };
    words.pop();
    words.retain(|w| !w.starts_with("<<"));
    words
}

fn add_remote(ctx: &Context, rule: &Rule) {
    for add in ctx.each("ADD") {
        if add.flag("checksum").is_some() {
            continue;
        }
        if let Some(url) = sources(add).into_iter().find(|s| is_url(s)) {
            ctx.report(rule, add, format!("ADD downloads {url} without a checksum"));
        }
    }
}

fn is_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

fn add_local(ctx: &Context, rule: &Rule) {
    for add in ctx.each("ADD") {
        let sources = sources(add);
        if !add.heredocs.is_empty() && sources.is_empty() {
            continue;
        }
        if let Some(local) = sources.iter().find(|s| !is_url(s) && !is_archive(s)) {
            ctx.report(
                rule,
                add,
                format!("ADD {local}: COPY does the same without surprises"),
            );
        }
    }
}

fn pipe_to_shell(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        let downloader = |c: &shell::Command| matches!(c.name(), Some("curl" | "wget"));
        let piped = commands.windows(2).any(|pair| {
            downloader(&pair[0])
                && pair[0].piped
                && pair[1].name().is_some_and(|n| SHELLS.contains(&n))
        });
        // `sh -c "$(curl …)"` and `bash <(curl …)`.
        let script = run.script();
        let substituted = ["$(curl", "$(wget", "<(curl", "<(wget", "`curl", "`wget"]
            .iter()
            .any(|p| script.contains(p))
            && commands
                .iter()
                .any(|c| c.name().is_some_and(|n| SHELLS.contains(&n)));
        if piped || substituted {
            ctx.report(
                rule,
                run,
                "a script downloaded at build time is run without verification",
            );
        }
    }
}

fn insecure_tls(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        let found = commands.iter().find_map(|c| {
            let args = c.args_from_program();
            let has = |flag: &str| args.iter().any(|w| w == flag);
            match c.name()? {
                "curl" if has("-k") || has("--insecure") => Some("curl --insecure"),
                "curl"
                    if args
                        .iter()
                        .any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('k')) =>
                {
                    Some("curl -k")
                }
                "wget" if has("--no-check-certificate") => Some("wget --no-check-certificate"),
                "git"
                    if args
                        .iter()
                        .any(|w| w.to_ascii_lowercase().starts_with("http.sslverify=false")) =>
                {
                    Some("git http.sslVerify=false")
                }
                "git"
                    if has("config")
                        && args
                            .iter()
                            .any(|w| w.eq_ignore_ascii_case("http.sslVerify"))
                        && args.last().is_some_and(|v| v == "false") =>
                {
                    Some("git config http.sslVerify false")
                }
                "npm" | "yarn"
                    if has("strict-ssl") && args.last().is_some_and(|v| v == "false") =>
                {
                    Some("npm strict-ssl false")
                }
                _ => None,
            }
        });
        if let Some(what) = found {
            ctx.report(rule, run, format!("{what} accepts any certificate"));
        }
    }
}

fn is_local(url: &str) -> bool {
    let host = url.trim_start_matches("http://");
    ["localhost", "127.", "[::1]"]
        .iter()
        .any(|h| host.starts_with(h))
}

fn plain_http(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        let url = commands
            .iter()
            .filter(|c| matches!(c.name(), Some("curl" | "wget" | "git" | "pip" | "pip3")))
            .flat_map(|c| c.words.iter())
            .find(|w| w.starts_with("http://") && !is_local(w));
        if let Some(url) = url {
            ctx.report(rule, run, format!("{url} is fetched without TLS"));
        }
    }
}

/// Environment settings that switch off certificate checks.
fn disables_tls(name: &str, value: &str) -> bool {
    let value = value.trim().to_ascii_lowercase();
    let off = matches!(value.as_str(), "0" | "false" | "no" | "off");
    let on = matches!(value.as_str(), "1" | "true" | "yes" | "on");
    match name.to_ascii_uppercase().as_str() {
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" | "NPM_CONFIG_STRICT_SSL" => off,
        "GIT_SSL_NO_VERIFY" | "CURL_INSECURE" => on || value.is_empty(),
        "PIP_TRUSTED_HOST" => !value.is_empty(),
        _ => false,
    }
}

fn tls_env(ctx: &Context, rule: &Rule) {
    for env in ctx.each("ENV") {
        for (name, value) in assignments(&env.args) {
            if disables_tls(&name, value.as_deref().unwrap_or("")) {
                ctx.report(
                    rule,
                    env,
                    format!("ENV {name} turns off certificate verification"),
                );
            }
        }
    }
}
