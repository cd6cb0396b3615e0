//! `rules_runtime`: runs Auth0 rules (JavaScript) in an embedded QuickJS engine (rquickjs), the
//! way the service ran them at a login: each rule gets `user`, `context` and `callback`, and the
//! enabled rules run one after the other, each seeing what the previous one called back with.
//!
//! It is a neutral module: it imports nothing else from this crate, so both the client side
//! (`ruletest`, behind `a0ctl test`) and the emulator (`emulator::rule_pipeline`, behind its
//! logins) use it without depending on each other.
//!
//! The sandbox: a fresh QuickJS runtime per run, with a memory limit (QuickJS's allocator
//! refuses past it), a stack limit, and an interrupt handler that stops the engine at the
//! deadline. Only the core engine is compiled (rquickjs-sys builds no `quickjs-libc`, so there is
//! no `std` or `os` module) and rquickjs's `loader` feature is off (no `import`); the globals are
//! ECMAScript's plus those of `prelude.js`: `console`, `setTimeout` and friends (in virtual
//! time), `UnauthorizedError`, `global`, `configuration`, and a `require` that knows only the
//! stub modules listed in [`MODULES`]. Nothing reaches the host's files, network or environment.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod actions;
mod locate;
pub mod migrate;

pub use actions::{
    ActionRun, ActionScript, ActionVerdict, TRIGGERS, apply_changes, default_event, handler_of,
    run_actions,
};

use locate::Instrumented;
use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Function, Object, Runtime, Value as JsValue};
use serde_json::{Value, json};

/// The modules `require` returns; every other name throws `Cannot find module`.
pub const MODULES: &[&str] = &["util"];

/// Largest total of `console.log` output kept per run; the rest is counted, not kept.
const MAX_LOG_BYTES: usize = 64 << 10;
/// QuickJS's own stack bound, well inside the 2 MiB of a Rust thread.
const MAX_STACK_BYTES: usize = 512 << 10;

/// The bounds of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time of the whole run; also the virtual time timers may reach.
    pub timeout: Duration,
    /// Memory the engine may allocate.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(5),
            memory_bytes: 64 << 20,
        }
    }
}

/// One rule to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleScript {
    pub name: String,
    pub script: String,
}

/// A 1-based line and column inside a rule's script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScriptPos {
    pub line: u32,
    pub col: u32,
}

/// The error a rule called back with (a denied login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub name: String,
    pub message: String,
}

/// Why a rule broke the login (not a denial: a bug in the rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The script does not compile.
    Syntax {
        message: String,
        pos: Option<ScriptPos>,
    },
    /// The script evaluates to something else than a function.
    NotAFunction { found: String },
    /// An uncaught exception, in the rule or in a timer or promise it started.
    Threw {
        name: String,
        message: String,
        pos: Option<ScriptPos>,
    },
    /// The rule finished without calling back; `timer_pending` when a timer due after the
    /// timeout could still have.
    NoCallback { timer_pending: bool },
    /// Still running at the deadline.
    Timeout(Duration),
    /// The memory limit was reached.
    OutOfMemory(usize),
    /// `callback` called more than once.
    DoubleCallback(u32),
    /// An action's module exports no handler for its trigger (`onExecutePostLogin`, …).
    NoHandler { handler: String },
    /// An action's handler returned a promise that never settled; `timer_pending` when a timer
    /// due after the timeout could still have settled it.
    Unsettled { timer_pending: bool },
    /// What an action asked for (claims, metadata, the cache) cannot be read: too deep, too
    /// large, or not text (a lone surrogate).
    BadEffects(String),
    /// What the rule called back with cannot be read (a cycle, say).
    BadResult(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Syntax { message, .. } => write!(f, "syntax error: {message}"),
            Failure::NotAFunction { found } => write!(
                f,
                "the script is {found}, not a function (user, context, callback)"
            ),
            Failure::Threw { name, message, .. } => write!(f, "threw {name}: {message}"),
            Failure::NoCallback {
                timer_pending: false,
            } => write!(
                f,
                "never called callback: the rule finished and nothing it started is pending"
            ),
            Failure::NoCallback {
                timer_pending: true,
            } => write!(
                f,
                "never called callback before the timeout (a setTimeout due later is pending)"
            ),
            Failure::Timeout(d) => write!(
                f,
                "still running after the {} timeout (an endless loop?)",
                humanize(*d)
            ),
            Failure::OutOfMemory(limit) => write!(
                f,
                "ran out of memory (the limit is {} MiB)",
                limit.div_ceil(1 << 20)
            ),
            Failure::DoubleCallback(n) => write!(f, "called callback {n} times (once is right)"),
            Failure::NoHandler { handler } => write!(
                f,
                "exports no `{handler}` function (`exports.{handler} = async (event, api) => {{…}}`)"
            ),
            Failure::Unsettled {
                timer_pending: false,
            } => write!(
                f,
                "never finished: its handler's promise is still pending and nothing it started is"
            ),
            Failure::Unsettled {
                timer_pending: true,
            } => write!(
                f,
                "never finished before the timeout (a setTimeout due later is pending)"
            ),
            Failure::BadResult(m) => write!(f, "called back with a value that cannot be read: {m}"),
            Failure::BadEffects(m) => write!(
                f,
                "set claims, metadata or cache values that cannot be read: {m}"
            ),
        }
    }
}

impl Failure {
    /// Where in the script, when known.
    pub fn pos(&self) -> Option<ScriptPos> {
        match self {
            Failure::Syntax { pos, .. } | Failure::Threw { pos, .. } => *pos,
            _ => None,
        }
    }
}

fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every rule called back without an error: the final `user` and `context`, and what
    /// the rules wrote through `auth0.users` (`{app_metadata?, user_metadata?}`, each merged).
    Allowed {
        user: Value,
        context: Value,
        written: Value,
    },
    /// A rule called back with an error: the login is denied.
    Denied { rule: String, error: RuleError },
    /// A rule failed.
    Failed { rule: String, failure: Failure },
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub verdict: Verdict,
    /// `console.log` lines, in order.
    pub logs: Vec<String>,
    /// The rules that ran (called back or failed), in order.
    pub ran: Vec<String>,
}

/// The `context` a login starts with, before a fixture's or the emulator's own fields: what every
/// rule could count on having.
pub fn default_context() -> Value {
    json!({
        "clientID": "",
        "clientName": "",
        "clientMetadata": {},
        "connection": "",
        "connectionStrategy": "",
        "protocol": "oidc-basic-profile",
        "tenant": "local",
        "sessionID": "",
        "idToken": {},
        "accessToken": {},
        "request": {
            "ip": "127.0.0.1",
            "hostname": "localhost",
            "userAgent": "a0ctl",
            "query": {},
            "body": {},
            "geoip": {}
        },
        "stats": {"loginsCount": 1},
        "authentication": {"methods": [{"name": "pwd", "timestamp": 0}]},
    })
}

/// `overlay` merged into `base`: objects key by key (recursively), anything else replaced.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// How long past its deadline a run may take before the caller stops waiting for it. The
/// engine polls its interrupt handler between bytecodes, and the prelude caps the length that
/// the builtins which loop over one may walk, so a run ends a little after its deadline; this
/// bound holds even when something inside the engine does not.
pub const GRACE: Duration = Duration::from_secs(1);

/// Stack of the thread a run happens on: QuickJS's own bound plus room for the host's frames.
const THREAD_STACK_BYTES: usize = 4 << 20;

/// Run `rules` in order on one login. Never panics on what the scripts do, and returns by the
/// deadline plus [`GRACE`] whatever they do: the run happens on a thread of its own, and a run
/// still going past that is abandoned (its thread keeps only its own runtime, and stops at the
/// engine's next interrupt poll, which now always says stop).
pub fn run_pipeline(
    rules: &[RuleScript],
    user: &Value,
    context: &Value,
    configuration: &Value,
    limits: &Limits,
) -> Run {
    let first = rules.first().map(|r| r.name.clone()).unwrap_or_default();
    let job = (
        rules.to_vec(),
        user.clone(),
        context.clone(),
        configuration.clone(),
        *limits,
    );
    isolated(
        limits,
        move |started| {
            let (rules, user, context, configuration, limits) = job;
            run_here(&rules, &user, &context, &configuration, &limits, started)
        },
        |ran, failure| Run {
            verdict: Verdict::Failed {
                rule: ran.last().cloned().unwrap_or(first),
                failure,
            },
            logs: Vec::new(),
            ran,
        },
    )
}

/// Run `job` on a thread of its own and return what it returns by the deadline plus
/// [`GRACE`]; past that, or when the thread cannot start or stops without an answer, what
/// `lost` makes of the scripts that started and why. `job` is told where to note each script
/// it starts.
pub(crate) fn isolated<T: Send + 'static>(
    limits: &Limits,
    job: impl FnOnce(&Mutex<Vec<String>>) -> T + Send + 'static,
    lost: impl FnOnce(Vec<String>, Failure) -> T,
) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    // The scripts that started, shared so that an abandoned run still says which one it was in.
    let started: Arc<Mutex<Vec<String>>> = Arc::default();
    let mine = started.clone();
    let spawned = std::thread::Builder::new()
        .name("a0ctl-sandbox".into())
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || {
            let out = job(&mine);
            // The receiver may have stopped waiting; then nobody wants the answer.
            let _ = tx.send(out);
        });
    if let Err(e) = spawned {
        return lost(
            Vec::new(),
            Failure::Threw {
                name: "InternalError".into(),
                message: format!("cannot start the JavaScript engine's thread: {e}"),
                pos: None,
            },
        );
    }
    let wait = limits.timeout.saturating_add(GRACE);
    let outcome = rx.recv_timeout(wait);
    let ran = started.lock().map(|r| r.clone()).unwrap_or_default();
    let failure = match outcome {
        Ok(out) => return out,
        Err(RecvTimeoutError::Timeout) => Failure::Timeout(limits.timeout),
        Err(RecvTimeoutError::Disconnected) => Failure::Threw {
            name: "InternalError".into(),
            message: "the JavaScript engine stopped without an answer".into(),
            pos: None,
        },
    };
    lost(ran, failure)
}

/// [`run_pipeline`] on the calling thread.
fn run_here(
    rules: &[RuleScript],
    user: &Value,
    context: &Value,
    configuration: &Value,
    limits: &Limits,
    started: &Mutex<Vec<String>>,
) -> Run {
    let logs = Rc::new(RefCell::new(Logs::default()));
    let verdict = match Sandbox::new(limits) {
        Ok(sandbox) => sandbox.run(rules, user, context, configuration, &logs, started),
        Err(e) => Verdict::Failed {
            rule: rules.first().map(|r| r.name.clone()).unwrap_or_default(),
            failure: Failure::Threw {
                name: "InternalError".into(),
                message: format!("cannot start the JavaScript engine: {e}"),
                pos: None,
            },
        },
    };
    let logs = Rc::try_unwrap(logs)
        .map(RefCell::into_inner)
        .unwrap_or_else(|rc| rc.borrow().clone());
    Run {
        verdict,
        logs: logs.finish(),
        ran: started.lock().map(|r| r.clone()).unwrap_or_default(),
    }
}

#[derive(Debug, Default, Clone)]
struct Logs {
    lines: Vec<String>,
    bytes: usize,
    dropped: usize,
}

impl Logs {
    fn push(&mut self, line: String) {
        if self.bytes + line.len() > MAX_LOG_BYTES {
            self.dropped += 1;
            return;
        }
        self.bytes += line.len();
        self.lines.push(line);
    }

    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.lines.push(format!(
                "… {} more lines not kept (past {} KiB)",
                self.dropped,
                MAX_LOG_BYTES >> 10
            ));
        }
        self.lines
    }
}

struct Sandbox {
    // The context holds its runtime alive.
    context: Context,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
    /// Rejections no handler has taken (yet), most recent last.
    unhandled: Rc<RefCell<Vec<ErrorInfo>>>,
    limits: Limits,
}

impl Sandbox {
    fn new(limits: &Limits) -> rquickjs::Result<Sandbox> {
        let runtime = Runtime::new()?;
        runtime.set_max_stack_size(MAX_STACK_BYTES);
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let interrupted = Rc::new(Cell::new(false));
        {
            let deadline = deadline.clone();
            let interrupted = interrupted.clone();
            runtime.set_interrupt_handler(Some(Box::new(move || {
                let stop = deadline.get().is_some_and(|d| Instant::now() >= d);
                if stop {
                    interrupted.set(true);
                }
                stop
            })));
        }
        // A promise rejected with no handler is how an error in a `.then` callback ends; a
        // handler attached later takes it back (the tracker is called again, handled).
        let unhandled: Rc<RefCell<Vec<ErrorInfo>>> = Rc::new(RefCell::new(Vec::new()));
        {
            let unhandled = unhandled.clone();
            runtime.set_host_promise_rejection_tracker(Some(Box::new(
                move |_ctx, _promise, reason, is_handled| {
                    let mut list = unhandled.borrow_mut();
                    if is_handled {
                        list.pop();
                    } else if list.len() < 64 {
                        list.push(ErrorInfo::from_value(&reason));
                    }
                },
            )));
        }
        let context = Context::full(&runtime)?;
        // The limit is set after the intrinsics exist, so it bounds what the rules allocate.
        runtime.set_memory_limit(limits.memory_bytes);
        Ok(Sandbox {
            context,
            deadline,
            interrupted,
            unhandled,
            limits: *limits,
        })
    }

    fn run(
        &self,
        rules: &[RuleScript],
        user: &Value,
        context: &Value,
        configuration: &Value,
        logs: &Rc<RefCell<Logs>>,
        ran: &Mutex<Vec<String>>,
    ) -> Verdict {
        self.deadline
            .set(Some(Instant::now() + self.limits.timeout));
        self.context.with(|ctx| {
            let fail_setup = |failure: Failure| Verdict::Failed {
                rule: rules.first().map(|r| r.name.clone()).unwrap_or_default(),
                failure,
            };
            let driver = match self.driver(&ctx, user, context, configuration, logs) {
                Ok(d) => d,
                Err(e) => return fail_setup(self.classify(&ctx, e, None)),
            };
            for (index, rule) in rules.iter().enumerate() {
                if let Ok(mut ran) = ran.lock() {
                    ran.push(rule.name.clone());
                }
                match self.run_rule(&ctx, &driver, index, rule) {
                    Ok(None) => {}
                    Ok(Some(error)) => {
                        return Verdict::Denied {
                            rule: rule.name.clone(),
                            error,
                        };
                    }
                    Err(failure) => {
                        return Verdict::Failed {
                            rule: rule.name.clone(),
                            failure,
                        };
                    }
                }
            }
            let result = call::<String>(&driver, "result", ())
                .map_err(|e| match self.classify(&ctx, e, None) {
                    Failure::Threw { name, message, .. } => {
                        Failure::BadResult(format!("{name}: {message}"))
                    }
                    other => other,
                })
                .and_then(|text| {
                    serde_json::from_str::<Value>(&text)
                        .map_err(|e| Failure::BadResult(e.to_string()))
                });
            let rule = rules.last().map(|r| r.name.clone()).unwrap_or_default();
            match result {
                Ok(mut v) => Verdict::Allowed {
                    user: v.get_mut("user").map(Value::take).unwrap_or(Value::Null),
                    context: v.get_mut("context").map(Value::take).unwrap_or(Value::Null),
                    written: v.get_mut("written").map(Value::take).unwrap_or(Value::Null),
                },
                Err(failure) => Verdict::Failed { rule, failure },
            }
        })
    }

    fn driver<'js>(
        &self,
        ctx: &Ctx<'js>,
        user: &Value,
        context: &Value,
        configuration: &Value,
        logs: &Rc<RefCell<Logs>>,
    ) -> rquickjs::Result<Object<'js>> {
        let driver = prelude(ctx, logs, configuration)?;
        call::<()>(&driver, "init", (user.to_string(), context.to_string()))?;
        Ok(driver)
    }

    /// Run one rule: `Ok(None)` when it called back without an error, `Ok(Some(error))` when it
    /// denied the login.
    fn run_rule<'js>(
        &self,
        ctx: &Ctx<'js>,
        driver: &Object<'js>,
        index: usize,
        rule: &RuleScript,
    ) -> Result<Option<RuleError>, Failure> {
        let file = script_file(index);
        self.unhandled.borrow_mut().clear();
        // A trailing `;` (`function f(…) {…};`) is harmless in a program but not in the
        // parentheses below; it only ends the script, so positions do not move.
        let text = rule
            .script
            .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
        let script = locate::instrument(text);
        let at = Some((file.as_str(), &*script));
        // The script is an expression (Auth0's `function (user, context, callback) {…}`); the
        // opening parenthesis has a line of its own so positions only shift by one line.
        let source = format!("(\n{}\n)", script.text);
        let function: JsValue = match eval(ctx, &source, &file) {
            Ok(v) => v,
            Err(e) => {
                return Err(match self.classify(ctx, e, at) {
                    Failure::Threw { message, pos, .. } => Failure::Syntax { message, pos },
                    other => other,
                });
            }
        };
        if !function.is_function() {
            return Err(Failure::NotAFunction {
                found: describe_type(&function),
            });
        }
        call::<()>(driver, "start", (function,)).map_err(|e| self.classify(ctx, e, at))?;
        let (status, timer_pending) = self.settle(ctx, driver, at)?;
        let calls = status.get("calls").and_then(Value::as_u64).unwrap_or(0) as u32;
        match calls {
            0 => match self.unhandled.borrow_mut().pop() {
                Some(info) => Err(self.failure_of(info, at)),
                None => Err(Failure::NoCallback { timer_pending }),
            },
            1 => Ok(status
                .get("error")
                .filter(|e| !e.is_null())
                .map(|e| RuleError {
                    name: str_of(e, "name"),
                    message: str_of(e, "message"),
                })),
            n => Err(Failure::DoubleCallback(n)),
        }
    }

    /// Run the engine's jobs and the timers due before the timeout until none is left, then
    /// read the driver's `status`: an error when the script threw (in a timer or promise too).
    /// Also whether a timer due after the timeout is still pending.
    pub(crate) fn settle<'js>(
        &self,
        ctx: &Ctx<'js>,
        driver: &Object<'js>,
        at: Option<(&str, &Instrumented)>,
    ) -> Result<(Value, bool), Failure> {
        let limit_ms = self.limits.timeout.as_millis() as f64;
        let mut timer_pending = false;
        loop {
            while ctx.execute_pending_job() {
                if self.interrupted.get() || self.past_deadline() {
                    return Err(Failure::Timeout(self.limits.timeout));
                }
            }
            match call::<i32>(driver, "runTimer", (limit_ms,))
                .map_err(|e| self.classify(ctx, e, at))?
            {
                1 if self.past_deadline() => return Err(Failure::Timeout(self.limits.timeout)),
                1 => continue,
                2 => timer_pending = true,
                _ => {}
            }
            break;
        }
        let status = call::<String>(driver, "status", ()).map_err(|e| self.classify(ctx, e, at))?;
        let status: Value =
            serde_json::from_str(&status).map_err(|e| Failure::BadResult(e.to_string()))?;
        if let Some(thrown) = status.get("thrown").filter(|t| !t.is_null()) {
            let info = ErrorInfo::from_json(thrown);
            return Err(self.failure_of(info, at));
        }
        Ok((status, timer_pending))
    }

    fn past_deadline(&self) -> bool {
        self.deadline.get().is_some_and(|d| Instant::now() >= d)
    }

    /// Turn an engine error into a failure: the interrupt and the allocator's refusal first,
    /// since the exception they leave says little.
    fn classify(
        &self,
        ctx: &Ctx<'_>,
        e: rquickjs::Error,
        at: Option<(&str, &Instrumented)>,
    ) -> Failure {
        if self.interrupted.get() {
            return Failure::Timeout(self.limits.timeout);
        }
        let info = match e {
            rquickjs::Error::Exception => ErrorInfo::from_exception(ctx),
            rquickjs::Error::Allocation => return Failure::OutOfMemory(self.limits.memory_bytes),
            other => ErrorInfo {
                name: "InternalError".into(),
                message: other.to_string(),
                stack: String::new(),
                null: false,
            },
        };
        self.failure_of(info, at)
    }

    fn failure_of(&self, info: ErrorInfo, at: Option<(&str, &Instrumented)>) -> Failure {
        if self.interrupted.get() {
            return Failure::Timeout(self.limits.timeout);
        }
        if info.message.contains("out of memory") || ran_out_of_memory(&info, at) {
            return Failure::OutOfMemory(self.limits.memory_bytes);
        }
        let pos = at
            .and_then(|(file, script)| position_in(&info.stack, file).map(|p| script.original(p)));
        Failure::Threw {
            name: info.name,
            message: info.message,
            pos,
        }
    }
}

/// When the engine cannot allocate the error for a failed allocation, the script sees `null`
/// thrown, or an `InternalError` whose message could not be allocated. A script that never
/// throws or rejects cannot have thrown `null` itself; one that might is told it threw `null`.
fn ran_out_of_memory(info: &ErrorInfo, at: Option<(&str, &Instrumented)>) -> bool {
    if info.name == "InternalError" && info.message == "Invalid error message" {
        return true;
    }
    info.null
        && at.is_some_and(|(_, script)| {
            !script.text.contains("throw") && !script.text.contains("reject")
        })
}

fn script_file(index: usize) -> String {
    format!("rule-{}.js", index + 1)
}

/// The sandbox's globals (`prelude.js`), logging to `logs`; its rules' driver.
fn prelude<'js>(
    ctx: &Ctx<'js>,
    logs: &Rc<RefCell<Logs>>,
    configuration: &Value,
) -> rquickjs::Result<Object<'js>> {
    let sink = logs.clone();
    let host_log = Function::new(ctx.clone(), move |line: String| {
        sink.borrow_mut().push(line);
    })?;
    let setup: Function = eval(ctx, include_str!("prelude.js"), "a0ctl-prelude.js")?;
    setup.call((host_log, configuration.to_string()))
}

fn eval<'js, V: rquickjs::FromJs<'js>>(
    ctx: &Ctx<'js>,
    source: &str,
    file: &str,
) -> rquickjs::Result<V> {
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = false;
    options.filename = Some(file.to_string());
    ctx.eval_with_options(source, options)
}

fn call<'js, R: rquickjs::FromJs<'js>>(
    driver: &Object<'js>,
    method: &str,
    args: impl rquickjs::function::IntoArgs<'js>,
) -> rquickjs::Result<R> {
    let f: Function = driver.get(method)?;
    f.call(args)
}

fn describe_type(v: &JsValue<'_>) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if v.is_array() {
        "an array".into()
    } else if v.is_object() {
        "an object".into()
    } else if v.is_string() {
        "a string".into()
    } else if v.is_number() {
        "a number".into()
    } else if v.is_bool() {
        "a boolean".into()
    } else {
        "not a function".into()
    }
}

fn str_of(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

struct ErrorInfo {
    name: String,
    message: String,
    stack: String,
    /// The thrown value was `null`: what the engine leaves when it cannot even allocate the
    /// error for an allocation that failed (or what a script threw on purpose).
    null: bool,
}

impl ErrorInfo {
    fn from_json(v: &Value) -> ErrorInfo {
        ErrorInfo {
            name: str_of(v, "name"),
            message: str_of(v, "message"),
            stack: str_of(v, "stack"),
            null: v.get("null").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    fn from_exception(ctx: &Ctx<'_>) -> ErrorInfo {
        ErrorInfo::from_value(&ctx.catch())
    }

    fn from_value(v: &JsValue<'_>) -> ErrorInfo {
        if let Some(o) = v.as_object() {
            let text = |key: &str| {
                o.get::<_, Option<rquickjs::Coerced<String>>>(key)
                    .ok()
                    .flatten()
                    .map(|c| c.0)
                    .unwrap_or_default()
            };
            return ErrorInfo {
                name: Some(text("name"))
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "Error".into()),
                message: text("message"),
                stack: text("stack"),
                null: false,
            };
        }
        // No exception set although a call failed: only a refused allocation does that.
        if v.type_of() == rquickjs::Type::Uninitialized {
            return ErrorInfo {
                name: "InternalError".into(),
                message: "out of memory".into(),
                stack: String::new(),
                null: false,
            };
        }
        let message = v
            .as_string()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_else(|| describe_type(v));
        ErrorInfo {
            name: "Error".into(),
            message,
            stack: String::new(),
            null: v.is_null(),
        }
    }
}

/// The first place in `stack` inside `file` (`… (rule-1.js:3:9)` or `at rule-1.js:3:9`), as a
/// position in the rule's own script (the wrapper adds one line before it).
fn position_in(stack: &str, file: &str) -> Option<ScriptPos> {
    let needle = format!("{file}:");
    for line in stack.lines() {
        let Some(start) = line.find(&needle) else {
            continue;
        };
        let rest = &line[start + needle.len()..];
        let mut parts = rest.split(|c: char| !c.is_ascii_digit());
        let Some(l) = parts.next().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let col = parts
            .next()
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(1);
        return Some(ScriptPos {
            line: l.saturating_sub(1).max(1),
            col: col.max(1),
        });
    }
    None
}

#[cfg(test)]
mod tests;
