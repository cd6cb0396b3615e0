//! `manifest`: the first stage of the pipeline. Reads YAML files and directories into the typed
//! `Desired` state, or into the list of *every* problem found, each located at
//! `file:line:column`. The checks run per file in this order: text and YAML syntax (`yaml`), the
//! generated JSON Schema (`crate::schema`), `${VAR}` interpolation (`interp`), `{file: …}`
//! references, rule script syntax (`js`); then across files, the semantic checks (duplicate
//! names and orders, empty names).

pub mod desired;
pub mod interp;
pub mod js;
pub mod types;
pub mod vars;
pub mod yaml;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diag::{Diagnostic, InvalidManifests};
use crate::model::Kind;
use crate::path::FieldPath;
use crate::scope::Pattern;
pub use desired::{Desired, Item, Secret};
use types::{ApiVersion, Client, Connection, EmailProvider, EmailTemplate, Rule, Source};
pub use vars::Vars;
pub use yaml::Origin;
use yaml::{Node, Pos, Style, Val};

/// Largest manifest file read.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;
/// Largest file named by `{file: …}`.
const MAX_REFERENCED_BYTES: u64 = 1 << 20;

/// How to load.
pub struct LoadOptions<'a> {
    /// Looks up `${VAR}`s in the environment (after `vars`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// `--var` and var files: looked up first, and not secret.
    pub vars: &'a Vars,
    /// Keep unset variables as `${NAME}` instead of failing (offline `diff`).
    pub lenient_env: bool,
    /// `--ignore` patterns, beside the manifests' own `ignore:`.
    pub ignore: &'a [Pattern],
}

static NO_VARS: std::sync::LazyLock<Vars> = std::sync::LazyLock::new(Vars::default);

impl LoadOptions<'_> {
    /// Variables from the process environment, strict.
    pub fn from_process() -> LoadOptions<'static> {
        LoadOptions::with_vars(&NO_VARS)
    }

    /// `vars`, then the process environment, strict.
    pub fn with_vars(vars: &Vars) -> LoadOptions<'_> {
        LoadOptions::with(vars, &[])
    }

    /// `vars`, then the process environment, strict; `ignore` beside the manifests' own.
    pub fn with<'a>(vars: &'a Vars, ignore: &'a [Pattern]) -> LoadOptions<'a> {
        LoadOptions {
            env: &|name| std::env::var(name).ok(),
            vars,
            lenient_env: false,
            ignore,
        }
    }
}

/// Load manifests from files and directories (every `*.yaml`/`*.yml` directly in a directory).
pub fn load(paths: &[PathBuf], opts: &LoadOptions<'_>) -> Result<Desired, InvalidManifests> {
    let mut diags = Vec::new();
    // A var file beside the manifests is not a manifest.
    let files: Vec<PathBuf> = manifest_files(paths, &mut diags)
        .into_iter()
        .filter(|f| !opts.vars.is_var_file(f))
        .collect();
    let mut loader = Loader {
        opts,
        diags,
        files: Vec::new(),
        desired: Desired::default(),
        raw: Vec::new(),
        unset: BTreeMap::new(),
        api_seen: None,
    };
    for path in files {
        loader.load_file(&path);
    }
    loader.desired.ignore.extend(opts.ignore.iter().cloned());
    loader.check_semantics();
    loader.report_unset();
    let mut diags = loader.diags;
    if diags.is_empty() {
        Ok(loader.desired)
    } else {
        diags.sort();
        diags.dedup();
        Err(InvalidManifests(diags))
    }
}

/// Expand the given paths into manifest files, sorted within each directory, without repeats.
pub fn manifest_files(paths: &[PathBuf], diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |p: PathBuf, out: &mut Vec<PathBuf>| {
        let key = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        if seen.insert(key) {
            out.push(p);
        }
    };
    for path in paths {
        let shown = path.display().to_string();
        match std::fs::metadata(path) {
            Err(e) => diags.push(Diagnostic::new(
                shown,
                Pos::default(),
                format!("cannot read: {}", io_reason(&e)),
            )),
            Ok(m) if m.is_dir() => {
                let entries = match std::fs::read_dir(path) {
                    Ok(rd) => rd,
                    Err(e) => {
                        diags.push(Diagnostic::new(
                            shown,
                            Pos::default(),
                            format!("cannot list directory: {}", io_reason(&e)),
                        ));
                        continue;
                    }
                };
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        // Not only regular files: a FIFO or device named *.yaml is reported
                        // (and never opened), not silently skipped.
                        !p.is_dir()
                            && matches!(
                                p.extension().and_then(|e| e.to_str()),
                                Some("yaml" | "yml")
                            )
                            && !is_test_file(p)
                    })
                    .collect();
                found.sort();
                if found.is_empty() {
                    diags.push(Diagnostic::new(
                        shown,
                        Pos::default(),
                        "no *.yaml or *.yml files in this directory",
                    ));
                }
                for f in found {
                    push(f, &mut out);
                }
            }
            // Rule tests live beside the manifests; `a0ctl test` reads them, nothing else does.
            Ok(_) if is_test_file(path) => {}
            Ok(_) => push(path.clone(), &mut out),
        }
    }
    out
}

/// Whether a file is a rule test file (`*.test.yaml` / `*.test.yml`), not a manifest.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}

/// `rules/r2.js`, `./deny.js`: one token of path characters ending in `.js`.
fn looks_like_a_path(text: &str) -> bool {
    text.ends_with(".js")
        && text.len() > 3
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'))
}

fn kind_of_section(section: &str) -> Option<Kind> {
    Kind::of_section(section)
}

/// The longest connection or rule name a0ctl sends: both are addressed by name in the URL, and
/// a longer one makes a URL the API refuses to read (414), so it could be created but never
/// read, updated or deleted again.
pub const MAX_NAME_CHARS: usize = 255;

/// Why the API could not address a resource by this name, if it cannot (v2 addresses
/// connections and rules by id, so only the lease's name is reserved there).
fn unaddressable(kind: &str, name: &str, api: ApiVersion) -> Option<String> {
    if !matches!(kind, "connections" | "rules") {
        return None;
    }
    if kind == "connections" && name == crate::model::LOCK_NAME {
        return Some(format!(
            "`{name}` is reserved: a0ctl holds the tenant with a connection of that name while it applies"
        ));
    }
    if api == ApiVersion::V2 {
        return None;
    }
    if name == "." || name == ".." {
        return Some(format!(
            "`{name}` cannot be used: it is addressed by name in URLs, where `{name}` collapses"
        ));
    }
    let n = name.chars().count();
    (n > MAX_NAME_CHARS).then(|| {
        format!("is {n} characters long; the API can address names of at most {MAX_NAME_CHARS}")
    })
}

fn io_reason(e: &std::io::Error) -> String {
    crate::fsutil::reason(e)
}

/// Where a file's items come from: its index among the files read, its name as shown, its
/// parsed tree (for places) and its directory (for `{file: …}`).
struct FileAt<'a> {
    index: usize,
    shown: &'a str,
    root: &'a Node,
    base_dir: &'a Path,
}

/// What the cross-file checks need of an item, read from the raw document so that an item with
/// a schema error still takes part (its duplicate name is a problem too).
struct RawItem {
    kind: &'static str,
    file: usize,
    pointer: String,
    value: Value,
}

struct LoadedFile {
    shown: String,
    root: Rc<Node>,
}

struct Loader<'o, 'e> {
    opts: &'o LoadOptions<'e>,
    diags: Vec<Diagnostic>,
    files: Vec<LoadedFile>,
    desired: Desired,
    raw: Vec<RawItem>,
    /// Unset variables: name → every use.
    unset: BTreeMap<String, Vec<(String, Pos)>>,
    /// The API of the first file read, and where that file says so.
    api_seen: Option<(ApiVersion, String)>,
}

impl Loader<'_, '_> {
    /// One problem per unset variable, at its first use, naming every other use and where the
    /// variable was looked for.
    fn report_unset(&mut self) {
        for (name, uses) in std::mem::take(&mut self.unset) {
            let (file, pos) = uses[0].clone();
            let mut message = format!(
                "variable `{name}` is not set (looked in {})",
                self.opts.vars.looked_in()
            );
            if uses.len() > 1 {
                let others: Vec<String> = uses[1..]
                    .iter()
                    .map(|(f, p)| format!("{f}:{}:{}", p.line, p.col))
                    .collect();
                message.push_str(&format!("; also used at {}", others.join(", ")));
            }
            self.diags.push(Diagnostic::new(file, pos, message));
        }
    }

    /// One manifest file: read and parse it, resolve its variables, check it against the schema,
    /// record what it manages, then take its items.
    fn load_file(&mut self, path: &Path) {
        let shown = path.display().to_string();
        let Some((root, mut doc)) = self.read_document(path, &shown) else {
            return;
        };
        // Variables first, so a whole `${NAME}` from a var file takes its value's type before the
        // schema sees it; a value that does not fit names the var file's line.
        let lookup = interp::Lookup {
            vars: self.opts.vars,
            env: self.opts.env,
        };
        let found = interp::interpolate(&mut doc, lookup, self.opts.lenient_env);
        let violations = self.check_document(&doc, &root, &shown, &found);
        self.check_api(&doc, &root, &shown);
        let invalid = |prefix: &str| {
            violations
                .iter()
                .any(|v| v.pointer == prefix || v.pointer.starts_with(&format!("{prefix}/")))
        };
        self.record_scope(&doc, &root, &shown, &invalid);
        self.warn_yaml11_words(&doc, &root, &shown);
        let file = LoadedFile {
            shown: shown.clone(),
            root: root.clone(),
        };
        self.files.push(file);
        let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let at = FileAt {
            index: self.files.len() - 1,
            shown: &shown,
            root: &root,
            base_dir: &base_dir,
        };
        self.load_items(&doc, &at, &found.secrets, &invalid);
    }

    /// The file as a JSON document with every node's place kept in `root`; `None` (with the
    /// problem recorded) when it cannot be read or is not a mapping.
    fn read_document(&mut self, path: &Path, shown: &str) -> Option<(Rc<Node>, Value)> {
        let here = |pos: Pos, message: String| Diagnostic::new(shown, pos, message);
        let bytes = match crate::fsutil::read_bounded(path, MAX_MANIFEST_BYTES) {
            Ok(b) => b,
            Err(e) => {
                self.diags
                    .push(here(Pos { line: 1, col: 1 }, format!("cannot read: {e}")));
                return None;
            }
        };
        let root = match yaml::decode(&bytes).and_then(yaml::parse) {
            Ok(Some(root)) => root,
            Ok(None) => return None,
            Err(e) => {
                self.diags.push(here(e.pos, e.message));
                return None;
            }
        };
        if !matches!(root.value, Val::Map(_)) {
            self.diags.push(here(
                root.pos,
                "a manifest is a mapping with keys connections, clients, rules and emails"
                    .to_string(),
            ));
            return None;
        }
        let mut doc = root.to_json();
        // `x-…` keys hold anchors for the rest of the file; they are not resources.
        if let Value::Object(map) = &mut doc {
            map.retain(|k, _| !k.starts_with("x-"));
        }
        Some((root, doc))
    }

    /// Record the variables' problems (an unset one once, for all its uses) and the schema's,
    /// naming a var file's line for a value from it and never an environment value; returns
    /// the schema's violations.
    fn check_document(
        &mut self,
        doc: &Value,
        root: &Node,
        shown: &str,
        found: &interp::Interpolated,
    ) -> Vec<crate::schema::Violation> {
        let here = |pos: Pos, message: String| Diagnostic::new(shown, pos, message);
        let under = |pointer: &str, p: &str| pointer == p || pointer.starts_with(&format!("{p}/"));
        for e in &found.errors {
            let pos = root.locate(&e.pointer, false);
            match &e.unset {
                Some(name) => self
                    .unset
                    .entry(name.clone())
                    .or_default()
                    .push((shown.to_string(), pos)),
                None => self.diags.push(here(pos, e.message.clone())),
            }
        }
        let violations = crate::schema::check(doc);
        // A value whose variable could not be resolved is reported once, for the variable.
        for v in violations
            .iter()
            .filter(|v| !found.errors.iter().any(|e| under(&v.pointer, &e.pointer)))
        {
            let from_var = found
                .from_vars
                .iter()
                .find(|o| under(&v.pointer, &o.path.pointer()));
            let mut message = match from_var {
                Some(o) => format!("{} (the value of {})", v.message, o.origins.join(", ")),
                None => v.message.clone(),
            };
            // The schema knows every API's templates; name this manifest's API's only.
            if let Some((_, rest)) = v.pointer.split_once("/emails/")
                && rest.ends_with("/template")
                && let Some((head, _)) = message.split_once(" is not one of: ")
            {
                let api = doc
                    .get("api")
                    .and_then(Value::as_str)
                    .and_then(ApiVersion::parse)
                    .unwrap_or_default();
                let names: Vec<&str> = crate::dialect::for_version(api)
                    .templates()
                    .iter()
                    .map(|t| t.as_str())
                    .collect();
                message = format!("{head} is not one of: {}", names.join(", "));
            }
            // A value from the environment is a secret: the message names its template.
            for secret in &found.secrets {
                if under(&v.pointer, &secret.path.pointer())
                    && let Some(value) = secret.path.get(doc).and_then(Value::as_str)
                    && !value.is_empty()
                {
                    message = message.replace(value, &secret.template);
                }
            }
            self.diags
                .push(here(root.locate(&v.pointer, v.at_key), message));
        }
        violations
    }

    /// The file's API (`api:`, absent = v1) agrees with the first file's, and each key names a
    /// field of that API (the schema's `x-api`); a v1-only email template is refused in v1.
    fn check_api(&mut self, doc: &Value, root: &Node, shown: &str) {
        let written = doc.get("api").and_then(Value::as_str);
        let api = written.and_then(ApiVersion::parse).unwrap_or_default();
        if !self.agrees_with_first_api(api, written.is_some(), root, shown) {
            return;
        }
        self.check_fields_of_api(doc, root, shown, api);
        if api == ApiVersion::V1 {
            self.check_v1_templates(doc, root, shown);
        }
    }

    /// Records the first file's API and where it says so; `false`, with the problem recorded,
    /// when this file names another API than the first.
    fn agrees_with_first_api(
        &mut self,
        api: ApiVersion,
        written: bool,
        root: &Node,
        shown: &str,
    ) -> bool {
        let api_pos = || root.locate("/api", true);
        match &self.api_seen {
            None => {
                let at = if written {
                    let p = api_pos();
                    format!("{shown}:{}:{}", p.line, p.col)
                } else {
                    format!("{shown} (no `api:`)")
                };
                self.api_seen = Some((api, at));
                self.desired.api = api;
                true
            }
            Some((first, at)) if *first != api => {
                let pos = if written {
                    api_pos()
                } else {
                    Pos { line: 1, col: 1 }
                };
                self.diags.push(Diagnostic::new(
                    shown,
                    pos,
                    format!(
                        "this file is written for {api}{} but {at} is for {first}: every file of a tree names the same API",
                        if written { "" } else { " (no `api:`)" }
                    ),
                ));
                false
            }
            Some(_) => true,
        }
    }

    /// Each section and item key that the schema marks as a field of the other API is a
    /// problem at its line, naming this API's twin field when there is one.
    fn check_fields_of_api(&mut self, doc: &Value, root: &Node, shown: &str, api: ApiVersion) {
        for pointer in key_pointers(doc) {
            let Some(only) = crate::schema::api_of(&pointer) else {
                continue;
            };
            if only == api.as_str() {
                continue;
            }
            let key = pointer.rsplit('/').next().unwrap_or_default();
            let section = pointer.split('/').nth(1).unwrap_or_default();
            let twin = api_twin(section, key, api)
                .map(|t| format!(" ({api} names it {t})"))
                .unwrap_or_default();
            let fix = match api {
                ApiVersion::V1 => "; write `api: v2` at the top of every file to use v2",
                ApiVersion::V2 => "",
            };
            self.diags.push(Diagnostic::new(
                shown,
                root.locate(&pointer, true),
                format!(
                    "`{key}` is a Management API {only} field, and this manifest is written for {api}{twin}{fix}"
                ),
            ));
        }
    }

    /// An email template that exists in v2 only is a problem in a v1 manifest.
    fn check_v1_templates(&mut self, doc: &Value, root: &Node, shown: &str) {
        let emails = doc.get("emails").and_then(Value::as_array);
        for (i, e) in emails.into_iter().flatten().enumerate() {
            if let Some(t) = e.get("template").and_then(Value::as_str)
                && types::TemplateName::parse(t).is_some_and(|t| !t.in_v1())
            {
                self.diags.push(Diagnostic::new(
                    shown,
                    root.locate(&format!("/emails/{i}/template"), false),
                    format!(
                        "email template `{t}` exists in Management API v2 only, and this manifest is written for v1 (v1 has verify_email, welcome_email, reset_email and blocked_account)"
                    ),
                ));
            }
        }
    }

    /// The kinds this file has a section for, and its `ignore:` patterns.
    fn record_scope(
        &mut self,
        doc: &Value,
        root: &Node,
        shown: &str,
        invalid: &dyn Fn(&str) -> bool,
    ) {
        for kind in Kind::all() {
            if doc.get(kind.section()).is_some() {
                self.desired.sections.insert(kind);
            }
        }
        let patterns = doc.get("ignore").and_then(Value::as_array);
        for (i, p) in patterns.into_iter().flatten().enumerate() {
            let Some(text) = p.as_str() else { continue };
            let pointer = format!("/ignore/{i}");
            match Pattern::parse(text) {
                Ok(pattern) => self.desired.ignore.push(pattern),
                Err(e) if !invalid(&pointer) => {
                    self.diags
                        .push(Diagnostic::new(shown, root.locate(&pointer, false), e))
                }
                Err(_) => {}
            }
        }
    }

    /// Every item of every section: kept raw for the cross-file checks, and, when the schema
    /// found nothing wrong with it, typed, with its files read and its script parsed.
    fn load_items(
        &mut self,
        doc: &Value,
        at: &FileAt<'_>,
        secrets: &[interp::SecretOrigin],
        invalid: &dyn Fn(&str) -> bool,
    ) {
        for kind in [
            "connections",
            "clients",
            "rules",
            "emails",
            "email_provider",
        ] {
            // The provider is one mapping; the other sections are lists.
            let items: Vec<(String, &Value)> = match doc.get(kind) {
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
                Some(v @ Value::Object(_)) if kind == "email_provider" => vec![(String::new(), v)],
                _ => continue,
            };
            for (i, raw) in items {
                let pointer = if i.is_empty() {
                    format!("/{kind}")
                } else {
                    format!("/{kind}/{i}")
                };
                self.raw.push(RawItem {
                    kind,
                    file: at.index,
                    pointer: pointer.clone(),
                    value: raw.clone(),
                });
                if invalid(&pointer) {
                    continue;
                }
                let origin = Origin {
                    file: at.shown.to_string(),
                    pos: at.root.locate(&pointer, false),
                };
                let item = if i.is_empty() {
                    FieldPath::from_segments([kind.to_string()])
                } else {
                    FieldPath::from_segments([kind.to_string(), i.clone()])
                };
                let item_secrets: Vec<Secret> = secrets
                    .iter()
                    .filter_map(|s| {
                        Some(Secret {
                            path: s.path.strip_prefix(&item)?,
                            template: s.template.clone(),
                        })
                    })
                    .collect();
                self.load_item(kind, raw, origin, item_secrets, at, &pointer);
            }
        }
    }

    fn load_item(
        &mut self,
        kind: &str,
        raw: &Value,
        origin: Origin,
        item_secrets: Vec<Secret>,
        at: &FileAt<'_>,
        pointer: &str,
    ) {
        let (root, shown, base_dir) = (at.root, at.shown, at.base_dir);
        match kind {
            "connections" => {
                if let Some(value) = self.typed::<Connection>(raw, &origin) {
                    self.push_item(value, origin, item_secrets, BTreeMap::new());
                }
            }
            "clients" => {
                if let Some(value) = self.typed::<Client>(raw, &origin) {
                    self.push_item(value, origin, item_secrets, BTreeMap::new());
                }
            }
            "rules" => {
                if let Some(mut value) = self.typed::<Rule>(raw, &origin) {
                    let mut files = BTreeMap::new();
                    let script_ok = self.resolve_source(
                        &mut value.script,
                        "script",
                        &mut files,
                        base_dir,
                        root,
                        shown,
                        pointer,
                    );
                    if script_ok {
                        self.check_script(&value, &files, base_dir, root, shown, pointer);
                    }
                    self.push_item(value, origin, item_secrets, files);
                }
            }
            "email_provider" => {
                if let Some(value) = self.typed::<EmailProvider>(raw, &origin) {
                    self.desired.email_provider = Some(Item {
                        value,
                        origin,
                        secrets: item_secrets,
                        files: BTreeMap::new(),
                    });
                }
            }
            _ => {
                if let Some(mut value) = self.typed::<EmailTemplate>(raw, &origin) {
                    let mut files = BTreeMap::new();
                    if let Some(body) = value.body.as_mut() {
                        self.resolve_source(
                            body, "body", &mut files, base_dir, root, shown, pointer,
                        );
                    }
                    self.push_item(value, origin, item_secrets, files);
                }
            }
        }
    }

    fn typed<T: DeserializeOwned>(&mut self, raw: &Value, origin: &Origin) -> Option<T> {
        match serde_json::from_value::<T>(raw.clone()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.diags.push(Diagnostic::new(
                    origin.file.clone(),
                    origin.pos,
                    e.to_string(),
                ));
                None
            }
        }
    }

    fn push_item<T: Push>(
        &mut self,
        value: T,
        origin: Origin,
        secrets: Vec<Secret>,
        files: BTreeMap<String, String>,
    ) {
        value.push_into(&mut self.desired, origin, secrets, files);
    }

    /// Replace `{file: PATH}` by the file's text. Returns whether the source is usable.
    #[allow(clippy::too_many_arguments)]
    fn resolve_source(
        &mut self,
        source: &mut Source,
        field: &str,
        files: &mut BTreeMap<String, String>,
        base_dir: &Path,
        root: &Node,
        shown: &str,
        pointer: &str,
    ) -> bool {
        let Source::File(file_ref) = source else {
            return true;
        };
        let pos = root.locate(&format!("{pointer}/{field}/file"), false);
        match read_referenced(base_dir, &file_ref.file) {
            Ok(text) => {
                files.insert(field.to_string(), file_ref.file.clone());
                *source = Source::Inline(text);
                true
            }
            Err(message) => {
                self.diags.push(Diagnostic::new(shown, pos, message));
                false
            }
        }
    }

    /// `yes`/`no`/`on`/`off` written bare inside connection options are strings in YAML 1.2,
    /// where YAML 1.1 tools read booleans: probably not what was meant.
    fn warn_yaml11_words(&mut self, doc: &Value, root: &Node, shown: &str) {
        let connections = doc.get("connections").and_then(Value::as_array);
        for (i, c) in connections.into_iter().flatten().enumerate() {
            let Some(options) = c.get("options") else {
                continue;
            };
            let at = FieldPath::from_segments([
                "connections".to_string(),
                i.to_string(),
                "options".into(),
            ]);
            crate::path::leaves(options, &at, &mut |path, leaf| {
                let Some(word) = leaf.as_str() else { return };
                let bare = root
                    .get(&path.pointer())
                    .is_some_and(|n| matches!(n.value, Val::Str(_, Style::Plain)));
                if bare
                    && matches!(
                        word.to_ascii_lowercase().as_str(),
                        "yes" | "no" | "on" | "off"
                    )
                {
                    self.desired.warnings.push(Diagnostic::new(
                        shown,
                        root.locate(&path.pointer(), false),
                        format!(
                            "`{word}` is the string \"{word}\" here (YAML 1.2 reads yes/no/on/off as strings): write true or false for a boolean, or quote it to keep the string"
                        ),
                    ));
                }
            });
        }
    }

    fn check_script(
        &mut self,
        rule: &Rule,
        files: &BTreeMap<String, String>,
        base_dir: &Path,
        root: &Node,
        shown: &str,
        pointer: &str,
    ) {
        let text = rule.script.text().trim();
        if !files.contains_key("script") && looks_like_a_path(text) {
            self.diags.push(Diagnostic::new(
                shown,
                root.locate(&format!("{pointer}/script"), false),
                format!(
                    "rule `{}`: script `{text}` is a file path, not a rule (as JavaScript it only divides two names): did you mean `{{file: {text}}}`?",
                    rule.name
                ),
            ));
            return;
        }
        let Err(e) = js::check(rule.script.text()) else {
            return;
        };
        let message = format!("rule `{}`: script: {}", rule.name, e.message);
        if let Some(rel) = files.get("script") {
            let js_file = base_dir.join(rel).display().to_string();
            self.diags.push(Diagnostic::new(js_file, e.pos, message));
            return;
        }
        let script_pointer = format!("{pointer}/script");
        let node_pos = root.locate(&script_pointer, false);
        let literal = root
            .get(&script_pointer)
            .is_some_and(|n| matches!(n.value, Val::Str(_, Style::Literal)));
        if literal {
            // A literal block keeps lines as written, shifted by the block's indentation.
            let pos = Pos {
                line: node_pos.line + e.pos.line - 1,
                col: node_pos.col + e.pos.col - 1,
            };
            self.diags.push(Diagnostic::new(shown, pos, message));
        } else {
            self.diags.push(Diagnostic::new(
                shown,
                node_pos,
                format!(
                    "{message} (script line {}, column {})",
                    e.pos.line, e.pos.col
                ),
            ));
        }
    }

    /// The checks across files: names are not empty, addressable and not ignored; names and rule
    /// orders are declared once (clients may share a name when each pins its own client_id); and
    /// every `enabled_clients` entry names a declared client once and unambiguously.
    fn check_semantics(&mut self) {
        let clients = DeclaredClients::of(&self.raw);
        let mut first = FirstPlaces::new();
        let mut diags = Vec::new();
        // A singleton (the email provider) is declared once across all files.
        let mut singleton: HashMap<&str, (String, Pos)> = HashMap::new();
        for item in &self.raw {
            let file = &self.files[item.file];
            let Some((what, key_field)) = described(item.kind) else {
                let p = file.root.locate(&item.pointer, false);
                match singleton.get(item.kind) {
                    Some((ff, fp)) => diags.push(Diagnostic::new(
                        file.shown.clone(),
                        p,
                        format!(
                            "duplicate `{}` (also defined at {ff}:{}:{}): a tenant has one",
                            item.kind, fp.line, fp.col
                        ),
                    )),
                    None => {
                        singleton.insert(item.kind, (file.shown.clone(), p));
                    }
                }
                continue;
            };
            let mut keys: Vec<UniqueKey<'_>> = Vec::new();
            if let Some(name) = item.value.get(key_field).and_then(Value::as_str) {
                match self.name_problem(item.kind, what, name) {
                    Some(problem) => {
                        let (f, p) = place(file, item, key_field);
                        diags.push(Diagnostic::new(f, p, problem));
                    }
                    None => {
                        // Clients may share a name when each pins its own client_id.
                        let pin = (item.kind == "clients")
                            .then(|| item.value.get("client_id").and_then(Value::as_str))
                            .flatten()
                            .map(str::to_string);
                        keys.push((what, name.to_string(), pin, key_field));
                    }
                }
            }
            if item.kind == "rules"
                && let Some(order) = item.value.get("order").and_then(Value::as_u64)
            {
                keys.push(("rule order", order.to_string(), None, "order"));
            }
            check_duplicates(&mut first, keys, file, item, &mut diags);
            check_enabled_clients(&clients, file, item, &mut diags);
        }
        self.diags.extend(diags);
    }

    /// What is wrong with an item's name, if anything: it is empty, the API cannot address it,
    /// or an `ignore:` pattern hides it.
    fn name_problem(&self, kind: &str, what: &str, name: &str) -> Option<String> {
        if name.trim().is_empty() {
            return Some(format!("{what} name must not be empty"));
        }
        if let Some(problem) = unaddressable(kind, name, self.desired.api) {
            return Some(format!("{what} name {problem}"));
        }
        let pattern = self
            .desired
            .ignore
            .iter()
            .find(|p| kind_of_section(kind).is_some_and(|k| p.matches(k, name)))?;
        Some(format!(
            "{what} `{name}` is declared here but ignored by `{pattern}`: remove one or the other"
        ))
    }
}

/// A key that must be unique across files: what it is (`client`, `rule order`, …), its value,
/// the client_id a client pins (clients may share a name when each pins its own), and the
/// field that holds it.
type UniqueKey<'a> = (&'a str, String, Option<String>, &'a str);

/// The first place each unique key was seen: (what, value, pin) → file and position.
type FirstPlaces<'a> = HashMap<(&'a str, String, Option<String>), (String, Pos)>;

/// How the semantic checks name a section's items, and the field that holds an item's name;
/// `None` for a section without names (the email provider).
fn described(section: &str) -> Option<(&'static str, &'static str)> {
    match section {
        "connections" => Some(("connection", "name")),
        "clients" => Some(("client", "name")),
        "rules" => Some(("rule", "name")),
        "emails" => Some(("email template", "template")),
        _ => None,
    }
}

/// Where a field of a raw item is: its file as shown and its position.
fn place(file: &LoadedFile, item: &RawItem, field: &str) -> (String, Pos) {
    (
        file.shown.clone(),
        file.root
            .locate(&format!("{}/{field}", item.pointer), false),
    )
}

/// Records each key's first place; a key seen before is a duplicate, naming the first place.
fn check_duplicates<'a>(
    first: &mut FirstPlaces<'a>,
    keys: Vec<UniqueKey<'a>>,
    file: &LoadedFile,
    item: &RawItem,
    diags: &mut Vec<Diagnostic>,
) {
    for (what, key, pin, field) in keys {
        let (f, p) = place(file, item, field);
        match first.get(&(what, key.clone(), pin.clone())) {
            Some((ff, fp)) => diags.push(Diagnostic::new(
                f,
                p,
                format!(
                    "duplicate {what} `{key}` (also defined at {ff}:{}:{})",
                    fp.line, fp.col
                ),
            )),
            None => {
                first.insert((what, key, pin), (f, p));
            }
        }
    }
}

/// The clients the manifests declare, as `enabled_clients` may name them.
struct DeclaredClients<'a> {
    /// Their names.
    names: HashSet<&'a str>,
    /// The client_ids they pin.
    pins: HashSet<&'a str>,
    /// The names more than one client has.
    shared_names: HashSet<&'a str>,
}

impl<'a> DeclaredClients<'a> {
    /// The clients among the raw items of every file.
    fn of(raw: &'a [RawItem]) -> Self {
        let clients = || raw.iter().filter(|i| i.kind == "clients");
        let names: HashSet<&str> = clients()
            .filter_map(|i| i.value.get("name").and_then(Value::as_str))
            .collect();
        let pins: HashSet<&str> = clients()
            .filter_map(|i| i.value.get("client_id").and_then(Value::as_str))
            .collect();
        let mut name_counts: HashMap<&str, usize> = HashMap::new();
        for i in clients() {
            if let Some(n) = i.value.get("name").and_then(Value::as_str) {
                *name_counts.entry(n).or_default() += 1;
            }
        }
        let shared_names: HashSet<&str> = name_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(name, _)| name)
            .collect();
        DeclaredClients {
            names,
            pins,
            shared_names,
        }
    }
}

/// Each entry of an item's `enabled_clients` (a name or `{client_id: …}`) is listed once, names
/// a declared client, and, when a name, one that no other client shares.
fn check_enabled_clients(
    clients: &DeclaredClients<'_>,
    file: &LoadedFile,
    item: &RawItem,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(names) = item.value.get("enabled_clients").and_then(Value::as_array) else {
        return;
    };
    let mut seen = HashSet::new();
    for (i, entry) in names.iter().enumerate() {
        let (f, p) = place(file, item, &format!("enabled_clients/{i}"));
        let pin = entry.get("client_id").and_then(Value::as_str);
        let (key, shown, declared) = match (entry.as_str(), pin) {
            (Some(n), _) => (n.to_string(), format!("`{n}`"), clients.names.contains(n)),
            (None, Some(id)) => (
                types::pin_key(id),
                format!("client_id `{id}`"),
                clients.pins.contains(id),
            ),
            _ => continue,
        };
        if !seen.insert(key) {
            diags.push(Diagnostic::new(
                f,
                p,
                format!("client {shown} is listed twice in enabled_clients"),
            ));
        } else if !declared {
            diags.push(Diagnostic::new(
                f,
                p,
                format!("enabled_clients names {shown}, which no manifest declares under clients"),
            ));
        } else if entry.is_string()
            && clients
                .shared_names
                .contains(entry.as_str().unwrap_or_default())
        {
            diags.push(Diagnostic::new(
                f,
                p,
                format!(
                    "enabled_clients names {shown}, which several clients share: write `{{client_id: …}}` for the one meant"
                ),
            ));
        }
    }
}

trait Push {
    fn push_into(
        self,
        desired: &mut Desired,
        origin: Origin,
        secrets: Vec<Secret>,
        files: BTreeMap<String, String>,
    );
}

macro_rules! push_impl {
    ($ty:ty, $field:ident) => {
        impl Push for $ty {
            fn push_into(
                self,
                desired: &mut Desired,
                origin: Origin,
                secrets: Vec<Secret>,
                files: BTreeMap<String, String>,
            ) {
                desired.$field.push(Item {
                    value: self,
                    origin,
                    secrets,
                    files,
                });
            }
        }
    };
}
push_impl!(Connection, connections);
push_impl!(Client, clients);
push_impl!(Rule, rules);
push_impl!(EmailTemplate, emails);

/// The JSON pointers of a document's sections and of its items' keys (each item of a list
/// section, and the email provider's mapping).
fn key_pointers(doc: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    if let Value::Object(top) = doc {
        for (section, value) in top {
            keys.push(format!("/{section}"));
            match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        for k in item.as_object().into_iter().flat_map(|o| o.keys()) {
                            keys.push(format!("/{section}/{i}/{}", path_escape(k)));
                        }
                    }
                }
                Value::Object(o) if section == "email_provider" => {
                    keys.extend(o.keys().map(|k| format!("/{section}/{}", path_escape(k))));
                }
                _ => {}
            }
        }
    }
    keys
}

/// A key as a JSON pointer segment.
fn path_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The other API's name for a field of `section` that only one API has under this name.
fn api_twin(section: &str, key: &str, api: ApiVersion) -> Option<&'static str> {
    match (section, key, api) {
        ("rules", "status", ApiVersion::V2) => Some("`enabled`"),
        ("rules", "enabled", ApiVersion::V1) => Some("`status`"),
        ("emails", "disabled", ApiVersion::V2) => Some("`enabled`, with the opposite meaning"),
        ("emails", "enabled", ApiVersion::V1) => Some("`disabled`, with the opposite meaning"),
        _ => None,
    }
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
