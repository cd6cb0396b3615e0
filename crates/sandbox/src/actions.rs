//! Actions in the sandbox: a trigger's bound actions run one after the other on one event, as
//! the service runs a flow. Each action is a CommonJS module (`exports.onExecutePostLogin =
//! async (event, api) => {…}`); its handler gets a copy of the event with its own `secrets` and
//! the trigger's `api` (`actions.js`), which records what the action asked for (a denial,
//! claims, scopes, metadata, a redirect, MFA). Later actions see the metadata earlier ones set;
//! a denial, a redirect or a validation error ends the flow after the action that asked.
//!
//! The bounds are the rules' (one runtime per run, memory and stack limits, a deadline for the
//! whole flow, timers in virtual time), and so is `require`: it knows the stub modules the
//! caller gives and the sandbox's own pure ones, nothing of the host.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Mutex;

use rquickjs::{Ctx, Function, Object, Value as JsValue};
use serde_json::{Value, json};

use super::{
    Failure, Limits, Logs, Sandbox, call, default_context, eval, isolated, locate, prelude,
};

/// The triggers whose actions the sandbox runs, with their handler's name.
pub const TRIGGERS: &[(&str, &str)] = &[
    ("post-login", "onExecutePostLogin"),
    ("credentials-exchange", "onExecuteCredentialsExchange"),
    ("pre-user-registration", "onExecutePreUserRegistration"),
    ("post-user-registration", "onExecutePostUserRegistration"),
    ("post-change-password", "onExecutePostChangePassword"),
    ("send-phone-message", "onExecuteSendPhoneMessage"),
    ("password-reset-post-challenge", "onExecutePostChallenge"),
];

/// The handler an action exports for `trigger`; `None` for a trigger the sandbox does not run.
pub fn handler_of(trigger: &str) -> Option<&'static str> {
    TRIGGERS
        .iter()
        .find(|(t, _)| *t == trigger)
        .map(|(_, h)| *h)
}

/// One action to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionScript {
    pub name: String,
    pub code: String,
    /// `event.secrets` for this action: names to values.
    pub secrets: Value,
}

/// How a flow ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionVerdict {
    /// Every action finished (or the flow stopped at a redirect or a validation error, which the
    /// effects carry).
    Done,
    /// An action called `api.access.deny`.
    Denied {
        action: String,
        reason: String,
        /// The OAuth error code, for the triggers whose `deny` takes one.
        code: Option<String>,
    },
    /// An action failed (threw, never finished, ran out of time or memory).
    Failed { action: String, failure: Failure },
}

/// What a flow did.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRun {
    pub verdict: ActionVerdict,
    /// `{denied, idToken, accessToken, scopes: {added, removed}, app_metadata, user_metadata,
    /// redirect, multifactor, validation, cache}`: what the actions asked for.
    pub effects: Value,
    pub logs: Vec<String>,
    /// The actions that ran (finished or failed), in order.
    pub ran: Vec<String>,
}

/// The event a flow of `trigger` starts with, before a case's or the emulator's own fields:
/// the fields `@auth0/actions` describes for it, with plausible values.
pub fn default_event(trigger: &str) -> Value {
    let legacy = default_context();
    let request = json!({
        "ip": legacy["request"]["ip"],
        "hostname": legacy["request"]["hostname"],
        "user_agent": legacy["request"]["userAgent"],
        "method": "POST",
        "language": "en",
        "query": {},
        "body": {},
        "geoip": {},
    });
    let tenant = json!({"id": legacy["tenant"]});
    let client = json!({"client_id": "", "name": "", "metadata": {}});
    let user = json!({
        "user_id": "auth0|0",
        "email": "user@example.com",
        "email_verified": true,
        "name": "user@example.com",
        "nickname": "user",
        "picture": "",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        "identities": [],
        "app_metadata": {},
        "user_metadata": {},
    });
    match trigger {
        "post-login" => json!({
            "user": user,
            "client": client,
            "connection": {"id": "", "name": "", "strategy": "auth0", "metadata": {}},
            "request": request,
            "transaction": {
                "id": "",
                "protocol": legacy["protocol"],
                "requested_scopes": ["openid", "profile", "email"],
                "response_type": ["code"],
                "redirect_uri": "",
                "state": "",
                "ui_locales": [],
                "locale": "en",
            },
            "authentication": {"methods": [{"name": "pwd", "timestamp": "2026-01-01T00:00:00.000Z"}]},
            "authorization": {"roles": []},
            "stats": {"logins_count": 1},
            "session": {"id": ""},
            "tenant": tenant,
            "resource_server": {"identifier": ""},
        }),
        "credentials-exchange" => json!({
            "client": client,
            "request": request,
            "resource_server": {"identifier": ""},
            "tenant": tenant,
            "transaction": {"requested_scopes": []},
            "accessToken": {"scope": [], "customClaims": {}},
        }),
        "pre-user-registration" => json!({
            "user": user,
            "client": client,
            "connection": {"id": "", "name": "", "strategy": "auth0", "metadata": {}},
            "request": request,
            "tenant": tenant,
            "transaction": {"locale": "en", "ui_locales": []},
        }),
        _ => json!({
            "user": user,
            "client": client,
            "connection": {"id": "", "name": "", "strategy": "auth0", "metadata": {}},
            "request": request,
            "tenant": tenant,
        }),
    }
}

/// Run `actions` in order on one event of `trigger`. `stubs` are modules by name (CommonJS
/// source) that `require` returns; `stub_hint` is how the caller's user gives one, shown when an
/// action requires a module that has none (`{name}` stands for the module's name). Never panics
/// on what the scripts do, and returns by the deadline plus `GRACE`, as rules do.
pub fn run_actions(
    trigger: &str,
    actions: &[ActionScript],
    event: &Value,
    stubs: &[(String, String)],
    stub_hint: &str,
    limits: &Limits,
) -> ActionRun {
    let first = actions.first().map(|a| a.name.clone()).unwrap_or_default();
    let job = (
        trigger.to_string(),
        actions.to_vec(),
        event.clone(),
        stubs.to_vec(),
        stub_hint.to_string(),
        *limits,
    );
    isolated(
        limits,
        move |started| {
            let (trigger, actions, event, stubs, hint, limits) = job;
            run_here(&trigger, &actions, &event, &stubs, &hint, &limits, started)
        },
        |ran, failure| ActionRun {
            verdict: ActionVerdict::Failed {
                action: ran.last().cloned().unwrap_or(first),
                failure,
            },
            effects: Value::Null,
            logs: Vec::new(),
            ran,
        },
    )
}

fn run_here(
    trigger: &str,
    actions: &[ActionScript],
    event: &Value,
    stubs: &[(String, String)],
    hint: &str,
    limits: &Limits,
    started: &Mutex<Vec<String>>,
) -> ActionRun {
    let logs = Rc::new(RefCell::new(Logs::default()));
    let flow = Flow {
        trigger,
        stubs,
        hint,
        logs: &logs,
        limits,
    };
    let (verdict, effects) = flow.run(actions, event, started);
    let logs = Rc::try_unwrap(logs)
        .map(RefCell::into_inner)
        .unwrap_or_else(|rc| rc.borrow().clone());
    ActionRun {
        verdict,
        effects,
        logs: logs.finish(),
        ran: started.lock().map(|r| r.clone()).unwrap_or_default(),
    }
}

struct Flow<'a> {
    trigger: &'a str,
    stubs: &'a [(String, String)],
    hint: &'a str,
    logs: &'a Rc<RefCell<Logs>>,
    limits: &'a Limits,
}

/// Largest JSON of what one action asked for (claims, metadata, cache).
const MAX_EFFECTS_BYTES: usize = 1 << 20;

/// The file name an action's positions are reported in, inside the engine.
fn action_file(index: usize) -> String {
    format!("action-{}.js", index + 1)
}

/// A module's source as a function of `(exports, require, module)`; the opening line of its
/// own, so positions shift by one line as a rule's do.
fn module_source(code: &str) -> String {
    format!("(function (exports, require, module) {{\n{code}\n}})")
}

/// What a flow starts with having asked for nothing.
fn no_effects() -> Value {
    json!({
        "denied": null,
        "idToken": {},
        "accessToken": {},
        "scopes": {"added": [], "removed": []},
        "app_metadata": {},
        "user_metadata": {},
        "redirect": null,
        "multifactor": null,
        "validation": null,
        "cache": {},
    })
}

/// `changes` (a key set to `null` is removed) applied to the object at `slot`.
pub fn apply_changes(slot: &mut Value, changes: Option<&Value>) {
    let Some(changes) = changes.and_then(Value::as_object).filter(|c| !c.is_empty()) else {
        return;
    };
    if !slot.is_object() {
        *slot = json!({});
    }
    if let Some(target) = slot.as_object_mut() {
        for (k, v) in changes {
            if v.is_null() {
                target.remove(k);
            } else {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}

/// One action's effects added to the flow's: claims and metadata key by key (the later action's
/// value wins), scopes as the last word on each, the rest replaced when set.
fn add_effects(total: &mut Value, one: &Value) {
    for key in ["idToken", "accessToken", "app_metadata", "user_metadata"] {
        if let (Some(t), Some(o)) = (total[key].as_object_mut(), one[key].as_object()) {
            for (k, v) in o {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    for (mine, other) in [("added", "removed"), ("removed", "added")] {
        for scope in one["scopes"][mine].as_array().into_iter().flatten() {
            let scopes = &mut total["scopes"];
            if let Some(list) = scopes[other].as_array_mut() {
                list.retain(|s| s != scope);
            }
            if let Some(list) = scopes[mine].as_array_mut()
                && !list.contains(scope)
            {
                list.push(scope.clone());
            }
        }
    }
    for key in ["denied", "redirect", "multifactor", "validation"] {
        if !one[key].is_null() {
            total[key] = one[key].clone();
        }
    }
    total["cache"] = one["cache"].clone();
}

impl Flow<'_> {
    /// Each action in a runtime of its own, on the event as the earlier ones left it, until one
    /// fails, denies, redirects or fails validation.
    fn run(
        &self,
        actions: &[ActionScript],
        event: &Value,
        started: &Mutex<Vec<String>>,
    ) -> (ActionVerdict, Value) {
        let mut total = no_effects();
        let first = actions.first().map(|a| a.name.clone()).unwrap_or_default();
        let Some(handler) = handler_of(self.trigger) else {
            let failure = Failure::Threw {
                name: "Error".into(),
                message: format!(
                    "a0ctl's sandbox does not run actions of the trigger `{}` (it runs {})",
                    self.trigger,
                    TRIGGERS
                        .iter()
                        .map(|(t, _)| *t)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                pos: None,
            };
            return (
                ActionVerdict::Failed {
                    action: first,
                    failure,
                },
                total,
            );
        };
        let deadline = std::time::Instant::now() + self.limits.timeout;
        let mut event = event.clone();
        for (index, action) in actions.iter().enumerate() {
            if let Ok(mut ran) = started.lock() {
                ran.push(action.name.clone());
            }
            let failed = |failure| ActionVerdict::Failed {
                action: action.name.clone(),
                failure,
            };
            let one = match Sandbox::new(self.limits) {
                Ok(sandbox) => {
                    sandbox.deadline.set(Some(deadline));
                    self.run_action(&sandbox, &event, &total["cache"], index, action, handler)
                }
                Err(e) => Err(Failure::Threw {
                    name: "InternalError".into(),
                    message: format!("cannot start the JavaScript engine: {e}"),
                    pos: None,
                }),
            };
            let one = match one {
                Ok(one) => one,
                Err(failure) => return (failed(failure), total),
            };
            add_effects(&mut total, &one);
            if let Some(denied) = one.get("denied").filter(|d| d.is_object()) {
                let verdict = ActionVerdict::Denied {
                    action: action.name.clone(),
                    reason: denied["reason"].as_str().unwrap_or_default().to_string(),
                    code: denied["code"].as_str().map(str::to_string),
                };
                return (verdict, total);
            }
            if !one["redirect"].is_null() || !one["validation"].is_null() {
                break;
            }
            // Later actions see the metadata earlier ones set.
            if event["user"].is_object() {
                for key in ["app_metadata", "user_metadata"] {
                    apply_changes(&mut event["user"][key], one.get(key));
                }
            }
        }
        (ActionVerdict::Done, total)
    }

    fn driver<'js>(
        &self,
        ctx: &Ctx<'js>,
        handler: &str,
        event: &Value,
        cache: &Value,
    ) -> rquickjs::Result<Object<'js>> {
        let rules_driver = prelude(ctx, self.logs, &json!({}))?;
        let internals: Object = rules_driver.get("internals")?;
        let setup: Function = eval(ctx, include_str!("actions.js"), "a0ctl-actions.js")?;
        let driver: Object = setup.call((
            internals,
            self.trigger,
            handler,
            event.to_string(),
            cache.to_string(),
            self.hint,
        ))?;
        // The prelude's timers run through the rules' driver; the actions' one lends them.
        driver.set("runTimer", rules_driver.get::<_, Function>("runTimer")?)?;
        for (name, source) in self.stubs {
            let file = format!("stub-{name}.js");
            let function: JsValue = eval(ctx, &module_source(source), &file)?;
            call::<()>(&driver, "stub", (name.as_str(), function))?;
        }
        Ok(driver)
    }

    /// Load one action's module in `sandbox`, run its handler to the end, and read what it
    /// asked for.
    fn run_action(
        &self,
        sandbox: &Sandbox,
        event: &Value,
        cache: &Value,
        index: usize,
        action: &ActionScript,
        handler: &str,
    ) -> Result<Value, Failure> {
        sandbox.context.with(|ctx| {
            let driver = self
                .driver(&ctx, handler, event, cache)
                .map_err(|e| sandbox.classify(&ctx, e, None))?;
            let file = action_file(index);
            sandbox.unhandled.borrow_mut().clear();
            let script = locate::instrument(&action.code);
            let at = Some((file.as_str(), &*script));
            let function: JsValue = match eval(&ctx, &module_source(&script.text), &file) {
                Ok(v) => v,
                Err(e) => {
                    return Err(match sandbox.classify(&ctx, e, at) {
                        Failure::Threw { message, pos, .. } => Failure::Syntax { message, pos },
                        other => other,
                    });
                }
            };
            let exported = call::<bool>(&driver, "load", (function,))
                .map_err(|e| sandbox.classify(&ctx, e, at))?;
            // The top level ran (and may have started promises or timers): it threw, or not.
            sandbox.settle(&ctx, &driver, at)?;
            if !exported {
                return Err(Failure::NoHandler {
                    handler: handler.to_string(),
                });
            }
            let secrets = action.secrets.to_string();
            call::<()>(&driver, "start", (secrets,)).map_err(|e| sandbox.classify(&ctx, e, at))?;
            let (status, timer_pending) = sandbox.settle(&ctx, &driver, at)?;
            // A promise the action dropped that rejected is an error of the action's too.
            if let Some(info) = sandbox.unhandled.borrow_mut().pop() {
                return Err(sandbox.failure_of(info, at));
            }
            if status.get("settled").and_then(Value::as_bool) != Some(true) {
                return Err(Failure::Unsettled { timer_pending });
            }
            let text = call::<String>(&driver, "result", ()).map_err(|e| {
                match sandbox.classify(&ctx, e, None) {
                    Failure::Threw { message, .. } => Failure::BadEffects(message),
                    other => other,
                }
            })?;
            if text.len() > MAX_EFFECTS_BYTES {
                return Err(Failure::BadEffects(format!(
                    "they are past {} KiB",
                    MAX_EFFECTS_BYTES >> 10
                )));
            }
            let one: Value =
                serde_json::from_str(&text).map_err(|e| Failure::BadEffects(e.to_string()))?;
            if !one.is_object() {
                return Err(Failure::BadEffects("they are not an object".into()));
            }
            Ok(one)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits() -> Limits {
        Limits {
            timeout: Duration::from_secs(10),
            memory_bytes: 16 << 20,
        }
    }

    fn action(name: &str, code: &str) -> ActionScript {
        ActionScript {
            name: name.into(),
            code: code.into(),
            secrets: json!({"NS": "https://example.com/"}),
        }
    }

    fn login(actions: &[ActionScript], stubs: &[(String, String)]) -> ActionRun {
        let mut event = default_event("post-login");
        event["user"]["email"] = json!("ana@example.com");
        run_actions(
            "post-login",
            actions,
            &event,
            stubs,
            "stub {name}",
            &limits(),
        )
    }

    #[test]
    fn a_flow_sets_claims_and_later_actions_see_earlier_metadata() {
        let r = login(
            &[
                action(
                    "one",
                    "exports.onExecutePostLogin = async (event, api) => {\n  api.user.setAppMetadata('plan', 'gold');\n  api.idToken.setCustomClaim(event.secrets.NS + 'email', event.user.email);\n};",
                ),
                action(
                    "two",
                    "exports.onExecutePostLogin = async (event, api) => {\n  await new Promise((r) => setTimeout(r, 2000));\n  api.accessToken.setCustomClaim('plan', event.user.app_metadata.plan);\n  api.accessToken.addScope('read:reports');\n  console.log('two saw', event.user.app_metadata.plan);\n};",
                ),
            ],
            &[],
        );
        assert_eq!(r.verdict, ActionVerdict::Done, "{r:?}");
        assert_eq!(r.ran, ["one", "two"]);
        assert_eq!(
            r.effects["idToken"],
            json!({"https://example.com/email": "ana@example.com"})
        );
        assert_eq!(r.effects["accessToken"], json!({"plan": "gold"}));
        assert_eq!(r.effects["scopes"]["added"], json!(["read:reports"]));
        assert_eq!(r.effects["app_metadata"], json!({"plan": "gold"}));
        assert_eq!(r.logs, ["two saw gold"]);
    }

    #[test]
    fn a_denial_ends_the_flow_and_names_the_action() {
        let r = login(
            &[
                action(
                    "deny",
                    "exports.onExecutePostLogin = async (event, api) => { api.access.deny('no ' + event.user.email); };",
                ),
                action(
                    "never",
                    "exports.onExecutePostLogin = async () => { throw new Error('ran'); };",
                ),
            ],
            &[],
        );
        assert_eq!(
            r.verdict,
            ActionVerdict::Denied {
                action: "deny".into(),
                reason: "no ana@example.com".into(),
                code: None
            }
        );
        assert_eq!(r.ran, ["deny"]);
    }

    #[test]
    fn errors_are_located_in_the_action_and_missing_modules_name_the_stub() {
        let r = login(
            &[action(
                "throws",
                "exports.onExecutePostLogin = async (event, api) => {\n  const x = event.user.nothing.deeper;\n};",
            )],
            &[],
        );
        let ActionVerdict::Failed {
            action: failed,
            failure,
        } = &r.verdict
        else {
            panic!("{r:?}")
        };
        assert_eq!(failed, "throws");
        assert_eq!(
            failure.pos(),
            Some(crate::ScriptPos { line: 2, col: 3 }),
            "{failure}"
        );
        let r = login(
            &[action(
                "needs",
                "const axios = require('axios');\nexports.onExecutePostLogin = async () => {};",
            )],
            &[],
        );
        let ActionVerdict::Failed { failure, .. } = &r.verdict else {
            panic!("{r:?}")
        };
        assert!(
            failure.to_string().contains("'axios': stub axios"),
            "{failure}"
        );
        let r = login(
            &[action(
                "stubbed",
                "const axios = require('axios');\nexports.onExecutePostLogin = async (event, api) => {\n  const { data } = await axios.get('https://geo');\n  api.idToken.setCustomClaim('country', data.country);\n};",
            )],
            &[(
                "axios".into(),
                "module.exports = { get: async (url) => ({ data: { country: 'NZ', url } }) };"
                    .into(),
            )],
        );
        assert_eq!(r.verdict, ActionVerdict::Done, "{r:?}");
        assert_eq!(r.effects["idToken"], json!({"country": "NZ"}));
    }

    #[test]
    fn an_action_without_its_handler_or_that_never_finishes_fails() {
        let r = login(
            &[action(
                "wrong",
                "exports.onExecuteCredentialsExchange = async () => {};",
            )],
            &[],
        );
        assert!(
            matches!(&r.verdict, ActionVerdict::Failed { failure: Failure::NoHandler { handler }, .. } if handler == "onExecutePostLogin"),
            "{r:?}"
        );
        let r = login(
            &[action(
                "hangs",
                "exports.onExecutePostLogin = () => new Promise(() => {});",
            )],
            &[],
        );
        assert!(
            matches!(
                &r.verdict,
                ActionVerdict::Failed {
                    failure: Failure::Unsettled {
                        timer_pending: false
                    },
                    ..
                }
            ),
            "{r:?}"
        );
        let r = run_actions(
            "post-login",
            &[action(
                "spins",
                "exports.onExecutePostLogin = () => { for (;;) {} };",
            )],
            &default_event("post-login"),
            &[],
            "",
            &Limits {
                timeout: Duration::from_millis(300),
                memory_bytes: 16 << 20,
            },
        );
        assert!(
            matches!(
                &r.verdict,
                ActionVerdict::Failed {
                    failure: Failure::Timeout(_),
                    ..
                }
            ),
            "{r:?}"
        );
    }

    #[test]
    fn nothing_of_the_host_is_reachable_from_an_action() {
        let r = login(
            &[action(
                "probe",
                "exports.onExecutePostLogin = async (event, api) => {\n  for (const m of ['fs', 'child_process', 'http', 'os']) {\n    try { require(m); api.idToken.setCustomClaim(m, 'loaded'); } catch (e) { api.idToken.setCustomClaim(m, 'refused'); }\n  }\n  api.idToken.setCustomClaim('process', typeof process);\n  api.idToken.setCustomClaim('configuration', typeof configuration);\n};",
            )],
            &[],
        );
        assert_eq!(r.verdict, ActionVerdict::Done, "{r:?}");
        assert_eq!(
            r.effects["idToken"],
            json!({"fs": "refused", "child_process": "refused", "http": "refused", "os": "refused", "process": "undefined", "configuration": "undefined"})
        );
    }

    #[test]
    fn a_credentials_exchange_denies_with_its_code() {
        let r = run_actions(
            "credentials-exchange",
            &[action(
                "m2m",
                "exports.onExecuteCredentialsExchange = async (event, api) => {\n  if (event.client.name !== 'ok') api.access.deny('invalid_request', 'not ' + event.client.name);\n  api.accessToken.setCustomClaim('c', 1);\n};",
            )],
            &default_event("credentials-exchange"),
            &[],
            "",
            &limits(),
        );
        assert_eq!(
            r.verdict,
            ActionVerdict::Denied {
                action: "m2m".into(),
                reason: "not ".into(),
                code: Some("invalid_request".into())
            }
        );
        let r = login(
            &[action(
                "unknown",
                "exports.onExecutePostLogin = async (event, api) => { api.session.revoke(); };",
            )],
            &[],
        );
        let ActionVerdict::Failed { failure, .. } = &r.verdict else {
            panic!("{r:?}")
        };
        assert!(
            failure
                .to_string()
                .contains("api.session is not in a0ctl's sandbox for the post-login trigger"),
            "{failure}"
        );
    }

    #[test]
    fn an_action_cannot_reach_a_later_action_s_secrets_api_or_verdict() {
        let hostile = action(
            "hostile",
            "exports.onExecutePostLogin = async (event, api) => {\n  Object.defineProperty(Object.prototype, 'secrets', { set(v) { globalThis.stolen = v; }, get() { return globalThis.stolen; }, configurable: true });\n  Object.prototype.toJSON = function () { return { settled: true, thrown: null }; };\n  try { api.access.deny = () => api; } catch (e) {}\n  globalThis.leak = (v) => api.idToken.setCustomClaim('stolen', v);\n};",
        );
        let mut guard = action(
            "guard",
            "exports.onExecutePostLogin = async (event, api) => {\n  if (globalThis.leak) globalThis.leak(event.secrets);\n  api.access.deny('guarded ' + Object.keys(event.secrets).length);\n};",
        );
        guard.secrets = json!({"KEY": "guard-secret"});
        let r = login(&[hostile, guard], &[]);
        assert_eq!(
            r.verdict,
            ActionVerdict::Denied {
                action: "guard".into(),
                reason: "guarded 1".into(),
                code: None
            },
            "{r:?}"
        );
        assert!(!r.effects.to_string().contains("guard-secret"), "{r:?}");
    }

    #[test]
    fn what_cannot_be_read_or_forged_fails_the_action_never_passes_it() {
        // A lone surrogate in a claim beside a denial: a failure, not a silent pass.
        let r = login(
            &[action(
                "surrogate",
                "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('initial', '\\uD83D');\n  api.access.deny('blocked user');\n};",
            )],
            &[],
        );
        assert!(
            matches!(
                &r.verdict,
                ActionVerdict::Failed {
                    failure: Failure::BadEffects(_),
                    ..
                }
            ),
            "{r:?}"
        );
        // A `toJSON` on every object forges neither the effects nor the end of a handler.
        let r = login(
            &[action(
                "forger",
                "exports.onExecutePostLogin = async (event, api) => {\n  Object.prototype.toJSON = () => ({ settled: true, thrown: null });\n  api.access.deny('still denied');\n};",
            )],
            &[],
        );
        assert!(
            matches!(&r.verdict, ActionVerdict::Denied { reason, .. } if reason == "still denied"),
            "{r:?}"
        );
        // A rejection the handler dropped fails it; logging `api` does not.
        let r = login(
            &[action(
                "dropped",
                "exports.onExecutePostLogin = async (event, api) => {\n  console.log('api is', api);\n  Promise.resolve().then(() => { throw new Error('late'); });\n};",
            )],
            &[],
        );
        let ActionVerdict::Failed { failure, .. } = &r.verdict else {
            panic!("{r:?}")
        };
        assert!(failure.to_string().contains("late"), "{failure}");
        assert_eq!(r.logs.len(), 1, "{r:?}");
    }
}
