//! `/api/v2/prompts/{prompt}/custom-text/{language}` and `/api/v2/prompts/{prompt}/partials`:
//! the custom text of a login prompt in one language, `{screen: {key: text}}`, `{}` until a
//! `PUT` replaces it whole (a `PUT` of `{}` clears it); the partials of a prompt, a feature this
//! emulator's plan does not have (403, as the reference document answers on such a plan).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::{Ty, check_type, documents, invalid_body};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json};

/// The prompts with text: the reference document's, and `brute-force-protection`, which the
/// service has since (auth0-deploy-cli 8.44 reads it).
const PROMPTS: [&str; 35] = [
    "login",
    "login-id",
    "login-password",
    "login-passwordless",
    "login-email-verification",
    "signup",
    "signup-id",
    "signup-password",
    "phone-identifier-enrollment",
    "phone-identifier-challenge",
    "email-identifier-challenge",
    "reset-password",
    "custom-form",
    "consent",
    "customized-consent",
    "logout",
    "mfa-push",
    "mfa-otp",
    "mfa-voice",
    "mfa-phone",
    "mfa-webauthn",
    "mfa-sms",
    "mfa-email",
    "mfa-recovery-code",
    "mfa",
    "status",
    "device-flow",
    "email-verification",
    "email-otp-challenge",
    "organizations",
    "invitation",
    "common",
    "passkeys",
    "captcha",
    "brute-force-protection",
];

const LANGUAGES: [&str; 81] = [
    "am", "ar", "ar-EG", "ar-SA", "az", "bg", "bn", "bs", "ca-ES", "cnr", "cs", "cy", "da", "de",
    "el", "en", "en-CA", "es", "es-419", "es-AR", "es-MX", "et", "eu-ES", "fa", "fi", "fr",
    "fr-CA", "fr-FR", "gl-ES", "gu", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka",
    "kk", "kn", "ko", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "my", "nb", "nl", "nn", "no", "pa",
    "pl", "pt", "pt-BR", "pt-PT", "ro", "ru", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te",
    "th", "tl", "tr", "uk", "ur", "vi", "zgh", "zh-CN", "zh-HK", "zh-TW",
];

/// The most one text may hold, as its JSON text.
const MAX_TEXT: usize = 100 * 1024;

/// 400 for a path value that is not one of `allowed`, as the service words it.
fn path_value(value: &str, allowed: &[&str], property: &str, about: &str) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_uri",
        format!(
            "Path validation error: 'Invalid value \"{value}\"' on property {property} ({about})."
        ),
    ))
}

fn document(prompt: &str, language: &str) -> Result<String, ApiError> {
    path_value(prompt, &PROMPTS, "prompt", "Name of the prompt")?;
    path_value(language, &LANGUAGES, "language", "Language to update")?;
    Ok(format!("prompts/custom-text/{prompt}/{language}"))
}

/// `GET …/custom-text/{language}`: the text, `{}` when none is set.
pub(crate) async fn get_text(
    State(app): State<AppState>,
    caller: Caller,
    Path((prompt, language)): Path<(String, String)>,
) -> ApiResult {
    caller.require_scope("read:prompts")?;
    let name = document(&prompt, &language)?;
    let doc = app
        .store
        .read(|c| Ok(documents::load(c, &name, || Value::Object(Map::new()))))??;
    Ok(ok_json(&doc))
}

/// `PUT …/custom-text/{language}`: the whole text, `{screen: {key: text}}` (400 for any other
/// shape or past 100 KiB), answered as set.
pub(crate) async fn put_text(
    State(app): State<AppState>,
    caller: Caller,
    Path((prompt, language)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:prompts")?;
    let name = document(&prompt, &language)?;
    let body = json_body(&body)?;
    for (screen, keys) in &body {
        check_type(screen, keys, Ty::Object)?;
        for (key, v) in keys.as_object().into_iter().flatten() {
            check_type(&format!("{screen}.{key}"), v, Ty::Str)?;
        }
    }
    let text = Value::Object(body);
    if text.to_string().len() > MAX_TEXT {
        return Err(invalid_body(format!(
            "Payload validation error: the text is longer than {MAX_TEXT} bytes."
        )));
    }
    app.store.write(|tx| documents::save(tx, &name, &text))?;
    Ok(ok_json(&text))
}

/// `GET`/`PUT …/partials`: not on this emulator's plan.
pub(crate) async fn partials(method: Method, caller: Caller) -> ApiResult {
    caller.require_scope(if method == Method::GET {
        "read:prompts"
    } else {
        "update:prompts"
    })?;
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "feature_not_enabled",
        "Permission Denied. This feature is not available on this plan.",
    ))
}
