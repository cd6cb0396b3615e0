//! A rule as a post-login action: `a0ctl migrate rules` translates each rule's script on its
//! syntax tree (oxc), following Auth0's migration guide for the patterns rules use, and prints
//! the action formatted. What it cannot translate with certainty is left as written, under a
//! `// a0ctl: TODO` comment, and reported at the rule's line and column with the reason.
//!
//! The translation is a set of edits on the script's text, each at a node of its tree: a node
//! is replaced (`user` → `event.user`), or the text around a node's children is (an assignment
//! to `context.idToken[key]` becomes `api.idToken.setCustomClaim(key, value)` around `key` and
//! `value`, which are translated in turn). Edits never overlap; the result is parsed again and
//! printed by oxc's code generator, so what is written is always valid JavaScript.

use std::collections::{BTreeMap, BTreeSet};

use oxc_allocator::Allocator;
use oxc_ast::ast::*;
use oxc_ast_visit::{Visit, walk};
use oxc_codegen::{Codegen, CodegenOptions, IndentChar};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};

use crate::ScriptPos;

/// The largest script translated (rules are a few KiB; the stack of the parse is bounded by
/// running it on a thread of its own).
const MAX_SCRIPT_BYTES: usize = 256 << 10;
const PARSER_STACK_BYTES: usize = 256 << 20;

/// What needs a person, at its place in the rule's script.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Todo {
    pub pos: ScriptPos,
    pub reason: String,
}

/// A rule translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The action's module, formatted.
    pub code: String,
    /// What it could not translate, in the order of the script.
    pub todos: Vec<Todo>,
    /// `configuration` keys the rule reads: the action's secrets.
    pub secrets: BTreeSet<String>,
    /// npm modules the rule requires (name → version, `latest` when the rule named none).
    pub dependencies: BTreeMap<String, String>,
}

/// Why a script cannot be translated at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    pub pos: Option<ScriptPos>,
    pub message: String,
}

/// Node's own modules: required as they are, never dependencies (also as `node:NAME`).
const NODE_MODULES: [&str; 38] = [
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "timers",
    "tls",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "zlib",
];

/// `name@1.2.3` as (`name`, `1.2.3`); (`name`, `latest`) without a version (a leading `@` is a
/// scope).
fn split_version(spec: &str) -> (&str, &str) {
    match spec
        .char_indices()
        .skip(1)
        .filter(|(_, c)| *c == '@')
        .last()
    {
        Some((i, _)) => (&spec[..i], &spec[i + 1..]),
        None => (spec, "latest"),
    }
}

/// The npm package a `require` names (`lodash/fp` is `lodash`, `@scope/pkg/x` is
/// `@scope/pkg`), and its version (`name@1.2.3`, else `latest`); `None` for Node's own.
fn package_of(spec: &str) -> Option<(String, String)> {
    if spec.starts_with("node:") || spec.starts_with('.') || spec.starts_with('/') {
        return None;
    }
    let (path, version) = split_version(spec);
    let parts: Vec<&str> = path.split('/').collect();
    let name = if path.starts_with('@') && parts.len() >= 2 {
        format!("{}/{}", parts[0], parts[1])
    } else {
        parts[0].to_string()
    };
    if NODE_MODULES.contains(&name.as_str()) {
        return None;
    }
    Some((name, version.to_string()))
}

/// Translate the rule `name`'s script (a function of `user`, `context` and `callback`).
pub fn translate(name: &str, script: &str) -> Result<Translation, Untranslatable> {
    if script.len() > MAX_SCRIPT_BYTES {
        return Err(Untranslatable {
            pos: None,
            message: format!(
                "the script is {} KiB, past the {} KiB a0ctl translates",
                script.len() >> 10,
                MAX_SCRIPT_BYTES >> 10
            ),
        });
    }
    let (name, script) = (name.to_string(), script.to_string());
    std::thread::Builder::new()
        .name("rule-migrate".into())
        .stack_size(PARSER_STACK_BYTES)
        .spawn(move || translate_here(&name, &script))
        .map_err(|e| Untranslatable {
            pos: None,
            message: format!("cannot start a thread: {e}"),
        })?
        .join()
        .unwrap_or_else(|_| {
            Err(Untranslatable {
                pos: None,
                message: "the translation failed (a bug of a0ctl's)".into(),
            })
        })
}

fn translate_here(name: &str, script: &str) -> Result<Translation, Untranslatable> {
    let allocator = Allocator::default();
    let expr = Parser::new(&allocator, script, SourceType::script())
        .parse_expression()
        .map_err(|errors| Untranslatable {
            pos: errors
                .first()
                .and_then(|e| e.labels.as_ref().first().map(|l| l.offset()))
                .map(|o| pos_of(script, o)),
            message: errors
                .first()
                .map(|e| e.message.to_string())
                .unwrap_or_else(|| "not JavaScript".into()),
        })?;
    let Expression::FunctionExpression(function) = expr.without_parentheses() else {
        return Err(Untranslatable {
            pos: Some(pos_of(script, expr.span().start)),
            message: "the script is not a function of (user, context, callback)".into(),
        });
    };
    let Some(body) = &function.body else {
        return Err(Untranslatable {
            pos: Some(pos_of(script, function.span.start)),
            message: "the rule's function has no body".into(),
        });
    };
    let param = |i: usize| -> Option<String> {
        match &function.params.items.get(i)?.pattern {
            BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
            _ => None,
        }
    };
    let mut t = Translator {
        src: script,
        user: param(0).unwrap_or_else(|| "user".into()),
        context: param(1).unwrap_or_else(|| "context".into()),
        callback: param(2).unwrap_or_else(|| "callback".into()),
        edits: Vec::new(),
        todos: Vec::new(),
        todo_at: BTreeMap::new(),
        statements: Vec::new(),
        depth: 0,
        followable: BTreeSet::new(),
        inlined: BTreeSet::new(),
        tails: BTreeSet::new(),
        tested: BTreeSet::new(),
        statement_exprs: BTreeSet::new(),
        errors: Vec::new(),
        last: body.statements.last().map(|s| s.span()),
        secrets: BTreeSet::new(),
        dependencies: BTreeMap::new(),
    };
    for (i, p) in function.params.items.iter().enumerate() {
        if !matches!(p.pattern, BindingPattern::BindingIdentifier(_)) || i > 2 {
            t.todo(
                p.span.start,
                "a parameter a0ctl cannot follow (rules take user, context and callback)",
            );
        }
    }
    tails(&body.statements, &mut t.tails);
    t.visit_statements(&body.statements);
    let inner = Span::new(body.span.start + 1, body.span.end - 1);
    let text = t.apply(inner)?;
    let header = format!(
        "// The rule \"{}\", as a post-login action (a0ctl migrate rules).\n",
        one_line(name)
    );
    let module =
        format!("{header}exports.onExecutePostLogin = async (event, api) => {{\n{text}\n}};\n");
    let code = format(&module).map_err(|message| Untranslatable { pos: None, message })?;
    let mut todos = t.todos;
    todos.sort();
    todos.dedup();
    Ok(Translation {
        code,
        todos,
        secrets: t.secrets,
        dependencies: t.dependencies,
    })
}

/// `module` parsed and printed by oxc's code generator: two spaces, single quotes.
fn format(module: &str) -> Result<String, String> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, module, SourceType::cjs()).parse();
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        let why = parsed
            .diagnostics
            .first()
            .map(|d| d.message.to_string())
            .unwrap_or_default();
        return Err(format!(
            "the translation does not parse ({why}): a bug of a0ctl's"
        ));
    }
    let options = CodegenOptions {
        single_quote: true,
        indent_char: IndentChar::Space,
        indent_width: 2,
        ..CodegenOptions::default()
    };
    Ok(Codegen::new()
        .with_options(options)
        .build(&parsed.program)
        .code)
}

/// What follows a metadata update's `Object.entries(metadata`: each key set through `api.user`
/// (an arrow's parameters: the metadata may name any of the rule's variables).
fn metadata_tail(which: &str) -> String {
    format!(" || {{}}).forEach(([key, value]) => api.user.{which}(key, value));")
}

/// Text a person wrote (a rule's name, a key) fit for a line comment: every line break,
/// separator and control character a space.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The statements in tail position: the last of `stmts`, and, when it is an `if`, the last of
/// each of its branches, and so on.
fn tails(stmts: &[Statement<'_>], out: &mut BTreeSet<(u32, u32)>) {
    if let Some(last) = stmts.last() {
        tail(last, out);
    }
}

fn tail(s: &Statement<'_>, out: &mut BTreeSet<(u32, u32)>) {
    out.insert(key(s.span()));
    match s {
        Statement::BlockStatement(b) => tails(&b.body, out),
        Statement::IfStatement(i) => {
            tail(&i.consequent, out);
            if let Some(a) = &i.alternate {
                tail(a, out);
            }
        }
        _ => {}
    }
}

fn key(s: Span) -> (u32, u32) {
    (s.start, s.end)
}

/// A 1-based line and column (in characters) of a byte offset of `src`.
fn pos_of(src: &str, offset: u32) -> ScriptPos {
    let offset = (offset as usize).min(src.len());
    let before = &src[..src.floor_char_boundary(offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    ScriptPos { line, col }
}

struct Edit {
    start: u32,
    end: u32,
    text: String,
}

struct Translator<'s> {
    src: &'s str,
    user: String,
    context: String,
    callback: String,
    edits: Vec<Edit>,
    todos: Vec<Todo>,
    /// The TODO comments, by the start of the statement they are put before.
    todo_at: BTreeMap<u32, Vec<String>>,
    /// The starts of the statements being visited, innermost last.
    statements: Vec<u32>,
    /// Functions entered inside the rule's own.
    depth: usize,
    /// Functions whose calls back a0ctl can follow: the handlers of a promise chain the action
    /// returns.
    followable: BTreeSet<(u32, u32)>,
    /// Functions whose body is inlined (a metadata update's `then`): at the rule's own level.
    inlined: BTreeSet<(u32, u32)>,
    tails: BTreeSet<(u32, u32)>,
    /// Expressions only tested for being truthy (`a && …`, `if (a)`, `!a`, `a ? … : …`).
    tested: BTreeSet<(u32, u32)>,
    /// Expressions that are whole statements (their value is not used).
    statement_exprs: BTreeSet<(u32, u32)>,
    /// Names that hold an error: the parameters of catch clauses and `.catch` handlers.
    errors: Vec<String>,
    /// The rule's last statement (a call back there is the end anyway).
    last: Option<Span>,
    secrets: BTreeSet<String>,
    dependencies: BTreeMap<String, String>,
}

/// The parts of a member chain: its root identifier, and each step (a name, or a computed key).
enum Step<'n, 'a> {
    Name(&'n str),
    Computed(&'n Expression<'a>),
}

fn chain<'n, 'a>(
    e: &'n Expression<'a>,
) -> Option<(&'n IdentifierReference<'a>, Vec<Step<'n, 'a>>)> {
    let mut steps = Vec::new();
    let mut at = e;
    loop {
        match at {
            Expression::StaticMemberExpression(m) if !m.optional => {
                steps.push(Step::Name(m.property.name.as_str()));
                at = &m.object;
            }
            Expression::ComputedMemberExpression(m) if !m.optional => {
                steps.push(Step::Computed(&m.expression));
                at = &m.object;
            }
            Expression::Identifier(id) => {
                steps.reverse();
                return Some((id, steps));
            }
            Expression::ParenthesizedExpression(p) => at = &p.expression,
            _ => return None,
        }
    }
}

fn static_names<'n>(steps: &[Step<'n, '_>]) -> Option<Vec<&'n str>> {
    steps
        .iter()
        .map(|s| match s {
            Step::Name(n) => Some(*n),
            Step::Computed(Expression::StringLiteral(l)) => Some(l.value.as_str()),
            Step::Computed(_) => None,
        })
        .collect()
}

/// The action's counterpart of a `context` field read, and how many of the chain's names it
/// takes: `None` when there is none a0ctl is sure of.
fn context_read(names: &[&str]) -> Option<(String, usize)> {
    let first = *names.first()?;
    let simple = |to: &str| Some((to.to_string(), 1));
    match first {
        "clientID" => simple("event.client.client_id"),
        "clientName" => simple("event.client.name"),
        "clientMetadata" => simple("event.client.metadata"),
        "connection" => simple("event.connection.name"),
        "connectionID" => simple("event.connection.id"),
        "connectionStrategy" => simple("event.connection.strategy"),
        "connectionMetadata" => simple("event.connection.metadata"),
        "protocol" => simple("event.transaction.protocol"),
        "sessionID" => simple("event.session.id"),
        "tenant" => simple("event.tenant.id"),
        "authentication" => simple("event.authentication"),
        "authorization" => simple("event.authorization"),
        "stats" => match names.get(1) {
            Some(&"loginsCount") => Some(("event.stats.logins_count".into(), 2)),
            _ => None,
        },
        "request" => match names.get(1).copied() {
            Some("userAgent") => Some(("event.request.user_agent".into(), 2)),
            Some(f @ ("ip" | "hostname" | "query" | "body" | "language")) => {
                Some((format!("event.request.{f}"), 2))
            }
            Some("geoip") => match names.get(2) {
                Some(f) => Some((format!("event.request.geoip.{}", geoip_field(f)?), 3)),
                None => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// A rule's `context.request.geoip` field as an action's `event.request.geoip` names it.
pub fn geoip_field(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "country_code" => "countryCode",
        "country_code3" => "countryCode3",
        "country_name" => "countryName",
        "city_name" => "cityName",
        "latitude" => "latitude",
        "longitude" => "longitude",
        "time_zone" => "timeZone",
        "continent_code" => "continentCode",
        "subdivision_code" => "subdivisionCode",
        "subdivision_name" => "subdivisionName",
        _ => return None,
    })
}

impl<'s> Translator<'s> {
    fn text(&self, s: Span) -> &'s str {
        &self.src[s.start as usize..s.end as usize]
    }

    fn edit(&mut self, start: u32, end: u32, text: impl Into<String>) {
        self.edits.push(Edit {
            start,
            end,
            text: text.into(),
        });
    }

    /// The text of `outer` around its child `inner` replaced by `before` and `after`, and the
    /// child translated in turn (`context.redirect = {url: U}` → `api.redirect.sendUserTo(U)`).
    fn around(
        &mut self,
        outer: Span,
        inner: &Expression<'_>,
        before: impl Into<String>,
        after: impl Into<String>,
    ) {
        let i = inner.span();
        self.edit(outer.start, i.start, before);
        self.edit(i.end, outer.end, after);
        self.visit_expression(inner);
    }

    fn todo(&mut self, at: u32, reason: &str) {
        self.todos.push(Todo {
            pos: pos_of(self.src, at),
            reason: reason.to_string(),
        });
        let stmt = self.statements.last().copied().unwrap_or(at);
        let list = self.todo_at.entry(stmt).or_default();
        if !list.iter().any(|r| r == reason) {
            list.push(reason.to_string());
        }
    }

    /// The body's text with the edits made and the TODO comments put in.
    fn apply(&mut self, inner: Span) -> Result<String, Untranslatable> {
        for (at, reasons) in std::mem::take(&mut self.todo_at) {
            let comments: String = reasons
                .iter()
                .map(|r| format!("// a0ctl: TODO: {}\n", one_line(r)))
                .collect();
            self.edit(at, at, comments);
        }
        // At one place: the TODO comments first (before a `return ` put there, which a comment
        // after it would end), then other insertions, then replacements; otherwise in the
        // order made.
        let mut edits: Vec<(usize, &Edit)> = self.edits.iter().enumerate().collect();
        edits.sort_by_key(|(i, e)| {
            let rank = match (e.text.starts_with("// a0ctl: TODO"), e.end == e.start) {
                (true, true) => 0,
                (false, true) => 1,
                _ => 2,
            };
            (e.start, rank, *i)
        });
        let mut out = String::new();
        let mut at = inner.start;
        for (_, e) in edits {
            if e.start < at {
                return Err(Untranslatable {
                    pos: Some(pos_of(self.src, e.start)),
                    message: "two translations overlap here (a bug of a0ctl's)".into(),
                });
            }
            out.push_str(&self.src[at as usize..e.start as usize]);
            out.push_str(&e.text);
            at = e.end;
        }
        out.push_str(&self.src[at as usize..inner.end as usize]);
        Ok(out)
    }

    fn is(&self, id: &IdentifierReference<'_>, name: &str) -> bool {
        id.name == name
    }

    /// Whether a callback here would be followed: at the rule's own level, or in a handler of
    /// a promise chain the action returns.
    fn can_call_back(&self) -> bool {
        self.depth == 0
    }

    /// `callback(…)` as a statement (`stmt` is the statement's span, `ret` whether it is a
    /// `return`): the action's counterpart.
    fn call_back_statement(&mut self, stmt: Span, call: &CallExpression<'_>) {
        if !self.can_call_back() {
            self.todo(
                call.span.start,
                "a call back inside a function a0ctl cannot follow (a node-style callback, a timer, or a promise the rule does not end with)",
            );
            return;
        }
        let is_last = self.last == Some(stmt) && self.depth == 0;
        match self.callback_kind(call) {
            CallBack::Done => {
                let text = if is_last { "" } else { "return;" };
                self.edit(stmt.start, stmt.end, text);
            }
            CallBack::Deny(message) => self.around(stmt, message, "return api.access.deny(", ");"),
            CallBack::Fail(error) => self.around(stmt, error, "throw ", ";"),
            // Left as written: its arguments are the rule's own names, for a person to read.
            CallBack::Unsure(why) => self.todo(call.span.start, why),
        }
    }

    /// A `return` that calls back, or returns a promise chain the action follows.
    fn returns_a_call_back(&self, r: &ReturnStatement<'_>) -> bool {
        match &r.argument {
            Some(e @ Expression::CallExpression(c)) => {
                matches!(&c.callee, Expression::Identifier(id) if id.name == self.callback.as_str())
                    || (promise_chain(e).is_some() && self.mentions_callback(r.span))
            }
            _ => false,
        }
    }

    fn walk_arguments(&mut self, call: &CallExpression<'_>) {
        for a in &call.arguments {
            self.visit_argument(a);
        }
    }

    fn callback_kind<'n, 'a>(&self, call: &'n CallExpression<'a>) -> CallBack<'n, 'a> {
        let args: Vec<&Expression<'a>> = call
            .arguments
            .iter()
            .filter_map(|a| a.as_expression())
            .collect();
        if args.len() != call.arguments.len() {
            return CallBack::Unsure("a call back with spread arguments");
        }
        let Some(first) = args.first() else {
            return CallBack::Done;
        };
        let nothing = |e: &Expression<'_>| {
            matches!(e, Expression::NullLiteral(_))
                || matches!(e, Expression::Identifier(id) if id.name == "undefined")
        };
        if nothing(first) {
            let same = |i: usize, name: &str| {
                args.get(i)
                    .is_none_or(|e| matches!(e, Expression::Identifier(id) if id.name == name))
            };
            return if same(1, &self.user) && same(2, &self.context) && args.len() <= 3 {
                CallBack::Done
            } else {
                CallBack::Unsure(
                    "a call back with another user or context than the rule's: actions change the user through api.user and the tokens through api.idToken and api.accessToken",
                )
            };
        }
        if args.len() > 1 {
            return CallBack::Unsure("a call back with an error and more");
        }
        if let Expression::NewExpression(n) = first
            && matches!(&n.callee, Expression::Identifier(id) if id.name == "UnauthorizedError")
        {
            return match n.arguments.first().and_then(|a| a.as_expression()) {
                Some(m) if n.arguments.len() == 1 => CallBack::Deny(m),
                None if n.arguments.is_empty() => CallBack::Unsure(
                    "an UnauthorizedError without a message: api.access.deny needs a reason",
                ),
                _ => CallBack::Unsure("an UnauthorizedError a0ctl cannot read"),
            };
        }
        let is_error = match first {
            Expression::NewExpression(_) => true,
            Expression::Identifier(id) => self.errors.iter().any(|e| e == id.name.as_str()),
            _ => false,
        };
        if is_error {
            CallBack::Fail(first)
        } else {
            CallBack::Unsure(
                "a call back with a value a0ctl cannot tell is an error (null or undefined would let the login go on)",
            )
        }
    }

    /// A member chain rooted at one of the rule's names; `true` when it was handled (and its
    /// insides visited as needed).
    fn member(&mut self, e: &Expression<'_>) -> bool {
        let Some((root, steps)) = chain(e) else {
            return false;
        };
        if self.is(root, &self.context.clone()) {
            let Some(names) = static_names(&steps) else {
                self.todo(
                    e.span().start,
                    "a dynamic property name on context: a0ctl cannot tell which event field it reads",
                );
                self.visit_steps(&steps);
                return true;
            };
            match names.first().copied() {
                Some("sso") => self.todo(
                    e.span().start,
                    "context.sso has no counterpart in actions (single sign-on is the session's: see event.session)",
                ),
                Some("idToken" | "accessToken") => self.todo(
                    e.span().start,
                    "a token claim read back: actions set claims (api.idToken.setCustomClaim) but cannot read them",
                ),
                Some("redirect" | "multifactor") => self.todo(
                    e.span().start,
                    "context.redirect or context.multifactor read: actions set them through api.redirect and api.multifactor",
                ),
                _ => match context_read(&names) {
                    Some((to, taken)) => {
                        let end = self.end_of_step(e, steps.len() - taken);
                        self.edit(e.span().start, end, to);
                        self.visit_steps(&steps[taken..]);
                    }
                    None if self.tested.contains(&key(e.span()))
                        && matches!(names.as_slice(), ["request"] | ["request", "geoip"]) =>
                    {
                        // Only tested for being there: the same in the event.
                        let to = format!("event.{}", names.join("."));
                        self.edit(e.span().start, e.span().end, to);
                    }
                    None => {
                        let shown = names.join(".");
                        self.todo(
                            e.span().start,
                            &format!("context.{shown} has no counterpart a0ctl is sure of in the post-login event"),
                        );
                    }
                },
            }
            return true;
        }
        if root.name == "configuration" {
            match steps.first() {
                Some(Step::Name(key)) => {
                    self.secrets.insert(key.to_string());
                    self.edit(root.span.start, root.span.end, "event.secrets");
                }
                Some(Step::Computed(Expression::StringLiteral(l))) => {
                    self.secrets.insert(l.value.to_string());
                    self.edit(root.span.start, root.span.end, "event.secrets");
                }
                _ => self.todo(
                    e.span().start,
                    "configuration read by a name a0ctl cannot tell: declare the secret and read event.secrets",
                ),
            }
            self.visit_steps(&steps);
            return true;
        }
        let why = match root.name.as_str() {
            "global" => {
                "global holds objects across logins; actions cache strings per key (api.cache): choose what to cache"
            }
            "auth0" => {
                "auth0 (the rules' Management API client) has no counterpart: call the Management API with a client of your own"
            }
            _ => return false,
        };
        self.todo(e.span().start, why);
        self.visit_steps(&steps);
        true
    }

    /// The end of the chain `e` once its outermost `outer` steps are taken off.
    fn end_of_step(&self, e: &Expression<'_>, outer: usize) -> u32 {
        let mut at = e;
        for _ in 0..outer {
            at = match at.without_parentheses() {
                Expression::StaticMemberExpression(m) => &m.object,
                Expression::ComputedMemberExpression(m) => &m.object,
                other => other,
            };
        }
        at.span().end
    }

    fn visit_steps(&mut self, steps: &[Step<'_, '_>]) {
        for s in steps {
            if let Step::Computed(k) = s {
                self.visit_expression(k);
            }
        }
    }

    /// `user.X = V` other than its metadata: the action's `event.user` is its own copy, which
    /// later actions do not see; a TODO (the assignment is then translated as usual).
    fn user_assignment(&mut self, a: &AssignmentExpression<'_>) -> bool {
        let first = match &a.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) if id.name == self.user.as_str() => {
                None
            }
            AssignmentTarget::StaticMemberExpression(m) => match chain(&m.object) {
                Some((root, steps)) if root.name == self.user.as_str() => {
                    Some(match steps.first() {
                        Some(Step::Name(n)) => n.to_string(),
                        Some(Step::Computed(_)) => String::new(),
                        None => m.property.name.to_string(),
                    })
                }
                _ => return false,
            },
            AssignmentTarget::ComputedMemberExpression(m) => match chain(&m.object) {
                Some((root, steps)) if root.name == self.user.as_str() => {
                    Some(match steps.first() {
                        Some(Step::Name(n)) => n.to_string(),
                        _ => String::new(),
                    })
                }
                _ => return false,
            },
            _ => return false,
        };
        if first
            .as_deref()
            .is_some_and(|f| matches!(f, "app_metadata" | "user_metadata"))
        {
            return false;
        }
        self.todo(
            a.span.start,
            "the user changed: an action's event.user is its own copy, which later actions do not see (metadata goes through api.user)",
        );
        false
    }

    /// `context.X = V` and `context.idToken[K] = V`: `true` when handled.
    fn context_assignment(&mut self, a: &AssignmentExpression<'_>) -> bool {
        let (object, step): (&Expression<'_>, Step<'_, '_>) = match &a.left {
            AssignmentTarget::StaticMemberExpression(m) => {
                (&m.object, Step::Name(m.property.name.as_str()))
            }
            AssignmentTarget::ComputedMemberExpression(m) => {
                (&m.object, Step::Computed(&m.expression))
            }
            _ => return false,
        };
        let Some((root, steps)) = chain(object) else {
            return false;
        };
        if !self.is(root, &self.context.clone()) {
            return false;
        }
        let names = static_names(&steps);
        let value = &a.right;
        let v = value.span();
        if !self.statement_exprs.contains(&key(a.span)) {
            self.todo(
                a.span.start,
                "an assignment to context whose value is used: a0ctl translates those that are statements",
            );
            self.visit_expression(value);
            return true;
        }
        if matches!(step, Step::Name("scope")) && names.as_deref() == Some(&["accessToken"][..]) {
            self.todo(
                a.span.start,
                "the access token's scope is not a custom claim in actions: use api.accessToken.addScope and removeScope",
            );
            self.visit_expression(value);
            return true;
        }
        match (names.as_deref(), a.operator) {
            (Some([token @ ("idToken" | "accessToken")]), AssignmentOperator::Assign) => {
                let call = format!("api.{token}.setCustomClaim(");
                match step {
                    Step::Name(claim) => {
                        self.around(a.span, value, format!("{call}'{claim}', "), ")")
                    }
                    Step::Computed(k) => {
                        // The key, then the value around what is left.
                        self.around(Span::new(a.span.start, v.start), k, call, ", ");
                        self.around(Span::new(v.start, a.span.end), value, "", ")");
                    }
                }
            }
            (Some([]), AssignmentOperator::Assign) => match step {
                Step::Name("redirect") => self.redirect(a, value),
                Step::Name("multifactor") => self.multifactor(a, value),
                Step::Name(other) => {
                    self.todo(
                        a.span.start,
                        &format!(
                            "context.{other} set: actions have no counterpart a0ctl is sure of"
                        ),
                    );
                    self.visit_expression(value);
                }
                Step::Computed(k) => {
                    self.todo(a.span.start, "a dynamic property name on context");
                    self.visit_expression(k);
                    self.visit_expression(value);
                }
            },
            _ => {
                self.todo(
                    a.span.start,
                    "context changed in a way a0ctl cannot follow: actions set claims, redirects and MFA through api",
                );
                self.visit_expression(value);
            }
        }
        true
    }

    fn object_fields<'n, 'a>(
        &self,
        value: &'n Expression<'a>,
    ) -> Option<Vec<(&'n str, &'n Expression<'a>)>> {
        let Expression::ObjectExpression(o) = value.without_parentheses() else {
            return None;
        };
        o.properties
            .iter()
            .map(|p| match p {
                ObjectPropertyKind::ObjectProperty(p) if !p.computed && !p.method => {
                    let key = match &p.key {
                        PropertyKey::StaticIdentifier(k) => k.name.as_str(),
                        PropertyKey::StringLiteral(s) => s.value.as_str(),
                        _ => return None,
                    };
                    Some((key, &p.value))
                }
                _ => None,
            })
            .collect()
    }

    fn redirect(&mut self, a: &AssignmentExpression<'_>, value: &Expression<'_>) {
        match self.object_fields(value).as_deref() {
            Some([("url", url)]) => self.around(a.span, url, "api.redirect.sendUserTo(", ")"),
            _ => {
                self.todo(
                    a.span.start,
                    "context.redirect set to something else than { url }: see api.redirect.sendUserTo(url, { query })",
                );
                self.visit_expression(value);
            }
        }
    }

    fn multifactor(&mut self, a: &AssignmentExpression<'_>, value: &Expression<'_>) {
        match self.object_fields(value).as_deref() {
            Some([("provider", p)]) => self.around(a.span, p, "api.multifactor.enable(", ")"),
            Some([("provider", p), ("allowRememberBrowser", b)]) => {
                let (ps, bs) = (p.span(), b.span());
                self.edit(a.span.start, ps.start, "api.multifactor.enable(");
                self.edit(ps.end, bs.start, ", { allowRememberBrowser: ");
                self.edit(bs.end, a.span.end, " })");
                self.visit_expression(p);
                self.visit_expression(b);
            }
            _ => {
                self.todo(
                    a.span.start,
                    "context.multifactor set to something else than { provider[, allowRememberBrowser] }: see api.multifactor.enable",
                );
                self.visit_expression(value);
            }
        }
    }

    /// `auth0.users.updateAppMetadata(id, metadata)` (or `updateUserMetadata`): which, and its
    /// metadata argument, when the id is the rule's user's.
    fn metadata_update<'n, 'a>(
        &self,
        e: &'n Expression<'a>,
    ) -> Option<Result<(&'static str, &'n Expression<'a>), &'static str>> {
        let e = match e.without_parentheses() {
            Expression::AwaitExpression(w) => &w.argument,
            other => other,
        };
        let Expression::CallExpression(call) = e.without_parentheses() else {
            return None;
        };
        let (root, steps) = chain(&call.callee)?;
        let which = match (root.name.as_str(), static_names(&steps)?.as_slice()) {
            ("auth0", ["users", "updateAppMetadata"]) => "setAppMetadata",
            ("auth0", ["users", "updateUserMetadata"]) => "setUserMetadata",
            _ => return None,
        };
        let [id, metadata] = call.arguments.as_slice() else {
            return Some(Err(
                "a metadata update with other arguments than (user.user_id, metadata)",
            ));
        };
        let (Some(id), Some(metadata)) = (id.as_expression(), metadata.as_expression()) else {
            return Some(Err("a metadata update with spread arguments"));
        };
        let own = chain(id).is_some_and(|(r, s)| {
            r.name == self.user.as_str() && static_names(&s).as_deref() == Some(&["user_id"][..])
        });
        if !own {
            return Some(Err(
                "a metadata update of another user than the one logging in: actions update only the user of the login",
            ));
        }
        Some(Ok((which, metadata)))
    }

    /// The statement `auth0.users.updateAppMetadata(user.user_id, m);` as the same update
    /// through `api.user`.
    fn metadata_statement(&mut self, stmt: Span, which: &str, metadata: &Expression<'_>) {
        self.around(stmt, metadata, "Object.entries(", metadata_tail(which));
    }

    /// `update(…).then(f)[.catch(g)];` in tail position: the update, then `f`'s body.
    fn metadata_chain(&mut self, stmt: &ExpressionStatement<'_>) -> bool {
        let Some(links) = promise_chain(&stmt.expression) else {
            return false;
        };
        let Some(Ok((which, metadata))) = self.metadata_update(links.head) else {
            return false;
        };
        let tail = self.tails.contains(&key(stmt.span)) && self.depth == 0;
        let then: Vec<&Link<'_, '_>> = links.links.iter().filter(|l| l.method == "then").collect();
        let (Some(first), true) = (then.first(), then.len() == 1 && tail) else {
            return false;
        };
        if links.links.first().map(|l| l.method) != Some("then")
            || links.links.iter().skip(1).any(|l| l.method != "catch")
        {
            return false;
        }
        let Some(handler) = first.handler else {
            return false;
        };
        let (params, body): (usize, Result<&FunctionBody<'_>, &Expression<'_>>) = match handler {
            Expression::FunctionExpression(f) => match &f.body {
                Some(b) => (f.params.items.len(), Ok(&**b)),
                None => return false,
            },
            Expression::ArrowFunctionExpression(f) => match &f.body {
                ArrowFunctionBody::FunctionBody(b) => (f.params.items.len(), Ok(&**b)),
                other => match other.as_expression() {
                    Some(e) => (f.params.items.len(), Err(e)),
                    None => return false,
                },
            },
            _ => return false,
        };
        if params != 0 {
            return false;
        }
        let m = metadata.span();
        self.edit(stmt.span.start, m.start, "Object.entries(");
        self.visit_expression(metadata);
        let loop_end = format!("{}\n", metadata_tail(which));
        self.inlined.insert(key(handler.span()));
        match body {
            Err(only) => {
                // `() => callback(null, user, context)`: the end.
                let only_span = only.span();
                self.edit(m.end, only_span.start, loop_end);
                self.statements.push(only_span.start);
                match only {
                    Expression::CallExpression(c) if matches!(&c.callee, Expression::Identifier(id) if id.name == self.callback.as_str()) =>
                    {
                        let text = match self.callback_kind(c) {
                            CallBack::Done => String::new(),
                            _ => {
                                self.call_back_statement(only_span, c);
                                self.statements.pop();
                                self.edit(only_span.end, stmt.span.end, "");
                                return true;
                            }
                        };
                        self.edit(only_span.start, only_span.end, text);
                    }
                    other => {
                        self.visit_expression(other);
                        self.edit(only_span.end, only_span.end, ";");
                    }
                }
                self.statements.pop();
                self.edit(only_span.end, stmt.span.end, "");
            }
            Ok(body) => {
                // In a block of its own: its declarations may repeat the rule's names.
                let inner_start = body.span.start + 1;
                let inner_end = body.span.end - 1;
                self.edit(m.end, inner_start, format!("{loop_end}{{"));
                let saved = std::mem::take(&mut self.tails);
                tails(&body.statements, &mut self.tails);
                let last = self.last;
                self.last = body
                    .statements
                    .last()
                    .map(|s| s.span())
                    .filter(|_| self.last == Some(stmt.span));
                self.visit_statements(&body.statements);
                self.last = last;
                self.tails = saved;
                self.edit(inner_end, stmt.span.end, "}");
            }
        }
        true
    }

    /// `p.then(f).catch(g);` in tail position whose handlers call back: returned, so the action
    /// waits for it; its handlers' calls back become returns and throws.
    fn followed_chain(&mut self, stmt: Span, expression: &Expression<'_>, returned: bool) -> bool {
        let Some(links) = promise_chain(expression) else {
            return false;
        };
        let tail = self.tails.contains(&key(stmt)) && self.depth == 0;
        if !tail || !self.mentions_callback(stmt) {
            return false;
        }
        if !returned {
            self.edit(stmt.start, stmt.start, "return ");
        }
        self.visit_expression(links.head);
        for l in &links.links {
            for arg in l.args {
                match arg.as_expression() {
                    Some(Expression::Identifier(id)) if id.name == self.callback.as_str() => {
                        if l.method == "catch" {
                            self.edit(id.span.start, id.span.end, "(err) => {\n throw err;\n}");
                        } else {
                            self.todo(id.span.start, "callback passed to a promise's then: a0ctl cannot tell what it is called with");
                        }
                    }
                    Some(
                        h @ (Expression::FunctionExpression(_)
                        | Expression::ArrowFunctionExpression(_)),
                    ) => {
                        self.followable.insert(key(h.span()));
                        // A `.catch` handler's parameter is the error.
                        let error = (l.method == "catch").then(|| first_param(h)).flatten();
                        let pushed = error.is_some();
                        self.errors.extend(error);
                        self.visit_expression(h);
                        if pushed {
                            self.errors.pop();
                        }
                    }
                    Some(other) => self.visit_expression(other),
                    None => self.visit_argument(arg),
                }
            }
        }
        true
    }

    fn mentions_callback(&self, s: Span) -> bool {
        let text = self.text(s);
        let cb = self.callback.as_str();
        text.match_indices(cb).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + cb.len()..].chars().next();
            let ident =
                |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            !ident(before) && !ident(after)
        })
    }

    /// A function inside the rule's: followed (its calls back translated) when it is the
    /// handler of a returned promise chain, its body inlined when it was a metadata update's.
    fn enter_function(&mut self, span: Span) -> bool {
        if self.inlined.contains(&key(span)) {
            return false;
        }
        if self.followable.contains(&key(span)) {
            // A handler's calls back end the handler, which ends the promise the action returns.
            return false;
        }
        self.depth += 1;
        true
    }

    fn arrow_body_callback(&mut self, f: &ArrowFunctionExpression<'_>) -> bool {
        if !self.followable.contains(&key(f.span)) {
            return false;
        }
        let Some(Expression::CallExpression(c)) = f.body.as_expression() else {
            return false;
        };
        if !matches!(&c.callee, Expression::Identifier(id) if id.name == self.callback.as_str()) {
            return false;
        }
        let body = c.span;
        match self.callback_kind(c) {
            CallBack::Done => self.edit(body.start, body.end, "undefined"),
            CallBack::Deny(m) => self.around(body, m, "api.access.deny(", ")"),
            CallBack::Fail(e) => self.around(body, e, "{\n throw ", ";\n}"),
            CallBack::Unsure(why) => self.todo(c.span.start, why),
        }
        true
    }

    fn require(&mut self, call: &CallExpression<'_>) -> bool {
        if !matches!(&call.callee, Expression::Identifier(id) if id.name == "require") {
            return false;
        }
        match call.arguments.as_slice() {
            [Argument::StringLiteral(l)] => {
                let spec = l.value.as_str();
                if let Some((name, version)) = package_of(spec) {
                    self.dependencies.insert(name, version);
                }
                let (path, _) = split_version(spec);
                if path != spec {
                    let quoted = serde_json::to_string(path).unwrap_or_default();
                    self.edit(l.span.start, l.span.end, quoted);
                }
            }
            _ => self.todo(
                call.span.start,
                "require of a module a0ctl cannot name: declare it in the action's dependencies",
            ),
        }
        true
    }
}

enum CallBack<'n, 'a> {
    /// `callback(null, user, context)`: the rule is done.
    Done,
    /// `callback(new UnauthorizedError(message))`.
    Deny(&'n Expression<'a>),
    /// `callback(error)`.
    Fail(&'n Expression<'a>),
    Unsure(&'static str),
}

struct Link<'n, 'a> {
    method: &'static str,
    args: &'n [Argument<'a>],
    handler: Option<&'n Expression<'a>>,
}

struct Links<'n, 'a> {
    head: &'n Expression<'a>,
    links: Vec<Link<'n, 'a>>,
}

/// The name of a function's first parameter, when it is a plain name.
fn first_param(f: &Expression<'_>) -> Option<String> {
    let params = match f {
        Expression::FunctionExpression(f) => &f.params,
        Expression::ArrowFunctionExpression(f) => &f.params,
        _ => return None,
    };
    match &params.items.first()?.pattern {
        BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
        _ => None,
    }
}

/// `head.then(…).catch(…)…`, innermost first.
fn promise_chain<'n, 'a>(e: &'n Expression<'a>) -> Option<Links<'n, 'a>> {
    let mut links = Vec::new();
    let mut at = e.without_parentheses();
    while let Expression::CallExpression(call) = at {
        let Expression::StaticMemberExpression(m) = &call.callee else {
            break;
        };
        let method = match m.property.name.as_str() {
            "then" => "then",
            "catch" => "catch",
            "finally" => "finally",
            _ => break,
        };
        links.push(Link {
            method,
            args: &call.arguments,
            handler: call.arguments.first().and_then(|a| a.as_expression()),
        });
        at = m.object.without_parentheses();
    }
    if links.is_empty() {
        return None;
    }
    links.reverse();
    Some(Links { head: at, links })
}

impl<'a> Visit<'a> for Translator<'_> {
    fn visit_statement(&mut self, s: &Statement<'a>) {
        self.statements.push(s.span().start);
        if let Statement::ExpressionStatement(es) = s {
            self.statement_exprs
                .insert(key(es.expression.without_parentheses().span()));
        }
        if let Statement::ReturnStatement(r) = s
            && self.depth == 0
            && !self.returns_a_call_back(r)
        {
            self.todo(
                r.span.start,
                "a return that does not call back: the rule's login would wait for a call back, the action's goes on",
            );
        }
        let handled = match s {
            Statement::ExpressionStatement(es) => self.expression_statement(es),
            Statement::ReturnStatement(r) => match &r.argument {
                Some(Expression::CallExpression(c)) if matches!(&c.callee, Expression::Identifier(id) if id.name == self.callback.as_str()) =>
                {
                    self.call_back_statement(r.span, c);
                    true
                }
                Some(e) => self.followed_chain(r.span, e, true),
                None => false,
            },
            _ => false,
        };
        if !handled {
            walk::walk_statement(self, s);
        }
        self.statements.pop();
    }

    fn visit_expression(&mut self, e: &Expression<'a>) {
        match e {
            Expression::StaticMemberExpression(_) | Expression::ComputedMemberExpression(_)
                if self.member(e) => {}
            Expression::AssignmentExpression(a) if self.context_assignment(a) => {}
            Expression::AssignmentExpression(a) if self.user_assignment(a) => {}
            Expression::CallExpression(c) if self.require(c) => {}
            Expression::CallExpression(c) if matches!(&c.callee, Expression::Identifier(id) if id.name == self.callback.as_str()) =>
            {
                self.todo(
                    c.span.start,
                    "a call back inside an expression: a0ctl translates calls back that are statements",
                );
            }
            Expression::CallExpression(c) => match self.metadata_update(e) {
                Some(Err(why)) => {
                    self.todo(c.span.start, why);
                    self.walk_arguments(c);
                }
                Some(Ok(_)) => {
                    self.todo(
                        c.span.start,
                        "a metadata update a0ctl cannot follow (it translates one that is a statement, or the head of a promise chain the rule ends with)",
                    );
                    self.walk_arguments(c);
                }
                None => walk::walk_expression(self, e),
            },
            Expression::NewExpression(n) if matches!(&n.callee, Expression::Identifier(id) if id.name == "UnauthorizedError") =>
            {
                self.todo(
                    n.span.start,
                    "an UnauthorizedError that is not called back at once: actions deny with api.access.deny(reason)",
                );
                walk::walk_expression(self, e);
            }
            Expression::ArrowFunctionExpression(f) if self.arrow_body_callback(f) => {}
            _ => walk::walk_expression(self, e),
        }
    }

    fn visit_logical_expression(&mut self, e: &LogicalExpression<'a>) {
        // `a && …` tests `a`; `a || b` and `a ?? b` may be `a` itself.
        if e.operator == LogicalOperator::And {
            self.tested.insert(key(e.left.span()));
        }
        walk::walk_logical_expression(self, e);
    }

    fn visit_if_statement(&mut self, s: &IfStatement<'a>) {
        self.tested.insert(key(s.test.without_parentheses().span()));
        walk::walk_if_statement(self, s);
    }

    fn visit_conditional_expression(&mut self, e: &ConditionalExpression<'a>) {
        self.tested.insert(key(e.test.without_parentheses().span()));
        walk::walk_conditional_expression(self, e);
    }

    fn visit_unary_expression(&mut self, e: &UnaryExpression<'a>) {
        if e.operator == UnaryOperator::LogicalNot {
            self.tested
                .insert(key(e.argument.without_parentheses().span()));
        }
        walk::walk_unary_expression(self, e);
    }

    fn visit_catch_clause(&mut self, c: &CatchClause<'a>) {
        let named = c.param.as_ref().and_then(|p| match &p.pattern {
            BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
            _ => None,
        });
        let pushed = named.is_some();
        if let Some(n) = named {
            self.errors.push(n);
        }
        walk::walk_catch_clause(self, c);
        if pushed {
            self.errors.pop();
        }
    }

    fn visit_string_literal(&mut self, l: &StringLiteral<'a>) {
        if l.value == "redirect-callback" {
            self.todo(
                l.span.start,
                "the return from a redirect: an action continues it in exports.onContinuePostLogin",
            );
        }
    }

    fn visit_object_property(&mut self, p: &ObjectProperty<'a>) {
        if p.shorthand
            && let Expression::Identifier(id) = &p.value
            && id.name == self.user.as_str()
        {
            self.edit(
                p.span.start,
                p.span.end,
                format!("{}: event.user", self.user),
            );
            return;
        }
        walk::walk_object_property(self, p);
    }

    fn visit_function(&mut self, f: &Function<'a>, flags: oxc_syntax::scope::ScopeFlags) {
        let counted = self.enter_function(f.span);
        walk::walk_function(self, f, flags);
        if counted {
            self.depth -= 1;
        }
    }

    fn visit_arrow_function_expression(&mut self, f: &ArrowFunctionExpression<'a>) {
        let counted = self.enter_function(f.span);
        walk::walk_arrow_function_expression(self, f);
        if counted {
            self.depth -= 1;
        }
    }

    fn visit_binding_identifier(&mut self, id: &BindingIdentifier<'a>) {
        let name = id.name.as_str();
        if [
            self.user.as_str(),
            self.context.as_str(),
            self.callback.as_str(),
        ]
        .contains(&name)
            || ["event", "api", "configuration"].contains(&name)
        {
            self.todo(
                id.span.start,
                &format!("`{name}` declared again: a0ctl cannot tell which one each use means"),
            );
        }
    }

    fn visit_identifier_reference(&mut self, id: &IdentifierReference<'a>) {
        let name = id.name.as_str();
        if name == self.user {
            self.edit(id.span.start, id.span.end, "event.user");
        } else if name == self.context {
            self.todo(
                id.span.start,
                "context used as a whole: actions read the event's fields and change the login through api",
            );
        } else if name == self.callback {
            self.todo(
                id.span.start,
                "callback passed on: a0ctl translates calls back that are statements",
            );
        } else if ["configuration", "global", "auth0"].contains(&name) {
            self.todo(
                id.span.start,
                &format!("`{name}` used as a whole: a0ctl cannot tell what it reads"),
            );
        } else if name == "arguments" && self.depth == 0 {
            self.todo(
                id.span.start,
                "`arguments` of the rule's function: the action's are (event, api)",
            );
        } else if ["event", "api", "UnauthorizedError"].contains(&name) {
            self.todo(
                id.span.start,
                &format!("`{name}` means something else in an action"),
            );
        }
    }
}

impl<'a> Translator<'_> {
    fn expression_statement(&mut self, es: &ExpressionStatement<'a>) -> bool {
        let e = match es.expression.without_parentheses() {
            Expression::AwaitExpression(w) => &w.argument,
            other => other,
        };
        if let Expression::CallExpression(c) = e.without_parentheses()
            && matches!(&c.callee, Expression::Identifier(id) if id.name == self.callback.as_str())
        {
            self.call_back_statement(es.span, c);
            return true;
        }
        if let Some(Ok((which, metadata))) = self.metadata_update(&es.expression) {
            self.metadata_statement(es.span, which, metadata);
            return true;
        }
        if self.metadata_chain(es) {
            return true;
        }
        self.followed_chain(es.span, &es.expression, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(script: &str) -> Translation {
        translate("r", script).expect("translates")
    }

    #[test]
    fn claims_denials_and_fields_translate_with_no_todo() {
        let t = code(
            "function (user, context, callback) {\n  const c = context.request.geoip && context.request.geoip.country_name;\n  if (context.clientName === 'Admin' && !user.email_verified) {\n    return callback(new UnauthorizedError('verify ' + user.email));\n  }\n  context.idToken['https://x/c'] = c;\n  context.accessToken.plan = configuration.PLAN;\n  callback(null, user, context);\n}",
        );
        assert_eq!(t.todos, vec![], "{}", t.code);
        assert!(
            t.code.contains("event.request.geoip.countryName"),
            "{}",
            t.code
        );
        assert!(
            t.code.contains("event.client.name === 'Admin'"),
            "{}",
            t.code
        );
        assert!(
            t.code
                .contains("return api.access.deny('verify ' + event.user.email);"),
            "{}",
            t.code
        );
        assert!(
            t.code
                .contains("api.idToken.setCustomClaim('https://x/c', c);"),
            "{}",
            t.code
        );
        assert!(
            t.code
                .contains("api.accessToken.setCustomClaim('plan', event.secrets.PLAN);"),
            "{}",
            t.code
        );
        assert!(
            !t.code.contains("return;"),
            "the last call back is the end: {}",
            t.code
        );
        assert_eq!(t.secrets, BTreeSet::from(["PLAN".to_string()]));
    }

    #[test]
    fn what_cannot_be_followed_is_left_with_a_located_todo() {
        let t = code(
            "function (user, context, callback) {\n  setTimeout(function () {\n    callback(null, user, context);\n  }, 10);\n  if (context.sso.with_auth0) {}\n}",
        );
        let at: Vec<(u32, u32)> = t.todos.iter().map(|t| (t.pos.line, t.pos.col)).collect();
        assert_eq!(at, vec![(3, 5), (5, 7)], "{:?}", t.todos);
        assert!(t.code.contains("// a0ctl: TODO"), "{}", t.code);
    }

    fn reasons(script: &str) -> Vec<String> {
        code(script).todos.into_iter().map(|t| t.reason).collect()
    }

    fn runs(t: &Translation) -> crate::ActionRun {
        let action = crate::ActionScript {
            name: "r".into(),
            code: t.code.clone(),
            secrets: serde_json::json!({}),
        };
        let event = crate::default_event("post-login");
        crate::run_actions(
            "post-login",
            &[action],
            &event,
            &[],
            "",
            &crate::Limits::default(),
        )
    }

    /// What a hostile review found translated wrongly with no TODO: each now a TODO.
    #[test]
    fn what_changes_meaning_in_an_action_is_a_todo() {
        let cases = [
            (
                "const g = context.request.geoip || {}; callback(null, user, context);",
                "has no counterpart",
            ),
            (
                "context.idToken.a = context.accessToken.a = 1; callback(null, user, context);",
                "whose value is used",
            ),
            (
                "const first = arguments[0]; callback(null, user, context);",
                "`arguments`",
            ),
            (
                "user.nickname = 'x'; callback(null, user, context);",
                "event.user is its own copy",
            ),
            ("var err = null; callback(err);", "cannot tell is an error"),
            (
                "if (user.blocked) { return; } callback(null, user, context);",
                "does not call back",
            ),
            (
                "context.accessToken.scope = 'read'; callback(null, user, context);",
                "addScope",
            ),
            (
                "if (context.protocol === 'redirect-callback') {} callback(null, user, context);",
                "onContinuePostLogin",
            ),
        ];
        for (body, want) in cases {
            let script = format!("function (user, context, callback) {{ {body} }}");
            let found = reasons(&script);
            assert!(found.iter().any(|r| r.contains(want)), "{body}: {found:?}");
        }
    }

    #[test]
    fn what_is_translated_runs_and_names_no_host_module_as_a_dependency() {
        // A `then` inlined beside the rule's own names, a computed key, shorthand `user`.
        let t = code(
            "function (user, context, callback) {\n  const plan = 'a';\n  const key = 'k';\n  const o = { user };\n  auth0.users.updateAppMetadata(user.user_id, { [key]: plan }).then(function () {\n    const plan = 'b';\n    context.idToken['https://x/p'] = plan + o.user.user_id;\n    callback(null, user, context);\n  }).catch(function (err) { callback(err); });\n}",
        );
        assert_eq!(t.todos, vec![], "{}", t.code);
        let run = runs(&t);
        assert_eq!(
            run.verdict,
            crate::ActionVerdict::Done,
            "{}\n{run:?}",
            t.code
        );
        assert_eq!(run.effects["app_metadata"], serde_json::json!({"k": "a"}));
        assert_eq!(run.effects["idToken"]["https://x/p"], "bauth0|0");
        let deps = code(
            "function (user, context, callback) { const a = require('fs'); const b = require('node:util'); const c = require('lodash/fp'); const d = require('@scope/pkg@1.2.3'); callback(null, user, context); }",
        )
        .dependencies;
        assert_eq!(
            deps.into_iter().collect::<Vec<_>>(),
            vec![
                ("@scope/pkg".to_string(), "1.2.3".to_string()),
                ("lodash".to_string(), "latest".to_string())
            ]
        );
    }

    #[test]
    fn a_rule_s_name_cannot_end_the_header_comment() {
        let t = translate(
            "x\u{2028}globalThis.injected = 1;\r//",
            "function (user, context, callback) { callback(null, user, context); }",
        )
        .unwrap();
        assert!(
            !t.code.contains("\nglobalThis") && !t.code.contains("\u{2028}"),
            "{}",
            t.code
        );
        assert_eq!(
            t.code.lines().filter(|l| l.contains("injected")).count(),
            1,
            "{}",
            t.code
        );
        assert!(
            t.code.lines().next().unwrap().starts_with("//"),
            "{}",
            t.code
        );
    }
}
