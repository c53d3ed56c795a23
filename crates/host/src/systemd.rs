//! The command line systemd starts a service with: the unit file found first on systemd's
//! search path, then its drop-ins (`<unit>.d/*.conf`, by file name across the directories),
//! `ExecStart=` resets, line continuations, `Environment=` and `EnvironmentFile=` variables
//! expanded — each argument keeping the file and line that put it there.

use crate::root::Root;
use crate::settings::Source;
use std::collections::BTreeMap;

/// systemd's unit directories, most important first.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
];

/// A service's start command, argument by argument.
#[derive(Debug, Clone, Default)]
pub struct Command {
    pub args: Vec<String>,
    pub sources: Vec<Source>,
    /// The unit file and drop-ins read, in order.
    pub files: Vec<String>,
}

/// A line of a unit file with its place.
struct Line {
    file: String,
    line: usize,
    key: String,
    value: String,
}

/// The start command of `unit` (e.g. `docker.service`), or `None` when no unit file exists.
pub fn exec_start(root: &Root, unit: &str) -> Option<Command> {
    exec_start_in(root, UNIT_DIRS, unit)
}

/// The start command of a user's unit (`~/.config/systemd/user/docker.service`).
pub fn user_exec_start(root: &Root, home: &str, unit: &str) -> Option<Command> {
    exec_start_in(root, &[&format!("{home}/.config/systemd/user")], unit)
}

fn exec_start_in(root: &Root, dirs: &[&str], unit: &str) -> Option<Command> {
    let main = dirs
        .iter()
        .map(|dir| format!("{dir}/{unit}"))
        .find(|path| root.exists(path))?;
    // Drop-ins by file name; a name in a more important directory hides the same name below.
    let mut dropins: BTreeMap<String, String> = BTreeMap::new();
    for dir in dirs.iter().rev() {
        let dir = format!("{dir}/{unit}.d");
        for name in root.list(&dir) {
            if name.ends_with(".conf") {
                dropins.insert(name.clone(), format!("{dir}/{name}"));
            }
        }
    }
    let mut command = Command::default();
    let mut exec: Option<Line> = None;
    let mut environment: BTreeMap<String, (String, Source)> = BTreeMap::new();
    for file in std::iter::once(main).chain(dropins.into_values()) {
        let Some(text) = root.read(&file) else {
            continue;
        };
        command.files.push(file.clone());
        for line in unit_lines(&file, &text) {
            match line.key.as_str() {
                "ExecStart" if line.value.is_empty() => exec = None,
                "ExecStart" => exec = Some(line),
                "Environment" => {
                    let source = Source::flag(&line.file, line.line);
                    for word in words(&line.value) {
                        if let Some((k, v)) = word.split_once('=') {
                            environment.insert(k.to_string(), (v.to_string(), source.clone()));
                        }
                    }
                }
                "EnvironmentFile" => {
                    let path = line.value.trim_start_matches('-');
                    if let Some(text) = root.read(path) {
                        command.files.push(path.to_string());
                        for (k, v, n) in environment_file(&text) {
                            environment.insert(k, (v, Source::flag(path, n)));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let exec = exec?;
    let source = Source::flag(&exec.file, exec.line);
    // `-`, `@`, `+`, `!` prefixes change how systemd runs the command, not the command.
    let value = exec.value.trim_start_matches(['-', '@', '+', '!', ':']);
    for word in words(value) {
        match variable(&word) {
            Some(name) => {
                if let Some((value, from)) = environment.get(name) {
                    for part in words(value) {
                        command.args.push(part);
                        command.sources.push(from.clone());
                    }
                }
            }
            None => {
                command.args.push(word);
                command.sources.push(source.clone());
            }
        }
    }
    Some(command)
}

/// `$NAME` or `${NAME}` as a whole word: systemd splits its value into words.
fn variable(word: &str) -> Option<&str> {
    let name = word.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then_some(name)
}

/// `KEY=VALUE` lines of an environment file (`/etc/default/docker`, kubeadm-flags.env), quotes
/// removed, with their line numbers.
pub fn environment_file(text: &str) -> Vec<(String, String, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line);
            if line.starts_with('#') {
                return None;
            }
            let (k, v) = line.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string(), i + 1))
        })
        .collect()
}

/// `Key=Value` lines of a unit file, continuations joined, comments and sections skipped.
fn unit_lines(file: &str, text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut joined) = match pending.take() {
            Some((start, text)) => (start, text + " "),
            None => {
                let t = raw.trim_start();
                if t.starts_with('#') || t.starts_with(';') || t.starts_with('[') {
                    continue;
                }
                (i + 1, String::new())
            }
        };
        let trimmed = raw.trim_end();
        if let Some(body) = trimmed.strip_suffix('\\') {
            joined.push_str(body.trim());
            pending = Some((start, joined));
            continue;
        }
        joined.push_str(trimmed.trim_start());
        if let Some((key, value)) = joined.split_once('=') {
            out.push(Line {
                file: file.to_string(),
                line: start,
                key: key.trim().to_string(),
                value: value.trim().to_string(),
            });
        }
    }
    out
}

/// Splits a command line into words as systemd does: whitespace, single and double quotes.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn dropins_reset_and_extend_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("lib/systemd/system")).unwrap();
        fs::create_dir_all(r.join("etc/systemd/system/docker.service.d")).unwrap();
        fs::create_dir_all(r.join("etc/default")).unwrap();
        fs::write(
            r.join("lib/systemd/system/docker.service"),
            "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/default/docker"),
            "# options\nDOCKER_OPTS=\"--icc=false\"\n",
        )
        .unwrap();
        fs::write(
            r.join("etc/systemd/system/docker.service.d/override.conf"),
            "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd \\\n  -H tcp://0.0.0.0:2375 $DOCKER_OPTS\n",
        )
        .unwrap();
        let c = exec_start(&Root::new(r), "docker.service").unwrap();
        assert_eq!(
            c.args,
            [
                "/usr/sbin/dockerd",
                "-H",
                "tcp://0.0.0.0:2375",
                "--icc=false"
            ]
        );
        let dropin = "/etc/systemd/system/docker.service.d/override.conf";
        assert_eq!(c.sources[2], Source::flag(dropin, 3));
        assert_eq!(c.sources[3], Source::flag("/etc/default/docker", 2));
    }

    #[test]
    fn words_follow_quotes() {
        assert_eq!(words(r#"a "b c" 'd' """#), ["a", "b c", "d", ""]);
    }
}
