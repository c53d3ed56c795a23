//! Parser edge cases: continuations, heredocs, the escape directive, stages and ARG scope, and
//! malformed input that must fail with a position.

use misconfig::dockerfile::parse;

#[test]
fn continuations_skip_comments_and_blank_lines() {
    let text = "FROM debian:12\nRUN apt-get update && \\\n# a comment inside\n\n    apt-get install -y curl\nUSER app\n";
    let df = parse("D", text).unwrap();
    let run = &df.instructions[1];
    assert_eq!(run.keyword, "RUN");
    assert_eq!((run.line, run.end_line), (2, 5));
    assert!(
        run.args.contains("apt-get update &&") && run.args.ends_with("apt-get install -y curl")
    );
    assert_eq!(df.instructions[2].line, 6);
}

#[test]
fn escape_directive_switches_to_backtick() {
    let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir C:\\ `\n    && echo done\n";
    let df = parse("D", text).unwrap();
    assert_eq!(df.escape, '`');
    assert_eq!(df.instructions.len(), 2);
    assert!(
        df.instructions[1].args.contains("dir C:\\")
            && df.instructions[1].args.contains("echo done")
    );
}

#[test]
fn heredocs_with_quotes_tabs_and_several_per_instruction() {
    let text = "# syntax=docker/dockerfile:1.4\nFROM alpine:3.20\nRUN <<EOF\napk add curl\ncurl http://x | sh\nEOF\nCOPY <<-\"A\" /a <<B /b\n\tone\n\tA\ntwo\nB\nUSER 1000\n";
    let df = parse("D", text).unwrap();
    assert_eq!(df.syntax.as_deref(), Some("docker/dockerfile:1.4"));
    let run = &df.instructions[1];
    assert_eq!(run.heredocs.len(), 1);
    assert_eq!(run.heredocs[0].body, "apk add curl\ncurl http://x | sh\n");
    let copy = &df.instructions[2];
    assert_eq!(copy.heredocs.len(), 2);
    assert_eq!(copy.heredocs[0].body, "one\n");
    assert_eq!(copy.heredocs[1].body, "two\n");
    assert_eq!(df.instructions[3].line, 12);
    // The heredoc's script is what RUN rules read.
    let findings = misconfig::dockerfile::check("D", text, true).unwrap();
    assert!(findings
        .iter()
        .any(|f| f.rule_id == "BH-DF-007" && f.line == 3));
}

#[test]
fn stages_names_and_global_args() {
    let text = "ARG VERSION=1.23\nARG REGISTRY\nFROM golang:${VERSION} AS Build\nARG VERSION\nRUN go build\nFROM ${REGISTRY:-docker.io}/library/alpine:3.20\nCOPY --from=build /out /app\n";
    let df = parse("D", text).unwrap();
    assert_eq!(df.stages.len(), 2);
    assert_eq!(df.stages[0].image, "golang:1.23");
    assert_eq!(df.stages[0].name.as_deref(), Some("build"));
    assert_eq!(df.stages[1].image, "docker.io/library/alpine:3.20");
    assert_eq!(df.instructions[0].stage, None);
    assert_eq!(df.instructions[3].stage, Some(0));
    assert_eq!(df.instructions[6].flag("from"), Some("build"));
    assert_eq!(df.final_chain(), vec![1]);
}

#[test]
fn exec_form_is_json() {
    let df = parse(
        "D",
        "FROM a:1\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\nRUN [\"sh\", \"-c\", \"echo\"\n",
    )
    .unwrap();
    assert_eq!(
        df.instructions[1].json.as_deref(),
        Some(&["nginx".to_string(), "-g".into(), "daemon off;".into()][..])
    );
    // Not valid JSON: shell form, as docker does.
    assert_eq!(df.instructions[2].json, None);
}

#[test]
fn malformed_input_fails_with_a_position() {
    let cases = [
        ("FROM a:1\nRUNN echo\n", 2, 1, "unknown instruction"),
        ("RUN echo\nFROM a:1\n", 1, 1, "before the first FROM"),
        ("FROM a:1\nRUN <<EOF\necho\n", 2, 1, "not terminated"),
        ("# escape=x\nFROM a\n", 1, 1, "escape directive"),
        ("# just a comment\n", 1, 1, "no FROM"),
        ("FROM a:1\n  FROM\n", 2, 3, "FROM needs an image"),
        ("FROM a:1 AS\n", 1, 1, "FROM takes IMAGE"),
    ];
    for (text, line, column, message) in cases {
        let error = parse("Dockerfile", text).expect_err(text);
        assert_eq!(
            (error.line, error.column),
            (line, column),
            "{text:?}: {error}"
        );
        assert!(error.message.contains(message), "{text:?}: {error}");
        assert!(error
            .to_string()
            .starts_with(&format!("Dockerfile:{line}:{column}: ")));
    }
}

#[test]
fn hostile_input_does_not_panic() {
    for text in [
        "\\",
        "FROM \\",
        "FROM a\nRUN <<",
        "FROM a\nRUN <<'",
        "FROM a\nRUN <<-\"\"",
        "FROM a\nENV ${",
        "FROM a\nEXPOSE -",
        "\u{feff}FROM a",
        "FROM a\nRUN echo $((((",
    ] {
        let _ = misconfig::dockerfile::check("D", text, false);
    }
    let long = format!("FROM a\nRUN {}\n", "x \\\n".repeat(50_000));
    assert!(misconfig::dockerfile::check("D", &long, false).is_ok());
}

/// Found by fuzzing (fuzz/fuzz_targets/config.rs): `<<` followed by a multi-byte character
/// sliced a string inside that character and panicked.
#[test]
fn heredoc_markers_before_multibyte_characters_do_not_panic() {
    for text in [
        "FROM alpine:3.20\nADD https://example.com/kr<<<ļ<<<M alpine:3.20\n",
        "FROM alpine:3.20\nRUN <<ļ\n",
        "FROM alpine:3.20\nRUN cat <<é€ x\n",
    ] {
        let _ = parse("D", text);
        let _ = misconfig::dockerfile::check("D", text, false);
    }
}

#[test]
fn a_heredoc_delimited_by_a_dot_parses_and_its_findings_stay() {
    // As official images write it (BuildKit takes the rest of the word as the delimiter).
    let text = "FROM python:3.13\nRUN <<.\nset -eux\napt-get update\n.\nCMD [\"python3\"]\n";
    let df = parse("D", text).unwrap();
    assert_eq!(df.instructions.len(), 3);
    assert_eq!(df.instructions[1].heredocs[0].delimiter, ".");
    assert_eq!(
        df.instructions[1].heredocs[0].body,
        "set -eux\napt-get update\n"
    );
    assert_eq!(df.instructions[2].line, 6);
    let findings = misconfig::dockerfile::check("D", text, true).unwrap();
    // No USER: the image runs as root (BH-DF rules still see the whole file).
    assert!(findings.iter().any(|f| f.line == 1), "{findings:?}");
}
