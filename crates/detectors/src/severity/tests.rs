use super::*;
use store::osv::Severity as OsvSeverity;

fn adv_with(sev: &[(&str, &str)]) -> Advisory {
    Advisory {
        id: "TEST-1".into(),
        severity: sev
            .iter()
            .map(|(k, s)| OsvSeverity {
                kind: k.to_string(),
                score: s.to_string(),
            })
            .collect(),
        ..Default::default()
    }
}

fn score(v: &str) -> Option<f64> {
    score_vector(v).map(|s| s.score)
}

#[test]
fn ordering_parsing_display_serde() {
    assert!(Severity::Unknown < Severity::Low);
    assert!(Severity::Low < Severity::Medium);
    assert!(Severity::Medium < Severity::High);
    assert!(Severity::High < Severity::Critical);
    assert_eq!("moderate".parse(), Ok(Severity::Medium));
    assert_eq!("Important".parse(), Ok(Severity::High));
    assert_eq!("NEGLIGIBLE".parse(), Ok(Severity::Low));
    assert_eq!("unimportant".parse(), Ok(Severity::Low));
    assert_eq!(" critical ".parse(), Ok(Severity::Critical));
    assert_eq!("Unknown".parse(), Ok(Severity::Unknown));
    assert_eq!("low**".parse(), Ok(Severity::Low));
    assert!("not yet assigned".parse::<Severity>().is_err());
    assert!("".parse::<Severity>().is_err());
    assert_eq!(Severity::Medium.to_string(), "MEDIUM");
    assert_eq!(
        serde_json::to_string(&Severity::Critical).unwrap(),
        "\"CRITICAL\""
    );
    assert_eq!(
        serde_json::from_str::<Severity>("\"HIGH\"").unwrap(),
        Severity::High
    );
    assert_eq!(Severity::default(), Severity::Unknown);
}

#[test]
fn ratings_follow_the_spec_bands() {
    assert_eq!(Severity::from_cvss_score(0.0), Severity::Unknown);
    assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
    assert_eq!(Severity::from_cvss_score(3.9), Severity::Low);
    assert_eq!(Severity::from_cvss_score(4.0), Severity::Medium);
    assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
    assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
    assert_eq!(Severity::from_cvss_score(8.9), Severity::High);
    assert_eq!(Severity::from_cvss_score(9.0), Severity::Critical);
    assert_eq!(Severity::from_cvss_score(10.0), Severity::Critical);
    assert_eq!(Severity::from_cvss_score(10.1), Severity::Unknown);
    assert_eq!(Severity::from_cvss_score(f64::NAN), Severity::Unknown);
    assert_eq!(from_cvss_v2_score(10.0), Severity::High);
}

// Base scores computed by hand from the CVSS v3.1 equations / as shown by the NVD calculator.
#[test]
fn v3_scores() {
    let cases = [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
        // ISS 0.22, impact 1.4124, exploitability 0.1073 → roundup(1.5197) = 1.6
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5),
    ];
    for (v, want) in cases {
        assert_eq!(score(v), Some(want), "{v}");
    }
    let a = assess(&adv_with(&[("CVSS_V3", cases[0].0)]), None);
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.score, Some(9.8));
    assert_eq!(a.vector.as_deref(), Some(cases[0].0));
    assert_eq!(a.source, "advisory.severity.CVSS_V3");
    assert_eq!(
        assess(&adv_with(&[("CVSS_V3", cases[7].0)]), None).severity,
        Severity::Low
    );
    assert_eq!(
        assess(&adv_with(&[("CVSS_V3", cases[2].0)]), None).severity,
        Severity::Medium
    );
    assert_eq!(
        assess(&adv_with(&[("CVSS_V3", cases[3].0)]), None).severity,
        Severity::High
    );
}

#[test]
fn v4_and_v2_scores() {
    // CVSS v4.0 calculator values.
    assert_eq!(
        score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
        Some(9.3)
    );
    assert_eq!(
        score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"),
        Some(10.0)
    );
    // No impact at all: 0.0, CVSS "None" → not a rating.
    assert!(score("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N").is_none());
    // CVSS v2 (NVD): 7.5 and 4.3.
    assert_eq!(score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
    assert_eq!(score("(AV:N/AC:M/Au:N/C:N/I:P/A:N)"), Some(4.3));
    let a = assess(
        &adv_with(&[("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")]),
        None,
    );
    assert_eq!(
        (a.severity, a.source),
        (Severity::High, "advisory.severity.CVSS_V2")
    );
}

#[test]
fn headline_prefers_v3_then_v4_then_v2() {
    let v2 = ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P");
    let v30 = ("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N");
    let v31 = ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    let v4 = (
        "CVSS_V4",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
    );
    assert_eq!(
        assess(&adv_with(&[v4, v2, v31, v30]), None).score,
        Some(9.8)
    );
    assert_eq!(assess(&adv_with(&[v4, v30]), None).score, Some(6.5));
    let a = assess(&adv_with(&[v2, v4]), None);
    assert_eq!(
        (a.score, a.source),
        (Some(10.0), "advisory.severity.CVSS_V4")
    );
}

#[test]
fn malformed_vectors_fall_through() {
    let bad = [
        "CVSS:3.1/AV:N",                                 // incomplete
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  // bad value
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", // duplicate
        "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  // unknown version
        "CVSS:4.0/AV:N/AC:L",                            // v4 incomplete
        "CVSS:",
        "",
        "garbage",
        "AV:N/AC:L",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
        "///:::",
        "7.5",
    ];
    for b in bad {
        assert!(score(b).is_none(), "{b:?}");
        let mut adv = adv_with(&[("CVSS_V3", b)]);
        assert_eq!(assess(&adv, None), Assessment::unknown(), "{b:?}");
        adv.database_specific = Some(serde_json::json!({"severity": "Moderate"}));
        let a = assess(&adv, None);
        assert_eq!(
            (a.severity, a.source),
            (Severity::Medium, "advisory.database_specific.severity")
        );
    }
    // A bad v3.1 next to a good v4: the v4 wins.
    let a = assess(
        &adv_with(&[
            ("CVSS_V3", "CVSS:3.1/AV:N"),
            (
                "CVSS_V4",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            ),
        ]),
        None,
    );
    assert_eq!(a.score, Some(9.3));
}

#[test]
fn affected_before_advisory_and_word_sources() {
    let mut adv = adv_with(&[("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]);
    let mut af = Affected {
        severity: vec![OsvSeverity {
            kind: "CVSS_V3".into(),
            score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N".into(),
        }],
        ..Default::default()
    };
    let a = assess(&adv, Some(&af));
    assert_eq!(
        (a.severity, a.score, a.source),
        (Severity::Medium, Some(5.3), "affected.severity.CVSS_V3")
    );
    // Ubuntu-style qualitative severity entry.
    af.severity = vec![OsvSeverity {
        kind: "Ubuntu".into(),
        score: "negligible".into(),
    }];
    adv.severity.clear();
    let a = assess(&adv, Some(&af));
    assert_eq!((a.severity, a.source), (Severity::Low, "affected.severity"));
    // Debian-style urgency.
    af.severity.clear();
    af.ecosystem_specific = Some(serde_json::json!({"urgency": "not yet assigned"}));
    assert_eq!(assess(&adv, Some(&af)).severity, Severity::Unknown);
    af.ecosystem_specific = Some(serde_json::json!({"urgency": "high"}));
    let a = assess(&adv, Some(&af));
    assert_eq!(
        (a.severity, a.source),
        (Severity::High, "affected.ecosystem_specific.urgency")
    );
    // GHSA database_specific on the affected entry beats the advisory's.
    af.database_specific = Some(serde_json::json!({"severity": "LOW"}));
    adv.database_specific = Some(serde_json::json!({"severity": "CRITICAL"}));
    assert_eq!(assess(&adv, Some(&af)).severity, Severity::Low);
    assert_eq!(assess(&adv, None).severity, Severity::Critical);
    // Non-string / odd shapes are ignored.
    adv.database_specific = Some(serde_json::json!({"severity": 7, "cvss_v3": "x"}));
    assert_eq!(assess(&adv, None), Assessment::unknown());
    adv.database_specific = Some(serde_json::json!(["severity"]));
    assert_eq!(assess(&adv, None), Assessment::unknown());
}

fn parse(line: &str) -> Advisory {
    serde_json::from_str(line).expect("record parses")
}

// Real records from /work/shared/data/osv, with details/references (and long version
// lists) left out.
#[test]
fn real_records() {
    // PyPI.jsonl.zst
    let pysec = parse(
        r#"{"id":"PYSEC-2019-241","modified":"2023-11-13T19:19:43.892449Z","published":"2019-10-14T02:15:00Z","aliases":["CVE-2019-17545"],"affected":[{"package":{"ecosystem":"PyPI","name":"gdal","purl":"pkg:pypi/gdal"},"ranges":[{"type":"GIT","events":[{"introduced":"0"},{"fixed":"148115fcc40f1651a5d15fa34c9a8c528e7147bb"}],"repo":"https://github.com/OSGeo/gdal"},{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.2"}]}],"versions":["3.0.0","3.0.1"]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}"#,
    );
    let a = assess(&pysec, pysec.affected.first());
    assert_eq!(
        (a.severity, a.score, a.source),
        (Severity::Critical, Some(9.8), "advisory.severity.CVSS_V3")
    );

    // npm-nodejs-security-wg.jsonl.zst: the feed's own cvss_score is 6.5.
    let nswg = parse(
        r#"{"schema_version":"1.6.0","id":"NSWG-ECO-1","modified":"2016-04-28T00:00:00Z","published":"2014-09-27T00:00:00Z","aliases":["CVE-2014-7205"],"summary":"Arbitrary JavaScript Execution","affected":[{"package":{"ecosystem":"npm","name":"bassmaster","purl":"pkg:npm/bassmaster"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.5.1"}]}],"database_specific":{"vulnerable_versions":"<=1.5.1","patched_versions":">=1.5.2","approximate_range":false}}],"database_specific":{"source":"nodejs/security-wg vuln/npm/1.json","cvss_score":6.5,"cvss_vector":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N","converted_by":"candidate bundle builder (Node.js security-wg JSON -> OSV)"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"}]}"#,
    );
    let a = assess(&nswg, nswg.affected.first());
    assert_eq!((a.severity, a.score), (Severity::Medium, Some(6.5)));

    // crates.io.jsonl.zst: only a CVSS v4 vector.
    let rustsec = parse(
        r#"{"id":"RUSTSEC-2024-0445","modified":"2025-12-19T21:01:24Z","published":"2024-11-05T12:00:00Z","aliases":["CVE-2024-51756","GHSA-hxf5-99xg-86hw"],"related":[],"summary":"cap-primitives doesn't fully sandbox all the Windows device filenames","severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"}],"affected":[{"package":{"ecosystem":"crates.io","name":"cap-primitives","purl":"pkg:cargo/cap-primitives"},"ecosystem_specific":{"affects":{"arch":[],"os":["windows"],"functions":[]},"affected_functions":null},"database_specific":{"categories":[],"cvss":"CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N","informational":null},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"},{"fixed":"3.4.1"}]}],"versions":[]}],"database_specific":{"license":"CC-BY-4.0"}}"#,
    );
    let a = assess(&rustsec, rustsec.affected.first());
    assert_eq!(a.source, "advisory.severity.CVSS_V4");
    let s = a.score.unwrap();
    assert!(s > 0.0 && s <= 10.0);
    assert_eq!(a.severity, Severity::from_cvss_score(s));

    // crates.io.jsonl.zst: an unmaintained-crate notice has no severity.
    let unmaintained = parse(
        r#"{"id":"RUSTSEC-2016-0004","modified":"2020-10-02T01:29:11Z","published":"2016-09-10T12:00:00Z","aliases":[],"related":[],"summary":"libusb is unmaintained; use rusb instead","severity":[],"affected":[{"package":{"ecosystem":"crates.io","name":"libusb","purl":"pkg:cargo/libusb"},"ecosystem_specific":{"affects":{"arch":[],"os":[],"functions":[]},"affected_functions":null},"database_specific":{"categories":[],"cvss":null,"informational":"unmaintained"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"},{"fixed":"0.3.1-0"}]}],"versions":[]}],"database_specific":{"license":"CC0-1.0"}}"#,
    );
    assert_eq!(
        assess(&unmaintained, unmaintained.affected.first()),
        Assessment::unknown()
    );

    // RubyGems.jsonl.zst: numeric scores only; v3 (6.1) is preferred over v4 (5.1).
    let rubysec = parse(
        r#"{"schema_version":"1.6.0","id":"RUBYSEC-actiontext-CVE-2024-32464","modified":"2024-06-04T00:00:00Z","published":"2024-06-04T00:00:00Z","aliases":["CVE-2024-32464","GHSA-prjp-h48f-jgf6"],"summary":"ActionText ContentAttachment can Contain Unsanitized HTML","affected":[{"package":{"ecosystem":"RubyGems","name":"actiontext","purl":"pkg:gem/actiontext"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"7.1.0"},{"fixed":"7.1.3.4"}]}],"database_specific":{"patched_versions":["~> 7.1.3, >= 7.1.3.4",">= 7.2.0.beta2"],"unaffected_versions":["< 7.1.0"],"approximate_range":false}}],"database_specific":{"source":"rubysec/ruby-advisory-db gems/actiontext/CVE-2024-32464.yml","cvss_v2":null,"cvss_v3":6.1,"cvss_v4":5.1,"converted_by":"candidate bundle builder (RubySec YAML -> OSV)"}}"#,
    );
    let a = assess(&rubysec, rubysec.affected.first());
    assert_eq!(
        (a.severity, a.score, a.vector, a.source),
        (
            Severity::Medium,
            Some(6.1),
            None,
            "advisory.database_specific.cvss_v3"
        )
    );

    // AlmaLinux.jsonl.zst: the rating is only in the summary.
    let alsa = parse(
        r#"{"id":"ALSA-2019:3735","summary":"Critical: php:7.2 security update","affected":[{"package":{"ecosystem":"AlmaLinux:8","name":"apcu-panel"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.1.12-2.module_el8.3.0+2010+7c76a223"}]}]}],"related":["CVE-2019-11043"],"published":"2019-11-06T13:15:34Z","modified":"2019-11-06T13:15:21Z"}"#,
    );
    let a = assess(&alsa, alsa.affected.first());
    assert_eq!(
        (a.severity, a.source),
        (Severity::Critical, "advisory.summary")
    );
    // A bug-fix advisory ("container-tools bug fix update") has none.
    let alba = parse(
        r#"{"id":"ALBA-2019:0973","summary":"container-tools bug fix update","affected":[],"related":[],"published":"2019-05-07T03:38:54Z","modified":"2019-05-07T03:38:45Z"}"#,
    );
    assert_eq!(assess(&alba, None), Assessment::unknown());
    assert_eq!(summary_rating("new module: perl:5.30"), None);

    // Debian-DSA-DLA.jsonl.zst: no severity anywhere.
    let dsa = parse(
        r#"{"schema_version":"1.6.0","id":"DSA-999-1","modified":"2006-03-14T00:00:00Z","published":"2006-03-14T00:00:00Z","upstream":["CVE-2006-1062","CVE-2006-1063","CVE-2006-1064"],"summary":"lurker - several","affected":[{"package":{"ecosystem":"Debian:3.1","name":"lurker","purl":"pkg:deb/debian/lurker?arch=source"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2-5sarge1"}]}]}],"database_specific":{"source":"Debian security tracker data/DSA/list","converted_by":"candidate bundle builder (tracker list -> OSV)"}}"#,
    );
    assert_eq!(assess(&dsa, dsa.affected.first()), Assessment::unknown());
}

/// Runs `assess` over every record of every shared feed (needs /work/shared and the `zstd`
/// CLI): nothing panics, and for the npm feed the computed score matches its `cvss_score`.
/// `cargo test -p detectors --lib severity::tests::all_feeds -- --ignored --nocapture`
#[test]
#[ignore]
fn all_feeds() {
    let dir = std::path::Path::new("/work/shared/data/osv");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if !path.to_string_lossy().ends_with(".jsonl.zst") {
            continue;
        }
        let out = std::process::Command::new("zstd")
            .arg("-dc")
            .arg(&path)
            .output()
            .expect("zstd");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut counts = std::collections::BTreeMap::<(Severity, &str), usize>::new();
        let mut mismatches = 0;
        for line in text.lines() {
            let adv: Advisory = serde_json::from_str(line).unwrap();
            let a = assess(&adv, None);
            *counts.entry((a.severity, a.source)).or_default() += 1;
            for af in &adv.affected {
                assess(&adv, Some(af));
            }
            let ds = adv.database_specific.as_ref();
            let want = ds.and_then(|d| d.get("cvss_score")).and_then(number);
            if let (Some(want), Some(got), Some(_)) = (want, a.score, &a.vector) {
                if (want - got).abs() > 0.05 {
                    mismatches += 1;
                    eprintln!("{} {:?}: feed {want}, computed {got}", adv.id, a.vector);
                }
            }
        }
        eprintln!("{}: {counts:?}", path.display());
        eprintln!("  score mismatches against cvss_score: {mismatches}");
    }
}
