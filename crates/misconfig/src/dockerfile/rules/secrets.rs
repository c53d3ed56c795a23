//! Secrets baked into the image or its history.

use super::CIS_4_10;
use crate::dockerfile::parse::assignments;
use crate::dockerfile::rules::fetch::sources;
use crate::dockerfile::{rule, Check, Context};
use crate::rule::Rule;
use inventory::Severity::{High, Medium};

pub(super) const CHECKS: &[Check] = &[
    Check {
        rule: rule(
            "BH-DF-017",
            High,
            "ENV sets a secret-looking variable to a literal value",
            "ENV values are stored in the image config: anyone who can pull the image reads them with `docker inspect`, and they are passed to every process in the container.",
            "Pass secrets at run time (orchestrator secrets, mounted files) and at build time with `RUN --mount=type=secret`.",
            &[CIS_4_10, "https://docs.docker.com/build/building/secrets/"],
        ),
        run: env_secret,
    },
    Check {
        rule: rule(
            "BH-DF-018",
            Medium,
            "ARG carries a secret-looking value",
            "Build arguments are recorded in the image history (`docker history`) of every step that uses them, so a password passed with --build-arg leaks with the image.",
            "Use `RUN --mount=type=secret,id=…` and read the secret from /run/secrets during the step.",
            &[CIS_4_10, "https://docs.docker.com/build/building/secrets/"],
        ),
        run: arg_secret,
    },
    Check {
        rule: rule(
            "BH-DF-019",
            High,
            "A private key or credentials file is copied into the image",
            "Keys and credential files (id_rsa, *.pem, .npmrc, .netrc, .env, cloud credentials) copied into a layer stay in that layer even if deleted later; anyone with the image has them.",
            "Keep them out of the build context (.dockerignore) and use build secrets or run-time mounts.",
            &[CIS_4_10],
        ),
        run: secret_files,
    },
    Check {
        rule: rule(
            "BH-DF-020",
            High,
            "A URL carries credentials",
            "`https://user:password@host` in a Dockerfile is stored in the file, the build log and the image history.",
            "Pass the credential as a build secret (`--mount=type=secret`) or a netrc file mounted only for the step.",
            &[CIS_4_10],
        ),
        run: url_credentials,
    },
];

pub use crate::secret_values::secret_name;

fn literal(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && !value.starts_with('$')
}

fn env_secret(ctx: &Context, rule: &Rule) {
    for env in ctx.each("ENV") {
        for (name, value) in assignments(&env.args) {
            let value = value.as_deref().unwrap_or_default();
            let secret = secret_name(&name) && literal(value);
            if secret || has_credentials(value) {
                ctx.report(rule, env, format!("ENV {name} holds a literal secret"));
            }
        }
    }
}

fn arg_secret(ctx: &Context, rule: &Rule) {
    for arg in ctx.each("ARG") {
        for (name, _) in assignments(&arg.args) {
            if secret_name(&name) {
                ctx.report(
                    rule,
                    arg,
                    format!("ARG {name} passes a secret through the build history"),
                );
            }
        }
    }
}

fn secret_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let base = lower.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let names = [
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        ".env",
        ".npmrc",
        ".pypirc",
        ".netrc",
        ".git-credentials",
        ".htpasswd",
        "credentials",
        ".dockercfg",
        "kubeconfig",
    ];
    let extensions = [
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".kdbx",
        ".ppk",
    ];
    names.contains(&base)
        || extensions.iter().any(|e| base.ends_with(e))
        || lower.contains(".ssh/")
        || lower.contains(".aws/")
        || lower.contains(".docker/config.json")
}

fn secret_files(ctx: &Context, rule: &Rule) {
    for copy in ctx.each("COPY").chain(ctx.each("ADD")) {
        if copy.flag("from").is_some() {
            continue;
        }
        if let Some(path) = sources(copy).into_iter().find(|s| secret_file(s)) {
            ctx.report(rule, copy, format!("{path} is copied into a layer"));
        }
    }
}

/// `scheme://user:password@host` with a literal password.
fn has_credentials(word: &str) -> bool {
    crate::secret_values::url_with_credentials(word)
}

fn url_credentials(ctx: &Context, rule: &Rule) {
    for (run, commands) in &ctx.runs {
        if commands
            .iter()
            .flat_map(|c| &c.words)
            .any(|w| has_credentials(w))
        {
            ctx.report(rule, run, "a URL with user:password@");
        }
    }
    for add in ctx.each("ADD") {
        if sources(add).iter().any(|w| has_credentials(w)) {
            ctx.report(rule, add, "a URL with user:password@");
        }
    }
}
