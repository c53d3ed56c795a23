//! YAML (and JSON, a YAML subset) parsed into a small tree that keeps every node's position, so
//! findings can name the offending key's line and column.
//!
//! Built on `saphyr-parser`'s event stream with an explicit stack (no recursion), bounded by
//! [`Limits`]: input size, nesting depth, and the number of nodes and scalar bytes materialised —
//! aliases count every time they are expanded, so "billion laughs" documents stop with an error
//! instead of exhausting memory. Merge keys (`<<: *anchor`) are applied, explicit keys winning,
//! because compose files use them to share settings.

mod lenient;

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

/// Input that cannot be parsed, or that exceeds the [`Limits`], with the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A scalar's text; `plain` when unquoted (only plain scalars can be `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair; `key_pos` is where findings about the key point.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key's text; empty for non-scalar keys.
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// Bounds for untrusted input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    /// Nodes materialised, alias expansions included.
    pub max_nodes: usize,
    /// Scalar bytes materialised, alias expansions included.
    pub max_scalar_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 32 << 20,
            max_depth: inventory::limits::get_usize(inventory::limits::Limit::YamlDepth),
            max_nodes: inventory::limits::get_usize(inventory::limits::Limit::YamlNodes),
            max_scalar_bytes: 128 << 20,
        }
    }
}

impl Node {
    /// The value of `key` in a mapping (the last one if a key repeats, as JSON decoders do).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().rev().find(|e| e.key == key)
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A non-null scalar's text.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if !self.is_null() => Some(&s.text),
            _ => None,
        }
    }

    /// `true`/`false` in any case, quoted or not: a scanner should not be fooled by `"true"`.
    pub fn as_bool(&self) -> Option<bool> {
        let text = self.as_str()?;
        if text.eq_ignore_ascii_case("true") {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_str()?.trim().parse().ok()
    }
}

/// The trimmed source line `line` (1-based) of `text`, for a finding's snippet.
pub fn snippet(text: &str, line: usize) -> Option<String> {
    text.lines().nth(line.checked_sub(1)?).map(shorten)
}

/// Where each line of a text starts: snippets for many findings in one large file (a stream
/// of thousands of documents) without scanning the file from the top for each.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { starts }
    }

    /// [`snippet`] of the same `text` the index was built from.
    pub fn snippet(&self, text: &str, line: usize) -> Option<String> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).map_or(text.len(), |next| next - 1);
        let source = text.get(start..end)?;
        Some(shorten(source.strip_suffix('\r').unwrap_or(source)))
    }
}

fn shorten(source: &str) -> String {
    let trimmed = source.trim();
    const MAX: usize = 200;
    if trimmed.len() <= MAX {
        return trimmed.to_string();
    }
    let mut end = MAX;
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &trimmed[..end])
}

/// Quoted scalars made acceptable per file (each costs one more parse of the file).
const MAX_LENIENT_FIXES: usize = 32;

/// Parses every document of `text` (YAML or JSON). A quoted scalar whose continuation lines
/// are indented less than its key, which the parsers Kubernetes tools use accept, is accepted
/// too (lenient.rs).
pub fn parse(file: &str, text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    let mut fixed = std::borrow::Cow::Borrowed(text);
    for _ in 0..=MAX_LENIENT_FIXES {
        match parse_strict(file, &fixed, limits) {
            Err(e) if e.message.ends_with("invalid indentation in quoted scalar") => {
                match lenient::indent_quoted_scalar(&fixed, e.line, e.column) {
                    Some(next) => fixed = std::borrow::Cow::Owned(next),
                    None => return Err(e),
                }
            }
            result => return result,
        }
    }
    parse_strict(file, &fixed, limits)
}

fn parse_strict(file: &str, text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    let error = |pos: Pos, message: String| ParseError {
        file: file.to_string(),
        line: pos.line,
        column: pos.column,
        message,
    };
    if text.len() > limits.max_bytes {
        return Err(error(
            Pos { line: 1, column: 1 },
            format!(
                "file is {} bytes, over the {} byte limit",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    let mut builder = Builder {
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        nodes: 0,
        scalar_bytes: 0,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e: ScanError| {
            let mark = e.marker();
            error(
                Pos {
                    line: mark.line(),
                    column: mark.col() + 1,
                },
                format!("invalid YAML: {}", e.info()),
            )
        })?;
        builder
            .event(event, span)
            .map_err(|(pos, message)| error(pos, message))?;
    }
    Ok(builder.documents)
}

type BuildError = (Pos, String);

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Pos, bool)>,
    },
}

struct Builder<'l> {
    limits: &'l Limits,
    stack: Vec<Frame>,
    /// Anchored nodes with their size (nodes, scalar bytes), charged again on every alias.
    anchors: HashMap<usize, (Node, usize, usize)>,
    documents: Vec<Node>,
    nodes: usize,
    scalar_bytes: usize,
}

fn start(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

impl Builder<'_> {
    fn event(&mut self, event: Event, span: Span) -> Result<(), BuildError> {
        let pos = start(&span);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                self.charge(pos, 1, text.len())?;
                let plain = style == ScalarStyle::Plain;
                let node = Node {
                    pos,
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        plain,
                    }),
                };
                self.finish(node, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(pos)?;
                self.stack.push(Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.open(pos)?;
                self.stack.push(Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq { pos, anchor, items }) => (
                        Node {
                            pos,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            pos,
                            value: Value::Map(apply_merges(entries)),
                        },
                        anchor,
                    ),
                    None => return Err((pos, "unbalanced collection end".to_string())),
                };
                self.finish(node.0, node.1)
            }
            Event::Alias(id) => {
                let Some(&(_, nodes, bytes)) = self.anchors.get(&id) else {
                    return Err((pos, "alias to an unknown anchor".to_string()));
                };
                // Charge before copying, so a bomb stops before it allocates.
                self.charge(pos, nodes, bytes)?;
                let value = self.anchors.get(&id).map(|(node, ..)| node.value.clone());
                let value = value.ok_or((pos, "alias to an unknown anchor".to_string()))?;
                self.finish(Node { pos, value }, 0)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    fn open(&mut self, pos: Pos) -> Result<(), BuildError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err((
                pos,
                format!(
                    "nesting deeper than {} levels ({})",
                    self.limits.max_depth,
                    inventory::limits::hint(inventory::limits::Limit::YamlDepth)
                ),
            ));
        }
        self.charge(pos, 1, 0)
    }

    fn charge(&mut self, pos: Pos, nodes: usize, bytes: usize) -> Result<(), BuildError> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.scalar_bytes = self.scalar_bytes.saturating_add(bytes);
        if self.nodes > self.limits.max_nodes || self.scalar_bytes > self.limits.max_scalar_bytes {
            return Err((
                pos,
                format!(
                    "document expands beyond the size limit (alias bomb? {})",
                    inventory::limits::hint(inventory::limits::Limit::YamlNodes)
                ),
            ));
        }
        Ok(())
    }

    /// Attaches a completed node to its parent (or the document list).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), BuildError> {
        if anchor != 0 {
            let (nodes, bytes) = measure(&node);
            self.anchors.insert(anchor, (node.clone(), nodes, bytes));
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let (text, plain) = match &node.value {
                        Value::Scalar(s) => (s.text.clone(), s.plain),
                        _ => (String::new(), false),
                    };
                    *key = Some((text, node.pos, plain));
                }
                Some((key, key_pos, plain)) => {
                    let key = if plain && key == "<<" {
                        MERGE_KEY.to_string()
                    } else {
                        key
                    };
                    entries.push(Entry {
                        key,
                        key_pos,
                        value: node,
                    });
                }
            },
        }
        Ok(())
    }
}

/// A marker no real key can equal (keys come from text, which cannot hold NUL in YAML).
const MERGE_KEY: &str = "\0<<";

/// Node and scalar-byte counts of a subtree, iteratively.
fn measure(node: &Node) -> (usize, usize) {
    let (mut nodes, mut bytes) = (0usize, 0usize);
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        nodes += 1;
        match &node.value {
            Value::Scalar(s) => bytes += s.text.len(),
            Value::Seq(items) => pending.extend(items),
            Value::Map(entries) => {
                for entry in entries {
                    bytes += entry.key.len();
                    pending.push(&entry.value);
                }
            }
        }
    }
    (nodes, bytes)
}

/// Resolves `<<` merge keys: merged mappings supply keys the mapping does not set itself.
fn apply_merges(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(|e| e.key == MERGE_KEY) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.key == MERGE_KEY);
    for merge in merges {
        let sources: Vec<Node> = match merge.value.value {
            Value::Map(_) => vec![merge.value],
            Value::Seq(items) => items,
            Value::Scalar(_) => Vec::new(),
        };
        for source in sources {
            if let Value::Map(inherited) = source.value {
                for entry in inherited {
                    if !own.iter().any(|e| e.key == entry.key) {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}
