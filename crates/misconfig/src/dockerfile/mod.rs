//! Dockerfile checks: [`parse`] reads the real syntax with positions; each file under
//! `rules/` holds one theme of checks over the parsed instructions.

pub mod parse;
pub(crate) mod rules;
pub mod shell;

pub use parse::{parse, Dockerfile, Instruction, Stage};
pub use rules::secret_name;

use crate::rule::{ConfigError, Finding, Rule};
use shell::Command;

/// One rule and the code that applies it.
pub struct Check {
    pub rule: Rule,
    pub run: fn(&Context, &Rule),
}

/// What a check reads and where it reports.
pub struct Context<'a> {
    pub file: &'a str,
    pub df: &'a Dockerfile,
    /// A `.dockerignore` sits next to the Dockerfile (the usual build context).
    pub dockerignore: bool,
    /// Each RUN instruction with its parsed commands.
    pub runs: Vec<(&'a Instruction, Vec<Command>)>,
    /// Per stage: whether its content reaches the final image (see [`shipped_stages`]).
    shipped: Vec<bool>,
    findings: std::cell::RefCell<Vec<Finding>>,
}

impl<'a> Context<'a> {
    pub fn report(&self, rule: &Rule, at: &Instruction, message: impl Into<String>) {
        let mut finding = Finding::new(rule, self.file, at.line, at.column, message.into());
        finding.snippet = Some(at.snippet.clone());
        finding.resource = at.stage.map(|index| match &self.df.stages[index].name {
            Some(name) => format!("stage {index} ({name})"),
            None => format!("stage {index}"),
        });
        self.findings.borrow_mut().push(finding);
    }

    /// As [`Context::report`], for rules about what the image ships (package caches, an SSH
    /// server, setuid or world-writable files): nothing when `at` is in a build stage that
    /// the final image does not contain.
    pub fn report_shipped(&self, rule: &Rule, at: &Instruction, message: impl Into<String>) {
        if at
            .stage
            .is_none_or(|stage| self.shipped.get(stage) != Some(&false))
        {
            self.report(rule, at, message);
        }
    }

    /// Instructions with this keyword, in every stage.
    pub fn each(&self, keyword: &'static str) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.df
            .instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
    }

    /// Instructions of the stages the final image is made of, last stage first.
    pub fn final_instructions(&self) -> Vec<&'a Instruction> {
        self.df
            .final_chain()
            .into_iter()
            .flat_map(|stage| {
                let mut own: Vec<&Instruction> = self.df.stage_instructions(stage).collect();
                own.reverse();
                own
            })
            .collect()
    }

    /// The FROM of the final stage.
    pub fn final_from(&self) -> Option<&'a Instruction> {
        let stage = self.df.stages.last()?;
        self.df.instructions.get(stage.from)
    }
}

/// Every Dockerfile check, in ID order.
pub fn checks() -> impl Iterator<Item = &'static Check> {
    rules::ALL.iter().flat_map(|family| family.iter())
}

pub fn rules() -> impl Iterator<Item = &'static Rule> {
    checks().map(|c| &c.rule)
}

/// Parses and checks one Dockerfile.
pub fn check(file: &str, text: &str, dockerignore: bool) -> Result<Vec<Finding>, ConfigError> {
    let df = parse(file, text)?;
    Ok(check_parsed(file, &df, dockerignore))
}

pub fn check_parsed(file: &str, df: &Dockerfile, dockerignore: bool) -> Vec<Finding> {
    let runs = df
        .instructions
        .iter()
        .filter(|i| i.keyword == "RUN")
        .map(|i| (i, shell::commands(&i.script())))
        .collect();
    let ctx = Context {
        file,
        df,
        dockerignore,
        runs,
        shipped: shipped_stages(df),
        findings: Default::default(),
    };
    for check in checks() {
        (check.run)(&ctx, &check.rule);
    }
    ctx.findings.into_inner()
}

/// The stages whose content the final image holds: the final stage's FROM chain, and the
/// chain of any stage whose whole root it copies (`COPY --from=build / /`). A stage only some
/// paths are copied from (`COPY --from=build /app/bin /usr/local/bin`) ships those paths, not
/// its package caches or installed daemons.
fn shipped_stages(df: &Dockerfile) -> Vec<bool> {
    let mut shipped = vec![false; df.stages.len()];
    let mut queue = df.final_chain();
    while let Some(stage) = queue.pop() {
        if std::mem::replace(&mut shipped[stage], true) {
            continue;
        }
        for copy in df.stage_instructions(stage).filter(|i| i.keyword == "COPY") {
            let from = copy.flags.iter().find(|(name, _)| name == "from");
            let Some(from) = from.and_then(|(_, value)| value.as_deref()) else {
                continue;
            };
            let words = shell::words(&copy.args);
            let sources = &words[..words.len().saturating_sub(1)];
            if sources
                .iter()
                .any(|s| s.trim_end_matches(['/', '.']).is_empty())
            {
                if let Some(index) = df.stage_named(from, stage) {
                    queue.extend(df.chain(index));
                }
            }
        }
    }
    shipped
}

crate::rule::family_rule_constructor!(crate::rule::Family::Dockerfile);
