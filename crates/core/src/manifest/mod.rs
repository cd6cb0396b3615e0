//! `manifest`: the first stage of the pipeline. Reads YAML files and directories into the typed
//! `Desired` state, or into the list of *every* problem found, each located at
//! `file:line:column`. The checks run per file in this order: text and YAML syntax (`yaml`), the
//! generated JSON Schema (`crate::schema`), `${VAR}` interpolation (`interp`), `{file: …}`
//! references, rule script syntax (`js`); then across files, the semantic checks (duplicate
//! names and orders, empty names).

pub mod desired;
pub mod interp;
pub mod item;
pub mod js;
pub mod types;
pub mod vars;
pub mod yaml;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::Value;

use crate::diag::{Diagnostic, InvalidManifests};
use crate::dialect::wire::Address;
use crate::kind::{Kind, Named, Pairing};
use crate::path::FieldPath;
use crate::scope::Pattern;
pub use desired::{Desired, Secret};
pub use item::{ItemCx, read_referenced};
use types::ApiVersion;
pub use vars::Vars;
pub use yaml::Origin;
use yaml::{Node, Pos, Val};

/// Largest manifest file read.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

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
    let mut seen = HashSet::new();
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

/// The longest name a0ctl sends for what an API addresses by name in the URL (v1's connections
/// and rules): a longer one makes a URL the API refuses to read (414), so it could be created
/// but never read, updated or deleted again.
pub const MAX_NAME_CHARS: usize = 255;

/// Why the API could not address a resource of `kind` by this name, if it cannot: the lease's
/// name is reserved in its kind; a kind the API addresses by name in the URL cannot be named
/// `.` or `..` or longer than [`MAX_NAME_CHARS`].
fn unaddressable(kind: Kind, name: &str, api: ApiVersion) -> Option<String> {
    if kind.facts().holds_the_lease && name == crate::model::LOCK_NAME {
        return Some(format!(
            "`{name}` is reserved: a0ctl holds the tenant with a {} of that name while it applies",
            kind.noun()
        ));
    }
    if kind.is_singleton()
        || kind
            .wire(api)
            .is_none_or(|w| !matches!(w.address, Address::Name | Address::NameThen(_)))
    {
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
    kind: Kind,
    file: usize,
    pointer: String,
    value: Value,
    /// The JSON pointers (in the document) of its values that came from the environment, with
    /// the `${VAR}` each was written as: a message shows that, never the value.
    from_env: Rc<BTreeMap<String, String>>,
}

impl RawItem {
    /// The value at `at` (below the item) as a message shows it: `` `value` ``, or its
    /// `${VAR}` when it came from the environment.
    fn shown(&self, at: &str, value: &str) -> String {
        let template = self.from_env.get(&format!("{}/{at}", self.pointer));
        crate::secret::shown_in_message(value, template.map(String::as_str))
    }
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
            // The service's own placeholders (a prompt's `${clientName}`) are spelled the same.
            if name.chars().any(|c| c.is_ascii_lowercase()) {
                message.push_str(&format!(
                    "; for the service's own placeholder `${{{name}}}` (as a prompt's text has), write `$${{{name}}}`"
                ));
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
            let sections: Vec<&str> = Kind::all().map(Kind::section).collect();
            self.diags.push(here(
                root.pos,
                format!(
                    "a manifest is a mapping with keys such as {}",
                    sections.join(", ")
                ),
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
            // The schema knows every API's fixed names (the email templates); name this
            // manifest's API's only.
            if let Some((head, _)) = message.split_once(" is not one of: ")
                && let Some(names) = fixed_names_at(&v.pointer, doc)
            {
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
            let twin = Kind::of_section(section)
                .and_then(|k| crate::kinds::spec(k).twin(key, api))
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

    /// Every item of every section: kept raw for the cross-file checks, checked by its kind,
    /// and, when the schema found nothing wrong with it, read by its kind into a resource.
    fn load_items(
        &mut self,
        doc: &Value,
        at: &FileAt<'_>,
        secrets: &[interp::SecretOrigin],
        invalid: &dyn Fn(&str) -> bool,
    ) {
        for kind in Kind::all() {
            let section = kind.section();
            // A singleton's section is one mapping; the other sections are lists.
            let items: Vec<(Option<usize>, &Value)> = match doc.get(section) {
                Some(Value::Array(items)) if !kind.is_singleton() => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Some(i), v))
                    .collect(),
                Some(v @ Value::Object(_)) if kind.is_singleton() => vec![(None, v)],
                _ => continue,
            };
            for (i, raw) in items {
                let (pointer, item) = match i {
                    Some(i) => (
                        format!("/{section}/{i}"),
                        FieldPath::from_segments([section.to_string(), i.to_string()]),
                    ),
                    None => (
                        format!("/{section}"),
                        FieldPath::from_segments([section.to_string()]),
                    ),
                };
                let from_env = secrets
                    .iter()
                    .filter(|s| s.path.starts_with(&item))
                    .map(|s| (s.path.pointer(), s.template.clone()))
                    .collect();
                self.raw.push(RawItem {
                    kind,
                    file: at.index,
                    pointer: pointer.clone(),
                    value: raw.clone(),
                    from_env: Rc::new(from_env),
                });
                let item_secrets: Vec<Secret> = secrets
                    .iter()
                    .filter_map(|s| {
                        Some(Secret {
                            path: s.path.strip_prefix(&item)?,
                            template: s.template.clone(),
                        })
                    })
                    .collect();
                let spec = crate::kinds::spec(kind);
                let mut cx = ItemCx {
                    api: self.desired.api,
                    shown: at.shown,
                    root: at.root,
                    base_dir: at.base_dir,
                    pointer: &pointer,
                    secrets: item_secrets,
                    files: BTreeMap::new(),
                    diags: &mut self.diags,
                    warnings: &mut self.desired.warnings,
                };
                spec.check(raw, &mut cx);
                if invalid(&pointer) {
                    continue;
                }
                if let Some(mut resource) = spec.load(raw, &mut cx) {
                    spec.normalise(&mut resource);
                    self.desired.by_kind.entry(kind).or_default().push(resource);
                }
            }
        }
    }

    /// The checks across files: names are not empty, addressable and not ignored; names (and
    /// an ordered kind's orders) are declared once, a singleton once (a pinned kind's resources
    /// may share a name when each pins its own id); and every reference names a declared
    /// resource once and unambiguously.
    fn check_semantics(&mut self) {
        let declared = Declared::of(&self.raw);
        let mut first = FirstPlaces::new();
        let mut diags = Vec::new();
        for item in &self.raw {
            let file = &self.files[item.file];
            let kind = item.kind;
            let mut keys: Vec<UniqueKey<'_>> = Vec::new();
            match kind.named() {
                Named::Singleton(one) => match self.ignored(kind, one) {
                    Some(problem) => {
                        let (f, p) = place(file, item, "");
                        diags.push(Diagnostic::new(f, p, problem));
                    }
                    None => keys.push((kind, String::new(), None, "")),
                },
                Named::Composed(fields) => {
                    // Each part a name, or a pin (`{client_id: X}`) as `client_id X`, as the
                    // kind names its resources.
                    let part = |v: &Value| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(o) if o.len() == 1 => {
                            let (k, v) = o.iter().next()?;
                            Some(format!("{k} {}", v.as_str()?))
                        }
                        _ => None,
                    };
                    let parts: Option<Vec<String>> = fields
                        .iter()
                        .map(|f| item.value.get(*f).and_then(part))
                        .collect();
                    if let Some(parts) = parts {
                        let name = parts.join(" -> ");
                        match self.ignored(kind, &name) {
                            Some(problem) => {
                                let (f, p) = place(file, item, fields[0]);
                                diags.push(Diagnostic::new(f, p, problem));
                            }
                            None => keys.push((kind, name, None, fields[0])),
                        }
                    }
                }
                Named::Pair(first, second) => {
                    let part = |f: &str| item.value.get(f).and_then(Value::as_str);
                    if let (Some(a), Some(b)) = (part(first), part(second)) {
                        let name = format!("{a}/{b}");
                        match self.ignored(kind, &name) {
                            Some(problem) => {
                                let (f, p) = place(file, item, first);
                                diags.push(Diagnostic::new(f, p, problem));
                            }
                            None => keys.push((kind, name, None, first)),
                        }
                    }
                }
                Named::By(key_field) => {
                    if let Some(name) = item.value.get(key_field).and_then(Value::as_str) {
                        match self.name_problem(kind, name) {
                            Some(problem) => {
                                let (f, p) = place(file, item, key_field);
                                diags.push(Diagnostic::new(f, p, problem));
                            }
                            None => {
                                // A pinned kind's resources may share a name when each pins
                                // its own id.
                                let pin = match kind.pairing() {
                                    Pairing::Pinned(pin) => item
                                        .value
                                        .get(pin)
                                        .and_then(Value::as_str)
                                        .map(str::to_string),
                                    _ => None,
                                };
                                keys.push((kind, name.to_string(), pin, key_field));
                            }
                        }
                    }
                }
            }
            if kind.pairing() == Pairing::Ordered
                && let Some(order) = item.value.get("order").and_then(Value::as_u64)
            {
                keys.push((kind, order.to_string(), Some(String::new()), "order"));
            }
            check_duplicates(&mut first, keys, file, item, &mut diags);
            for reference in kind.references() {
                check_references(&declared, reference, file, item, &mut diags);
            }
        }
        self.diags.extend(diags);
    }

    /// What is wrong with an item's name, if anything: it is empty, the API cannot address it,
    /// or an `ignore:` pattern hides it.
    fn name_problem(&self, kind: Kind, name: &str) -> Option<String> {
        let what = kind.noun();
        if name.trim().is_empty() {
            return Some(format!("{what} name must not be empty"));
        }
        if let Some(problem) = unaddressable(kind, name, self.desired.api) {
            return Some(format!("{what} name {problem}"));
        }
        self.ignored(kind, name)
    }

    /// The problem of a declared resource that an `ignore:` pattern (or `--ignore`) hides.
    fn ignored(&self, kind: Kind, name: &str) -> Option<String> {
        let pattern = self.desired.ignore.iter().find(|p| p.matches(kind, name))?;
        Some(format!(
            "{} `{name}` is declared here but ignored by `{pattern}`: remove one or the other",
            kind.noun()
        ))
    }
}

/// A key that must be unique across files: its kind, its value, the id a pinned resource pins
/// (`Some("")` marks an ordered kind's order), and the field that holds it (none for a
/// singleton).
type UniqueKey<'a> = (Kind, String, Option<String>, &'a str);

/// The first place each unique key was seen: (kind, value, pin) → file and position.
type FirstPlaces = HashMap<(Kind, String, Option<String>), (String, Pos)>;

/// Where a field of a raw item is: its file as shown and its position.
fn place(file: &LoadedFile, item: &RawItem, field: &str) -> (String, Pos) {
    let pointer = if field.is_empty() {
        item.pointer.clone()
    } else {
        format!("{}/{field}", item.pointer)
    };
    (file.shown.clone(), file.root.locate(&pointer, false))
}

/// Records each key's first place; a key seen before is a duplicate, naming the first place.
fn check_duplicates(
    first: &mut FirstPlaces,
    keys: Vec<UniqueKey<'_>>,
    file: &LoadedFile,
    item: &RawItem,
    diags: &mut Vec<Diagnostic>,
) {
    for (kind, key, pin, field) in keys {
        let (f, p) = place(file, item, field);
        match first.get(&(kind, key.clone(), pin.clone())) {
            Some((ff, fp)) => {
                let message = if kind.is_singleton() {
                    format!(
                        "duplicate `{}` (also defined at {ff}:{}:{}): a tenant has one",
                        kind.section(),
                        fp.line,
                        fp.col
                    )
                } else if pin.as_deref() == Some("") {
                    format!(
                        "duplicate {} order `{key}` (also defined at {ff}:{}:{})",
                        kind.noun(),
                        fp.line,
                        fp.col
                    )
                } else {
                    format!(
                        "duplicate {} `{key}` (also defined at {ff}:{}:{})",
                        kind.noun(),
                        fp.line,
                        fp.col
                    )
                };
                diags.push(Diagnostic::new(f, p, message));
            }
            None => {
                first.insert((kind, key, pin), (f, p));
            }
        }
    }
}

/// What the manifests declare, per kind, as references may name it.
#[derive(Default)]
struct Declared<'a> {
    /// The names declared, per kind.
    names: HashMap<Kind, HashSet<&'a str>>,
    /// The ids a pinned kind's resources pin.
    pins: HashMap<Kind, HashSet<&'a str>>,
    /// The names more than one resource of a kind has.
    shared_names: HashMap<Kind, HashSet<&'a str>>,
    /// Each declared item by kind and name (the first of a name).
    items: HashMap<(Kind, &'a str), &'a Value>,
}

impl<'a> Declared<'a> {
    /// The raw items of every file.
    fn of(raw: &'a [RawItem]) -> Self {
        let mut d = Declared::default();
        let mut counts: HashMap<(Kind, &str), usize> = HashMap::new();
        for i in raw {
            let Named::By(field) = i.kind.named() else {
                continue;
            };
            if let Some(n) = i.value.get(field).and_then(Value::as_str) {
                d.names.entry(i.kind).or_default().insert(n);
                d.items.entry((i.kind, n)).or_insert(&i.value);
                *counts.entry((i.kind, n)).or_default() += 1;
            }
            if let Pairing::Pinned(pin) = i.kind.pairing()
                && let Some(id) = i.value.get(pin).and_then(Value::as_str)
            {
                d.pins.entry(i.kind).or_default().insert(id);
            }
        }
        for ((kind, name), n) in counts {
            if n > 1 {
                d.shared_names.entry(kind).or_default().insert(name);
            }
        }
        d
    }

    fn has(map: &HashMap<Kind, HashSet<&'a str>>, kind: Kind, key: &str) -> bool {
        map.get(&kind).is_some_and(|s| s.contains(key))
    }
}

/// Each entry of an item's `reference.field` (a name, or `{PIN: id}` for a pinned kind) is
/// listed once, names a declared resource, and, when a name, one that no other shares.
fn check_references(
    declared: &Declared<'_>,
    reference: &crate::kind::Reference,
    file: &LoadedFile,
    item: &RawItem,
    diags: &mut Vec<Diagnostic>,
) {
    let field = reference.field;
    let to = reference.kind();
    // One name, or a list of them; a path with `*` (`permissions/*/resource_server`) names one
    // in each item of a list, each checked where it is.
    if let Some((list, rest)) = field.split_once("/*/") {
        for (i, entry) in item
            .value
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let mut value = entry.clone();
            // What the reference also names may be the item's own (see `Within::outer`).
            if let Some(w) = reference.within.filter(|w| w.outer)
                && let (Some(obj), Some(v)) = (value.as_object_mut(), item.value.get(w.field))
            {
                obj.insert(w.field.to_string(), v.clone());
            }
            let inner = RawItem {
                kind: item.kind,
                file: item.file,
                pointer: format!("{}/{list}/{i}", item.pointer),
                value,
                from_env: Rc::clone(&item.from_env),
            };
            let nested = crate::kind::Reference {
                field: rest,
                ..*reference
            };
            check_references(declared, &nested, file, &inner, diags);
        }
        return;
    }
    let (entries, one) = match item.value.get(field) {
        Some(Value::Array(entries)) => (entries.clone(), false),
        Some(v @ (Value::String(_) | Value::Object(_))) => (vec![v.clone()], true),
        _ => return,
    };
    let pin_field = match to.pairing() {
        Pairing::Pinned(pin) => Some(pin),
        _ => None,
    };
    // A kind read with this one (`KindSpec::reads`) that no manifest declares is the
    // tenant's: its names are checked against the tenant at plan time (`diff`).
    let from_tenant =
        crate::kinds::spec(item.kind).reads().contains(&to) && !declared.names.contains_key(&to);
    let mut seen = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let (f, p) = if one {
            place(file, item, field)
        } else {
            place(file, item, &format!("{field}/{i}"))
        };
        let pin = pin_field.and_then(|pf| Some((pf, entry.get(pf)?.as_str()?)));
        let at = if one {
            field.to_string()
        } else {
            format!("{field}/{i}")
        };
        let (key, shown, found) = match (entry.as_str(), pin) {
            (Some(n), _) => (
                n.to_string(),
                item.shown(&at, n),
                Declared::has(&declared.names, to, n),
            ),
            (None, Some((pf, id))) => (
                crate::kind::pin_key(id),
                format!("{pf} {}", item.shown(&format!("{at}/{pf}"), id)),
                Declared::has(&declared.pins, to, id),
            ),
            _ => continue,
        };
        if !seen.insert(key) {
            diags.push(Diagnostic::new(
                f,
                p,
                format!("{} {shown} is listed twice in {field}", to.noun()),
            ));
        } else if !found
            && !from_tenant
            && !entry
                .as_str()
                .is_some_and(|n| reference.allows.is_some_and(|a| a(n)))
        {
            diags.push(Diagnostic::new(
                f,
                p,
                format!(
                    "{field} names {shown}, which no manifest declares under {}",
                    to.section()
                ),
            ));
        } else if let (Some(within), Some(name)) = (reference.within, entry.as_str())
            && let Some(named) = declared.items.get(&(to, name))
            && let Some(list) = named.get(within.list).and_then(Value::as_array)
        {
            // What it names inside what it names (a grant's scopes, among its API's).
            let defined: HashSet<&str> = list
                .iter()
                .filter_map(|x| x.get(within.key).and_then(Value::as_str))
                .collect();
            let (values, one) = match item.value.get(within.field) {
                Some(Value::Array(v)) => (v.iter().collect::<Vec<_>>(), false),
                Some(v) => (vec![v], true),
                None => (Vec::new(), true),
            };
            for (j, v) in values.into_iter().enumerate() {
                let Some(v) = v.as_str() else { continue };
                if !defined.contains(v) {
                    let at = if one {
                        within.field.to_string()
                    } else {
                        format!("{}/{j}", within.field)
                    };
                    let (f, p) = if within.outer {
                        (f.clone(), p)
                    } else {
                        place(file, item, &at)
                    };
                    diags.push(Diagnostic::new(
                        f,
                        p,
                        format!(
                            "{} {} is not one of the {} that {} {shown} declares",
                            within.field,
                            item.shown(&at, v),
                            within.list,
                            to.noun()
                        ),
                    ));
                }
            }
        } else if let (Some(name), Some(pf)) = (entry.as_str(), pin_field)
            && Declared::has(&declared.shared_names, to, name)
        {
            diags.push(Diagnostic::new(
                f,
                p,
                format!(
                    "{field} names {shown}, which several {} share: write `{{{pf}: …}}` for the one meant",
                    to.plural()
                ),
            ));
        }
    }
}

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
                Value::Object(o) if Kind::of_section(section).is_some_and(Kind::is_singleton) => {
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

/// The names the API of `doc` fixes for the items at `pointer` (`/emails/3/template`), when
/// that is a kind's identity field and the API fixes its names.
fn fixed_names_at(pointer: &str, doc: &Value) -> Option<Vec<&'static str>> {
    let mut segments = pointer.split('/').skip(1);
    let (section, _, field) = (segments.next()?, segments.next()?, segments.next()?);
    let kind = Kind::of_section(section)?;
    if segments.next().is_some() || !matches!(kind.named(), Named::By(f) if f == field) {
        return None;
    }
    let api = doc
        .get("api")
        .and_then(Value::as_str)
        .and_then(ApiVersion::parse)
        .unwrap_or_default();
    crate::kinds::spec(kind).fixed_names(api)
}
