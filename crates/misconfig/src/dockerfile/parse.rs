//! A Dockerfile parser for the real syntax: parser directives (`# escape=`, `# syntax=`),
//! line continuations (with comment and blank lines inside them), heredocs (`<<EOF`,
//! `<<-EOF`, quoted delimiters, several per instruction), JSON (exec) and shell forms, flags,
//! and stages with their names. Every instruction keeps the line and column it starts at.

use crate::rule::ConfigError;

/// Instructions Docker knows; anything else is an error, as in `docker build`.
const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// Bounds on hostile input.
fn max_instructions() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::DockerfileInstructions)
}
fn max_heredocs() -> usize {
    inventory::limits::get_usize(inventory::limits::Limit::Heredocs)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper case: `RUN`, `FROM`.
    pub keyword: String,
    /// `--name[=value]` options before the arguments (`--from`, `--mount`, `--chmod`).
    pub flags: Vec<(String, Option<String>)>,
    /// The arguments after the flags, continuations joined with a space.
    pub args: String,
    /// The exec form's strings, when the arguments are a JSON array.
    pub json: Option<Vec<String>>,
    pub heredocs: Vec<Heredoc>,
    /// 1-based position of the keyword.
    pub line: usize,
    pub column: usize,
    /// The last physical line the instruction spans (heredoc bodies included).
    pub end_line: usize,
    /// The stage it belongs to; instructions before the first FROM (global ARGs) have none.
    pub stage: Option<usize>,
    /// The first physical line, trimmed: the finding's snippet.
    pub snippet: String,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// What RUN executes: heredoc bodies when the command reads them, the exec form's
    /// words, or the shell form's text.
    pub fn script(&self) -> String {
        let mut script = match &self.json {
            Some(words) => words.join(" "),
            None => self.args.clone(),
        };
        for doc in &self.heredocs {
            script.push('\n');
            script.push_str(&doc.body);
        }
        script
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The base as written (`${BASE}` expanded with global ARG defaults).
    pub image: String,
    /// `AS name`, lower case.
    pub name: Option<String>,
    /// Index of the FROM instruction.
    pub from: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub escape: char,
    pub syntax: Option<String>,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    pub fn stage_instructions(&self, stage: usize) -> impl Iterator<Item = &Instruction> {
        self.instructions
            .iter()
            .filter(move |i| i.stage == Some(stage))
    }

    /// The stages the final image is built from: the last stage, and the stage it names as
    /// its base, and so on (`FROM build AS final`).
    pub fn final_chain(&self) -> Vec<usize> {
        self.stages
            .len()
            .checked_sub(1)
            .map_or_else(Vec::new, |last| self.chain(last))
    }

    /// `stage` and the stages it is built FROM, nearest first.
    pub fn chain(&self, stage: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut current = Some(stage).filter(|s| *s < self.stages.len());
        while let Some(index) = current {
            if chain.contains(&index) {
                break;
            }
            chain.push(index);
            current = self.stage_named(&self.stages[index].image, index);
        }
        chain
    }

    /// A stage before `before` whose name (or index) is `name`.
    pub fn stage_named(&self, name: &str, before: usize) -> Option<usize> {
        let name = name.to_ascii_lowercase();
        self.stages[..before.min(self.stages.len())]
            .iter()
            .position(|s| s.name.as_deref() == Some(name.as_str()))
            .or_else(|| name.parse::<usize>().ok().filter(|i| *i < before))
    }
}

fn error(file: &str, line: usize, column: usize, message: impl Into<String>) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        line,
        column,
        message: message.into(),
    }
}

/// Parses `text`; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Dockerfile, ConfigError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut df = Dockerfile {
        escape: '\\',
        ..Default::default()
    };
    let mut at = directives(&lines, &mut df, file)?;
    let mut global_args: Vec<(String, String)> = Vec::new();
    while at < lines.len() {
        let raw = lines[at];
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            at += 1;
            continue;
        }
        let start = at;
        let column = raw.len() - trimmed.len() + 1;
        // Join continuation lines; comment lines inside a continuation are dropped.
        let mut logical = String::new();
        let mut current = trimmed;
        loop {
            let body = current.trim_end();
            match body.strip_suffix(df.escape) {
                Some(head) if at + 1 < lines.len() => {
                    logical.push_str(head);
                    logical.push(' ');
                    at += 1;
                    while at + 1 < lines.len() && is_skippable(lines[at]) {
                        at += 1;
                    }
                    current = lines[at];
                }
                Some(head) => {
                    logical.push_str(head);
                    break;
                }
                None => {
                    logical.push_str(body);
                    break;
                }
            }
        }
        at += 1;
        let (word, rest) = logical
            .split_once(char::is_whitespace)
            .unwrap_or((logical.as_str(), ""));
        let keyword = word.to_ascii_uppercase();
        if !KEYWORDS.contains(&keyword.as_str()) {
            return Err(error(
                file,
                start + 1,
                column,
                format!("unknown instruction {word:?}"),
            ));
        }
        let (flags, args) = split_flags(&keyword, rest.trim());
        let json = if matches!(
            keyword.as_str(),
            "RUN" | "CMD" | "ENTRYPOINT" | "SHELL" | "COPY" | "ADD" | "VOLUME"
        ) && args.starts_with('[')
        {
            serde_json::from_str::<Vec<String>>(&args).ok()
        } else {
            None
        };
        let mut heredocs = Vec::new();
        if json.is_none() && matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (delimiter, strip_tabs) in heredoc_starts(&args) {
                if heredocs.len() == max_heredocs() {
                    let message = format!(
                        "more than {} heredocs ({})",
                        max_heredocs(),
                        inventory::limits::hint(inventory::limits::Limit::Heredocs)
                    );
                    return Err(error(file, start + 1, column, message));
                }
                let mut body = String::new();
                loop {
                    let Some(line) = lines.get(at) else {
                        return Err(error(
                            file,
                            start + 1,
                            column,
                            format!("heredoc <<{delimiter} is not terminated"),
                        ));
                    };
                    at += 1;
                    let line = if strip_tabs {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    if line == delimiter {
                        break;
                    }
                    body.push_str(line);
                    body.push('\n');
                }
                heredocs.push(Heredoc { delimiter, body });
            }
        }
        if keyword == "FROM" {
            let mut words = args.split_whitespace();
            let image = words.next().unwrap_or("");
            if image.is_empty() {
                return Err(error(file, start + 1, column, "FROM needs an image"));
            }
            let name = match (words.next(), words.next()) {
                (Some(r#as), Some(name)) if r#as.eq_ignore_ascii_case("as") => {
                    Some(name.to_ascii_lowercase())
                }
                (None, _) => None,
                _ => return Err(error(file, start + 1, column, "FROM takes IMAGE [AS NAME]")),
            };
            df.stages.push(Stage {
                image: expand(image, &global_args),
                name,
                from: df.instructions.len(),
            });
        } else if df.stages.is_empty() && keyword != "ARG" {
            return Err(error(
                file,
                start + 1,
                column,
                format!("{keyword} before the first FROM (only ARG may come first)"),
            ));
        }
        if keyword == "ARG" && df.stages.is_empty() {
            for (name, value) in assignments(&args) {
                global_args.push((name, value.unwrap_or_default()));
            }
        }
        if df.instructions.len() == max_instructions() {
            let message = format!(
                "more than {} instructions ({})",
                max_instructions(),
                inventory::limits::hint(inventory::limits::Limit::DockerfileInstructions)
            );
            return Err(error(file, start + 1, column, message));
        }
        df.instructions.push(Instruction {
            keyword,
            flags,
            args,
            json,
            heredocs,
            line: start + 1,
            column,
            end_line: at,
            stage: df.stages.len().checked_sub(1),
            snippet: trimmed.trim_end().chars().take(200).collect(),
        });
    }
    if df.stages.is_empty() {
        return Err(error(file, 1, 1, "no FROM instruction: not a Dockerfile"));
    }
    Ok(df)
}

/// Reads the parser directives at the top; returns the index of the first other line.
fn directives(lines: &[&str], df: &mut Dockerfile, file: &str) -> Result<usize, ConfigError> {
    for (index, line) in lines.iter().enumerate() {
        let Some(comment) = line.trim().strip_prefix('#') else {
            return Ok(index);
        };
        let Some((key, value)) = comment.split_once('=') else {
            return Ok(index);
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        match key.as_str() {
            "escape" => {
                df.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(error(
                            file,
                            index + 1,
                            1,
                            format!("escape directive must be \\ or `, not {value:?}"),
                        ))
                    }
                }
            }
            "syntax" => df.syntax = Some(value.to_string()),
            "check" => {}
            _ => return Ok(index),
        }
    }
    Ok(lines.len())
}

/// Leading `--name[=value]` options of the instructions that take them.
fn split_flags(keyword: &str, rest: &str) -> (Vec<(String, Option<String>)>, String) {
    let mut flags = Vec::new();
    if !matches!(keyword, "FROM" | "RUN" | "COPY" | "ADD" | "HEALTHCHECK") {
        return (flags, rest.to_string());
    }
    let mut rest = rest;
    while let Some(option) = rest.strip_prefix("--") {
        let end = option.find(char::is_whitespace).unwrap_or(option.len());
        let (token, tail) = option.split_at(end);
        match token.split_once('=') {
            Some((name, value)) => flags.push((name.to_string(), Some(value.to_string()))),
            None => flags.push((token.to_string(), None)),
        }
        rest = tail.trim_start();
    }
    (flags, rest.to_string())
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, `<<.` in the arguments, in order.
fn heredoc_starts(args: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        let mut tail = &rest[at + 2..];
        let strip_tabs = tail.starts_with('-');
        if strip_tabs {
            tail = &tail[1..];
        }
        let quote = tail.chars().next().filter(|c| *c == '"' || *c == '\'');
        if let Some(q) = quote {
            tail = &tail[1..];
            let end = tail.find(q).unwrap_or(tail.len());
            if end > 0 {
                found.push((tail[..end].to_string(), strip_tabs));
            }
            rest = &tail[end..];
            continue;
        }
        // BuildKit takes the rest of the word as the delimiter: `<<EOF`, `<<.`, `<<END-OF-RUN`.
        let end = tail
            .find(|c: char| c.is_whitespace() || "<>|&;()`".contains(c))
            .unwrap_or(tail.len());
        // `<<<` (a here-string) and `<< 5` are shell, not heredocs.
        if end > 0 && !tail.starts_with('<') {
            found.push((tail[..end].to_string(), strip_tabs));
        }
        // Step past at least one whole character (it may be multi-byte: found by fuzzing).
        let step = if end > 0 {
            end
        } else {
            tail.chars().next().map_or(0, char::len_utf8)
        };
        rest = &tail[step..];
    }
    found
}

/// `ENV A=1 B="two words"`, `ENV A 1`, `ARG NAME[=default]`: names and unquoted values.
pub fn assignments(args: &str) -> Vec<(String, Option<String>)> {
    let words = crate::dockerfile::shell::words(args);
    if words.len() >= 2 && !words[0].contains('=') {
        // Legacy `ENV KEY value with spaces`.
        let value = args
            .trim_start()
            .split_once(char::is_whitespace)
            .map(|(_, v)| v.trim().to_string());
        return vec![(words[0].clone(), value)];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (w, None),
        })
        .collect()
}

/// `$NAME`, `${NAME}`, `${NAME:-default}` replaced from `vars` (unknown names stay empty).
pub fn expand(text: &str, vars: &[(String, String)]) -> String {
    let lookup = |name: &str| {
        vars.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut out = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let tail = &text[index + 1..];
        if let Some(inner) = tail.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                out.push(c);
                continue;
            };
            let body = &inner[..end];
            let (name, default) = match body.split_once(":-").or_else(|| body.split_once('-')) {
                Some((n, d)) => (n, Some(d)),
                None => (body, None),
            };
            let value = lookup(name).filter(|v| !v.is_empty());
            out.push_str(&value.or(default.map(str::to_string)).unwrap_or_default());
            for _ in 0..end + 2 {
                chars.next();
            }
        } else {
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            if len == 0 {
                out.push(c);
                continue;
            }
            out.push_str(&lookup(&tail[..len]).unwrap_or_default());
            for _ in 0..len {
                chars.next();
            }
        }
    }
    out
}

/// Comment and blank lines inside a continuation are dropped, as `docker build` does.
fn is_skippable(line: &str) -> bool {
    let line = line.trim_start();
    line.is_empty() || line.starts_with('#')
}
