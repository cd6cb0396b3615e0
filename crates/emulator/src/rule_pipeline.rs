//! Rules at the emulator's logins: `POST /__emulator/logins` runs the tenant's enabled rules, in
//! `order`, on the login, as the service did (with `a0ctl_sandbox`, the neutral sandbox
//! `a0ctl test` uses too; nothing of the client side). A rule that calls back with an error, or
//! fails (throws, never calls back, runs past the timeout), fails the login; the answer carries
//! what the rules did, so whoever drives the login sees the claims.

use rusqlite::OptionalExtension;
use serde_json::{Value, json};

use super::{ApiError, AppState, Caller};
use a0ctl_sandbox::{self as rules_runtime, Limits, RuleScript, Verdict};

/// What the rules did to one login.
pub(crate) struct Outcome {
    /// Why the login failed, for the log entry; `None` when it went through.
    pub denied: Option<String>,
    /// `{"status", "ran", "idToken", "accessToken", "redirect"?, "error"?, "logs"}`.
    pub answer: Value,
    /// What the rules wrote through `auth0.users` (`{app_metadata?, user_metadata?}`), saved
    /// to the user when the login goes through.
    pub metadata: Value,
}

/// Run the enabled rules on a login of `user` (its JSON as the API shows it) to `client_id`.
/// `Ok(None)` when the tenant has no enabled rule.
pub(crate) async fn run(
    app: &AppState,
    caller: &Caller,
    user: Value,
    client_id: &str,
    connection: &str,
) -> Result<Option<Outcome>, ApiError> {
    let (rules, client_name, strategy) = app.store.read(|c| {
        let mut stmt = c.prepare("SELECT name, script FROM rules WHERE status = 1 ORDER BY ord")?;
        let rules = stmt
            .query_map([], |r| {
                Ok(RuleScript {
                    name: r.get(0)?,
                    script: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let client_name: Option<String> = c
            .query_row(
                "SELECT name FROM clients WHERE client_id = ?1",
                [client_id],
                |r| r.get(0),
            )
            .optional()?;
        let strategy: Option<String> = c
            .query_row(
                "SELECT strategy FROM connections WHERE name = ?1",
                [connection],
                |r| r.get(0),
            )
            .optional()?;
        Ok((rules, client_name, strategy))
    })?;
    if rules.is_empty() {
        return Ok(None);
    }
    let logins = user.get("loginsCount").and_then(Value::as_u64).unwrap_or(0);
    let mut context = rules_runtime::default_context();
    rules_runtime::merge(
        &mut context,
        &json!({
            "clientID": client_id,
            "clientName": client_name.unwrap_or_default(),
            "connection": connection,
            "connectionStrategy": strategy.unwrap_or_default(),
            "tenant": app.tenant,
            "stats": {"loginsCount": logins + 1},
            "request": {"ip": caller.ip, "userAgent": caller.user_agent},
        }),
    );
    // The engine is synchronous and may run up to its timeout: off the async workers.
    let run = tokio::task::spawn_blocking(move || {
        rules_runtime::run_pipeline(&rules, &user, &context, &json!({}), &Limits::default())
    })
    .await
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("the rules did not finish: {e}"),
        )
    })?;
    let mut answer = json!({"ran": run.ran, "logs": run.logs});
    let mut metadata = Value::Null;
    let denied = match run.verdict {
        Verdict::Allowed {
            context, written, ..
        } => {
            answer["status"] = json!("allowed");
            metadata = written;
            for key in ["idToken", "accessToken", "redirect", "multifactor"] {
                if let Some(v) = context.get(key).filter(|v| !v.is_null()) {
                    answer[key] = v.clone();
                }
            }
            None
        }
        Verdict::Denied { error, .. } => {
            answer["status"] = json!("denied");
            answer["error"] = json!({"name": error.name, "message": error.message});
            Some(error.message)
        }
        Verdict::Failed { rule, failure } => {
            let message = format!("rule `{rule}` {failure}");
            answer["status"] = json!("failed");
            answer["error"] = json!({"name": "RuleError", "message": message});
            Some(message)
        }
    };
    Ok(Some(Outcome {
        denied,
        answer,
        metadata,
    }))
}
