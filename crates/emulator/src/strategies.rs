//! Strategies: what kind of identity provider each connection strategy is. Connections list by
//! it (`only_socials`, …), users are created only in database and passwordless connections, and
//! `GET /api/strategies` lists the strategies the emulator knows. A connection may use any other
//! strategy name; the emulator treats it as social.

use axum::extract::State;
use serde_json::{Value, json};

use super::{ApiResult, AppState, ok_json};

/// What kind of identity provider a strategy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    Database,
    Passwordless,
    Social,
    Enterprise,
}

/// The strategies the emulator knows, by category.
const KNOWN: &[(&str, Category)] = &[
    ("auth0", Category::Database),
    ("email", Category::Passwordless),
    ("sms", Category::Passwordless),
    ("ad", Category::Enterprise),
    ("adfs", Category::Enterprise),
    ("auth0-adldap", Category::Enterprise),
    ("custom", Category::Enterprise),
    ("google-apps", Category::Enterprise),
    ("ip", Category::Enterprise),
    ("office365", Category::Enterprise),
    ("oidc", Category::Enterprise),
    ("pingfederate", Category::Enterprise),
    ("PingFederate", Category::Enterprise),
    ("samlp", Category::Enterprise),
    ("sharepoint", Category::Enterprise),
    ("waad", Category::Enterprise),
    ("amazon", Category::Social),
    ("aol", Category::Social),
    ("baidu", Category::Social),
    ("bitbucket", Category::Social),
    ("box", Category::Social),
    ("dropbox", Category::Social),
    ("dwolla", Category::Social),
    ("evernote", Category::Social),
    ("evernote-sandbox", Category::Social),
    ("exact", Category::Social),
    ("facebook", Category::Social),
    ("fitbit", Category::Social),
    ("github", Category::Social),
    ("google-oauth2", Category::Social),
    ("instagram", Category::Social),
    ("linkedin", Category::Social),
    ("miicard", Category::Social),
    ("paypal", Category::Social),
    ("planningcenter", Category::Social),
    ("renren", Category::Social),
    ("salesforce", Category::Social),
    ("salesforce-community", Category::Social),
    ("salesforce-sandbox", Category::Social),
    ("shopify", Category::Social),
    ("soundcloud", Category::Social),
    ("thecity", Category::Social),
    ("thecity-sandbox", Category::Social),
    ("thirtysevensignals", Category::Social),
    ("twitter", Category::Social),
    ("vkontakte", Category::Social),
    ("weibo", Category::Social),
    ("windowslive", Category::Social),
    ("wordpress", Category::Social),
    ("yahoo", Category::Social),
    ("yammer", Category::Social),
    ("yandex", Category::Social),
];

/// A strategy's category; one the emulator does not know is social.
pub(crate) fn category(strategy: &str) -> Category {
    KNOWN
        .iter()
        .find(|(name, _)| *name == strategy)
        .map_or(Category::Social, |(_, c)| *c)
}

/// `GET /api/strategies`: `[{"name", "social", "enterprise", "database", "passwordless"}]`.
pub(crate) async fn list(State(_app): State<AppState>) -> ApiResult {
    let list: Vec<Value> = KNOWN
        .iter()
        .map(|(name, c)| {
            json!({
                "name": name,
                "social": *c == Category::Social,
                "enterprise": *c == Category::Enterprise,
                "database": *c == Category::Database,
                "passwordless": *c == Category::Passwordless,
            })
        })
        .collect();
    Ok(ok_json(&Value::Array(list)))
}
