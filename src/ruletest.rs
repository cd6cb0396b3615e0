//! `a0ctl test`: rules are code, so they get tests. Reads `*.test.yaml` files from the manifest
//! tree (with the located YAML reader of `manifest::yaml`), loads the rules of the manifests
//! beside them (with `manifest::load`, so `{file: …}`, `status` and `order` mean what they mean
//! to `plan`), runs each case in `rules_runtime`'s sandbox on its fixture user and context, and
//! checks what the rules did against the case's `expect`.
//!
//! A case names one rule (run even if disabled) or `pipeline`: every enabled rule, by `order`
//! (rules without one after the others, in declaration order). Expectations are partial: every
//! key written must match, keys not written are not looked at; `null` matches an absent value.
//!
//! Actions get the same: an item of `action_tests:` names one action (on the trigger it
//! supports) or a `trigger` (its bound actions in order), gives a partial `event` (filled from
//! the trigger's defaults), `secrets` over the manifests' and `stubs` for what the actions
//! `require`, and expects what the actions asked for (`denied`, claims, scopes, metadata,
//! `redirect`, `multifactor`, `logs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use crate::error::Result;
use serde_json::{Value, json};

use crate::diag::{Diagnostic, InvalidManifests, Paint, visible_line};
use crate::manifest::yaml::{self, Node, Pos, Style, Val};
use crate::manifest::{self, LoadOptions};
use crate::rules_runtime::{
    self, ActionScript, ActionVerdict, Limits, RuleScript, ScriptPos, Verdict,
};

/// What `a0ctl test` was asked.
#[derive(Debug, Clone)]
pub struct TestArgs {
    pub paths: Vec<PathBuf>,
    /// `--var` and `--var-file` values for the manifests' `${NAME}`s.
    pub vars: manifest::Vars,
    /// Only cases whose name contains this (case-insensitive).
    pub filter: Option<String>,
    pub limits: Limits,
    pub json: bool,
}

/// Largest test file read.
const MAX_TEST_FILE_BYTES: u64 = 16 << 20;

const CASE_KEYS: &[&str] = &["name", "rule", "configuration", "user", "context", "expect"];
const ACTION_CASE_KEYS: &[&str] = &[
    "name", "action", "trigger", "event", "secrets", "stubs", "expect",
];
const ACTION_EXPECT_KEYS: &[&str] = &[
    "denied",
    "idToken",
    "accessToken",
    "scopes",
    "app_metadata",
    "user_metadata",
    "redirect",
    "multifactor",
    "validation",
    "logs",
];
/// The sections of a test file.
const SECTIONS: &[&str] = &["rule_tests", "action_tests"];
/// How a case gives a module an action requires (`{name}` is the module).
const STUB_HINT: &str = "a0ctl runs no npm packages; give the case a stub: `stubs: {{name}: \"module.exports = …\"}` (its CommonJS source)";
const EXPECT_KEYS: &[&str] = &[
    "idToken",
    "accessToken",
    "user",
    "context",
    "redirect",
    "error",
];

/// A rule of the manifests, with where its script's lines are.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub name: String,
    pub script: String,
    pub enabled: bool,
    pub order: Option<u32>,
    /// Where in a login it runs (v1's `stage`; absent: at a successful login).
    pub stage: Option<String>,
    pub origin: ScriptOrigin,
}

/// An action of the manifests, with where its code's lines are.
#[derive(Debug, Clone)]
pub struct LoadedAction {
    pub name: String,
    pub code: String,
    /// The trigger it supports.
    pub trigger: String,
    /// `event.secrets`: names to values as the manifests give them.
    pub secrets: serde_json::Map<String, Value>,
    pub origin: ScriptOrigin,
}

/// Where a rule's script text sits, to turn a position in the script into one in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOrigin {
    /// Read from `{file: …}`.
    File(String),
    /// A YAML literal block: script line 1 is the block's first line.
    Literal { file: String, at: Pos },
    /// Any other YAML string: only the value's place is known.
    Inline { file: String, at: Pos },
}

impl ScriptOrigin {
    /// `file:line:column` of a place in the script.
    pub fn locate(&self, p: ScriptPos) -> String {
        match self {
            ScriptOrigin::File(f) => format!("{f}:{}:{}", p.line, p.col),
            ScriptOrigin::Literal { file, at } => {
                // Saturating: a rule can throw an object with a forged `stack`.
                format!(
                    "{file}:{}:{}",
                    at.line.saturating_add(p.line.saturating_sub(1)),
                    at.col.saturating_add(p.col.saturating_sub(1))
                )
            }
            ScriptOrigin::Inline { file, at } => format!(
                "{file}:{}:{} (script line {}, column {})",
                at.line, at.col, p.line, p.col
            ),
        }
    }
}

/// What a case runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Rule(String),
    Pipeline,
    /// One action, on the trigger it supports.
    Action(String),
    /// A trigger's bound actions, in order.
    Trigger(String),
}

impl Target {
    /// The report's key for what a case runs, and its value.
    fn label(&self) -> (&'static str, &str) {
        match self {
            Target::Rule(r) => ("rule", r),
            Target::Pipeline => ("rule", "pipeline"),
            Target::Action(a) => ("action", a),
            Target::Trigger(t) => ("trigger", t),
        }
    }
}

/// One case of a test file.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub file: String,
    pub pos: Pos,
    /// Index into the rules of the case's manifest tree.
    pub tree: usize,
    pub target: Target,
    pub input: Input,
    pub expect: BTreeMap<String, Value>,
}

/// What a case runs on.
#[derive(Debug, Clone)]
pub enum Input {
    /// A rule case's fixture login.
    Rule {
        configuration: Value,
        user: Value,
        context: Value,
    },
    /// An action case's partial event, its secrets over the manifests', and its stub modules
    /// (name, CommonJS source).
    Action {
        event: Value,
        secrets: serde_json::Map<String, Value>,
        stubs: Vec<(String, String)>,
    },
}

impl Input {
    /// A rule case's fixture login: `(configuration, user, context)`.
    pub fn login(&self) -> Option<(&Value, &Value, &Value)> {
        match self {
            Input::Rule {
                configuration,
                user,
                context,
            } => Some((configuration, user, context)),
            Input::Action { .. } => None,
        }
    }
}

/// The rules of one manifest tree.
#[derive(Debug, Clone)]
pub struct Tree {
    pub dir: PathBuf,
    pub rules: Vec<LoadedRule>,
    pub actions: Vec<LoadedAction>,
    /// Each declared trigger with its bound actions' names, in order.
    pub triggers: Vec<(String, Vec<String>)>,
    /// The manifests speak Management API v2.
    pub v2: bool,
}

/// Everything `a0ctl test` reads, checked.
#[derive(Debug, Clone)]
pub struct Suite {
    pub trees: Vec<Tree>,
    pub cases: Vec<Case>,
}

/// One way a case went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub message: String,
    /// Where to look, when it is not the case itself (a rule's script).
    pub at: Option<String>,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub mismatches: Vec<Mismatch>,
    pub logs: Vec<String>,
    pub ran: Vec<String>,
}

/// `a0ctl test PATH...`.
pub fn run(args: &TestArgs, paint: Paint) -> Result<ExitCode> {
    let suite = load(&args.paths, &args.vars)?;
    let filter = args.filter.as_deref().map(str::to_lowercase);
    let selected: Vec<&Case> = suite
        .cases
        .iter()
        .filter(|c| {
            filter
                .as_deref()
                .is_none_or(|f| c.name.to_lowercase().contains(f))
        })
        .collect();
    if selected.is_empty() {
        return Err(crate::diag::hinted(
            match &args.filter {
                Some(f) => format!("no test case matches --filter `{f}`"),
                None => "no test cases to run".to_string(),
            },
            "cases are the items of `rule_tests:` and `action_tests:` in *.test.yaml files",
        ));
    }
    let results: Vec<(&Case, Outcome)> = selected
        .into_iter()
        .map(|case| (case, run_case(&suite, case, &args.limits)))
        .collect();
    let failed = results
        .iter()
        .filter(|(_, o)| !o.mismatches.is_empty())
        .count();
    let text = if args.json {
        render_json(&results)
    } else {
        render_text(&results, paint)
    };
    // A rule may copy a secret of its manifest (an inline script's `${VAR}`) into a claim or a
    // log line: like every other output, this one is scrubbed of the secrets the load learnt.
    crate::commands::print_stdout(&crate::secret::scrub_message(&text))?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Read the test files named by `paths` and the manifests beside them; every problem at once.
pub fn load(paths: &[PathBuf], vars: &manifest::Vars) -> Result<Suite, InvalidManifests> {
    let mut diags = Vec::new();
    // Manifest directory -> its test files, in a stable order without repeats.
    let mut groups: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for path in paths {
        let shown = path.display().to_string();
        match std::fs::metadata(path) {
            Err(e) => diags.push(Diagnostic::new(
                shown,
                Pos::default(),
                format!("cannot read: {e}"),
            )),
            Ok(m) if m.is_dir() => {
                let found: Vec<PathBuf> = std::fs::read_dir(path)
                    .map(|rd| {
                        rd.filter_map(Result::ok)
                            .map(|e| e.path())
                            .filter(|p| !p.is_dir() && manifest::is_test_file(p))
                            .collect()
                    })
                    .unwrap_or_default();
                if found.is_empty() {
                    diags.push(Diagnostic::new(
                        shown,
                        Pos::default(),
                        "no *.test.yaml or *.test.yml files in this directory",
                    ));
                }
                groups.entry(path.clone()).or_default().extend(found);
            }
            Ok(_) if manifest::is_test_file(path) => {
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                groups.entry(dir).or_default().insert(path.clone());
            }
            Ok(_) => diags.push(Diagnostic::new(
                shown,
                Pos::default(),
                "not a test file: test files are named *.test.yaml (their rules and actions come from the manifests beside them)",
            )),
        }
    }
    let mut suite = Suite {
        trees: Vec::new(),
        cases: Vec::new(),
    };
    for (dir, files) in groups {
        let index = suite.trees.len();
        let tree = match load_tree(&dir, vars) {
            Ok(tree) => tree,
            Err(InvalidManifests(d)) => {
                diags.extend(d);
                Tree {
                    dir,
                    rules: Vec::new(),
                    actions: Vec::new(),
                    triggers: Vec::new(),
                    v2: false,
                }
            }
        };
        for file in files {
            read_cases(&file, index, &tree, &mut suite.cases, &mut diags);
        }
        suite.trees.push(tree);
    }
    if diags.is_empty() {
        Ok(suite)
    } else {
        diags.sort();
        diags.dedup();
        Err(InvalidManifests(diags))
    }
}

/// The rules, actions and triggers of the manifests in `dir`. Unset `${VAR}`s are kept as
/// written: tests run offline, without the tenant's secrets.
fn load_tree(dir: &Path, vars: &manifest::Vars) -> Result<Tree, InvalidManifests> {
    // Every value that came from the environment is a secret, and may be a part of a script.
    let seen = std::cell::RefCell::new(Vec::new());
    let env = |name: &str| {
        let value = std::env::var(name).ok();
        if let Some(v) = &value {
            seen.borrow_mut().push(v.clone());
        }
        value
    };
    let options = LoadOptions {
        env: &env,
        vars,
        lenient_env: true,
        ignore: &[],
    };
    let loaded = manifest::load(&[dir.to_path_buf()], &options);
    for value in seen.take() {
        crate::secret::learn_value(&value);
    }
    let desired = loaded?;
    crate::secret::learn(crate::model::redactor(desired.resources()));
    let mut parsed: BTreeMap<String, Option<Rc<Node>>> = BTreeMap::new();
    let mut origin_of = |item: &crate::model::Resource,
                         item_origin: &manifest::Origin,
                         section: &str,
                         field: &str| {
        match item.files.get(field) {
            Some(rel) => {
                let base = Path::new(&item_origin.file)
                    .parent()
                    .unwrap_or(Path::new(""));
                ScriptOrigin::File(base.join(rel).display().to_string())
            }
            None => {
                let root = parsed
                    .entry(item_origin.file.clone())
                    .or_insert_with(|| {
                        let bytes = crate::fsutil::read_bounded(
                            std::path::Path::new(&item_origin.file),
                            64 << 20,
                        )
                        .ok()?;
                        yaml::parse(yaml::decode(&bytes).ok()?).ok()?
                    })
                    .clone();
                inline_origin(
                    root.as_deref(),
                    &item_origin.file,
                    item_origin.pos,
                    section,
                    field,
                )
            }
        }
    };
    let rules = crate::kinds::rule::declared(&desired)
        .into_iter()
        .map(|rule| LoadedRule {
            name: rule.resource.name.clone(),
            script: rule.script.to_string(),
            enabled: rule.runs,
            order: rule.order,
            stage: rule
                .resource
                .fields
                .get("stage")
                .and_then(Value::as_str)
                .map(str::to_string),
            origin: origin_of(rule.resource, rule.origin, "rules", "script"),
        })
        .collect();
    let actions = crate::kinds::action::declared(&desired)
        .into_iter()
        .map(|action| LoadedAction {
            name: action.resource.name.clone(),
            code: action.code.to_string(),
            trigger: action.trigger.to_string(),
            secrets: action.secrets,
            origin: origin_of(action.resource, action.origin, "actions", "code"),
        })
        .collect();
    let triggers = crate::kinds::trigger::declared(&desired)
        .into_iter()
        .map(|(t, bound)| (t.to_string(), bound.into_iter().map(String::from).collect()))
        .collect();
    Ok(Tree {
        dir: dir.to_path_buf(),
        rules,
        actions,
        triggers,
        v2: desired.api == crate::manifest::types::ApiVersion::V2,
    })
}

/// The tree in `dir` and the cases of its test files (there may be none), for `a0ctl migrate
/// rules`; every problem reported at once.
pub fn load_for_migration(dir: &Path) -> Result<(Tree, Vec<Case>, bool)> {
    let vars = manifest::Vars::default();
    let tree = load_tree(dir, &vars)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .filter(|p| !p.is_dir() && manifest::is_test_file(p))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let (mut cases, mut diags) = (Vec::new(), Vec::new());
    for file in &files {
        read_cases(file, 0, &tree, &mut cases, &mut diags);
    }
    if !diags.is_empty() {
        diags.sort();
        diags.dedup();
        return Err(InvalidManifests(diags).into());
    }
    let v2 = tree.v2;
    Ok((tree, cases, v2))
}

/// Where an inline script sits: the `field` of the item of `section` declared at `at`.
fn inline_origin(
    root: Option<&Node>,
    file: &str,
    at: Pos,
    section: &str,
    field: &str,
) -> ScriptOrigin {
    let inline = ScriptOrigin::Inline {
        file: file.to_string(),
        at,
    };
    let Some(root) = root else { return inline };
    let Some(Val::Seq(items)) = root.get(&format!("/{section}")).map(|n| &n.value) else {
        return inline;
    };
    let Some(script) = items
        .iter()
        .find(|n| n.pos == at)
        .and_then(|n| n.get(&format!("/{field}")))
    else {
        return inline;
    };
    match script.value {
        Val::Str(_, Style::Literal) => ScriptOrigin::Literal {
            file: file.to_string(),
            at: script.pos,
        },
        _ => ScriptOrigin::Inline {
            file: file.to_string(),
            at: script.pos,
        },
    }
}

fn read_cases(
    path: &Path,
    index: usize,
    tree: &Tree,
    cases: &mut Vec<Case>,
    diags: &mut Vec<Diagnostic>,
) {
    let shown = path.display().to_string();
    let mut here = |pos: Pos, message: String| diags.push(Diagnostic::new(&shown, pos, message));
    // Only regular files, never past the cap (a FIFO would block, /dev/zero never end).
    let bytes = match crate::fsutil::read_bounded(path, MAX_TEST_FILE_BYTES) {
        Ok(b) => b,
        Err(e) => return here(Pos { line: 1, col: 1 }, format!("cannot read: {e}")),
    };
    let root = match yaml::decode(&bytes).and_then(yaml::parse) {
        Ok(Some(root)) => root,
        Ok(None) => return here(Pos { line: 1, col: 1 }, "the file is empty".into()),
        Err(e) => return here(e.pos, e.message),
    };
    let Val::Map(entries) = &root.value else {
        return here(
            root.pos,
            "a test file is a mapping with the keys rule_tests and/or action_tests".into(),
        );
    };
    let rules: Vec<&str> = tree.rules.iter().map(|r| r.name.as_str()).collect();
    let mut found = false;
    for entry in entries {
        if entry.key.starts_with("x-") {
            continue;
        }
        if !SECTIONS.contains(&entry.key.as_str()) {
            here(entry.key_pos, unknown_key(&entry.key, SECTIONS));
            continue;
        }
        found = true;
        let items = match &entry.value.value {
            Val::Seq(items) => items.as_slice(),
            Val::Null => &[],
            _ => {
                here(
                    entry.value.pos,
                    format!("{} must be a list of cases", entry.key),
                );
                continue;
            }
        };
        for item in items {
            let case = if entry.key == "rule_tests" {
                read_case(item, index, &rules, &shown, &mut here)
            } else {
                read_action_case(item, index, tree, &shown, &mut here)
            };
            if let Some(case) = case {
                cases.push(case);
            }
        }
    }
    if !found {
        here(
            root.pos,
            "a test file needs the key rule_tests or action_tests".into(),
        );
    }
}

/// One item of `action_tests`; `None` when it is not a valid case, with every problem reported
/// through `here`.
fn read_action_case(
    item: &Node,
    index: usize,
    tree: &Tree,
    file: &str,
    here: &mut impl FnMut(Pos, String),
) -> Option<Case> {
    let Val::Map(entries) = &item.value else {
        here(
            item.pos,
            "a case is a mapping with name, action or trigger, event and expect".into(),
        );
        return None;
    };
    let mut ok = true;
    let mut fail = |pos: Pos, message: String| {
        here(pos, message);
        ok = false;
    };
    let mut name = None;
    let mut target = None;
    let mut event = json!({});
    let mut secrets = serde_json::Map::new();
    let mut stubs = Vec::new();
    let mut expect = BTreeMap::new();
    for e in entries {
        let v = &e.value;
        match e.key.as_str() {
            "name" => match read_name(v) {
                Ok(n) => name = Some(n),
                Err(message) => fail(v.pos, message),
            },
            "action" | "trigger" if target.is_some() => fail(
                e.key_pos,
                "a case runs one action or one trigger's bindings, not both".into(),
            ),
            "action" => match &v.value {
                Val::Str(a, _) if tree.actions.iter().any(|x| &x.name == a) => {
                    target = Some(Target::Action(a.clone()));
                }
                Val::Str(a, _) => {
                    let known: Vec<&str> = tree.actions.iter().map(|x| x.name.as_str()).collect();
                    fail(v.pos, no_such("action", a, &known, "actions", ""));
                }
                _ => fail(v.pos, "`action` must be an action's name".into()),
            },
            "trigger" => match &v.value {
                Val::Str(t, _) if tree.triggers.iter().any(|(x, _)| x == t) => {
                    target = Some(Target::Trigger(t.clone()));
                }
                Val::Str(t, _) => {
                    let known: Vec<&str> = tree.triggers.iter().map(|(x, _)| x.as_str()).collect();
                    fail(v.pos, no_such("trigger", t, &known, "triggers", ""));
                }
                _ => fail(
                    v.pos,
                    "`trigger` must be a trigger's id (`post-login`, …)".into(),
                ),
            },
            "event" => match v.value {
                Val::Map(_) => event = v.to_json(),
                _ => fail(v.pos, "`event` must be a mapping".into()),
            },
            "secrets" => match v.to_json() {
                Value::Object(m) if m.values().all(Value::is_string) => secrets = m,
                _ => fail(
                    v.pos,
                    "`secrets` must be a mapping of names to strings".into(),
                ),
            },
            "stubs" => match &v.value {
                Val::Map(modules) => {
                    for m in modules {
                        match &m.value.value {
                            Val::Str(source, _) => stubs.push((m.key.clone(), source.clone())),
                            _ => fail(
                                m.value.pos,
                                format!(
                                    "the stub of `{}` must be its CommonJS source (`module.exports = …`)",
                                    m.key
                                ),
                            ),
                        }
                    }
                }
                _ => fail(
                    v.pos,
                    "`stubs` must be a mapping of module names to their stubs".into(),
                ),
            },
            "expect" => read_expect(
                v,
                ACTION_EXPECT_KEYS,
                action_expect_shape,
                &mut expect,
                &mut fail,
            ),
            other => fail(e.key_pos, unknown_key(other, ACTION_CASE_KEYS)),
        }
    }
    if name.is_none() && !entries.iter().any(|e| e.key == "name") {
        fail(item.pos, "a case needs a `name`".into());
    }
    if target.is_none()
        && !entries
            .iter()
            .any(|e| e.key == "action" || e.key == "trigger")
    {
        fail(
            item.pos,
            "a case needs an `action` (an action's name) or a `trigger` (its bound actions in order)"
                .into(),
        );
    }
    if !ok {
        return None;
    }
    Some(Case {
        name: name?,
        file: file.to_string(),
        pos: item.pos,
        tree: index,
        target: target?,
        input: Input::Action {
            event,
            secrets,
            stubs,
        },
        expect,
    })
}

/// Why an action case's `expect.KEY` is not of its shape; `None` when it is.
fn action_expect_shape(key: &str, value: &Value) -> Option<String> {
    let ok = match key {
        "denied" => value.is_string() || value.is_object() || value.is_null(),
        "redirect" | "multifactor" | "validation" => value.is_object() || value.is_null(),
        "logs" => value
            .as_array()
            .is_some_and(|l| l.iter().all(Value::is_string)),
        _ => value.is_object(),
    };
    (!ok).then(|| match key {
        "denied" => "`expect.denied` must be the reason (a string), a mapping ({reason, code}) or null (not denied)".to_string(),
        "logs" => "`expect.logs` must be the list of console.log lines".to_string(),
        "redirect" | "multifactor" | "validation" => {
            format!("`expect.{key}` must be a mapping or null (none)")
        }
        k => format!("`expect.{k}` must be a mapping (the keys to check)"),
    })
}

/// One case of a test file; `None` when it is not a valid case, with every problem reported
/// through `here`.
fn read_case(
    item: &Node,
    tree: usize,
    rules: &[&str],
    file: &str,
    here: &mut impl FnMut(Pos, String),
) -> Option<Case> {
    let Val::Map(entries) = &item.value else {
        here(
            item.pos,
            "a case is a mapping with name, rule, user, context and expect".into(),
        );
        return None;
    };
    let mut ok = true;
    let mut fail = |pos: Pos, message: String| {
        here(pos, message);
        ok = false;
    };
    let mut name = None;
    let mut target = None;
    let mut configuration = json!({});
    let mut user = json!({});
    let mut context = json!({});
    let mut expect = BTreeMap::new();
    for e in entries {
        let v = &e.value;
        match e.key.as_str() {
            "name" => match read_name(v) {
                Ok(n) => name = Some(n),
                Err(message) => fail(v.pos, message),
            },
            "rule" => match read_target(v, rules) {
                Ok(t) => target = Some(t),
                Err(message) => fail(v.pos, message),
            },
            "configuration" | "user" | "context" => {
                if !matches!(v.value, Val::Map(_)) {
                    fail(v.pos, format!("`{}` must be a mapping", e.key));
                    continue;
                }
                let value = v.to_json();
                match e.key.as_str() {
                    "configuration" => configuration = value,
                    "user" => user = value,
                    _ => context = value,
                }
            }
            "expect" => read_expect(v, EXPECT_KEYS, rule_expect_shape, &mut expect, &mut fail),
            other => fail(e.key_pos, unknown_key(other, CASE_KEYS)),
        }
    }
    if name.is_none() && !entries.iter().any(|e| e.key == "name") {
        fail(item.pos, "a case needs a `name`".into());
    }
    if target.is_none() && !entries.iter().any(|e| e.key == "rule") {
        fail(
            item.pos,
            "a case needs a `rule` (a rule's name, or `pipeline`)".into(),
        );
    }
    if !ok {
        return None;
    }
    Some(Case {
        name: name?,
        file: file.to_string(),
        pos: item.pos,
        tree,
        target: target?,
        input: Input::Rule {
            configuration,
            user,
            context,
        },
        expect,
    })
}

/// A case's `name`: a non-empty string.
fn read_name(v: &Node) -> Result<String, String> {
    match &v.value {
        Val::Str(s, _) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err("`name` must be a non-empty string".into()),
    }
}

/// A case's `rule`: the name of one of `rules`, or `pipeline`.
fn read_target(v: &Node, rules: &[&str]) -> Result<Target, String> {
    match &v.value {
        Val::Str(s, _) if s == "pipeline" => Ok(Target::Pipeline),
        Val::Str(s, _) if rules.contains(&s.as_str()) => Ok(Target::Rule(s.clone())),
        Val::Str(s, _) => Err(no_such("rule", s, rules, "rules", "; or use `pipeline`")),
        _ => Err(
            "`rule` must be a rule's name, or `pipeline` for every enabled rule in order".into(),
        ),
    }
}

/// A case's `expect` into `expect`: each of `keys` with a value that `shape` accepts (it says
/// why not); every other key or shape is reported through `fail`.
fn read_expect(
    v: &Node,
    keys: &[&str],
    shape: fn(&str, &Value) -> Option<String>,
    expect: &mut BTreeMap<String, Value>,
    fail: &mut impl FnMut(Pos, String),
) {
    let Val::Map(wanted) = &v.value else {
        fail(v.pos, "`expect` must be a mapping".into());
        return;
    };
    for w in wanted {
        if !keys.contains(&w.key.as_str()) {
            fail(w.key_pos, unknown_key(&w.key, keys));
            continue;
        }
        let value = w.value.to_json();
        match shape(&w.key, &value) {
            Some(why) => fail(w.value.pos, why),
            None => {
                expect.insert(w.key.clone(), value);
            }
        }
    }
}

/// Why a rule case's `expect.KEY` is not of its shape; `None` when it is.
fn rule_expect_shape(key: &str, value: &Value) -> Option<String> {
    let ok = match key {
        "redirect" => value.is_object() || value.is_null(),
        "error" => error_shape_ok(value),
        _ => value.is_object(),
    };
    (!ok).then(|| expect_shape(key))
}

fn error_shape_ok(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        !m.is_empty()
            && m.iter()
                .all(|(k, v)| matches!(k.as_str(), "name" | "message") && v.is_string())
    })
}

fn expect_shape(key: &str) -> String {
    match key {
        "redirect" => {
            "`expect.redirect` must be a mapping (e.g. {url: …}) or null (no redirect)".into()
        }
        "error" => "`expect.error` must be a mapping with `name` and/or `message` strings".into(),
        k => format!("`expect.{k}` must be a mapping (the keys to check)"),
    }
}

fn unknown_key(key: &str, known: &[&str]) -> String {
    let closest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match closest {
        Some((_, k)) => format!("unknown key `{key}` (did you mean `{k}`?)"),
        None => format!("unknown key `{key}` (expected one of {})", known.join(", ")),
    }
}

/// No `what` named `name` among `known` (the manifests' `plural`); `or` ends the list of those
/// there are.
fn no_such(what: &str, name: &str, known: &[&str], plural: &str, or: &str) -> String {
    if known.is_empty() {
        return format!("no {what} `{name}`: the manifests beside this file declare no {plural}");
    }
    let closest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match closest {
        Some((_, k)) => format!("no {what} `{name}` in the manifests (did you mean `{k}`?)"),
        None => format!(
            "no {what} `{name}` in the manifests (they declare {}{or})",
            known.join(", ")
        ),
    }
}

/// The rules a case runs, in order.
pub fn rules_of<'a>(tree: &'a Tree, target: &Target) -> Vec<&'a LoadedRule> {
    match target {
        Target::Rule(name) => tree.rules.iter().filter(|r| &r.name == name).collect(),
        Target::Pipeline => {
            let mut enabled: Vec<(usize, &LoadedRule)> = tree
                .rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.enabled)
                .collect();
            enabled.sort_by_key(|(i, r)| (r.order.is_none(), r.order, *i));
            enabled.into_iter().map(|(_, r)| r).collect()
        }
        Target::Action(_) | Target::Trigger(_) => Vec::new(),
    }
}

/// The trigger and the actions a case runs, in order.
pub fn actions_of<'a>(tree: &'a Tree, target: &'a Target) -> (&'a str, Vec<&'a LoadedAction>) {
    match target {
        Target::Action(name) => {
            let found: Vec<&LoadedAction> =
                tree.actions.iter().filter(|a| &a.name == name).collect();
            let trigger = found.first().map_or("", |a| a.trigger.as_str());
            (trigger, found)
        }
        Target::Trigger(t) => {
            let bound = tree
                .triggers
                .iter()
                .find(|(x, _)| x == t)
                .map(|(_, b)| b.as_slice())
                .unwrap_or_default();
            let actions = bound
                .iter()
                .filter_map(|name| tree.actions.iter().find(|a| &a.name == name))
                .collect();
            (t, actions)
        }
        Target::Rule(_) | Target::Pipeline => ("", Vec::new()),
    }
}

/// Run one action case on its event, secrets and stubs, and check it.
fn run_action_case(
    suite: &Suite,
    case: &Case,
    (event_over, secrets_over, stubs): (
        &Value,
        &serde_json::Map<String, Value>,
        &[(String, String)],
    ),
    limits: &Limits,
) -> Outcome {
    let tree = &suite.trees[case.tree];
    let (trigger, actions) = actions_of(tree, &case.target);
    let scripts: Vec<ActionScript> = actions
        .iter()
        .map(|a| {
            let mut secrets = a.secrets.clone();
            secrets.extend(secrets_over.clone());
            ActionScript {
                name: a.name.clone(),
                code: a.code.clone(),
                secrets: Value::Object(secrets),
            }
        })
        .collect();
    let mut event = rules_runtime::default_event(trigger);
    rules_runtime::merge(&mut event, event_over);
    let run = rules_runtime::run_actions(trigger, &scripts, &event, stubs, STUB_HINT, limits);
    let origins: Vec<(&str, &ScriptOrigin)> = actions
        .iter()
        .map(|a| (a.name.as_str(), &a.origin))
        .collect();
    let mut mismatches = Vec::new();
    match &run.verdict {
        ActionVerdict::Failed { action, failure } => {
            mismatches.push(failure_mismatch("action", action, failure, &origins));
        }
        ActionVerdict::Denied { action, reason, .. } if !case.expect.contains_key("denied") => {
            mismatches.push(Mismatch {
                message: format!("action `{action}` denied: {reason}"),
                at: None,
                expected: None,
                actual: None,
            });
        }
        _ => {}
    }
    if mismatches.is_empty() {
        let logs = json!(run.logs);
        for (key, want) in &case.expect {
            let actual = match key.as_str() {
                "logs" => Some(&logs),
                k => run.effects.get(k).filter(|v| !v.is_null()),
            };
            let ok = match (key.as_str(), want) {
                ("denied", Value::String(reason)) => {
                    actual.and_then(|d| d.get("reason")) == Some(&json!(reason))
                }
                // What the actions set is checked whole: `{}` is nothing set, `null` a removal.
                ("app_metadata" | "user_metadata", Value::Object(w)) => {
                    actual.and_then(Value::as_object).is_some_and(|a| {
                        a.len() == w.len()
                            && w.iter().all(|(k, v)| match (v, a.get(k)) {
                                (Value::Null, Some(Value::Null)) => true,
                                (Value::Null, _) => false,
                                (v, got) => matches(v, got),
                            })
                    })
                }
                _ => matches(want, actual),
            };
            if !ok {
                let shown = match (key.as_str(), want) {
                    ("denied", Value::String(_)) => actual.and_then(|d| d.get("reason")),
                    _ => actual,
                };
                mismatches.push(Mismatch {
                    message: format!("{key} does not match"),
                    at: None,
                    expected: Some(want.clone()),
                    actual: shown.map(|a| project(want, a)),
                });
            }
        }
    }
    Outcome {
        mismatches,
        logs: run.logs,
        ran: run.ran,
    }
}

/// Run one case and check it.
pub fn run_case(suite: &Suite, case: &Case, limits: &Limits) -> Outcome {
    let (configuration, user, context) = match &case.input {
        Input::Rule {
            configuration,
            user,
            context,
        } => (configuration, user, context),
        Input::Action {
            event,
            secrets,
            stubs,
        } => return run_action_case(suite, case, (event, secrets, stubs), limits),
    };
    let tree = &suite.trees[case.tree];
    let rules = rules_of(tree, &case.target);
    let full = full_context(context);
    let run = rules_runtime::run_pipeline(&scripts_of(&rules), user, &full, configuration, limits);
    let mismatches = match &run.verdict {
        Verdict::Failed { rule, failure } => {
            let origins: Vec<(&str, &ScriptOrigin)> =
                rules.iter().map(|r| (r.name.as_str(), &r.origin)).collect();
            vec![failure_mismatch("rule", rule, failure, &origins)]
        }
        Verdict::Denied { rule, error } => denied_mismatches(case, rule, error),
        Verdict::Allowed { user, context, .. } => allowed_mismatches(case, user, context),
    };
    Outcome {
        mismatches,
        logs: run.logs,
        ran: run.ran,
    }
}

/// The scripts of `rules`, as the sandbox runs them.
pub fn scripts_of(rules: &[&LoadedRule]) -> Vec<RuleScript> {
    rules
        .iter()
        .map(|r| RuleScript {
            name: r.name.clone(),
            script: r.script.clone(),
        })
        .collect()
}

/// The `context` a rule case's login starts with: its fields over the defaults.
pub fn full_context(context: &Value) -> Value {
    let mut full = rules_runtime::default_context();
    rules_runtime::merge(&mut full, context);
    full
}

/// A rule or action (`what`) that failed, located in its script when the failure has a place.
fn failure_mismatch(
    what: &str,
    name: &str,
    failure: &rules_runtime::Failure,
    origins: &[(&str, &ScriptOrigin)],
) -> Mismatch {
    let at = failure.pos().and_then(|p| {
        origins
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, o)| o.locate(p))
    });
    Mismatch {
        message: format!("{what} `{name}` {failure}"),
        at,
        expected: None,
        actual: None,
    }
}

/// What does not match in a denied login: the error, unless the case expects that one, and
/// every other expectation, which a denied login cannot meet.
fn denied_mismatches(case: &Case, rule: &str, error: &rules_runtime::RuleError) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    let actual = json!({"name": error.name, "message": error.message});
    match case.expect.get("error") {
        Some(want) if matches(want, Some(&actual)) => {}
        Some(want) => mismatches.push(Mismatch {
            message: format!("rule `{rule}` denied the login with another error"),
            at: None,
            expected: Some(want.clone()),
            actual: Some(project(want, &actual)),
        }),
        None => mismatches.push(Mismatch {
            message: format!(
                "rule `{rule}` denied the login: {}: {}",
                error.name, error.message
            ),
            at: None,
            expected: None,
            actual: None,
        }),
    }
    for key in case.expect.keys().filter(|k| *k != "error") {
        mismatches.push(Mismatch {
            message: format!("expect.{key}: the login was denied, so there is none"),
            at: None,
            expected: None,
            actual: None,
        });
    }
    mismatches
}

/// What does not match in an allowed login: an expected error, and each expectation the final
/// `user` and `context` do not meet.
fn allowed_mismatches(case: &Case, user: &Value, context: &Value) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    if let Some(want) = case.expect.get("error") {
        mismatches.push(Mismatch {
            message: "expected the login to be denied, but every rule called back without an error"
                .into(),
            at: None,
            expected: Some(want.clone()),
            actual: None,
        });
    }
    for (key, want) in &case.expect {
        let actual = match key.as_str() {
            "user" => Some(user),
            "context" => Some(context),
            "error" => continue,
            k => context.get(k),
        };
        if !matches(want, actual) {
            mismatches.push(Mismatch {
                message: format!("{} does not match", describe(key)),
                at: None,
                expected: Some(want.clone()),
                actual: actual.map(|a| project(want, a)),
            });
        }
    }
    mismatches
}

fn describe(key: &str) -> String {
    match key {
        "user" => "user".into(),
        "context" => "context".into(),
        k => format!("context.{k}"),
    }
}

/// Whether `actual` has everything `expected` says: objects by their written keys, arrays
/// element by element and of the same length, numbers by value; `null` matches an absent value.
pub fn matches(expected: &Value, actual: Option<&Value>) -> bool {
    match (expected, actual) {
        (Value::Null, None | Some(Value::Null)) => true,
        (_, None) => false,
        (Value::Object(want), Some(Value::Object(got))) => {
            want.iter().all(|(k, w)| matches(w, got.get(k)))
        }
        (Value::Array(want), Some(Value::Array(got))) => {
            want.len() == got.len() && want.iter().zip(got).all(|(w, g)| matches(w, Some(g)))
        }
        (Value::Number(a), Some(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (w, Some(g)) => w == g,
    }
}

/// `actual` cut down to the keys `expected` names, so a diff shows only what was checked.
fn project(expected: &Value, actual: &Value) -> Value {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => Value::Object(
            want.iter()
                .filter_map(|(k, w)| got.get(k).map(|g| (k.clone(), project(w, g))))
                .collect(),
        ),
        (Value::Array(want), Value::Array(got)) => Value::Array(
            got.iter()
                .enumerate()
                .map(|(i, g)| want.get(i).map_or_else(|| g.clone(), |w| project(w, g)))
                .collect(),
        ),
        (_, g) => g.clone(),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// The expected and actual values as a unified diff (`-` expected, `+` actual).
fn diff(expected: &Value, actual: Option<&Value>) -> String {
    let want = pretty(expected);
    let got = actual.map_or_else(|| "(absent)".to_string(), pretty);
    let mut out = String::from("--- expected\n+++ actual\n");
    for change in similar::TextDiff::from_lines(&want, &got).iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
            similar::ChangeTag::Equal => ' ',
        };
        out.push(sign);
        out.push_str(change.value().trim_end_matches('\n'));
        out.push('\n');
    }
    out
}

fn render_text(results: &[(&Case, Outcome)], paint: Paint) -> String {
    let mut out = String::new();
    let mut failed = 0;
    for (case, outcome) in results {
        // Names, messages and logs come from test files and rules: no control character of
        // theirs reaches the terminal.
        let target = match &case.target {
            Target::Rule(r) => visible_line(r).into_owned(),
            Target::Pipeline => "pipeline".into(),
            Target::Action(a) => format!("action {}", visible_line(a)),
            Target::Trigger(t) => format!("trigger {}", visible_line(t)),
        };
        let name = visible_line(&case.name);
        let file = visible_line(&case.file);
        if outcome.mismatches.is_empty() {
            out.push_str(&format!(
                "{}   {} {}\n",
                paint.green("ok"),
                name,
                paint.dim(&format!("({target})"))
            ));
            continue;
        }
        failed += 1;
        out.push_str(&format!(
            "{} {} {}\n",
            paint.red(&paint.bold("FAIL")),
            name,
            paint.dim(&format!("({target})"))
        ));
        for m in &outcome.mismatches {
            out.push_str(&format!(
                "  {file}:{}:{}: {}\n",
                case.pos.line,
                case.pos.col,
                visible_line(&m.message)
            ));
            if let Some(at) = &m.at {
                out.push_str(&format!("    at {}\n", visible_line(at)));
            }
            if let Some(want) = &m.expected {
                for line in diff(want, m.actual.as_ref()).lines() {
                    let line = match line.chars().next() {
                        Some('-') => paint.red(line),
                        Some('+') => paint.green(line),
                        _ => line.to_string(),
                    };
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
        if !outcome.logs.is_empty() {
            out.push_str("  console.log:\n");
            for line in &outcome.logs {
                out.push_str(&format!("    {}\n", visible_line(line)));
            }
        }
    }
    out.push_str(&format!(
        "{} passed, {failed} failed\n",
        results.len() - failed
    ));
    out
}

fn render_json(results: &[(&Case, Outcome)]) -> String {
    let failed = results
        .iter()
        .filter(|(_, o)| !o.mismatches.is_empty())
        .count();
    let cases: Vec<Value> = results
        .iter()
        .map(|(case, o)| {
            let (key, target) = case.target.label();
            json!({
                "name": case.name,
                "file": case.file,
                "line": case.pos.line,
                "column": case.pos.col,
                key: target,
                "status": if o.mismatches.is_empty() { "ok" } else { "fail" },
                "ran": o.ran,
                "failures": o.mismatches.iter().map(|m| json!({
                    "message": m.message,
                    "at": m.at,
                    "expected": m.expected,
                    "actual": m.actual,
                })).collect::<Vec<_>>(),
                "logs": o.logs,
            })
        })
        .collect();
    let doc = json!({
        "format_version": 1,
        "summary": {"passed": results.len() - failed, "failed": failed},
        "cases": cases,
    });
    format!("{}\n", pretty(&doc))
}

/// `--timeout`: seconds (`5`, `0.5`) or a duration (`500ms`, `2s`).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = match s.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 3600.0 => {
            Duration::from_secs_f64(secs)
        }
        Ok(_) => {
            return Err(format!(
                "`{s}` must be more than 0 and at most 3600 seconds"
            ));
        }
        Err(_) => humantime::parse_duration(s.trim())
            .map_err(|e| format!("`{s}` is not a duration ({e}); try 5, 5s or 500ms"))?,
    };
    if d.is_zero() || d > Duration::from_secs(3600) {
        return Err(format!(
            "`{s}` must be more than 0 and at most 3600 seconds"
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_matching() {
        let actual = json!({"a": 1.0, "b": [1, {"c": 2, "d": 3}], "e": null});
        assert!(matches(&json!({"a": 1}), Some(&actual)));
        assert!(matches(&json!({"b": [1, {"c": 2}]}), Some(&actual)));
        assert!(!matches(&json!({"b": [1]}), Some(&actual)));
        assert!(matches(&json!({"e": null, "missing": null}), Some(&actual)));
        assert!(!matches(&json!({"a": null}), Some(&actual)));
        assert!(!matches(&json!({"a": "1"}), Some(&actual)));
        assert!(!matches(&json!({}), None));
        assert_eq!(
            project(&json!({"b": [1, {"c": 5}]}), &actual),
            json!({"b": [1, {"c": 2}]})
        );
    }

    #[test]
    fn diffs_show_expected_and_actual() {
        let d = diff(&json!({"a": [1]}), Some(&json!({"a": [2]})));
        assert!(d.contains("-    1\n+    2\n"), "{d}");
        assert!(diff(&json!({}), None).contains("+(absent)"));
    }

    #[test]
    fn timeouts_parse() {
        assert_eq!(parse_timeout("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("2h").is_err());
    }

    #[test]
    fn script_positions_map_to_files() {
        let p = ScriptPos { line: 3, col: 5 };
        assert_eq!(
            ScriptOrigin::File("t/rules/a.js".into()).locate(p),
            "t/rules/a.js:3:5"
        );
        let at = Pos { line: 10, col: 7 };
        assert_eq!(
            ScriptOrigin::Literal {
                file: "t/rules.yaml".into(),
                at
            }
            .locate(p),
            "t/rules.yaml:12:11"
        );
        assert_eq!(
            ScriptOrigin::Inline {
                file: "t/rules.yaml".into(),
                at
            }
            .locate(p),
            "t/rules.yaml:10:7 (script line 3, column 5)"
        );
        let far = ScriptPos {
            line: u32::MAX,
            col: u32::MAX,
        };
        let literal = ScriptOrigin::Literal {
            file: "t.yaml".into(),
            at,
        };
        assert_eq!(
            literal.locate(far),
            format!("t.yaml:{}:{}", u32::MAX, u32::MAX)
        );
    }
}
