//! Checks every version scheme against the comparison vectors in
//! `shared/data/fixtures/version-vectors/` and cross-checks dpkg and rpm ordering against the
//! real `dpkg --compare-versions`, `rpm`'s own `rpm.vercmp` and Maven's `ComparableVersion`
//! when those tools are installed (over vector versions and made-up ones).
//!
//! Source of the vector files: google/osv-scalibr, `semantic/testdata/*-versions*.txt`
//! (Apache-2.0); see shared/data/MANIFEST.md. Each data line is `A < B`, `A = B` or `A > B`;
//! blank lines and lines starting with `#` or `//` are comments.
//!
//! A line is skipped when our implementation rejects one of its versions as invalid for the
//! ecosystem (the vector files knowingly include such strings). Skipped lines are listed, and
//! the test fails if more than 2% of a scheme's lines are skipped, or if any line disagrees.
//! The shared folder is `../shared` from the repository root, or `$BULKHEAD_SHARED`.

use std::cmp::Ordering;
use std::path::PathBuf;
use std::process::Command;

use detectors::version::{compare, Scheme};

fn shared_dir() -> PathBuf {
    match std::env::var_os("BULKHEAD_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
    }
}

fn vector_file(name: &str) -> String {
    let path = shared_dir()
        .join("data/fixtures/version-vectors")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); set BULKHEAD_SHARED to the shared folder",
            path.display()
        )
    })
}

/// One comparison from a vector file.
struct Line {
    file: &'static str,
    number: usize,
    a: String,
    op: Ordering,
    b: String,
}

fn read_lines(file: &'static str) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, raw) in vector_file(file).lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') || text.starts_with("//") {
            continue;
        }
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [a, op, b] = parts[..] else {
            panic!("{file}:{}: not `A op B`: {raw:?}", i + 1);
        };
        let op = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => panic!("{file}:{}: unknown operator {op:?}", i + 1),
        };
        out.push(Line {
            file,
            number: i + 1,
            a: a.to_owned(),
            op,
            b: b.to_owned(),
        });
    }
    out
}

fn symbol(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

/// Asserts every line of `files` under `scheme`, in both directions. `known` lists lines
/// (as `"A op B"`) where the vector contradicts the ecosystem's real tool; those are
/// reported and counted with the skipped lines, and must still be present in the files.
fn check_scheme(scheme: Scheme, files: &[&'static str], known: &[&str]) {
    let lines: Vec<Line> = files.iter().flat_map(|f| read_lines(f)).collect();
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    let mut known_seen = 0;
    for l in &lines {
        let text = format!("{} {} {}", l.a, symbol(l.op), l.b);
        let at = format!("{}:{}: {text}", l.file, l.number);
        if known.contains(&text.as_str()) {
            known_seen += 1;
            skipped.push(format!(
                "{at}  (vector contradicts the real tool, see test)"
            ));
            continue;
        }
        match (compare(scheme, &l.a, &l.b), compare(scheme, &l.b, &l.a)) {
            (Ok(fwd), Ok(back)) => {
                if fwd != l.op || back != l.op.reverse() {
                    failed.push(format!(
                        "{at}  (got {} / reverse {})",
                        symbol(fwd),
                        symbol(back)
                    ));
                }
            }
            (Err(e), _) | (_, Err(e)) => skipped.push(format!("{at}  ({e})")),
        }
    }
    let checked = lines.len() - skipped.len();
    println!(
        "{scheme}: {} lines in {files:?}: {checked} checked, {} passed, {} failed, {} skipped",
        lines.len(),
        checked - failed.len(),
        failed.len(),
        skipped.len()
    );
    for s in &skipped {
        println!("  skipped {s}");
    }
    for f in &failed {
        println!("  FAILED  {f}");
    }
    assert!(!lines.is_empty(), "{scheme}: no vector lines read");
    assert!(
        known_seen >= known.len(),
        "{scheme}: a known-disagreement line is no longer in the vectors"
    );
    assert!(
        failed.is_empty(),
        "{scheme}: {} of {checked} lines disagree",
        failed.len()
    );
    assert!(
        skipped.len() * 50 <= lines.len(),
        "{scheme}: too many lines skipped as invalid: {} of {}",
        skipped.len(),
        lines.len()
    );
}

#[test]
fn dpkg_vectors() {
    check_scheme(
        Scheme::Dpkg,
        &["debian-versions.txt", "debian-versions-generated.txt"],
        &[],
    );
}

#[test]
fn apk_vectors() {
    check_scheme(
        Scheme::Apk,
        &["alpine-versions.txt", "alpine-versions-generated.txt"],
        &[],
    );
}

#[test]
fn rpm_vectors() {
    check_scheme(Scheme::Rpm, &["redhat-versions.txt"], &[]);
}

#[test]
fn semver_vectors() {
    check_scheme(Scheme::Semver, &["semver-versions.txt"], &[]);
}

#[test]
fn go_vectors() {
    check_scheme(Scheme::Go, &["semver-versions.txt"], &[]);
}

#[test]
fn pep440_vectors() {
    check_scheme(
        Scheme::Pep440,
        &["pypi-versions.txt", "pypi-versions-generated.txt"],
        &[],
    );
}

#[test]
fn maven_vectors() {
    check_scheme(
        Scheme::Maven,
        &["maven-versions.txt", "maven-versions-generated.txt"],
        // Maven's ComparableVersion 3.8 (3.8.6 generated these vectors; 3.8.7 is checked
        // below) orders `1-ga-1` as `1-[[1]]`, below `1-1`; this hand-written line follows
        // the version-order text of the POM reference instead.
        &["1-1 = 1-ga-1"],
    );
}

#[test]
fn rubygems_vectors() {
    check_scheme(
        Scheme::RubyGems,
        &["rubygems-versions.txt", "rubygems-versions-generated.txt"],
        &[],
    );
}

#[test]
fn nuget_vectors() {
    check_scheme(Scheme::NuGet, &["nuget-versions.txt"], &[]);
}

#[test]
fn packagist_vectors() {
    check_scheme(
        Scheme::Packagist,
        &["packagist-versions.txt", "packagist-versions-generated.txt"],
        &[],
    );
}

/// Distinct version strings from `files` that `scheme` accepts, in file order.
fn valid_versions(scheme: Scheme, files: &[&'static str]) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for l in files.iter().flat_map(|f| read_lines(f)) {
        for v in [l.a, l.b] {
            if compare(scheme, &v, &v).is_ok() && seen.insert(v.clone()) {
                out.push(v);
            }
        }
    }
    out
}

/// Deterministic pairs spread over the whole list, so far-apart versions meet too.
fn sample_pairs(versions: &[String], count: usize) -> Vec<(&str, &str)> {
    let n = versions.len();
    (0..count)
        .map(|i| {
            let x = (i * 7919) % n;
            let y = (i * 104_729 + 13) % n;
            (versions[x].as_str(), versions[y].as_str())
        })
        .collect()
}

/// Deterministic made-up versions over `alphabet`, for oracle checks beyond the vectors.
fn generated_versions(scheme: Scheme, alphabet: &[&str], count: usize) -> Vec<String> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    let mut out = Vec::new();
    while out.len() < count {
        let mut v = String::from(["0", "1", "2", "10"][next() % 4]);
        for _ in 0..next() % 6 {
            v.push_str(alphabet[next() % alphabet.len()]);
        }
        if compare(scheme, &v, &v).is_ok() {
            out.push(v);
        }
    }
    out
}

/// An oracle tool must be there: a missing one fails the test (never a silent pass) and says
/// what installs it.
fn require_tool(cmd: &str, arg: &str) {
    let found = Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{cmd}` is missing: run `bash scripts/test.sh` (or .ci/setup-oracles.sh) to install it"
    );
}

/// The real dpkg, one `--compare-versions` call per relation asked.
fn dpkg_order(a: &str, b: &str) -> Ordering {
    let holds = |rel: &str| {
        let st = Command::new("dpkg")
            .args(["--compare-versions", a, rel, b])
            .status()
            .expect("run dpkg");
        st.success()
    };
    if holds("lt") {
        Ordering::Less
    } else if holds("eq") {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

#[test]
fn dpkg_agrees_with_real_dpkg() {
    require_tool("dpkg", "--version");
    let versions = valid_versions(
        Scheme::Dpkg,
        &["debian-versions.txt", "debian-versions-generated.txt"],
    );
    let mut pairs = sample_pairs(&versions, 300);
    let alphabet = [
        "0", "1", "9", "10", "00", ".", "~", "+", "-", "a", "z", "A", ":", "1:",
    ];
    let made_up = generated_versions(Scheme::Dpkg, &alphabet, 200);
    pairs.extend(made_up.chunks(2).map(|p| (p[0].as_str(), p[1].as_str())));
    // Hand-picked corners: tilde before the end, letters before punctuation, epochs.
    let corners = [
        ("1.0~rc1", "1.0"),
        ("1.0~~", "1.0~"),
        ("1.0a", "1.0+"),
        ("1.0.", "1.0+"),
        ("1:0", "0:99"),
        ("1.0-0", "1.0"),
        ("1.0-1~bpo1", "1.0-1"),
        ("2.30+dfsg-1", "2.30-1"),
        ("1.99999999999999999999", "1.100000000000000000000"),
        ("0007", "7"),
    ];
    pairs.extend(corners);
    let mut bad = Vec::new();
    for (a, b) in &pairs {
        let ours = compare(Scheme::Dpkg, a, b).expect("valid");
        let real = dpkg_order(a, b);
        if ours != real {
            bad.push(format!(
                "{a} vs {b}: ours {} dpkg {}",
                symbol(ours),
                symbol(real)
            ));
        }
    }
    println!(
        "dpkg oracle: {} pairs compared with dpkg --compare-versions",
        pairs.len()
    );
    assert!(
        bad.is_empty(),
        "disagreements with dpkg:\n{}",
        bad.join("\n")
    );
}

#[test]
fn rpm_agrees_with_real_rpm() {
    require_tool("rpm", "--version");
    let versions: Vec<String> = valid_versions(Scheme::Rpm, &["redhat-versions.txt"])
        .into_iter()
        .filter(|v| !v.contains(['[', ']', '%', '{', '}']))
        .collect();
    let mut pairs = sample_pairs(&versions, 200);
    let alphabet = [
        "0", "1", "9", "10", "00", ".", "~", "^", "+", "-", "a", "z", "A", ":", "1:", "_", "α",
    ];
    let made_up = generated_versions(Scheme::Rpm, &alphabet, 400);
    pairs.extend(made_up.chunks(2).map(|p| (p[0].as_str(), p[1].as_str())));
    pairs.extend([
        ("1.0~rc1", "1.0"),
        ("1.0^git1", "1.0"),
        ("1.0^git1", "1.0.1"),
        ("1.0~rc1^git1", "1.0~rc1"),
        ("2:1.0-1.el9", "1:2.0-1.el9"),
        ("1.0-1.el9_2", "1.0-1.el9"),
    ]);
    // One rpm process evaluates every pair through its embedded Lua.
    let mut lua = String::from("%{lua:");
    for (a, b) in &pairs {
        lua.push_str(&format!("print(rpm.vercmp([[{a}]], [[{b}]]) .. \"\\n\") "));
    }
    lua.push('}');
    let out = Command::new("rpm")
        .args(["--eval", &lua])
        .output()
        .expect("run rpm");
    let text = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    assert_eq!(answers.len(), pairs.len(), "rpm output: {text}");
    let mut bad = Vec::new();
    for ((a, b), real) in pairs.iter().zip(answers) {
        let ours = compare(Scheme::Rpm, a, b).expect("valid");
        if ours != real.cmp(&0) {
            bad.push(format!("{a} vs {b}: ours {} rpm {real}", symbol(ours)));
        }
    }
    println!("rpm oracle: {} pairs compared with rpm.vercmp", pairs.len());
    assert!(
        bad.is_empty(),
        "disagreements with rpm:\n{}",
        bad.join("\n")
    );
}

/// The maven-artifact jar, if Maven is installed (Debian's `maven` package ships it here).
fn maven_artifact_jar() -> Option<PathBuf> {
    let dir = std::fs::read_dir("/usr/share/maven/lib").ok()?;
    dir.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("maven-artifact") && n.ends_with(".jar"))
    })
}

#[test]
fn maven_agrees_with_real_comparable_version() {
    require_tool("java", "-version");
    let jar = maven_artifact_jar().expect(
        "Maven's maven-artifact jar is missing: run `bash scripts/test.sh` (or .ci/setup-oracles.sh)",
    );
    // Releases from 3.8.7 on read a qualifier right after a `.` like one after a `-`
    // (MNG-7644); versions with such a qualifier are left out so any 3.8.x jar can judge.
    let after_dot_letter = |v: &str| {
        let b = v.as_bytes();
        b.windows(2)
            .any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic())
    };
    let versions: Vec<String> = valid_versions(
        Scheme::Maven,
        &["maven-versions.txt", "maven-versions-generated.txt"],
    )
    .into_iter()
    .filter(|v| !after_dot_letter(v) && !v.is_empty() && v.is_ascii())
    .collect();
    let pairs = sample_pairs(&versions, 400);
    // ComparableVersion's main compares each argument with the next one.
    let args: Vec<&str> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let out = Command::new("java")
        .arg("-cp")
        .arg(&jar)
        .arg("org.apache.maven.artifact.versioning.ComparableVersion")
        .args(&args)
        .output()
        .expect("run java");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut checked = 0;
    let mut bad = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("   ")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [a, op, b] = parts[..] else { continue };
        let real = match op {
            "<" => Ordering::Less,
            "==" => Ordering::Equal,
            ">" => Ordering::Greater,
            _ => continue,
        };
        checked += 1;
        let ours = compare(Scheme::Maven, a, b).expect("valid");
        if ours != real {
            bad.push(format!("{a} vs {b}: ours {} maven {op}", symbol(ours)));
        }
    }
    println!(
        "maven oracle: {checked} pairs compared with {}",
        jar.display()
    );
    assert!(checked + 1 >= args.len(), "unexpected java output: {text}");
    assert!(
        bad.is_empty(),
        "disagreements with Maven:\n{}",
        bad.join("\n")
    );
}

/// npm's own `semver` package (the one bundled with npm), run once over every pair: the
/// order OSV's npm ranges are written in. Versions node-semver's strict parser rejects are
/// left out (our comparator also takes a leading `v` and missing parts, as Go does).
fn node_semver_orders(pairs: &[(&str, &str)]) -> Vec<Option<Ordering>> {
    let root = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .expect("npm is needed for the node-semver oracle: run .ci/setup-lang.sh");
    // npm bundles its semver (npm's own install); Debian's npm uses the node-semver package
    // from node's global path instead.
    let bundled = format!(
        "{}/npm/node_modules/semver",
        String::from_utf8_lossy(&root.stdout).trim()
    );
    let script = format!(
        "const s = [{bundled:?}, '/usr/share/nodejs/semver', 'semver'].map(p => {{ try {{ return require(p); }} catch (e) {{ return null; }} }}).find(m => m);\
         const pairs = JSON.parse(require('fs').readFileSync(0));\
         console.log(JSON.stringify(pairs.map(([a, b]) => s.valid(a) && s.valid(b) ? s.compare(a, b) : null)));"
    );
    let mut child = Command::new("node")
        .args(["-e", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node is needed for the node-semver oracle: run .ci/setup-lang.sh");
    let input = serde_json::to_vec(pairs).unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &input).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "node-semver script failed");
    let results: Vec<Option<i32>> = serde_json::from_slice(&out.stdout).unwrap();
    results.into_iter().map(|r| r.map(|c| c.cmp(&0))).collect()
}

#[test]
fn npm_semver_agrees_with_node_semver() {
    let versions = valid_versions(Scheme::Semver, &["semver-versions.txt"]);
    let mut pairs = sample_pairs(&versions, 400);
    // Prerelease corners: numeric identifiers below alphanumeric, shorter lists first.
    pairs.extend([
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0-0", "1.0.0-alpha"),
        ("1.0.0+build.1", "1.0.0+build.2"),
        ("2.0.0-1", "2.0.0-a"),
    ]);
    let real = node_semver_orders(&pairs);
    let mut compared = 0;
    let mut bad = Vec::new();
    for ((a, b), real) in pairs.iter().zip(real) {
        let Some(real) = real else { continue };
        compared += 1;
        let ours = compare(Scheme::Semver, a, b).expect("valid");
        if ours != real {
            bad.push(format!(
                "{a} vs {b}: ours {} node-semver {}",
                symbol(ours),
                symbol(real)
            ));
        }
    }
    println!("node-semver oracle: {compared} pairs compared");
    assert!(
        compared >= 200,
        "too few pairs node-semver accepts: {compared}"
    );
    assert!(
        bad.is_empty(),
        "disagreements with node-semver:\n{}",
        bad.join("\n")
    );
}
