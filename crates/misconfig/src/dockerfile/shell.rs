//! Just enough shell to read RUN: words with quotes, and commands split at `&&`, `||`, `;`,
//! `|`, `&` and newlines, keeping which command pipes into the next. Control flow is seen
//! through (`if … then CMD; fi`, loops, `case`, `{ …; }`, subshells, `!`), and the script of
//! `sh -c '…'` / `bash -c "…"` is read as commands too, so every rule sees every command.

/// Words that open or close a compound command rather than name a program.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case", "esac", "{", "}",
    "!",
];

/// Shells whose `-c` argument is a script.
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh", "ksh"];

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<String>,
    /// Its output goes into the next command (`a | b`).
    pub piped: bool,
}

impl Command {
    /// The program, past `sudo`, `env VAR=x`, `time`, `exec` and assignments.
    pub fn program(&self) -> Option<&str> {
        self.args_from_program().first().map(|s| s.as_str())
    }

    /// The words from the program on.
    pub fn args_from_program(&self) -> &[String] {
        let mut index = 0;
        while let Some(word) = self.words.get(index) {
            let wrapper = matches!(word.as_str(), "sudo" | "env" | "time" | "exec" | "nohup")
                || (word.contains('=') && !word.starts_with('-'))
                || (index > 0 && word.starts_with('-') && self.words[index - 1] == "sudo");
            if !wrapper {
                break;
            }
            index += 1;
        }
        &self.words[index.min(self.words.len())..]
    }

    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    /// The program's base name (`/usr/bin/curl` → `curl`).
    pub fn name(&self) -> Option<&str> {
        self.program().map(|p| p.rsplit('/').next().unwrap_or(p))
    }
}

/// Splits a script into simple commands; commands inside quoted `$(…)` are added after.
pub fn commands(script: &str) -> Vec<Command> {
    commands_at(script, 0)
}

fn commands_at(script: &str, depth: usize) -> Vec<Command> {
    let mut out = Vec::new();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let finish = |words: &mut Vec<String>, piped: bool, out: &mut Vec<Command>| {
        if !words.is_empty() {
            out.push(Command {
                words: std::mem::take(words),
                piped,
            });
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                word.push(n);
                            }
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    if n != '\n' {
                        word.push(n);
                    }
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                flush(&mut word, &mut in_word, &mut words);
                finish(&mut words, false, &mut out);
            }
            ' ' | '\t' => flush(&mut word, &mut in_word, &mut words),
            '\n' | ';' | '&' | '|' | '(' | ')' | '`' => {
                flush(&mut word, &mut in_word, &mut words);
                let piped = c == '|' && chars.peek() != Some(&'|');
                if (c == '&' || c == '|') && chars.peek() == Some(&c) {
                    chars.next();
                }
                finish(&mut words, piped, &mut out);
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                flush(&mut word, &mut in_word, &mut words);
                finish(&mut words, false, &mut out);
            }
            '<' if chars.peek() == Some(&'(') => {
                flush(&mut word, &mut in_word, &mut words);
                finish(&mut words, false, &mut out);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut words);
    finish(&mut words, false, &mut out);
    for command in &mut out {
        let keywords = command
            .words
            .iter()
            .take_while(|w| KEYWORDS.contains(&w.as_str()))
            .count();
        command.words.drain(..keywords);
    }
    out.retain(|c| !c.words.is_empty());
    if depth < 3 {
        let substituted = out
            .iter()
            .flat_map(|c| &c.words)
            .filter_map(|w| w.find("$(").map(|at| &w[at + 2..]));
        let scripts = out.iter().filter_map(shell_script);
        let nested: Vec<Command> = substituted
            .chain(scripts)
            .flat_map(|inner| commands_at(inner, depth + 1))
            .collect();
        out.extend(nested);
    }
    out
}

/// The script of `sh -c SCRIPT` (any shell, options before `-c` allowed).
fn shell_script(command: &Command) -> Option<&str> {
    if !SHELLS.contains(&command.name()?) {
        return None;
    }
    let args = command.args_from_program();
    let at = args
        .iter()
        .position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))?;
    args.get(at + 1).map(String::as_str)
}

fn flush(word: &mut String, in_word: &mut bool, words: &mut Vec<String>) {
    if *in_word {
        words.push(std::mem::take(word));
        *in_word = false;
    }
}

/// Words of one line with quotes removed (for ENV, ARG, LABEL).
pub fn words(text: &str) -> Vec<String> {
    commands(&text.replace(['\n', ';', '&', '|'], " "))
        .into_iter()
        .flat_map(|c| c.words)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_and_lists() {
        let cmds = commands("curl -fsSL https://x/i.sh | sudo -E bash && echo 'a && b' ; ls");
        assert_eq!(cmds.len(), 4);
        assert!(cmds[0].piped);
        assert_eq!(cmds[1].name(), Some("bash"));
        assert_eq!(cmds[2].words, vec!["echo", "a && b"]);
        assert!(!cmds[2].piped);
    }

    #[test]
    fn control_flow_and_shell_scripts_are_seen_through() {
        let names = |script: &str| -> Vec<String> {
            commands(script)
                .iter()
                .filter_map(|c| c.name().map(str::to_string))
                .collect()
        };
        assert_eq!(
            names("if [ -n \"$X\" ]; then curl -k https://x; else wget y; fi"),
            ["[", "curl", "wget"]
        );
        assert_eq!(
            names("for u in a b; do sudo apt-get install $u; done"),
            ["for", "apt-get"]
        );
        assert_eq!(
            names("{ ! true; } || (cd /x && make)"),
            ["true", "cd", "make"]
        );
        let piped = commands("while read l; do curl -s $l | sh; done");
        assert!(piped.iter().any(|c| c.name() == Some("curl") && c.piped));
        assert_eq!(
            names("sh -c 'apt-get update && apt-get install -y curl'"),
            ["sh", "apt-get", "apt-get"]
        );
        assert_eq!(names("bash -ec \"wget -q http://x\""), ["bash", "wget"]);
    }

    #[test]
    fn substitutions_are_their_own_commands() {
        let cmds = commands(r#"sh -c "$(wget -qO- http://x)""#);
        assert_eq!(cmds[0].name(), Some("sh"));
        assert_eq!(cmds[1].name(), Some("wget"));
        let cmds = commands("bash <(curl -s http://x)");
        assert_eq!(cmds[1].name(), Some("curl"));
    }
}
