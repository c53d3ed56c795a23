//! A component's effective settings: each value with where it came from — a command-line flag
//! (in a systemd unit, drop-in or environment file, or a live process), a configuration file
//! (with its line), or the component's documented default.

use serde::Serialize;
use std::collections::BTreeMap;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// `flag`, `file` or `default`.
    pub kind: &'static str,
    /// The file that sets it (a unit, drop-in, environment or configuration file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Source {
    pub fn default_value() -> Source {
        Source {
            kind: "default",
            file: None,
            line: None,
        }
    }

    pub fn flag(file: &str, line: usize) -> Source {
        Source {
            kind: "flag",
            file: Some(file.to_string()),
            line: (line > 0).then_some(line),
        }
    }

    pub fn file(file: &str, line: Option<usize>) -> Source {
        Source {
            kind: "file",
            file: Some(file.to_string()),
            line,
        }
    }
}

/// One effective setting; list-valued settings keep every value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub values: Vec<String>,
    pub source: Source,
}

impl Setting {
    /// The last value (flags given twice: the last wins).
    pub fn value(&self) -> &str {
        self.values.last().map_or("", String::as_str)
    }
}

/// Settings by canonical name (the flag's long name without dashes, e.g. `icc`, `hosts`).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    map: BTreeMap<String, Setting>,
}

impl Settings {
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.map.get(name)
    }

    /// The value, or `""` when nothing (not even a default) sets it.
    pub fn value(&self, name: &str) -> &str {
        self.get(name).map_or("", Setting::value)
    }

    /// Sets `name` unless a stronger source already did (flags beat files beat defaults).
    pub fn offer(&mut self, name: &str, values: Vec<String>, source: Source) {
        let rank = |kind: &str| match kind {
            "flag" => 2,
            "file" => 1,
            _ => 0,
        };
        match self.map.get(name) {
            Some(old) if rank(old.source.kind) > rank(source.kind) => {}
            Some(old) if rank(old.source.kind) == rank(source.kind) && source.kind != "default" => {
                // A repeated flag or key: the values accumulate, the source names the last.
                let mut all = old.values.clone();
                all.extend(values);
                self.map.insert(
                    name.to_string(),
                    Setting {
                        values: all,
                        source,
                    },
                );
            }
            _ => {
                self.map
                    .insert(name.to_string(), Setting { values, source });
            }
        }
    }

    /// Sets `name` from a later file of the same component (a drop-in), replacing what an
    /// earlier file or a default said; a flag still wins.
    pub fn replace(&mut self, name: &str, values: Vec<String>, source: Source) {
        if self
            .map
            .get(name)
            .is_some_and(|old| old.source.kind == "flag")
        {
            return;
        }
        self.map
            .insert(name.to_string(), Setting { values, source });
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Setting)> {
        self.map.iter()
    }
}

/// Command-line flags (`--name=value`, `--name value`, `-H value`, bare `--name`) as
/// `(name, value, index of the flag's argument)`; `short` maps one-letter flags to long names.
/// A bare flag is `true`.
pub fn parse_flags(args: &[String], short: &[(&str, &str)]) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let at = i;
        let arg = &args[i];
        i += 1;
        let name = if let Some(long) = arg.strip_prefix("--") {
            long.to_string()
        } else if let Some(letter) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            let (letter, rest) = letter.split_at(1);
            match short.iter().find(|(s, _)| *s == letter) {
                Some((_, long)) if rest.is_empty() => long.to_string(),
                Some((_, long)) => format!("{long}={}", rest.trim_start_matches('=')),
                None => continue,
            }
        } else {
            continue; // a positional argument
        };
        if let Some((name, value)) = name.split_once('=') {
            out.push((name.to_string(), value.to_string(), at));
        } else if args.get(i).is_some_and(|next| !next.starts_with('-')) {
            out.push((name, args[i].clone(), at));
            i += 1;
        } else {
            out.push((name, "true".to_string(), at));
        }
    }
    out
}

/// The 1-based line of the first `"key"` in a JSON text, for findings that point at it.
pub fn json_key_line(text: &str, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    text.lines()
        .position(|l| l.contains(&quoted))
        .map(|i| i + 1)
}

/// The 1-based line of the first `key:` at any indentation in a YAML text.
pub fn yaml_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches("- ");
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_in_every_spelling() {
        let got = parse_flags(
            &args("/usr/bin/dockerd -H fd:// -Htcp://0.0.0.0:2375 --icc=false --live-restore --containerd /run/c.sock"),
            &[("H", "host")],
        );
        let got: Vec<(&str, &str, usize)> = got
            .iter()
            .map(|(n, v, at)| (n.as_str(), v.as_str(), *at))
            .collect();
        assert_eq!(
            got,
            [
                ("host", "fd://", 1),
                ("host", "tcp://0.0.0.0:2375", 3),
                ("icc", "false", 4),
                ("live-restore", "true", 5),
                ("containerd", "/run/c.sock", 6),
            ]
        );
    }

    #[test]
    fn flags_beat_files_beat_defaults() {
        let mut s = Settings::default();
        s.offer("icc", vec!["true".into()], Source::default_value());
        s.offer(
            "icc",
            vec!["false".into()],
            Source::file("/etc/docker/daemon.json", Some(3)),
        );
        assert_eq!(s.value("icc"), "false");
        s.offer(
            "icc",
            vec!["true".into()],
            Source::flag("/lib/systemd/system/docker.service", 9),
        );
        s.offer("icc", vec!["false".into()], Source::file("x", None));
        assert_eq!(s.value("icc"), "true");
        assert_eq!(s.get("icc").unwrap().source.kind, "flag");
    }
}
