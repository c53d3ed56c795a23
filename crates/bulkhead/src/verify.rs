//! `bulkhead verify`: are the image's signatures and attestations what the keys and the policy
//! demand? Exit 0 only when they are; 1 (or the policy's `exitCode`) when not; 2 on errors.

use crate::cli::Global;
use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use source::registry::{Credentials, Reference, RegistryOptions};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use verify::{Policy, PublicKey, Verification, Violation};

/// `verify` writes a verdict, not a scan report: table or JSON only.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Exit code when verification fails and no policy says otherwise.
const NOT_VERIFIED_EXIT: u8 = 1;

#[derive(Args)]
pub struct VerifyArgs {
    /// Image in a registry: HOST[:PORT]/REPO[:TAG][@DIGEST]
    pub reference: String,
    /// cosign public key (PEM, ECDSA P-256 or Ed25519); repeatable: one of them must have signed
    #[arg(
        long = "key",
        value_name = "KEY.pub",
        required_unless_present = "policy"
    )]
    pub keys: Vec<PathBuf>,
    /// Policy file: required keys, allowed registries, digest pinning, attestations (docs/verify.md)
    #[arg(long, value_name = "verify-policy.yaml")]
    pub policy: Option<PathBuf>,
    /// Output format
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the result to a file instead of stdout
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Allow plain HTTP (and TLS without certificate checks)
    #[arg(long)]
    pub insecure: bool,
    /// Registry username (else Docker's config.json and credential helpers)
    #[arg(long, env = "BULKHEAD_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token (prefer the environment variable)
    #[arg(long, env = "BULKHEAD_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

/// The JSON document `--format json` writes (docs/verify.md).
#[derive(Serialize)]
struct Outcome<'a> {
    reference: &'a str,
    /// The manifest digest signatures must name; absent when the registry was not contacted.
    digest: Option<&'a str>,
    /// Whether every requirement (keys and policy) is met: the exit code is 0 exactly then.
    passed: bool,
    /// One line per unmet requirement.
    reasons: Vec<String>,
    signatures: &'a [verify::SignatureCheck],
    attestations: &'a [verify::AttestationCheck],
    policy: Option<PolicyOutcome<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct PolicyOutcome<'a> {
    path: &'a str,
    passed: bool,
    violations: &'a [Violation],
}

pub fn run(global: &Global, args: &VerifyArgs) -> anyhow::Result<u8> {
    let keys = args
        .keys
        .iter()
        .map(|path| PublicKey::from_file(path))
        .collect::<Result<Vec<_>, _>>()?;
    let policy = args.policy.as_deref().map(Policy::load).transpose()?;
    let reference = Reference::parse(&args.reference)?;
    let mut violations = policy.as_ref().map_or_else(Vec::new, |p| {
        p.check_reference(&reference.name(), reference.digest.is_some())
    });
    // A registry the policy does not allow is never contacted.
    let found = if violations.iter().any(|v| v.rule == "allowed-registries") {
        None
    } else {
        Some(fetch(args, &reference, &keys, policy.as_ref())?)
    };
    let mut reasons = Vec::new();
    if let Some(found) = &found {
        if !keys.is_empty() && !keys.iter().any(|k| found.signed_by(k.fingerprint())) {
            let why = found.signature_failure().unwrap_or_else(|| {
                "the valid signatures are by other keys (the policy's)".to_string()
            });
            reasons.push(why);
        }
        if let Some(policy) = &policy {
            violations.extend(policy.check_verification(found));
        }
    }
    reasons.extend(violations.iter().map(|v| format!("policy: {}", v.message)));
    let passed = reasons.is_empty();
    let outcome = Outcome {
        reference: &args.reference,
        digest: found.as_ref().map(|f| f.digest.as_str()),
        passed,
        reasons,
        signatures: found.as_ref().map_or(&[], |f| &f.signatures),
        attestations: found.as_ref().map_or(&[], |f| &f.attestations),
        policy: policy.as_ref().map(|p| PolicyOutcome {
            path: &p.path,
            passed: violations.is_empty(),
            violations: &violations,
        }),
        notes: found.as_ref().map_or(&[], |f| &f.notes),
    };
    write(&outcome, args)?;
    if !global.quiet && !passed && args.output.is_none() && args.format == Format::Json {
        eprintln!("verification failed");
    }
    Ok(match (&policy, passed) {
        (_, true) => 0,
        (Some(policy), false) if !violations.is_empty() => policy.exit_code,
        _ => NOT_VERIFIED_EXIT,
    })
}

/// Resolves the reference to its manifest digest and checks everything attached to it with the
/// `--key` keys and the policy's keys.
fn fetch(
    args: &VerifyArgs,
    reference: &Reference,
    keys: &[PublicKey],
    policy: Option<&Policy>,
) -> anyhow::Result<Verification> {
    let credentials = match (&args.username, &args.password) {
        (Some(username), Some(password)) => Some(Credentials {
            username: username.clone(),
            password: password.clone(),
        }),
        (None, None) => None,
        _ => bail!("--username and --password go together"),
    };
    let options = RegistryOptions {
        insecure: args.insecure,
        credentials,
        ..Default::default()
    };
    let mut all_keys = keys.to_vec();
    for key in policy.map_or(&[][..], |p| &p.keys) {
        if !all_keys
            .iter()
            .any(|k| k.fingerprint() == key.fingerprint())
        {
            all_keys.push(key.clone());
        }
    }
    let found = verify::verify_reference(reference, &options, &all_keys, verify::Limits::default())
        .with_context(|| format!("cannot verify {}", args.reference))?;
    Ok(found)
}

fn write(outcome: &Outcome, args: &VerifyArgs) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write to {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let colour = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, outcome)?;
            writeln!(out)?;
        }
        Format::Table => {
            // Signature claims, identities and registry errors are the signer's or the
            // registry's text: escape them, then colour only the marks.
            let mut plain = Vec::new();
            table(outcome, &mut plain)?;
            let text = crate::output::escape(&String::from_utf8_lossy(&plain)).into_owned();
            let text = if colour {
                text.replace('✓', "\x1b[32m✓\x1b[0m")
                    .replace('✗', "\x1b[31m✗\x1b[0m")
            } else {
                text
            };
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush().context("cannot write the result")
}

fn table(o: &Outcome, out: &mut dyn Write) -> std::io::Result<()> {
    let mark = |ok: bool| if ok { "✓" } else { "✗" };
    writeln!(out, "Image   {}", o.reference)?;
    writeln!(out, "Digest  {}", o.digest.unwrap_or("(not resolved)"))?;
    writeln!(out, "\nSignatures ({})", o.signatures.len())?;
    if o.signatures.is_empty() && o.digest.is_some() {
        writeln!(out, "  none found")?;
    }
    for s in o.signatures {
        writeln!(
            out,
            "  {} {}  layer {}",
            mark(s.verified),
            s.source,
            s.layer_digest
        )?;
        if let (Some(fingerprint), Some(key)) = (&s.key_fingerprint, &s.key) {
            writeln!(out, "      key       {fingerprint} ({key})")?;
        }
        if let Some(digest) = &s.digest {
            writeln!(out, "      signs     {digest}")?;
        }
        if let Some(identity) = &s.docker_reference {
            writeln!(out, "      identity  {identity}")?;
        }
        if let Some(claims) = &s.claims {
            writeln!(out, "      claims    {claims}")?;
        }
        if let Some(error) = &s.error {
            writeln!(out, "      error     {error}")?;
        }
    }
    if !o.attestations.is_empty() {
        writeln!(out, "\nAttestations ({})", o.attestations.len())?;
    }
    for a in o.attestations {
        let kind = a
            .predicate_type
            .as_deref()
            .unwrap_or("(unknown predicate type)");
        writeln!(out, "  {} {kind}  {}", mark(a.verified), a.source)?;
        if let (Some(fingerprint), Some(key)) = (&a.key_fingerprint, &a.key) {
            writeln!(out, "      key       {fingerprint} ({key})")?;
        }
        if let Some(p) = &a.provenance {
            if let Some(builder) = &p.builder_id {
                writeln!(out, "      builder   {builder}")?;
            }
            if let Some(repo) = &p.source_repo {
                writeln!(out, "      source    {repo}")?;
            }
            for m in &p.materials {
                writeln!(out, "      material  {} {}", m.uri, m.digest.join(" "))?;
            }
        }
        if let Some(format) = a.sbom {
            writeln!(out, "      sbom      {format:?}")?;
        }
        if let Some(error) = &a.error {
            writeln!(out, "      error     {error}")?;
        }
    }
    if let Some(policy) = &o.policy {
        let verdict = if policy.passed { "met" } else { "NOT met" };
        writeln!(out, "\nPolicy {}: {verdict}", policy.path)?;
        for v in policy.violations {
            writeln!(out, "  {} [{}] {}", mark(false), v.rule, v.message)?;
        }
    }
    for note in o.notes {
        writeln!(out, "note: {note}")?;
    }
    if o.passed {
        writeln!(out, "\n{} VERIFIED", mark(true))
    } else {
        writeln!(out, "\n{} NOT VERIFIED", mark(false))?;
        for reason in &o.reasons {
            writeln!(out, "  {reason}")?;
        }
        Ok(())
    }
}
