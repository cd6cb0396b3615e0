//! `a0ctl migrate rules`: a tree's rules as post-login actions, proven by the rules' own cases.
//!
//! For each rule (in `order`), the translation of its script (`rules_runtime::migrate`) is
//! written as `actions/NAME.js` with its manifest entry, and the enabled ones are bound to
//! `post-login` in the rules' order, before any action the tree already binds there (rules ran
//! before actions). The rule entries are kept, disabled (or removed with `--remove-rules`), so
//! one reviewed plan rolls out the actions and retires the rules. Each rule case of the tree's
//! test files is written as an action case, and run both ways: the rule (or the pipeline of
//! enabled rules) on its fixture login, the actions on the event that login makes; their
//! outcomes are shown side by side, and a case whose outcomes differ fails the migration.
//!
//! The manifest files are edited as text at the places their YAML tree gives, so comments and
//! layout stay; everything is written under `--out`, nothing beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use serde_json::{Map, Value, json};

use crate::diag::{Paint, hinted};
use crate::error::{Diagnostic, InvalidManifests, Result};
use crate::kinds::spec::KindSpec as _;
use crate::manifest::yaml::{self, Node, Pos, Val};
use crate::rules_runtime::migrate::{Todo, Translation};
use crate::rules_runtime::{self, ActionScript, ActionVerdict, Limits, Verdict};

/// The manifest sections this command edits, as their kinds name them.
fn rules_section() -> &'static str {
    crate::kinds::rule::Rule.kind().section()
}

fn triggers_section() -> &'static str {
    crate::kinds::trigger::Trigger.kind().section()
}

/// Each `context` field of a rule and its place in the post-login event.
const CONTEXT_IN_EVENT: [(&str, &[&str]); 12] = [
    ("clientID", &["client", "client_id"]),
    ("clientName", &["client", "name"]),
    ("clientMetadata", &["client", "metadata"]),
    ("connection", &["connection", "name"]),
    ("connectionID", &["connection", "id"]),
    ("connectionStrategy", &["connection", "strategy"]),
    ("connectionMetadata", &["connection", "metadata"]),
    ("protocol", &["transaction", "protocol"]),
    ("sessionID", &["session", "id"]),
    ("tenant", &["tenant", "id"]),
    ("authorization", &["authorization"]),
    ("authentication", &["authentication"]),
];
use crate::ruletest::{self, Case, LoadedRule, Target};

/// The file the migrated actions (and, when the tree binds none, the trigger) are written to.
pub const ACTIONS_FILE: &str = "actions-from-rules.yaml";
/// The file the migrated cases are written to.
pub const CASES_FILE: &str = "actions-from-rules.test.yaml";
/// The runtime of the actions written.
const RUNTIME: &str = "node22";
/// Largest manifest file edited.
const MAX_FILE_BYTES: u64 = 16 << 20;
/// Deepest directory of the tree copied.
const MAX_DEPTH: usize = 16;
/// Most files of the tree copied.
const MAX_FILES: usize = 10_000;

/// `a0ctl migrate rules` options.
#[derive(Debug, Clone)]
pub struct MigrateArgs {
    pub path: PathBuf,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub remove_rules: bool,
    pub check: bool,
    pub limits: Limits,
}

/// One rule's migration.
#[derive(Debug, Clone)]
pub struct Migrated {
    pub rule: LoadedRule,
    /// The action's name (the rule's, unless an action of the tree has it).
    pub action: String,
    pub translation: Translation,
}

/// One case run both ways.
#[derive(Debug, Clone)]
pub struct Compared {
    pub name: String,
    pub at: String,
    pub rule: Value,
    pub action: Value,
}

impl Compared {
    pub fn agrees(&self) -> bool {
        self.rule == self.action
    }
}

/// Everything a migration found.
#[derive(Debug, Clone)]
pub struct Report {
    pub migrated: Vec<Migrated>,
    pub cases: Vec<Compared>,
    /// What of the cases could not be carried over (an expectation with no counterpart).
    pub notes: Vec<String>,
    /// The files written (relative to `--out`).
    pub written: Vec<String>,
}

impl Report {
    pub fn todos(&self) -> usize {
        self.migrated
            .iter()
            .map(|m| m.translation.todos.len())
            .sum()
    }

    pub fn disagreements(&self) -> usize {
        self.cases.iter().filter(|c| !c.agrees()).count()
    }
}

/// Run the command: 0 when every rule translated and every case agrees, 2 when something needs
/// a person.
pub fn run(args: &MigrateArgs, paint: Paint) -> Result<ExitCode> {
    let report = migrate(args)?;
    crate::commands::print_stdout(&render(&report, args, paint))?;
    Ok(if report.todos() == 0 && report.disagreements() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Migrate, prove and (without `--check`) write.
pub fn migrate(args: &MigrateArgs) -> Result<Report> {
    if !args.path.is_dir() {
        return Err(hinted(
            format!("{} is not a directory", args.path.display()),
            "give the directory of the manifests whose rules to migrate",
        ));
    }
    let (tree, cases, v2) = ruletest::load_for_migration(&args.path)?;
    if !v2 {
        return Err(hinted(
            format!(
                "the manifests in {} speak Management API v1, which has no actions",
                args.path.display()
            ),
            "migrate a tree with `api: v2` (export the tenant with `a0ctl export --out DIR`)",
        ));
    }
    if args.path.join(ACTIONS_FILE).exists() {
        return Err(hinted(
            format!(
                "{} was migrated already (it holds {ACTIONS_FILE})",
                args.path.display()
            ),
            "migrate the tree the rules came from, or edit the migrated tree by hand",
        ));
    }
    if tree.rules.is_empty() {
        return Err(hinted(
            format!("the manifests in {} declare no rules", args.path.display()),
            "give the directory whose rules.yaml declares them",
        ));
    }
    let out = match (&args.out, args.check) {
        (_, true) => None,
        (Some(out), false) => Some(out.clone()),
        (None, false) => {
            return Err(hinted(
                "migrate rules needs --out DIR (or --check, which writes nothing)",
                "a0ctl migrate rules PATH --out DIR",
            ));
        }
    };
    if let Some(out) = &out {
        check_out(&args.path, out, args.force)?;
    }
    // In the rules' order: the order of the actions bound.
    let mut rules: Vec<(usize, &LoadedRule)> = tree.rules.iter().enumerate().collect();
    rules.sort_by_key(|(i, r)| (r.order.is_none(), r.order, *i));
    let taken: BTreeSet<&str> = tree.actions.iter().map(|a| a.name.as_str()).collect();
    let mut migrated = Vec::new();
    let mut diags = Vec::new();
    for (_, rule) in rules {
        match rules_runtime::migrate::translate(&rule.name, &rule.script) {
            // A value from the environment was put into the script when it was read: it would
            // be written into the action's file.
            Ok(t) if crate::secret::scrub_message(&t.code) != t.code => {
                let (file, pos) = located(rule, None);
                diags.push(Diagnostic::new(
                    file,
                    pos,
                    format!(
                        "rule `{}` holds a value from the environment (a `${{VAR}}` in its script): migrate never writes one into a file; read it from configuration instead, or migrate with the variable unset",
                        rule.name
                    ),
                ));
            }
            Ok(mut translation) => {
                if let Some(stage) = rule.stage.as_deref().filter(|s| *s != "login_success") {
                    translation.todos.insert(
                        0,
                        Todo {
                            pos: rules_runtime::ScriptPos { line: 1, col: 1 },
                            reason: format!(
                                "the rule runs at `{stage}`, not at a successful login: post-login is not its trigger"
                            ),
                        },
                    );
                }
                if rule.script.contains("timestamp") && rule.script.contains("authentication") {
                    translation.todos.push(Todo {
                        pos: rules_runtime::ScriptPos { line: 1, col: 1 },
                        reason: "authentication timestamps are numbers in rules and ISO 8601 strings in actions: check how the rule uses them".into(),
                    });
                }
                let action = if taken.contains(rule.name.as_str()) {
                    format!("{}-from-rule", rule.name)
                } else {
                    rule.name.clone()
                };
                migrated.push(Migrated {
                    rule: rule.clone(),
                    action,
                    translation,
                });
            }
            Err(e) => diags.push(Diagnostic::new(
                located(rule, e.pos).0,
                located(rule, e.pos).1,
                format!("rule `{}` cannot be migrated: {}", rule.name, e.message),
            )),
        }
    }
    if !diags.is_empty() {
        return Err(InvalidManifests(diags).into());
    }
    let mut notes = Vec::new();
    let mut action_cases: Vec<(Case, Value)> = cases
        .iter()
        .filter_map(|c| {
            let written = action_case(c, &migrated, &tree, &mut notes)?;
            Some((c.clone(), written))
        })
        .collect();
    // Only rule cases are carried over, so each has its comparison.
    let compared: Vec<Compared> = action_cases
        .iter()
        .filter_map(|(c, written)| compare(c, written, &migrated, &tree, &args.limits))
        .collect();
    // A case that expects the user's metadata expects, of the actions, what the rule wrote
    // (when both sides agree): an action's metadata is what it sets.
    for ((c, written), both) in action_cases.iter_mut().zip(&compared) {
        for key in ["app_metadata", "user_metadata"] {
            let expected = c.expect.get("user").and_then(|u| u.get(key)).is_some();
            if let (true, true, Some(set)) = (expected, both.agrees(), both.rule.get(key)) {
                written["expect"][key] = set.clone();
            }
        }
    }
    let mut report = Report {
        migrated,
        cases: compared,
        notes,
        written: Vec::new(),
    };
    if let Some(out) = &out {
        report.written = write_tree(&args.path, out, &report, &action_cases, args)?;
    }
    Ok(report)
}

/// A place in a rule's script as a file and position, for a diagnostic.
fn located(rule: &LoadedRule, pos: Option<rules_runtime::ScriptPos>) -> (String, Pos) {
    let p = pos.unwrap_or(rules_runtime::ScriptPos { line: 1, col: 1 });
    let shown = rule.origin.locate(p);
    // `file:line:col[ (…)]`, split back.
    let head = shown.split(' ').next().unwrap_or(&shown);
    let mut parts = head.rsplitn(3, ':');
    let col = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(1);
    let file = parts.next().unwrap_or(head).to_string();
    (file, Pos { line, col })
}

/// `--out` is a directory that is not the tree, and empty unless `--force`.
fn check_out(from: &Path, out: &Path, force: bool) -> Result<()> {
    // `out` may not exist yet: its nearest existing ancestor says where it would be.
    let resolved = |p: &Path| -> Option<PathBuf> {
        let mut rest = Vec::new();
        let mut at = p.to_path_buf();
        loop {
            if let Ok(real) = at.canonicalize() {
                return Some(
                    rest.iter()
                        .rev()
                        .fold(real, |acc: PathBuf, part| acc.join(part)),
                );
            }
            rest.push(at.file_name()?.to_os_string());
            at = match at.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            };
        }
    };
    let inside = match (resolved(from), resolved(out)) {
        (Some(a), Some(b)) => b.starts_with(&a) || a.starts_with(&b),
        _ => false,
    };
    if inside {
        return Err(hinted(
            format!(
                "--out {} is the tree being migrated, inside it, or holds it",
                out.display()
            ),
            "write the migrated tree to a directory of its own, then review it and move it into place",
        ));
    }
    if out
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(hinted(
            format!("--out {} is a symbolic link", out.display()),
            "give a real directory",
        ));
    }
    if out.exists() {
        let mut entries = std::fs::read_dir(out)
            .map_err(crate::error::io(format!("cannot read {}", out.display())))?;
        if entries.next().is_some() && !force {
            return Err(hinted(
                format!("{} is not empty: refusing to write into it", out.display()),
                "choose an empty directory, or pass --force to overwrite what migrate writes",
            ));
        }
    }
    Ok(())
}

/// The event a rule case's fixture login makes, as the written action case gives it: the
/// case's user as the rule saw it (a field the rule did not have is `null`, metadata `{}`), and
/// each `context` field at its place in the event.
fn event_of(
    user: &Value,
    context: &Value,
    given: &Value,
    notes: &mut Vec<String>,
    case: &str,
) -> Value {
    let case_sets = |key: &str| given.get(key).is_some();
    let mut shown = user.as_object().cloned().unwrap_or_default();
    let defaults = rules_runtime::default_event("post-login");
    if let Some(d) = defaults["user"].as_object() {
        for k in d.keys() {
            if !shown.contains_key(k) {
                let empty = matches!(k.as_str(), "app_metadata" | "user_metadata");
                shown.insert(k.clone(), if empty { json!({}) } else { Value::Null });
            }
        }
    }
    let mut event = json!({ "user": Value::Object(shown) });
    let Some(ctx) = context.as_object() else {
        return event;
    };
    let mut put = |path: &[&str], v: &Value| {
        let mut at = &mut event;
        for (i, p) in path.iter().enumerate() {
            if i + 1 == path.len() {
                at[*p] = v.clone();
            } else {
                if !at[*p].is_object() {
                    at[*p] = json!({});
                }
                at = &mut at[*p];
            }
        }
    };
    for (k, v) in ctx {
        if let Some((_, path)) = CONTEXT_IN_EVENT.iter().find(|(c, _)| c == k) {
            // The rules' default (a number where the event has a time) is not the case's.
            if k != "authentication" || case_sets(k) {
                put(path, v);
            }
            continue;
        }
        match k.as_str() {
            "stats" => {
                if let Some(n) = v.get("loginsCount") {
                    put(&["stats", "logins_count"], n);
                }
            }
            "request" => {
                for (rk, rv) in v.as_object().into_iter().flatten() {
                    match rk.as_str() {
                        "userAgent" => put(&["request", "user_agent"], rv),
                        "geoip" => {
                            for (gk, gv) in rv.as_object().into_iter().flatten() {
                                match rules_runtime::migrate::geoip_field(gk) {
                                    Some(f) => put(&["request", "geoip", f], gv),
                                    None => notes.push(format!(
                                        "case \"{case}\": context.request.geoip.{gk} has no place in the event: left out"
                                    )),
                                }
                            }
                        }
                        other => put(&["request", other], rv),
                    }
                }
            }
            // Claims a login starts with are not the rules' doing.
            "idToken" | "accessToken" => {}
            other => notes.push(format!(
                "case \"{case}\": context.{other} has no place in the post-login event: left out"
            )),
        }
    }
    event
}

/// `v` less what `default` already says (an object key by key, recursively).
fn prune(v: &Value, default: &Value) -> Value {
    match (v, default) {
        (Value::Object(o), Value::Object(d)) => Value::Object(
            o.iter()
                .filter(|(k, x)| d.get(*k) != Some(*x))
                .filter_map(|(k, x)| match d.get(k) {
                    Some(dx @ Value::Object(_)) if x.is_object() => {
                        let left = prune(x, dx);
                        // What is left of an object the defaults hold whole: nothing to say.
                        (left.as_object().is_none_or(|m| !m.is_empty())).then(|| (k.clone(), left))
                    }
                    _ => Some((k.clone(), x.clone())),
                })
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// A rule case as an action case (the value written to the test file; `"written": false`
/// when an action case cannot expect what the rule case does, an error a rule calls back
/// with that is no denial).
fn action_case(
    case: &Case,
    migrated: &[Migrated],
    tree: &ruletest::Tree,
    notes: &mut Vec<String>,
) -> Option<Value> {
    let (configuration, user, context) = case.input.login()?;
    let mut m = Map::new();
    m.insert("name".into(), json!(case.name));
    match &case.target {
        Target::Rule(r) => {
            let a = migrated.iter().find(|m| &m.rule.name == r)?;
            m.insert("action".into(), json!(a.action));
        }
        Target::Pipeline => {
            m.insert("trigger".into(), json!("post-login"));
            let others = tree
                .triggers
                .iter()
                .any(|(t, b)| t == "post-login" && !b.is_empty());
            let unbound = migrated
                .iter()
                .any(|a| a.rule.enabled && !a.translation.todos.is_empty());
            if others || unbound {
                notes.push(format!(
                    "case \"{}\": compared with the rules' actions in their order; not written, since post-login {}",
                    case.name,
                    if others {
                        "also runs the actions the tree binds there"
                    } else {
                        "does not bind the actions with a TODO"
                    }
                ));
                m.insert("written".into(), json!(false));
            }
        }
        Target::Action(_) | Target::Trigger(_) => return None,
    }
    // The event of the login the rule saw (its defaults too), less what the event's own
    // defaults already say.
    let full = ruletest::full_context(context);
    let event = event_of(user, &full, context, notes, &case.name);
    m.insert(
        "event".into(),
        prune(&event, &rules_runtime::default_event("post-login")),
    );
    if configuration.as_object().is_some_and(|c| !c.is_empty()) {
        m.insert("secrets".into(), configuration.clone());
    }
    let mut expect = Map::new();
    for (k, v) in &case.expect {
        match k.as_str() {
            "idToken" | "accessToken" => {
                expect.insert(k.clone(), v.clone());
            }
            "error" => {
                let name = v.get("name").and_then(Value::as_str);
                let message = v.get("message").cloned().unwrap_or(Value::Null);
                if name.is_none_or(|n| n == "UnauthorizedError") && message.is_string() {
                    expect.insert("denied".into(), message);
                } else {
                    notes.push(format!(
                        "case \"{}\": an error other than an UnauthorizedError makes the action throw, which an action case cannot expect: compared here, not written",
                        case.name
                    ));
                    m.insert("written".into(), json!(false));
                }
            }
            "redirect" => {
                expect.insert("redirect".into(), v.clone());
            }
            "context" => {
                let mut left = Vec::new();
                for (ck, cv) in v.as_object().into_iter().flatten() {
                    match ck.as_str() {
                        "idToken" | "accessToken" => {
                            expect.insert(ck.clone(), cv.clone());
                        }
                        "redirect" => {
                            expect.insert("redirect".into(), cv.clone());
                        }
                        "multifactor" if cv.is_null() => {
                            expect.insert("multifactor".into(), Value::Null);
                        }
                        "multifactor" => {
                            let mut mf = json!({"provider": cv.get("provider")});
                            if let Some(b) = cv.get("allowRememberBrowser") {
                                mf["options"] = json!({"allowRememberBrowser": b});
                            }
                            expect.insert("multifactor".into(), mf);
                        }
                        other => left.push(other.to_string()),
                    }
                }
                if !left.is_empty() {
                    notes.push(format!(
                        "case \"{}\": expect.context.{} has no counterpart in an action's effects: left out",
                        case.name,
                        left.join(", expect.context.")
                    ));
                }
            }
            "user" => {
                let others: Vec<&String> = v
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                    .filter(|k| !matches!(k.as_str(), "app_metadata" | "user_metadata"))
                    .collect();
                let metadata = others.len() < v.as_object().map_or(0, |o| o.len());
                if !others.is_empty() {
                    notes.push(format!(
                        "case \"{}\": expect.user.{} (the user a rule calls back with) has no counterpart in an action's effects: left out{}",
                        case.name,
                        others.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", expect.user."),
                        if metadata { " (the metadata it expects is written as what the rule set)" } else { "" }
                    ));
                }
            }
            other => notes.push(format!("case \"{}\": expect.{other} left out", case.name)),
        }
    }
    m.insert("expect".into(), Value::Object(expect));
    Some(Value::Object(m))
}

/// Run `case` as the rules and as the actions, each outcome in one shape.
fn compare(
    case: &Case,
    written: &Value,
    migrated: &[Migrated],
    tree: &ruletest::Tree,
    limits: &Limits,
) -> Option<Compared> {
    let (configuration, user, context) = case.input.login()?;
    let rules = ruletest::rules_of(tree, &case.target);
    let full = ruletest::full_context(context);
    let rule_run = rules_runtime::run_pipeline(
        &ruletest::scripts_of(&rules),
        user,
        &full,
        configuration,
        limits,
    );
    let before = full;
    let rule = rule_outcome(&rule_run.verdict, &before);
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    let actions: Vec<ActionScript> = names
        .iter()
        .filter_map(|n| migrated.iter().find(|m| m.rule.name == *n))
        .map(|m| ActionScript {
            name: m.action.clone(),
            code: m.translation.code.clone(),
            secrets: configuration.clone(),
        })
        .collect();
    let mut event = rules_runtime::default_event("post-login");
    rules_runtime::merge(&mut event, &written["event"]);
    let hint = "the rule requires `{name}`: give the migrated case a stub (`stubs:`)";
    let run = rules_runtime::run_actions("post-login", &actions, &event, &[], hint, limits);
    let action = action_outcome(&run.verdict, &run.effects);
    Some(Compared {
        name: case.name.clone(),
        at: format!("{}:{}:{}", case.file, case.pos.line, case.pos.col),
        rule,
        action,
    })
}

/// What a login's outcome is, in the shape both sides are shown in: `{result, idToken,
/// accessToken, app_metadata?, user_metadata?, redirect?, multifactor?}`; a denied or failed
/// login is its result alone.
fn rule_outcome(v: &Verdict, before: &Value) -> Value {
    match v {
        Verdict::Denied { error, .. } if error.name == "UnauthorizedError" => {
            json!({"result": format!("denied: {}", error.message)})
        }
        Verdict::Denied { error, .. } => json!({"result": format!("error: {}", error.message)}),
        Verdict::Failed { failure, .. } => {
            json!({"result": format!("error: {}", failure_message(failure))})
        }
        Verdict::Allowed {
            context, written, ..
        } => {
            let mut out = json!({"result": "allowed"});
            for token in ["idToken", "accessToken"] {
                out[token] = added(&before[token], &context[token]);
            }
            for key in ["app_metadata", "user_metadata"] {
                if let Some(m) = written.get(key).filter(|m| !m.is_null()) {
                    out[key] = m.clone();
                }
            }
            if let Some(url) = context.get("redirect").and_then(|r| r.get("url")) {
                out["redirect"] = url.clone();
            }
            if let Some(mf) = context.get("multifactor").filter(|m| !m.is_null()) {
                out["multifactor"] = mfa(mf, mf.get("allowRememberBrowser"));
            }
            out
        }
    }
}

fn action_outcome(v: &ActionVerdict, effects: &Value) -> Value {
    match v {
        ActionVerdict::Denied { reason, .. } => json!({"result": format!("denied: {reason}")}),
        ActionVerdict::Failed { failure, .. } => {
            json!({"result": format!("error: {}", failure_message(failure))})
        }
        ActionVerdict::Done => {
            let mut out = json!({"result": "allowed"});
            for token in ["idToken", "accessToken"] {
                out[token] = effects.get(token).cloned().unwrap_or_else(|| json!({}));
            }
            for key in ["app_metadata", "user_metadata"] {
                if let Some(m) = effects
                    .get(key)
                    .filter(|m| m.as_object().is_some_and(|m| !m.is_empty()))
                {
                    out[key] = m.clone();
                }
            }
            if let Some(url) = effects.get("redirect").and_then(|r| r.get("url")) {
                out["redirect"] = url.clone();
            }
            if let Some(mf) = effects.get("multifactor").filter(|m| !m.is_null()) {
                let remember = mf
                    .get("options")
                    .and_then(|o| o.get("allowRememberBrowser"));
                out["multifactor"] = mfa(mf, remember);
            }
            out
        }
    }
}

/// MFA as both sides are shown: the provider, and whether the browser may be remembered.
fn mfa(asked: &Value, remember: Option<&Value>) -> Value {
    let mut shown = json!({"provider": asked.get("provider").cloned().unwrap_or(Value::Null)});
    if let Some(b) = remember {
        shown["allowRememberBrowser"] = b.clone();
    }
    shown
}

/// A failure's message, without the script's place (the two sides' places differ).
fn failure_message(f: &rules_runtime::Failure) -> String {
    match f {
        rules_runtime::Failure::Threw { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The claims `after` has that `before` did not (or changed).
fn added(before: &Value, after: &Value) -> Value {
    let mut out = Map::new();
    for (k, v) in after.as_object().into_iter().flatten() {
        if before.get(k) != Some(v) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Write the migrated tree under `out`; the files written, relative to it.
fn write_tree(
    from: &Path,
    out: &Path,
    report: &Report,
    cases: &[(Case, Value)],
    args: &MigrateArgs,
) -> Result<Vec<String>> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    // The tree as it is: its manifests, test files and the files they name (one level of
    // directories, as manifests name them).
    copy_files(from, from, &mut files, 0)?;
    // A rule whose translation needs a person keeps running as it is, and its action is
    // written but not bound; the others are bound (the enabled ones) and retired.
    let retired: Vec<&Migrated> = report
        .migrated
        .iter()
        .filter(|m| m.translation.todos.is_empty())
        .collect();
    let bound: Vec<String> = retired
        .iter()
        .filter(|m| m.rule.enabled)
        .map(|m| m.action.clone())
        .collect();
    let removed: BTreeSet<String> = retired.iter().map(|m| m.rule.name.clone()).collect();
    let mut binds_post_login = false;
    for (rel, bytes) in files.clone() {
        if !rel.ends_with(".yaml") && !rel.ends_with(".yml") || rel.contains('/') {
            continue;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let mut edited = text.clone();
        // Each edit on the tree of the text as the edit before left it.
        let parsed = |t: &str| yaml::parse(t).ok().flatten();
        if let Some(root) = parsed(&edited)
            && has_section(&root, "rule_tests")
        {
            // The rules' cases now run as the actions'; the pipeline of the rules left differs.
            edited = remove_items(&edited, &root, "rule_tests", |c| {
                str_of(c, "rule")
                    .is_none_or(|r| r == "pipeline" || (args.remove_rules && removed.contains(r)))
            })
            .map_err(|m| {
                hinted(
                    format!("{rel}: {m}"),
                    "write the cases in block style and migrate again",
                )
            })?;
        }
        if let Some(root) = parsed(&edited)
            && has_section(&root, rules_section())
        {
            edited = if args.remove_rules {
                remove_items(&edited, &root, rules_section(), |r| {
                    str_of(r, "name").is_some_and(|n| removed.contains(n))
                })
            } else {
                disable_rules(&edited, &root, &removed)
            }
            .map_err(|m| {
                hinted(
                    format!("{rel}: {m}"),
                    "write the rules in block style (one key a line) and migrate again",
                )
            })?;
        }
        if let Some(done) = bind_first(&edited, &bound).map_err(|m| {
            hinted(
                format!("{rel}: {m}"),
                "write the post-login trigger's bindings in block style and migrate again",
            )
        })? {
            edited = done;
            binds_post_login = true;
        }
        if edited != text {
            files.insert(rel, edited.into_bytes());
        }
    }
    // The scripts of the rules removed: neither copied nor left from an earlier migration.
    let mut stale = Vec::new();
    if args.remove_rules {
        for m in &retired {
            if let ruletest::ScriptOrigin::File(f) = &m.rule.origin
                && let Ok(rel) = Path::new(f).strip_prefix(from)
            {
                let rel = rel.to_string_lossy().replace('\\', "/");
                files.remove(&rel);
                stale.push(rel);
            }
        }
    }
    let mut used: BTreeSet<String> = files
        .keys()
        .filter_map(|k| k.strip_prefix("actions/"))
        .filter_map(|k| k.strip_suffix(".js"))
        .map(str::to_lowercase)
        .collect();
    let mut items = Vec::new();
    for m in &report.migrated {
        let file = crate::export::unique_file_name(&m.action, "action", &mut used);
        let rel = format!("actions/{file}.js");
        files.insert(rel.clone(), m.translation.code.clone().into_bytes());
        let mut item = Map::new();
        item.insert("name".into(), json!(m.action));
        item.insert("code".into(), json!({"file": rel}));
        item.insert("runtime".into(), json!(RUNTIME));
        item.insert(
            "supported_triggers".into(),
            json!([{"id": "post-login", "version": "v3"}]),
        );
        if !m.translation.dependencies.is_empty() {
            let deps: Vec<Value> = m
                .translation
                .dependencies
                .iter()
                .map(|(n, v)| json!({"name": n, "version": v}))
                .collect();
            item.insert("dependencies".into(), Value::Array(deps));
        }
        if !m.translation.secrets.is_empty() {
            let secrets: Vec<Value> = m
                .translation
                .secrets
                .iter()
                .map(|k| json!({"name": k, "value": format!("${{{}}}", env_name(k))}))
                .collect();
            item.insert("secrets".into(), Value::Array(secrets));
        }
        items.push(Value::Object(item));
    }
    let mut text = format!(
        "# Written by `a0ctl migrate rules`: each rule as a post-login action; the rules it\n# translated are {}, so one plan rolls these out and retires them (a rule with a\n# TODO keeps running, its action unbound). Review each action, then `a0ctl plan` this tree.\napi: v2\n{}:\n",
        if args.remove_rules {
            "removed"
        } else {
            "kept, disabled"
        },
        crate::kinds::action::Action.kind().section()
    );
    for item in &items {
        text.push_str(&crate::export::writer::list_item(item, 1));
    }
    if !binds_post_login && !bound.is_empty() {
        text.push_str(&format!("{}:\n", triggers_section()));
        let trigger = json!({
            "trigger": "post-login",
            "bindings": bound.iter().map(|a| json!({"action": a})).collect::<Vec<_>>(),
        });
        text.push_str(&crate::export::writer::list_item(&trigger, 1));
    }
    files.insert(ACTIONS_FILE.into(), text.into_bytes());
    if !cases.is_empty() {
        let mut text = String::from(
            "# The rules' cases as action cases, written by `a0ctl migrate rules`: `a0ctl test` runs them.\naction_tests:\n",
        );
        for (_, c) in cases.iter().filter(|(_, c)| c.get("written").is_none()) {
            text.push_str(&crate::export::writer::list_item(c, 1));
        }
        files.insert(CASES_FILE.into(), text.into_bytes());
    }
    // Check every place first, so a refusal writes nothing.
    for rel in files.keys() {
        crate::export::refuse_links(out, rel)?;
    }
    for (rel, bytes) in &files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(crate::error::io(format!(
                "cannot create {}",
                parent.display()
            )))?;
        }
        crate::fsutil::write_replacing(&path, bytes)
            .map_err(crate::error::io(format!("cannot write {}", path.display())))?;
    }
    for rel in &stale {
        let path = out.join(rel);
        if crate::export::refuse_links(out, rel).is_ok()
            && path.symlink_metadata().is_ok_and(|m| m.is_file())
        {
            std::fs::remove_file(&path).map_err(crate::error::io(format!(
                "cannot remove {}",
                path.display()
            )))?;
        }
    }
    Ok(files.keys().cloned().collect())
}

/// `${A0_SECRET_NAME}`: the variable a migrated secret's value is read from.
fn env_name(key: &str) -> String {
    crate::export::variable_name(&[key])
}

/// The regular files of `dir` (and one level of directories below it) into `files`, by path
/// relative to `root`; symbolic links are left out.
fn copy_files(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, Vec<u8>>,
    depth: usize,
) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(crate::error::io(format!("cannot read {}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(mut meta) = path.symlink_metadata() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        // A link is followed only to a regular file inside the tree (as the manifests read
        // their files); its copy is a file.
        if meta.file_type().is_symlink() {
            let inside = match (path.canonicalize(), root.canonicalize()) {
                (Ok(target), Ok(top)) => target.starts_with(&top),
                _ => false,
            };
            match std::fs::metadata(&path) {
                Ok(m) if inside && m.is_file() => meta = m,
                _ => continue,
            }
        }
        if meta.is_dir() && depth < MAX_DEPTH {
            copy_files(root, &path, files, depth + 1)?;
        } else if meta.is_file() {
            let bytes = crate::fsutil::read_bounded(&path, MAX_FILE_BYTES)
                .map_err(|e| hinted(format!("cannot read {}: {e}", path.display()), ""))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, bytes);
            if files.len() > MAX_FILES {
                return Err(hinted(
                    format!("{} holds more than {MAX_FILES} files", root.display()),
                    "migrate the directory of the manifests alone",
                ));
            }
        }
    }
    Ok(())
}

fn has_section(root: &Node, section: &str) -> bool {
    entry(root, section).is_some()
}

fn entry<'n>(node: &'n Node, key: &str) -> Option<&'n yaml::Entry> {
    match &node.value {
        Val::Map(entries) => entries.iter().find(|e| e.key == key),
        _ => None,
    }
}

fn str_of<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    match &entry(node, key)?.value.value {
        Val::Str(s, _) => Some(s),
        _ => None,
    }
}

/// The byte offset of a 1-based line and column (in characters) of `text`.
fn offset(text: &str, p: Pos) -> usize {
    let mut at = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == p.line as usize {
            return at
                + line
                    .char_indices()
                    .nth(p.col.saturating_sub(1) as usize)
                    .map_or(line.len(), |(o, _)| o);
        }
        at += line.len();
    }
    text.len()
}

fn line_start(text: &str, line: u32) -> usize {
    offset(text, Pos { line, col: 1 })
}

/// Each rule item's `enabled: false`: its value replaced, or the key added after `name`.
fn disable_rules(
    text: &str,
    root: &Node,
    names: &BTreeSet<String>,
) -> std::result::Result<String, String> {
    let Some(rules) = entry(root, rules_section()) else {
        return Ok(text.to_string());
    };
    let Val::Seq(items) = &rules.value.value else {
        return Ok(text.to_string());
    };
    // (offset, length replaced, text), applied from the end.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for item in items {
        if !str_of(item, "name").is_some_and(|n| names.contains(n)) {
            continue;
        }
        match entry(item, "enabled") {
            Some(e) => {
                let at = offset(text, e.value.pos);
                let len = text[at..]
                    .find(|c: char| c.is_whitespace() || c == ',' || c == '}' || c == '#')
                    .unwrap_or(text.len() - at);
                edits.push((at, len, "false".into()));
            }
            None => {
                let at = offset(text, item.pos);
                if text[..at].trim_end().ends_with('{') || text[at..].starts_with('{') {
                    return Err("a rule written in flow style (`{name: …}`): a0ctl adds `enabled: false` to block-style items only".into());
                }
                let name = entry(item, "name").ok_or("a rule without a name")?;
                let next = line_start(text, name.key_pos.line + 1);
                let pad = " ".repeat(item.pos.col.saturating_sub(1) as usize);
                edits.push((next, 0, format!("{pad}enabled: false\n")));
            }
        }
    }
    let mut out = text.to_string();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (at, len, t) in edits {
        out.replace_range(at..at + len, &t);
    }
    Ok(out)
}

/// A top-level section emptied (`rules: []`: a plan then deletes the tenant's rules, with
/// `--allow-delete`).
fn empty_section(text: &str, root: &Node, section: &str) -> String {
    let Val::Map(entries) = &root.value else {
        return text.to_string();
    };
    let Some(i) = entries.iter().position(|e| e.key == section) else {
        return text.to_string();
    };
    let start = line_start(text, entries[i].key_pos.line);
    let end = entries
        .get(i + 1)
        .map_or(text.len(), |next| line_start(text, next.key_pos.line));
    let mut out = text.to_string();
    out.replace_range(start..end, &format!("{section}: []\n\n"));
    out
}

/// The items of a top-level block-style list for which `drop` holds, removed (each from its
/// line to the next item's, or the section's end); `section: []` when none is left.
fn remove_items(
    text: &str,
    root: &Node,
    section: &str,
    drop: impl Fn(&Node) -> bool,
) -> std::result::Result<String, String> {
    let Val::Map(entries) = &root.value else {
        return Ok(text.to_string());
    };
    let Some(i) = entries.iter().position(|e| e.key == section) else {
        return Ok(text.to_string());
    };
    let Val::Seq(items) = &entries[i].value.value else {
        return Ok(text.to_string());
    };
    if !items.iter().any(|n| drop(n)) {
        return Ok(text.to_string());
    }
    if text[offset(text, entries[i].value.pos)..].starts_with('[') {
        return Err(format!(
            "`{section}` is a list in flow style (`[…]`): a0ctl removes items of block-style lists only"
        ));
    }
    if items.iter().all(|n| drop(n)) {
        return Ok(empty_section(text, root, section));
    }
    let section_end = entries
        .get(i + 1)
        .map_or(text.len(), |next| line_start(text, next.key_pos.line));
    let mut cuts = Vec::new();
    for (k, item) in items.iter().enumerate() {
        if drop(item) {
            let start = line_start(text, item.pos.line);
            let end = items
                .get(k + 1)
                .map_or(section_end, |n| line_start(text, n.pos.line));
            cuts.push(start..end);
        }
    }
    let mut out = text.to_string();
    for r in cuts.into_iter().rev() {
        out.replace_range(r, "");
    }
    Ok(out)
}

/// `actions` bound first in the post-login trigger the file declares, if it declares one.
fn bind_first(text: &str, actions: &[String]) -> std::result::Result<Option<String>, String> {
    let Ok(Some(root)) = yaml::parse(text) else {
        return Ok(None);
    };
    let Some(triggers) = entry(&root, triggers_section()) else {
        return Ok(None);
    };
    let Val::Seq(items) = &triggers.value.value else {
        return Ok(None);
    };
    let Some(item) = items
        .iter()
        .find(|t| str_of(t, "trigger") == Some("post-login"))
    else {
        return Ok(None);
    };
    if actions.is_empty() {
        return Ok(Some(text.to_string()));
    }
    if text[offset(text, item.pos)..].starts_with('{') {
        return Err("the post-login trigger is written in flow style (`{…}`)".into());
    }
    let Some(bindings) = entry(item, "bindings") else {
        return Err("the post-login trigger has no bindings".into());
    };
    let mut out = text.to_string();
    match &bindings.value.value {
        Val::Seq(list) if !list.is_empty() => {
            let first: &Rc<Node> = &list[0];
            let at = offset(text, first.pos);
            if text[..at].trim_end().ends_with('[') {
                return Err("the post-login trigger's bindings are in flow style".into());
            }
            // The dash of the first item.
            let line = line_start(text, first.pos.line);
            let dash = text[line..at]
                .find('-')
                .ok_or("cannot find the first binding's dash")?;
            let pad = " ".repeat(text[line..line + dash].chars().count());
            let lines: String = actions
                .iter()
                .map(|a| format!("{pad}- action: {}\n", yaml_scalar(a)))
                .collect();
            out.insert_str(line, &lines);
        }
        _ => {
            // `bindings: []` (or nothing): the list written in its place.
            let key_line = line_start(text, bindings.key_pos.line);
            let end = text[key_line..]
                .find('\n')
                .map_or(text.len(), |e| key_line + e);
            let pad = " ".repeat(bindings.key_pos.col.saturating_sub(1) as usize);
            let lines: String = actions
                .iter()
                .map(|a| format!("\n{pad}  - action: {}", yaml_scalar(a)))
                .collect();
            out.replace_range(key_line..end, &format!("{pad}bindings:{lines}"));
        }
    }
    Ok(Some(out))
}

fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// The report: each rule and its TODOs, each case both ways, then the files and the totals.
pub fn render(report: &Report, args: &MigrateArgs, paint: Paint) -> String {
    let mut out = String::new();
    for m in &report.migrated {
        let state = match (m.rule.enabled, m.translation.todos.is_empty()) {
            (false, _) => " (disabled: not bound)",
            (true, true) => "",
            (true, false) => " (the rule keeps running; its action is written, not bound)",
        };
        if m.translation.todos.is_empty() {
            out.push_str(&format!(
                "{} rule \"{}\" -> action \"{}\"{state}\n",
                paint.green("ok"),
                m.rule.name,
                m.action
            ));
        } else {
            out.push_str(&format!(
                "{} rule \"{}\" -> action \"{}\"{state}: {} to do\n",
                paint.yellow("todo"),
                m.rule.name,
                m.action,
                m.translation.todos.len()
            ));
            for t in &m.translation.todos {
                out.push_str(&format!("  {}: {}\n", place(m, t), t.reason));
            }
        }
    }
    if !report.cases.is_empty() {
        out.push_str("\nThe rules' cases, rule beside action:\n");
    }
    for c in &report.cases {
        let mark = if c.agrees() {
            paint.green("same")
        } else {
            paint.red("DIFFERENT")
        };
        out.push_str(&format!("{mark} {} ({})\n", c.name, c.at));
        if c.agrees() {
            out.push_str(&format!("  both:   {}\n", shown(&c.rule)));
        } else {
            out.push_str(&format!(
                "  rule:   {}\n  action: {}\n",
                shown(&c.rule),
                shown(&c.action)
            ));
        }
    }
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push('\n');
    if let Some(dir) = args.out.as_ref().filter(|_| !args.check) {
        out.push_str(&format!(
            "Wrote {} files to {}: {ACTIONS_FILE} (the actions and their binding), actions/*.js, {}the rules {}.\n",
            report.written.len(),
            dir.display(),
            if report.cases.is_empty() { String::new() } else { format!("{CASES_FILE} (the cases), ") },
            if args.remove_rules { "translated removed" } else { "translated disabled" }
        ));
    } else {
        out.push_str("Checked only (--check): nothing was written.\n");
    }
    out.push_str(&format!(
        "{} rules migrated, {} to do; {} cases, {} agree, {} differ.\n",
        report.migrated.len(),
        report.todos(),
        report.cases.len(),
        report.cases.len() - report.disagreements(),
        report.disagreements()
    ));
    out
}

fn place(m: &Migrated, t: &Todo) -> String {
    m.rule.origin.locate(t.pos)
}

fn shown(v: &Value) -> String {
    let mut parts = vec![v["result"].as_str().unwrap_or_default().to_string()];
    for key in [
        "idToken",
        "accessToken",
        "app_metadata",
        "user_metadata",
        "redirect",
        "multifactor",
    ] {
        match v.get(key) {
            Some(Value::Object(o)) if o.is_empty() => {}
            Some(x) => parts.push(format!("{key} {}", crate::diag::visible_json(x))),
            None => {}
        }
    }
    crate::secret::scrub_message(&parts.join(", "))
}
