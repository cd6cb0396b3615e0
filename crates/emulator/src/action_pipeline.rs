//! Actions at the emulator's logins and token requests: a trigger's bound actions run, in the
//! order of its bindings and each at its deployed version (code and secrets), in `a0ctl_sandbox`
//! (the sandbox `a0ctl test` runs actions in; nothing of the client side). `POST
//! /__emulator/logins` runs `post-login` after the enabled rules; a client-credentials token
//! request runs `credentials-exchange`. A denial or a failure fails the login or the request;
//! what the actions asked for (claims, scopes, metadata, a redirect, MFA) is in the answer, and
//! the metadata they set is saved to the user, as on the service.

use rusqlite::OptionalExtension;
use serde_json::{Value, json};

use super::{ApiError, App};
use a0ctl_sandbox::{self as sandbox, ActionVerdict, Limits};

/// How an action that requires an npm package is told what to do.
const STUB_HINT: &str = "the emulator runs no npm packages; test an action that requires `{name}` with `a0ctl test` and a stub";

/// What a trigger's actions did.
pub(crate) struct Outcome {
    /// Why the flow failed (a denial's reason, or what broke), for the log and the error.
    pub denied: Option<String>,
    /// A denial's OAuth error code, for the triggers whose `deny` takes one.
    pub code: Option<String>,
    /// What the actions asked for (`a0ctl_sandbox::ActionRun::effects`).
    pub effects: Value,
    /// `{"status", "ran", "logs", "idToken", "accessToken", "scopes", "redirect"?,
    /// "multifactor"?, "error"?}`.
    pub answer: Value,
}

/// A client's name and metadata, as an event shows it.
pub(crate) fn client_of(app: &App, client_id: &str) -> Result<Value, ApiError> {
    let found: Option<(String, String)> = app.store.read(|c| {
        c.query_row(
            "SELECT name, v2 FROM clients WHERE client_id = ?1",
            [client_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })?;
    let (name, v2) = found.unwrap_or_default();
    let v2: Value = serde_json::from_str(&v2).unwrap_or(Value::Null);
    let metadata = v2
        .get("client_metadata")
        .filter(|m| m.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    Ok(json!({"client_id": client_id, "name": name, "metadata": metadata}))
}

/// Run `trigger`'s bound actions on `event` (over the trigger's defaults). `Ok(None)` when
/// nothing is bound to it.
pub(crate) async fn run(
    app: &App,
    trigger: &str,
    event: Value,
) -> Result<Option<Outcome>, ApiError> {
    let actions = app
        .store
        .read(|c| super::v2::actions::bound_code(c, trigger))?;
    if actions.is_empty() {
        return Ok(None);
    }
    let mut full = sandbox::default_event(trigger);
    full["tenant"] = json!({"id": app.tenant});
    sandbox::merge(&mut full, &event);
    let trigger_id = trigger.to_string();
    // The engine is synchronous and may run up to its timeout: off the async workers.
    let run = tokio::task::spawn_blocking(move || {
        sandbox::run_actions(
            &trigger_id,
            &actions,
            &full,
            &[],
            STUB_HINT,
            &Limits::default(),
        )
    })
    .await
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("the actions did not finish: {e}"),
        )
    })?;
    let effects = run.effects;
    let mut answer = json!({"ran": run.ran, "logs": run.logs});
    for key in ["idToken", "accessToken", "scopes"] {
        answer[key] = effects.get(key).cloned().unwrap_or_else(|| json!({}));
    }
    for key in ["redirect", "multifactor", "validation"] {
        if let Some(v) = effects.get(key).filter(|v| !v.is_null()) {
            answer[key] = v.clone();
        }
    }
    let (denied, code) = match run.verdict {
        ActionVerdict::Done => {
            let redirected = effects.get("redirect").is_some_and(|r| !r.is_null());
            answer["status"] = json!(if redirected { "redirect" } else { "allowed" });
            (None, None)
        }
        ActionVerdict::Denied {
            action,
            reason,
            code,
        } => {
            answer["status"] = json!("denied");
            answer["error"] = json!({"action": action, "message": reason, "code": code});
            (Some(reason), code)
        }
        ActionVerdict::Failed { action, failure } => {
            let message = format!("action `{action}` {failure}");
            answer["status"] = json!("failed");
            answer["error"] = json!({"action": action, "message": message});
            (Some(message), None)
        }
    };
    Ok(Some(Outcome {
        denied,
        code,
        effects,
        answer,
    }))
}
