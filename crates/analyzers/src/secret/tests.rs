//! Rule tests. Every rule is checked on a sample generated from its own regex (so the
//! keywords, windows, entropy and allow-lists agree with the pattern) and on a near miss (the
//! same sample with the secret cut in half). Independently of the regexes, hand-built
//! credentials in the providers' documented formats must be found by the rule named.

use super::rules::builtin;
use super::*;
use regex_syntax::hir::{Class, Hir, HirKind};

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    /// `n` characters drawn from `alphabet`.
    pub(crate) fn string(&mut self, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..n).map(|_| self.pick(&chars)).collect()
    }
}

/// Printable characters a class accepts, leaving out those that mark placeholders.
fn class_chars(class: &Class) -> Vec<u8> {
    let accepts = |b: u8| match class {
        Class::Bytes(c) => c.ranges().iter().any(|r| r.start() <= b && b <= r.end()),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= b as char && b as char <= r.end()),
    };
    let good: Vec<u8> = (0x20u8..0x7f)
        .filter(|&b| accepts(b) && !b"<>${}%*.\\`&|;".contains(&b))
        .collect();
    if good.is_empty() {
        (0x20u8..0x7f).filter(|&b| accepts(b)).collect()
    } else {
        good
    }
}

struct Generator {
    rng: Rng,
    out: Vec<u8>,
    secret: Option<(usize, usize)>,
    depth_in_secret: usize,
}

impl Generator {
    fn emit(&mut self, hir: &Hir) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(lit) => self.out.extend_from_slice(&lit.0),
            HirKind::Class(class) => {
                let chars = class_chars(class);
                let c = self.rng.pick(&chars);
                self.out.push(c);
            }
            HirKind::Repetition(rep) => {
                let min = rep.min as usize;
                let max = rep.max.map_or(usize::MAX, |m| m as usize);
                let count = if self.depth_in_secret > 0 {
                    (min + min / 4).max(1).min(max)
                } else {
                    min.max(1).min(max)
                };
                if let HirKind::Class(class) = rep.sub.kind() {
                    // Draw without replacement, cycling, to keep entropy high.
                    let mut chars = class_chars(class);
                    for i in (1..chars.len()).rev() {
                        let j = (self.rng.next() % (i as u64 + 1)) as usize;
                        chars.swap(i, j);
                    }
                    for i in 0..count {
                        self.out.push(chars[i % chars.len()]);
                    }
                } else {
                    for _ in 0..count {
                        self.emit(&rep.sub);
                    }
                }
            }
            HirKind::Capture(cap) => {
                let secret = cap.name.as_deref() == Some("secret");
                let start = self.out.len();
                self.depth_in_secret += usize::from(secret);
                self.emit(&cap.sub);
                self.depth_in_secret -= usize::from(secret);
                if secret {
                    self.secret = Some((start, self.out.len()));
                }
            }
            HirKind::Concat(items) => items.iter().for_each(|h| self.emit(h)),
            HirKind::Alternation(items) => self.emit(&items[0]),
        }
    }
}

/// A line matching the rule, and the byte range of the secret in it.
fn sample(spec: &rule::Spec, seed: u64) -> (Vec<u8>, (usize, usize)) {
    let source = spec.regex();
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(&source)
        .unwrap_or_else(|e| panic!("{}: {e}", spec.id));
    let mut generator = Generator {
        rng: Rng::new(seed),
        out: Vec::new(),
        secret: None,
        depth_in_secret: 0,
    };
    generator.emit(&hir);
    let secret = generator.secret.unwrap_or((0, generator.out.len()));
    (generator.out, secret)
}

fn ids(analyzer: &SecretAnalyzer, text: &[u8]) -> Vec<String> {
    analyzer
        .scan_text("app/config", text)
        .into_iter()
        .map(|s| s.rule_id)
        .collect()
}

#[test]
fn there_are_at_least_150_rules_with_unique_ids_and_keywords() {
    let specs: Vec<_> = builtin().collect();
    assert!(specs.len() >= 150, "{} rules", specs.len());
    let mut seen = std::collections::HashSet::new();
    for spec in &specs {
        assert!(seen.insert(spec.id), "duplicate rule id {}", spec.id);
        assert!(!spec.keywords.is_empty(), "{} has no keywords", spec.id);
        for k in spec.keywords {
            assert_eq!(
                *k,
                k.to_ascii_lowercase(),
                "{}: keyword {k} not lower case",
                spec.id
            );
        }
    }
}

#[test]
fn every_rule_fires_on_a_sample_and_not_on_a_near_miss() {
    let analyzer = SecretAnalyzer::new();
    let mut failures = Vec::new();
    for (n, spec) in builtin().enumerate() {
        // Rules that need a digit get a sample with one (random draws may lack it).
        let (line, (start, end)) = (0..64)
            .map(|k| sample(spec, (n as u64 + 7) * 64 + k))
            .find(|(l, (s, e))| !spec.digit || l[*s..*e].iter().any(u8::is_ascii_digit))
            .unwrap_or_else(|| panic!("{}: no sample with a digit", spec.id));
        let text = [b"\n".as_slice(), &line, b"\n"].concat();
        let found = ids(&analyzer, &text);
        if !found.iter().any(|id| id == spec.id) {
            failures.push(format!(
                "{} missed {:?} (found {found:?})",
                spec.id,
                String::from_utf8_lossy(&line)
            ));
            continue;
        }
        let half = start + (end - start) / 2;
        let near = [b"\n".as_slice(), &line[..half], &line[end..], b"\n"].concat();
        if ids(&analyzer, &near).iter().any(|id| id == spec.id) {
            failures.push(format!(
                "{} fired on near miss {:?}",
                spec.id,
                String::from_utf8_lossy(&near)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Credentials built from the providers' documented formats (prefix, alphabet, length),
/// written here without looking at the rule regexes, each with the rule expected to fire.
pub(crate) fn documented_samples(rng: &mut Rng) -> Vec<(&'static str, String)> {
    let upper32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let pem_body: String = (0..12)
        .map(|_| rng.string(B64, 64) + "\n")
        .collect::<String>();
    let b64url = |rng: &mut Rng, json: &str| {
        use base64::Engine;
        let _ = rng.next();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    };
    let jwt = format!(
        "{}.{}.{}",
        b64url(rng, r#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(
            rng,
            r#"{"sub":"4711","name":"svc-deploy","iat":1700000000}"#
        ),
        rng.string(&(ALNUM.to_string() + "-_"), 43)
    );
    vec![
        ("aws-access-key-id", format!("aws_access_key_id = AKIA{}", rng.string(upper32, 16))),
        ("aws-secret-access-key", format!("aws_secret_access_key = {}", rng.string(B64, 40))),
        ("github-pat", format!("token: ghp_{}", rng.string(ALNUM, 36))),
        ("github-fine-grained-pat", format!("GH=github_pat_{}_{}", rng.string(ALNUM, 22), rng.string(ALNUM, 59))),
        ("gitlab-pat", format!("export CI_TOKEN_X=glpat-{}", rng.string(ALNUM, 20))),
        ("slack-bot-token", format!("SLACK=xoxb-{}-{}-{}", rng.string("0123456789", 12), rng.string("0123456789", 13), rng.string(ALNUM, 24))),
        ("slack-webhook-url", format!("url: https://hooks.slack.com/services/T{}/B{}/{}", rng.string(upper32, 8), rng.string(upper32, 10), rng.string(ALNUM, 24))),
        ("stripe-secret-key", format!("stripe.api_key = \"sk_live_{}\"", rng.string(ALNUM, 24))),
        ("npm-access-token", format!("//registry.npmjs.org/:_authToken=npm_{}", rng.string(ALNUM, 36))),
        ("pypi-upload-token", format!("password = pypi-AgEIcHlwaS5vcmc{}", rng.string(&(ALNUM.to_string() + "-_"), 70))),
        ("gcp-api-key", format!("key=AIza{}", rng.string(&(ALNUM.to_string() + "-_"), 35))),
        ("sendgrid-api-key", format!("SG.{}.{}", rng.string(ALNUM, 22), rng.string(ALNUM, 43))),
        ("digitalocean-pat", format!("DO=dop_v1_{}", rng.string(HEX, 64))),
        ("dockerhub-pat", format!("echo dckr_pat_{} | docker login -u ci --password-stdin", rng.string(ALNUM, 27))),
        ("openai-api-key", format!("OPENAI=sk-proj-{}T3BlbkFJ{}", rng.string(ALNUM, 40), rng.string(ALNUM, 40))),
        ("anthropic-api-key", format!("ANTHROPIC=sk-ant-api03-{}AA", rng.string(&(ALNUM.to_string() + "-_"), 93))),
        ("huggingface-access-token", format!("HF=hf_{}", rng.string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34))),
        ("hashicorp-vault-service-token", format!("VAULT_TOKEN_X=hvs.{}", rng.string(ALNUM, 95))),
        ("shopify-access-token", format!("shpat_{}", rng.string(HEX, 32))),
        ("age-secret-key", format!("AGE-SECRET-KEY-1{}", rng.string("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58))),
        ("rsa-private-key", format!("-----BEGIN RSA PRIVATE KEY-----\n{pem_body}-----END RSA PRIVATE KEY-----")),
        ("openssh-private-key", format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{pem_body}-----END OPENSSH PRIVATE KEY-----")),
        ("pgp-private-key", format!("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{pem_body}-----END PGP PRIVATE KEY BLOCK-----")),
        ("jwt", format!("Cookie: session={jwt}")),
        ("postgres-uri-password", format!("DATABASE_URL=postgres://app:{}@db.internal:5432/app", rng.string(ALNUM, 18))),
        ("mongodb-uri-password", format!("uri = \"mongodb+srv://svc:{}@cluster0.mongodb.net/prod\"", rng.string(ALNUM, 16))),
        ("url-credentials", format!("git clone https://deploy:{}@git.internal.example.org/app.git", rng.string(ALNUM, 20))),
        ("generic-password", format!("    db_password = \"{}\"", rng.string(ALNUM, 14))),
        ("generic-api-key", format!("  \"apiKey\": \"{}\",", rng.string(ALNUM, 32))),
        ("generic-env-secret", format!("ENV JWT_SIGNING_SECRET={}", rng.string(ALNUM, 24))),
        ("http-bearer-token", format!("-H 'Authorization: Bearer {}'", rng.string(ALNUM, 40))),
        ("heroku-api-key", format!("HEROKU_API_KEY={}-{}-{}-{}-{}", rng.string(HEX, 8), rng.string(HEX, 4), rng.string(HEX, 4), rng.string(HEX, 4), rng.string(HEX, 12))),
        ("datadog-api-key", format!("DD_API_KEY: {}", rng.string(HEX, 32))),
        ("telegram-bot-token", format!("bot = Bot(\"{}:AA{}\")", rng.string("123456789", 10), rng.string(ALNUM, 33))),
        ("new-relic-user-api-key", format!("NRAK-{}", rng.string("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 27))),
        ("twilio-api-key", format!("twilio_key = SK{}", rng.string(HEX, 32))),
        ("azure-storage-account-key", format!("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={}==;EndpointSuffix=core.windows.net", rng.string(B64, 86))),
    ]
}

#[test]
fn documented_formats_are_found_by_their_rule() {
    let analyzer = SecretAnalyzer::new();
    let mut rng = Rng::new(42);
    for (rule, text) in documented_samples(&mut rng) {
        let found = ids(&analyzer, format!("\n{text}\n").as_bytes());
        assert!(
            found.iter().any(|id| id == rule),
            "{rule} missed {text:?}; found {found:?}"
        );
    }
}

#[test]
fn example_keys_and_placeholders_are_allowed() {
    let analyzer = SecretAnalyzer::new();
    for text in [
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password = \"changeme123\"",
        "password = \"${DB_PASSWORD}\"",
        "DB_PASSWORD=<your-password-here>",
        "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "url = \"https://user:password@proxy.local:3128\"",
        "password = get_password()",
        "api_key = os.environ[\"API_KEY\"]",
    ] {
        assert_eq!(
            ids(&analyzer, text.as_bytes()),
            Vec::<String>::new(),
            "{text}"
        );
    }
}

#[test]
fn test_fixtures_vendored_docs_and_binaries_are_skipped() {
    let analyzer = SecretAnalyzer::new();
    let wants = |path: &str| {
        artifact::Analyzer::wants_file(
            &analyzer,
            &artifact::FileMeta {
                path,
                mode: 0o644,
                size: 10,
            },
        )
    };
    assert!(wants("app/settings.py"));
    assert!(!wants("src/tests/fixtures/key.pem"));
    assert!(!wants("app/node_modules/aws-sdk/README.md"));
    assert!(!wants("app/package-lock.json"));
    assert!(!wants("usr/lib/libfoo.so"));
    let binary = [
        b"\x7fELF\0\0\0".as_slice(),
        b"ghp_R8c2Lq9ZxT4mVb7Nw1Ks5Yd3Hf6Jg0Pa2Ue8",
    ]
    .concat();
    let results = artifact::Analyzer::analyze(&analyzer, "bin/tool", &binary).unwrap();
    assert!(results.is_empty());
}

#[test]
fn masks_show_a_few_characters_never_the_secret() {
    let mut rng = Rng::new(7);
    let analyzer = SecretAnalyzer::new();
    for (rule, text) in documented_samples(&mut rng) {
        for secret in analyzer.scan_text("f", format!("\n{text}\n").as_bytes()) {
            let shown = secret.matched.trim_end_matches('*');
            assert!(shown.len() <= 6, "{rule}: {}", secret.matched);
            assert!(
                secret.matched.ends_with("****"),
                "{rule}: {}",
                secret.matched
            );
            assert!(
                text.contains(shown),
                "{rule}: mask {} not from the value",
                secret.matched
            );
        }
    }
    assert_eq!(mask("abc"), "a****");
}

#[test]
fn custom_rules_disabled_rules_and_allow_lists_from_config() {
    let config = SecretConfig::parse(
        "rules:\n  - id: acme-token\n    title: ACME token\n    severity: CRITICAL\n    keywords: [acme_]\n    regex: 'acme_[a-z0-9]{24}'\ndisable: [github-pat]\nallow:\n  paths: ['^ci/']\n  regexes: ['^ghs_0000']\n",
    )
    .unwrap();
    let analyzer = SecretAnalyzer::with_config(&config).unwrap();
    let text = "a = acme_q8w7e6r5t4y3u2i1o9p0a8s7\nb = ghp_R8c2Lq9ZxT4mVb7Nw1Ks5Yd3Hf6Jg0Pa2Ue8\nc = ghs_0000Lq9ZxT4mVb7Nw1Ks5Yd3Hf6Jg0Pa2Ue8\n";
    let found = analyzer.scan_text("app.cfg", text.as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].rule_id.as_str(), found[0].line),
        ("acme-token", 1)
    );
    assert_eq!(found[0].severity, inventory::Severity::Critical);
    let meta = artifact::FileMeta {
        path: "ci/deploy.sh",
        mode: 0o644,
        size: 10,
    };
    assert!(!artifact::Analyzer::wants_file(&analyzer, &meta));
    assert!(SecretConfig::parse("rules: [{id: x, regex: '(' }]").is_ok());
    let bad = SecretConfig::parse("rules: [{id: x, regex: '(' }]").unwrap();
    assert!(SecretAnalyzer::with_config(&bad).is_err());
    assert!(SecretConfig::parse("unknown_field: 1").is_err());
}

#[test]
fn manifests_pair_names_with_values_across_lines() {
    use base64::Engine;
    let mut rng = Rng::new(3);
    let password = rng.string(ALNUM, 16);
    let token = format!("ghp_{}", rng.string(ALNUM, 36));
    let stripe = format!("sk_live_{}", rng.string(ALNUM, 24));
    let compose_pw = rng.string(ALNUM, 14);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&password);
    let yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  DB_PASSWORD: {encoded}\nstringData:\n  github: {token}\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: STRIPE_KEY\n              value: \"{stripe}\"\n            - name: LOG_LEVEL\n              value: debug\n"
    );
    let found = scan_manifest("deploy.yaml", &yaml).unwrap();
    let got: Vec<(&str, usize)> = found.iter().map(|s| (s.rule_id.as_str(), s.line)).collect();
    assert!(got.contains(&("generic-env-secret", 6)), "{got:?}");
    assert!(got.contains(&("github-pat", 8)), "{got:?}");
    assert!(got.contains(&("stripe-secret-key", 19)), "{got:?}");
    assert_eq!(found.len(), 3, "{got:?}");

    let compose = format!("services:\n  db:\n    image: postgres\n    environment:\n      - POSTGRES_PASSWORD={compose_pw}\n  api:\n    environment:\n      API_TOKEN: \"{}\"\n", rng.string(ALNUM, 32));
    let found = scan_manifest("compose.yaml", &compose).unwrap();
    let got: Vec<(&str, usize)> = found.iter().map(|s| (s.rule_id.as_str(), s.line)).collect();
    assert_eq!(
        got,
        vec![("generic-env-secret", 5), ("generic-env-secret", 8)]
    );

    let json = format!(
        "{{\"kind\": \"Secret\", \"data\": {{\"token\": \"{}\"}}}}",
        base64::engine::general_purpose::STANDARD.encode(&token)
    );
    assert_eq!(scan_manifest("s.json", &json).unwrap().len(), 1);
    assert!(scan_manifest("bad.yaml", "a: [1, 2").is_err());
    let bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b, *b]\n";
    assert!(scan_manifest("bomb.yaml", bomb).unwrap().is_empty());
}
