//! The files of an export as the kinds write them: [`Writer`] (each kind's `KindSpec::export`
//! writes through it), the one sanitiser of exported file names ([`unique_file_name`]), and the
//! YAML it writes ([`Map`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::manifest::types::ApiVersion;
use crate::manifest::vars::Vars;
use crate::manifest::yaml;
use crate::model::Resource;
use crate::path::{FieldPath, leaves_mut};
use crate::secret::Secrecy;

/// The schema file written beside exported manifests.
pub const SCHEMA_FILE: &str = "a0ctl.schema.json";

/// The files of an export, by relative path, without touching the disk.
#[derive(Debug, Default)]
pub struct Files {
    pub files: BTreeMap<String, String>,
    pub variables: BTreeMap<String, String>,
    pub warnings: Vec<String>,
    /// How many items each list section holds, by section.
    pub items: BTreeMap<String, usize>,
}

/// What writing one export shares: the header of each file, the values to re-template, and
/// what was written so far. Each kind writes its files through it (`KindSpec::export`).
pub struct Writer<'v> {
    header: String,
    pub api: ApiVersion,
    /// A variable's value → its name.
    by_value: BTreeMap<&'v str, &'v str>,
    files: Files,
    /// The file names used so far, by directory (compared ignoring case).
    used: BTreeMap<String, BTreeSet<String>>,
}

impl<'v> Writer<'v> {
    /// A writer of an export for `api`, whose strings equal to one of `vars`' values are
    /// written back as `${NAME}` (the first name, in order, when several variables hold it), so
    /// an export re-templates itself.
    pub fn new(api: ApiVersion, vars: &'v Vars) -> Writer<'v> {
        let mut by_value: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, value) in vars.strings() {
            if !value.is_empty() {
                by_value.entry(value).or_insert(name);
            }
        }
        let mut header = format!("# yaml-language-server: $schema={SCHEMA_FILE}\n");
        if api == ApiVersion::V2 {
            header.push_str("api: v2\n");
        }
        Writer {
            header,
            api,
            by_value,
            files: Files::default(),
            used: BTreeMap::new(),
        }
    }

    /// What was written.
    pub fn into_files(self) -> Files {
        self.files
    }

    /// An item as written: secrets as variables, variables' values re-templated.
    pub fn item(&mut self, m: Map, owner: &str, what: &str) -> Value {
        written_item(m, owner, what, &mut self.files.variables, &self.by_value)
    }

    /// Something a reader of the export should know (what was left out, and why).
    pub fn warn(&mut self, message: String) {
        self.files.warnings.push(message);
    }

    /// The file that holds `name`'s code or body, written as it is: `DIR/STEM.EXT`, its stem
    /// from the one sanitiser of exported file names ([`unique_file_name`]), so that no name of
    /// the tenant's writes outside `DIR`. A name that is not safe as it stands (a separator, a
    /// leading dot, a control character) gets a note. Returns the file's path.
    pub fn named_file(&mut self, at: (&str, &str), name: &str, what: &str, text: &str) -> String {
        let (dir, ext) = at;
        let used = self.used.entry(dir.to_string()).or_default();
        let rel = format!("{dir}/{}.{ext}", unique_file_name(name, what, used));
        if name.contains(['/', '\\']) || name.starts_with('.') || name.chars().any(char::is_control)
        {
            self.files.warnings.push(format!(
                "{what} `{}` is written to {rel}: its name is not a safe file name",
                crate::diag::visible_line(name)
            ));
        }
        self.file(&rel, text);
        rel
    }

    /// A file written as it is (a script, a body).
    pub fn file(&mut self, rel: &str, text: &str) {
        self.files.files.insert(rel.to_string(), text.to_string());
    }

    /// `SECTION:` and its items, or `SECTION: []`.
    pub fn section(&mut self, file: &str, section: &str, items: &[Value]) {
        let mut text = self.header.clone();
        if items.is_empty() {
            text.push_str(&format!("{section}: []\n"));
        } else {
            text.push_str(&format!("{section}:\n"));
            for v in items {
                text.push_str(&list_item(v, 1));
            }
        }
        self.files.files.insert(file.into(), text);
        self.files.items.insert(section.into(), items.len());
    }

    /// `SECTION:` holding one mapping.
    pub fn mapping(&mut self, file: &str, section: &str, item: &Value) {
        let mut text = self.header.clone();
        text.push_str(&format!("{section}:\n"));
        text.push_str(&block(item, 1));
        self.files.files.insert(file.into(), text);
    }

    /// The fields of `r` not yet in `m`, in name order (v2 writes every field it compares).
    pub fn rest(&self, m: &mut Map, r: &Resource, skip: &[&str]) {
        if self.api == ApiVersion::V1 {
            return;
        }
        for (k, v) in r.fields.iter() {
            if !skip.contains(&k.as_str()) && !m.has(k) {
                m.push(k, v.clone());
            }
        }
    }
}

pub fn file_ref(path: &str) -> Value {
    let mut m = Map::new();
    m.push("file", Value::String(path.to_string()));
    m.into_value()
}

/// One exported item as it is written: every secret leaf (by its key's name, at any depth)
/// becomes a `${A0_…}` reference recorded in `variables`, and every other string has a literal
/// `${` written as `$${`, so the manifest reads back exactly the tenant's text.
fn written_item(
    m: Map,
    owner: &str,
    what: &str,
    variables: &mut BTreeMap<String, String>,
    templates: &BTreeMap<&str, &str>,
) -> Value {
    let mut item = m.into_value();
    leaves_mut(&mut item, &FieldPath::root(), &mut |path, leaf| {
        if Secrecy::by_key().is_secret(path) && !leaf.is_null() {
            // `options.client_secret` of `github` is A0_GITHUB_CLIENT_SECRET, as always.
            let mut parts = vec!["A0", owner];
            parts.extend(path.segments().iter().skip(1).map(String::as_str));
            let base = variable_name(&parts);
            let held = format!("`{path}` of {what} `{owner}`");
            let mut var = base.clone();
            let mut n = 2;
            while variables.get(&var).is_some_and(|h| *h != held) {
                var = format!("{base}_{n}");
                n += 1;
            }
            variables.insert(var.clone(), held);
            *leaf = Value::String(format!("${{{var}}}"));
        } else if let Value::String(s) = leaf {
            if let Some(name) = templates.get(s.as_str()).filter(|_| path.top() != "name") {
                *s = format!("${{{name}}}");
            } else if s.contains("${") {
                *s = s.replace("${", "$${");
            }
        }
    });
    item
}

/// `A0_GITHUB_CLIENT_SECRET`: upper case, runs of other characters as `_`.
pub fn variable_name(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !out.ends_with('_') {
                out.push('_');
            }
        }
        if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// A file name safe on every file system, unique (ignoring case) among those already used;
/// `fallback` when nothing of the name is left.
pub fn unique_file_name(name: &str, fallback: &str, used: &mut BTreeSet<String>) -> String {
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    let base = base.trim_matches(|c| c == '-' || c == '.').to_string();
    let base = if base.is_empty() {
        fallback.replace(' ', "-")
    } else if is_reserved_on_windows(&base) {
        format!("{base}_")
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.to_lowercase()) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

/// Device names Windows reserves whatever the extension (`CON.js` cannot be created there).
fn is_reserved_on_windows(base: &str) -> bool {
    let upper = base.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit())
}

/// An ordered mapping for emission (serde_json's map may be sorted or not, depending on
/// features; exports keep the order a person would use).
#[derive(Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    pub fn new() -> Map {
        Map(Vec::new())
    }
    pub fn push(&mut self, k: &str, v: Value) {
        self.0.push((k.to_string(), v));
    }
    fn has(&self, k: &str) -> bool {
        self.0.iter().any(|(key, _)| key == k)
    }
    pub fn into_value(self) -> Value {
        Value::Object(self.0.into_iter().collect())
    }
}

/// `  - key: value` lines of one list item at `depth` (two spaces per level).
/// A value as an item of a block-style YAML list, indented to `depth`.
pub fn list_item(v: &Value, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let body = block(v, depth + 1);
    // The first line of the item's mapping goes after the dash.
    let mut out = String::new();
    for (i, line) in body.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("{pad}- {}\n", line.trim_start()));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

/// A value in block style, each line indented to `depth`.
fn block(v: &Value, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    match v {
        Value::Object(map) if !map.is_empty() => {
            let mut out = String::new();
            for (k, item) in map {
                let key = scalar_text(k);
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n{}", block(item, depth + 1)));
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        for x in a {
                            out.push_str(&list_item(x, depth + 1));
                        }
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", inline(item))),
                }
            }
            out
        }
        Value::Array(a) if !a.is_empty() => a.iter().map(|x| list_item(x, depth)).collect(),
        other => format!("{pad}{}\n", inline(other)),
    }
}

/// A value on one line: scalars, `[]` and `{}`.
fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_text(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// A string as a YAML scalar: plain when it reads back as the same string, else double-quoted
/// (JSON escapes are valid YAML).
pub(crate) fn scalar_text(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s.trim() == s
        && !s.chars().any(|c| c.is_control())
        && !s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`', '~',
        ])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && matches!(
            yaml::parse(&format!("k: {s}\n")).ok().flatten().map(|n| n.to_json()),
            Some(Value::Object(m)) if m.get("k") == Some(&Value::String(s.to_string()))
        );
    if plain_ok {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}
