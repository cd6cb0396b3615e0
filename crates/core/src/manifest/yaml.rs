//! Located YAML: the first step of `manifest`. Turns the bytes of one manifest file into a tree
//! whose every node knows its line and column, so that every later check (schema, semantics,
//! interpolation, scripts) can point at the place a user has to edit.
//!
//! The tree is built from yaml-rust2's event stream rather than through serde, because serde
//! forgets positions. Hostile input is bounded here: nesting depth, alias expansion (a "billion
//! laughs" document is refused by arithmetic on node counts, never by expanding it) and file size.

use foldhash::{HashMap, HashMapExt};
use std::rc::Rc;

use serde_json::Value;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Deepest nesting of mappings and sequences accepted in a manifest.
pub const MAX_DEPTH: usize = 64;
/// Most nodes a document may hold once its aliases are counted as expanded.
pub const MAX_NODES: usize = 4_000_000;
/// Most bytes of text (scalars and keys) a document may hold once its aliases are counted as
/// expanded: a few aliases of one long string are a bomb too, in bytes rather than nodes.
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// Where a resource was declared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: String,
    pub pos: Pos,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.pos.line, self.pos.col)
    }
}

impl Pos {
    fn from_marker(m: &yaml_rust2::scanner::Marker) -> Pos {
        Pos {
            line: m.line() as u32,
            col: m.col() as u32 + 1,
        }
    }
}

/// How a string scalar was written; a literal block lets script errors map back to file lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Literal,
    Folded,
}

#[derive(Debug)]
pub struct Node {
    pub pos: Pos,
    pub value: Val,
    /// Number of nodes in this subtree with aliases expanded.
    size: usize,
    /// Bytes of text in this subtree with aliases expanded.
    bytes: usize,
}

#[derive(Debug)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String, Style),
    Seq(Vec<Rc<Node>>),
    Map(Vec<Entry>),
}

#[derive(Debug)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Rc<Node>,
    /// Came from a `<<` merge key, so an explicit key of the same name replaces it.
    merged: bool,
}

/// A problem found while reading YAML, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl YamlError {
    fn new(pos: Pos, message: impl Into<String>) -> Self {
        YamlError {
            pos,
            message: message.into(),
        }
    }
}

/// Decode a file's bytes as UTF-8, pointing at the first invalid byte otherwise.
pub fn decode(bytes: &[u8]) -> Result<&str, YamlError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            if let Some(i) = s.find('\0') {
                return Err(YamlError::new(
                    pos_of_offset(s, i),
                    "file contains a NUL byte: this is not a YAML text file",
                ));
            }
            Ok(s)
        }
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            // The prefix is valid UTF-8 by construction.
            let text = std::str::from_utf8(good).unwrap_or("");
            Err(YamlError::new(
                pos_of_offset(text, text.len()),
                format!(
                    "file is not valid UTF-8 (invalid byte 0x{:02X}); manifests must be UTF-8 text",
                    bytes[e.valid_up_to()]
                ),
            ))
        }
    }
}

/// Line and column of a byte offset in `text`.
pub fn pos_of_offset(text: &str, offset: usize) -> Pos {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() as u32 + 1;
    Pos { line, col }
}

/// Parse one YAML document. An empty file is `Ok(None)`.
pub fn parse(text: &str) -> Result<Option<Rc<Node>>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::default();
    let mut documents = 0;
    let mut root: Option<Rc<Node>> = None;
    loop {
        let (event, marker) = parser.next_token().map_err(|e| {
            YamlError::new(Pos::from_marker(e.marker()), clean_scan_message(e.info()))
        })?;
        let pos = Pos::from_marker(&marker);
        let done = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError::new(
                        pos,
                        "more than one YAML document in a file; put each in a file of its own",
                    ));
                }
                None
            }
            Event::Alias(id) => builder.alias(id, pos)?,
            Event::Scalar(text, style, anchor, tag) => {
                builder.scalar(text, style, anchor, tag.as_ref(), pos)?
            }
            Event::SequenceStart(anchor, tag) => {
                builder.open(anchor, tag.as_ref(), false, pos)?;
                None
            }
            Event::MappingStart(anchor, tag) => {
                builder.open(anchor, tag.as_ref(), true, pos)?;
                None
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close(pos)?,
        };
        if let Some(done) = done {
            root = Some(done);
        }
    }
    Ok(root.filter(|n| !matches!(n.value, Val::Null)))
}

fn is_core_collection_tag(tag: &yaml_rust2::parser::Tag) -> bool {
    tag.handle == "tag:yaml.org,2002:" && matches!(tag.suffix.as_str(), "map" | "seq")
        || tag.handle == "!!" && matches!(tag.suffix.as_str(), "map" | "seq")
}

fn clean_scan_message(info: &str) -> String {
    match info {
        "recursion limit exceeded" => "nesting deeper than the YAML parser allows".to_string(),
        other if other.contains("flow sequence") || other.contains("flow mapping") => format!(
            "{other} (inside [ ] or {{ }}, quote URLs and `${{…}}`: [\"https://${{HOST}}/cb\"])"
        ),
        other => other.to_string(),
    }
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Rc<Node>>,
    total: usize,
    total_bytes: usize,
}

struct Frame {
    pos: Pos,
    anchor: usize,
    is_map: bool,
    items: Vec<Rc<Node>>,
    entries: Vec<Entry>,
    /// Where each key of `entries` is: duplicate checks and merges cost O(1) a key, so a
    /// mapping of many keys, or many merges of a large one, cost linear time.
    index: HashMap<String, usize>,
    pending_key: Option<(String, Pos)>,
    size: usize,
    bytes: usize,
}

impl Builder {
    /// An alias: the anchored node again, counted as expanded; returns it when it is the root.
    fn alias(&mut self, id: usize, pos: Pos) -> Result<Option<Rc<Node>>, YamlError> {
        let node = self
            .anchors
            .get(&id)
            .cloned()
            .ok_or_else(|| YamlError::new(pos, "alias refers to an unknown anchor"))?;
        self.add_nodes(node.size, node.bytes, pos)?;
        self.push_value(node, pos)
    }

    /// A scalar, resolved to its value and anchored if it names an anchor; returns it when it
    /// is the root.
    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<&yaml_rust2::parser::Tag>,
        pos: Pos,
    ) -> Result<Option<Rc<Node>>, YamlError> {
        let bytes = text.len();
        let value = resolve_scalar(text, style, tag, pos)?;
        self.add_nodes(1, bytes, pos)?;
        let node = Rc::new(Node {
            pos,
            value,
            size: 1,
            bytes,
        });
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push_value(node, pos)
    }

    /// The start of a sequence or mapping (`is_map`): a new frame, refused past
    /// [`MAX_DEPTH`] or with a tag other than the core `map` and `seq`.
    fn open(
        &mut self,
        anchor: usize,
        tag: Option<&yaml_rust2::parser::Tag>,
        is_map: bool,
        pos: Pos,
    ) -> Result<(), YamlError> {
        if let Some(tag) = tag.filter(|t| !is_core_collection_tag(t)) {
            return Err(YamlError::new(
                pos,
                format!("unsupported YAML tag `{}{}`", tag.handle, tag.suffix),
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError::new(
                pos,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.stack.push(Frame {
            pos,
            anchor,
            is_map,
            items: Vec::new(),
            entries: Vec::new(),
            index: HashMap::new(),
            pending_key: None,
            size: 1,
            bytes: 0,
        });
        self.add_nodes(1, 0, pos)
    }

    /// The end of the innermost sequence or mapping: its node, anchored if it names an
    /// anchor; returns it when it is the root.
    fn close(&mut self, pos: Pos) -> Result<Option<Rc<Node>>, YamlError> {
        let frame = self
            .stack
            .pop()
            .ok_or_else(|| YamlError::new(pos, "unbalanced YAML collection"))?;
        let value = if frame.is_map {
            Val::Map(frame.entries)
        } else {
            Val::Seq(frame.items)
        };
        let node = Rc::new(Node {
            pos: frame.pos,
            value,
            size: frame.size,
            bytes: frame.bytes,
        });
        if frame.anchor > 0 {
            self.anchors.insert(frame.anchor, node.clone());
        }
        self.push_value(node, pos)
    }

    fn add_nodes(&mut self, n: usize, bytes: usize, pos: Pos) -> Result<(), YamlError> {
        self.total = self.total.saturating_add(n);
        self.total_bytes = self.total_bytes.saturating_add(bytes);
        if self.total_bytes > MAX_EXPANDED_BYTES {
            return Err(YamlError::new(
                pos,
                format!(
                    "document expands to more than {} MiB of text (an alias bomb?); refusing to read it",
                    MAX_EXPANDED_BYTES >> 20
                ),
            ));
        }
        if self.total > MAX_NODES {
            return Err(YamlError::new(
                pos,
                format!(
                    "document expands to more than {MAX_NODES} nodes (an alias bomb?); refusing to read it"
                ),
            ));
        }
        Ok(())
    }

    /// Attach a finished node to the collection being built; returns it when it is the root.
    fn push_value(&mut self, node: Rc<Node>, pos: Pos) -> Result<Option<Rc<Node>>, YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            return Ok(Some(node));
        };
        frame.size = frame.size.saturating_add(node.size);
        frame.bytes = frame.bytes.saturating_add(node.bytes);
        if !frame.is_map {
            frame.items.push(node);
            return Ok(None);
        }
        match frame.pending_key.take() {
            None => {
                let key = match &node.value {
                    Val::Str(s, _) => s.clone(),
                    Val::Null => "null".to_string(),
                    Val::Bool(b) => b.to_string(),
                    Val::Int(i) => i.to_string(),
                    Val::Float(f) => f.to_string(),
                    Val::Seq(_) | Val::Map(_) => {
                        return Err(YamlError::new(
                            node.pos,
                            "a mapping key must be a plain value, not a list or mapping",
                        ));
                    }
                };
                // A block mapping's start event is marked after its first key; the key is
                // where a reader looks.
                if frame.entries.is_empty() && node.pos < frame.pos {
                    frame.pos = node.pos;
                }
                frame.pending_key = Some((key, node.pos));
            }
            Some((key, key_pos)) => {
                if key == "<<" {
                    merge_into(frame, &node, pos)?;
                } else {
                    let entry = Entry {
                        key,
                        key_pos,
                        value: node,
                        merged: false,
                    };
                    match frame.index.get(&entry.key).map(|&i| &mut frame.entries[i]) {
                        Some(first) if first.merged => *first = entry,
                        Some(first) => {
                            return Err(YamlError::new(
                                key_pos,
                                format!(
                                    "duplicate key `{}` (first at line {}, column {})",
                                    entry.key, first.key_pos.line, first.key_pos.col
                                ),
                            ));
                        }
                        None => {
                            frame.index.insert(entry.key.clone(), frame.entries.len());
                            frame.entries.push(entry);
                        }
                    }
                }
            }
        }
        Ok(None)
    }
}

/// YAML merge keys (`<<: *defaults`): keys already present win.
fn merge_into(frame: &mut Frame, node: &Rc<Node>, pos: Pos) -> Result<(), YamlError> {
    let sources: Vec<&Rc<Node>> = match &node.value {
        Val::Map(_) => vec![node],
        Val::Seq(items) => items.iter().collect(),
        _ => {
            return Err(YamlError::new(
                pos,
                "`<<` merges a mapping or a list of mappings",
            ));
        }
    };
    for source in sources {
        let Val::Map(entries) = &source.value else {
            return Err(YamlError::new(source.pos, "`<<` merges only mappings"));
        };
        for e in entries {
            if !frame.index.contains_key(&e.key) {
                frame.index.insert(e.key.clone(), frame.entries.len());
                frame.entries.push(Entry {
                    key: e.key.clone(),
                    key_pos: e.key_pos,
                    value: e.value.clone(),
                    merged: true,
                });
            }
        }
    }
    Ok(())
}

fn resolve_scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&yaml_rust2::parser::Tag>,
    pos: Pos,
) -> Result<Val, YamlError> {
    let style = match style {
        TScalarStyle::Plain => Style::Plain,
        TScalarStyle::Literal => Style::Literal,
        TScalarStyle::Folded => Style::Folded,
        _ => Style::Quoted,
    };
    if let Some(tag) = tag {
        let suffix = if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
            tag.suffix.as_str()
        } else {
            ""
        };
        return match suffix {
            "str" => Ok(Val::Str(text, style)),
            "null" | "bool" | "int" | "float" => {
                let v = resolve_plain(&text);
                let ok = matches!(
                    (&v, suffix),
                    (Val::Null, "null")
                        | (Val::Bool(_), "bool")
                        | (Val::Int(_), "int")
                        | (Val::Float(_) | Val::Int(_), "float")
                );
                if ok {
                    Ok(v)
                } else {
                    Err(YamlError::new(
                        pos,
                        format!("`{text}` is not a valid !!{suffix}"),
                    ))
                }
            }
            _ => Err(YamlError::new(
                pos,
                format!("unsupported YAML tag `{}{}`", tag.handle, tag.suffix),
            )),
        };
    }
    if style != Style::Plain {
        return Ok(Val::Str(text, style));
    }
    match resolve_plain(&text) {
        Val::Float(f) if !f.is_finite() => Err(YamlError::new(
            pos,
            format!("`{text}` is not a finite number; quote it if you mean a string"),
        )),
        v => Ok(v),
    }
}

/// The YAML 1.2 core schema for plain scalars. `yes`/`no`/`on`/`off` stay strings.
fn resolve_plain(text: &str) -> Val {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Val::Null,
        "true" | "True" | "TRUE" => return Val::Bool(true),
        "false" | "False" | "FALSE" => return Val::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Val::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Val::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Val::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty()
            && hex.chars().all(|c| c.is_ascii_hexdigit())
            && let Ok(i) = i64::from_str_radix(hex, 16)
        {
            return Val::Int(i);
        }
        return Val::Str(text.to_string(), Style::Plain);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty()
            && oct.chars().all(|c| ('0'..='7').contains(&c))
            && let Ok(i) = i64::from_str_radix(oct, 8)
        {
            return Val::Int(i);
        }
        return Val::Str(text.to_string(), Style::Plain);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(i) => Val::Int(i),
            Err(_) => text
                .parse::<f64>()
                .map_or_else(|_| Val::Str(text.to_string(), Style::Plain), Val::Float),
        };
    }
    if is_float_syntax(digits)
        && let Ok(f) = text.parse::<f64>()
    {
        return Val::Float(f);
    }
    Val::Str(text.to_string(), Style::Plain)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without a regex engine.
fn is_float_syntax(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.chars().all(|c| c.is_ascii_digit()) && frac.chars().all(|c| c.is_ascii_digit()))
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

impl Node {
    /// The JSON value of this subtree (aliases expanded; bounded by `MAX_NODES`).
    pub fn to_json(&self) -> Value {
        match &self.value {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::from(*i),
            Val::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Val::Str(s, _) => Value::String(s.clone()),
            Val::Seq(items) => Value::Array(items.iter().map(|n| n.to_json()).collect()),
            Val::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The node at a JSON pointer (`/rules/0/script`), or the deepest existing ancestor; with
    /// `key` set, the position of the last segment's key rather than its value.
    pub fn locate(&self, pointer: &str, key: bool) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        for (i, seg) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            match &node.value {
                Val::Map(entries) => match entries.iter().find(|e| &e.key == seg) {
                    Some(e) => {
                        pos = if last && key { e.key_pos } else { e.value.pos };
                        node = &e.value;
                    }
                    None => return pos,
                },
                Val::Seq(items) => match seg.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(n) => {
                        pos = n.pos;
                        node = n;
                    }
                    None => return pos,
                },
                _ => return pos,
            }
        }
        pos
    }

    /// The node at a JSON pointer, if it exists.
    pub fn get(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for seg in pointer.split('/').skip(1) {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            node = match &node.value {
                Val::Map(entries) => &entries.iter().find(|e| e.key == seg)?.value,
                Val::Seq(items) => items.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(text: &str) -> YamlError {
        parse(text).expect_err("expected a YAML error")
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let n = parse("a: 1\nb: true\nc: yes\nd: ~\ne: '1'\nf: 1.5\ng: 0x1F\nh: -3\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            n.to_json(),
            json!({"a": 1, "b": true, "c": "yes", "d": null, "e": "1", "f": 1.5, "g": 31, "h": -3})
        );
    }

    #[test]
    fn positions_are_one_based() {
        let n = parse("rules:\n  - name: x\n    order: 3\n")
            .unwrap()
            .unwrap();
        assert_eq!(n.locate("/rules/0/order", false), Pos { line: 3, col: 12 });
        assert_eq!(n.locate("/rules/0/order", true), Pos { line: 3, col: 5 });
        assert_eq!(n.locate("/rules/0/missing", false), Pos { line: 2, col: 5 });
    }

    #[test]
    fn error_classes_are_located() {
        let cases: &[(&str, u32, &str)] = &[
            (
                "a: 1\na: 2\n",
                2,
                "duplicate key `a` (first at line 1, column 1)",
            ),
            ("a:\n\t- x\n", 2, "tabs"),
            ("a: [1, 2\n", 2, "flow sequence"),
            ("a: !custom x\n", 1, "unsupported YAML tag"),
            ("--- 1\n--- 2\n", 2, "more than one YAML document"),
            ("a: .inf\n", 1, "not a finite number"),
            ("? [a]\n: 1\n", 1, "mapping key must be a plain value"),
            ("a: *nope\n", 1, "unknown anchor"),
        ];
        for (text, line, needle) in cases {
            let e = err(text);
            assert_eq!(e.pos.line, *line, "{text:?}: {e:?}");
            assert!(e.message.contains(needle), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn alias_bomb_is_refused_without_expansion() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = err(&doc);
        assert!(e.message.contains("alias bomb"), "{e:?}");
    }

    #[test]
    fn a_byte_bomb_is_refused_without_expansion() {
        // 64 KiB of text, aliased 64 times in each of three levels: 16 GiB if expanded, yet few
        // nodes.
        let mut doc = format!("s: &s \"{}\"\n", "x".repeat(64 << 10));
        doc.push_str(&format!("l1: &l1 [{}]\n", vec!["*s"; 64].join(", ")));
        doc.push_str(&format!("l2: &l2 [{}]\n", vec!["*l1"; 64].join(", ")));
        doc.push_str(&format!("l3: [{}]\n", vec!["*l2"; 64].join(", ")));
        let e = err(&doc);
        assert!(e.message.contains("MiB of text (an alias bomb?)"), "{e:?}");
        assert_eq!(e.pos.line, 3, "{e:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        for doc in [
            "[".repeat(20_000),
            "- ".repeat(20_000) + "x",
            "{a: ".repeat(20_000),
        ] {
            let e = err(&doc);
            assert!(e.message.contains("nesting deeper"), "{e:?}");
        }
    }

    #[test]
    fn undecodable_bytes_are_located() {
        let e = decode(b"a: 1\nb: \xff\xfe\n").unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, col: 4 });
        let e = decode(b"a: \0").unwrap_err();
        assert!(e.message.contains("NUL"));
    }

    #[test]
    fn merge_keys_fill_missing_entries() {
        let n = parse("base: &b {status: true, order: 1}\nrule: {<<: *b, order: 2}\n")
            .unwrap()
            .unwrap();
        assert_eq!(n.to_json()["rule"], json!({"order": 2, "status": true}));
    }

    #[test]
    fn keys_are_found_by_index_in_large_mappings_and_many_merges() {
        // 1,000 merges of a 1,000-key mapping (one million merged entries): each merge and each
        // duplicate check finds keys by index, not by scanning the mapping.
        let keys: Vec<String> = (0..1000).map(|i| format!("k{i}: {i}")).collect();
        let mut doc = format!("base: &b {{{}}}\nmany:\n", keys.join(", "));
        for i in 0..1000 {
            doc.push_str(&format!("  - {{<<: *b, k7: over-{i}, n: {i}}}\n"));
        }
        let v = parse(&doc).unwrap().unwrap().to_json();
        let last = &v["many"][999];
        assert_eq!(last.as_object().unwrap().len(), 1001);
        assert_eq!(
            (&last["k7"], &last["k999"], &last["n"]),
            (&json!("over-999"), &json!(999), &json!(999))
        );
        // A duplicate far into a large mapping is still found, where it is.
        let e = err(&format!("big: {{{}, k999: again}}\n", keys.join(", ")));
        assert!(e.message.contains("duplicate key `k999`"), "{e:?}");
    }

    #[test]
    fn empty_documents_are_none() {
        assert!(parse("").unwrap().is_none());
        assert!(parse("# only a comment\n").unwrap().is_none());
    }
}
