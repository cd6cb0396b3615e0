//! One declared item as its kind's `KindSpec::load` sees it ([`ItemCx`]): where it is in which
//! file, the `${VAR}` values inside it, what it may read (`{file: …}`, inside the manifest's
//! directory), and where its problems and warnings go. The kinds read their own items; the
//! loader only finds them.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::desired::Secret;
use super::js;
use super::types::{ApiVersion, Source};
use super::yaml::{Node, Origin, Pos, Style, Val};
use crate::error::Diagnostic;
use crate::kind::Kind;
use crate::model::Resource;
use crate::path::FieldPath;

/// Largest file named by `{file: …}`.
const MAX_REFERENCED_BYTES: u64 = 1 << 20;

/// One item of a manifest section, being read.
pub struct ItemCx<'a> {
    /// The API the manifests are written for.
    pub api: ApiVersion,
    /// The file as shown in messages.
    pub(super) shown: &'a str,
    pub(super) root: &'a Node,
    /// The manifest's directory, which `{file: …}` paths are relative to.
    pub(super) base_dir: &'a Path,
    /// The item's JSON pointer in its document (`/rules/2`, `/email_provider`).
    pub(super) pointer: &'a str,
    pub(super) secrets: Vec<Secret>,
    pub(super) files: BTreeMap<String, String>,
    pub(super) diags: &'a mut Vec<Diagnostic>,
    pub(super) warnings: &'a mut Vec<Diagnostic>,
}

impl ItemCx<'_> {
    /// Where the item is declared.
    pub fn origin(&self) -> Origin {
        Origin {
            file: self.shown.to_string(),
            pos: self.root.locate(self.pointer, false),
        }
    }

    /// The item as its kind's manifest type; a problem at the item when it is not one (the
    /// schema has said why already, so this is rare).
    pub fn typed<T: DeserializeOwned>(&mut self, raw: &Value) -> Option<T> {
        match T::deserialize(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                let origin = self.origin();
                self.diags
                    .push(Diagnostic::new(origin.file, origin.pos, e.to_string()));
                None
            }
        }
    }

    /// The position of `field` (a pointer below the item: `script`, `options/0`).
    pub fn locate(&self, field: &str) -> Pos {
        self.root
            .locate(&format!("{}/{field}", self.pointer), false)
    }

    /// The value at `field` (a JSON pointer below the item, without its leading `/`) as a
    /// message shows it: `` `value` ``, or its `${VAR}` when it came from the environment.
    pub fn shown(&self, field: &str, value: &str) -> String {
        let path = FieldPath::from_pointer(&format!("/{field}"));
        let template = path.and_then(|p| self.secrets.iter().find(|s| s.path == p));
        crate::secret::shown_in_message(value, template.map(|s| s.template.as_str()))
    }

    /// A problem at `field` of the item.
    pub fn problem(&mut self, field: &str, message: String) {
        let pos = self.locate(field);
        self.diags.push(Diagnostic::new(self.shown, pos, message));
    }

    /// A warning at `field` of the item: valid, but probably not meant.
    pub fn warn(&mut self, field: &str, message: String) {
        let pos = self.locate(field);
        self.warnings
            .push(Diagnostic::new(self.shown, pos, message));
    }

    /// Whether `field` is written as a bare (plain) scalar.
    pub fn is_bare(&self, field: &str) -> bool {
        self.root
            .get(&format!("{}/{field}", self.pointer))
            .is_some_and(|n| matches!(n.value, Val::Str(_, Style::Plain)))
    }

    /// Replace `{file: PATH}` in `field` by the file's text (and remember the path). Returns
    /// whether the source is usable.
    pub fn read_source(&mut self, source: &mut Source, field: &str) -> bool {
        let Source::File(file_ref) = source else {
            return true;
        };
        match read_referenced(self.base_dir, &file_ref.file) {
            Ok(text) => {
                self.files.insert(field.to_string(), file_ref.file.clone());
                *source = Source::Inline(text);
                true
            }
            Err(message) => {
                self.problem(&format!("{field}/file"), message);
                false
            }
        }
    }

    /// `field`'s JavaScript (read by [`ItemCx::read_source`]) parses; a problem located in its
    /// file, or in the manifest's literal block, names `what` (`rule \`x\``) when it does not.
    pub fn check_js(&mut self, what: &str, source: &Source, field: &str) {
        let text = source.text().trim();
        if !self.files.contains_key(field) && looks_like_a_path(text) {
            self.problem(
                field,
                format!(
                    "{what}: {field} `{text}` is a file path, not code (as JavaScript it only divides two names): did you mean `{{file: {text}}}`?"
                ),
            );
            return;
        }
        let Err(e) = js::check(source.text()) else {
            return;
        };
        let message = format!("{what}: {field}: {}", e.message);
        if let Some(rel) = self.files.get(field) {
            let js_file = self.base_dir.join(rel).display().to_string();
            self.diags.push(Diagnostic::new(js_file, e.pos, message));
            return;
        }
        let node_pos = self.locate(field);
        let literal = self
            .root
            .get(&format!("{}/{field}", self.pointer))
            .is_some_and(|n| matches!(n.value, Val::Str(_, Style::Literal)));
        if literal {
            // A literal block keeps lines as written, shifted by the block's indentation.
            let pos = Pos {
                line: node_pos.line + e.pos.line - 1,
                col: node_pos.col + e.pos.col - 1,
            };
            self.diags.push(Diagnostic::new(self.shown, pos, message));
        } else {
            self.diags.push(Diagnostic::new(
                self.shown,
                node_pos,
                format!(
                    "{message} ({field} line {}, column {})",
                    e.pos.line, e.pos.col
                ),
            ));
        }
    }

    /// The item as a resource of `kind` named `name` with `fields`, carrying its `${VAR}`
    /// values, its origin and the files it read.
    pub fn resource(
        &mut self,
        kind: Kind,
        name: &str,
        fields: BTreeMap<String, Value>,
    ) -> Resource {
        Resource {
            fields: fields.into(),
            from_env: std::mem::take(&mut self.secrets)
                .into_iter()
                .map(|s| (s.path, s.template))
                .collect(),
            origin: Some(self.origin()),
            files: std::mem::take(&mut self.files),
            ..Resource::new(kind, name)
        }
    }
}

/// `rules/r2.js`, `./deny.js`: one token of path characters ending in `.js`.
fn looks_like_a_path(text: &str) -> bool {
    text.ends_with(".js")
        && text.len() > 3
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'))
}

fn io_reason(e: &std::io::Error) -> String {
    crate::fsutil::reason(e)
}

/// Read a file named by `{file: …}`, refusing paths that leave the manifest's directory (checked
/// before the file is opened, lexically and again after resolving symbolic links).
pub fn read_referenced(base_dir: &Path, rel: &str) -> Result<String, String> {
    if rel.trim().is_empty() {
        return Err("`file:` path is empty".to_string());
    }
    let rel_path = Path::new(rel);
    if rel_path.is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
        return Err(format!(
            "`{rel}` is an absolute path; `file:` paths are relative to the manifest"
        ));
    }
    let mut depth: i32 = 0;
    for c in rel_path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => depth = -1,
        }
        if depth < 0 {
            return Err(format!(
                "`{rel}` escapes the manifest's directory; `file:` paths must stay inside it"
            ));
        }
    }
    let target = base_dir.join(rel_path);
    let shown = target.display();
    let base = std::fs::canonicalize(if base_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base_dir
    })
    .map_err(|e| format!("cannot resolve the manifest's directory: {e}"))?;
    let real = match std::fs::canonicalize(&target) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(if target.as_os_str() == rel_path.as_os_str() {
                format!("file `{rel}` not found")
            } else {
                format!("file `{rel}` not found (looked for {shown})")
            });
        }
        Err(e) => return Err(format!("cannot read `{rel}`: {}", io_reason(&e))),
    };
    if !real.starts_with(&base) {
        return Err(format!(
            "`{rel}` resolves outside the manifest's directory (through a symbolic link); refusing to read it"
        ));
    }
    let bytes = crate::fsutil::read_bounded(&real, MAX_REFERENCED_BYTES)
        .map_err(|e| format!("cannot read `{rel}`: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("`{rel}` is not valid UTF-8 text"))
}
