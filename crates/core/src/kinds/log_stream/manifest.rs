//! How the manifests declare a log stream.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A log stream, identified by `name`: where the tenant's log events go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogStream {
    /// The stream's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Where it sends events; another type is another stream (a replacement).
    #[serde(rename = "type")]
    pub stream_type: StreamType,
    /// The destination's settings, as its type takes them (`validate` says which); the secret
    /// ones (an authorization header, an API key, a token, a write key, a password, a Sumo
    /// source address, custom header values) are write-only: sent, never read back.
    pub sink: Map<String, Value>,
    /// Only the events of these categories are sent, a set; absent or `[]`: every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<Filter>>,
    /// `active` or `paused` (a stream the service `suspended` is reported, not resumed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Whether its events go ahead of other streams'.
    #[serde(
        rename = "isPriority",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_priority: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StreamType {
    Http,
    Eventbridge,
    Eventgrid,
    Datadog,
    Splunk,
    Sumo,
    Segment,
    Mixpanel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Paused,
}

/// One category of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Always `category` (the service writes it when it is left out).
    #[serde(rename = "type", default = "category")]
    pub filter_type: FilterType,
    /// The category.
    pub name: Category,
}

fn category() -> FilterType {
    FilterType::Category
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FilterType {
    Category,
}

/// The categories of log events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Category {
    #[serde(rename = "auth.ancillary.fail")]
    AuthAncillaryFail,
    #[serde(rename = "auth.ancillary.success")]
    AuthAncillarySuccess,
    #[serde(rename = "auth.login.fail")]
    AuthLoginFail,
    #[serde(rename = "auth.login.notification")]
    AuthLoginNotification,
    #[serde(rename = "auth.login.success")]
    AuthLoginSuccess,
    #[serde(rename = "auth.logout.fail")]
    AuthLogoutFail,
    #[serde(rename = "auth.logout.success")]
    AuthLogoutSuccess,
    #[serde(rename = "auth.signup.fail")]
    AuthSignupFail,
    #[serde(rename = "auth.signup.success")]
    AuthSignupSuccess,
    #[serde(rename = "auth.silent_auth.fail")]
    AuthSilentAuthFail,
    #[serde(rename = "auth.silent_auth.success")]
    AuthSilentAuthSuccess,
    #[serde(rename = "auth.token_exchange.fail")]
    AuthTokenExchangeFail,
    #[serde(rename = "auth.token_exchange.success")]
    AuthTokenExchangeSuccess,
    #[serde(rename = "management.fail")]
    ManagementFail,
    #[serde(rename = "management.success")]
    ManagementSuccess,
    #[serde(rename = "scim.event")]
    ScimEvent,
    #[serde(rename = "system.notification")]
    SystemNotification,
    #[serde(rename = "user.fail")]
    UserFail,
    #[serde(rename = "user.notification")]
    UserNotification,
    #[serde(rename = "user.success")]
    UserSuccess,
    #[serde(rename = "other")]
    Other,
}

/// The sink keys a type takes, and which of them it requires.
pub fn sink_keys(stream_type: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match stream_type {
        "http" => (
            &[
                "httpEndpoint",
                "httpContentType",
                "httpContentFormat",
                "httpAuthorization",
                "httpCustomHeaders",
            ],
            &["httpEndpoint"],
        ),
        "eventbridge" => (
            &["awsAccountId", "awsRegion"],
            &["awsAccountId", "awsRegion"],
        ),
        "eventgrid" => (
            &["azureSubscriptionId", "azureResourceGroup", "azureRegion"],
            &["azureSubscriptionId", "azureResourceGroup", "azureRegion"],
        ),
        "datadog" => (
            &["datadogRegion", "datadogApiKey"],
            &["datadogRegion", "datadogApiKey"],
        ),
        "splunk" => (
            &["splunkDomain", "splunkToken", "splunkPort", "splunkSecure"],
            &["splunkDomain", "splunkToken", "splunkPort", "splunkSecure"],
        ),
        "sumo" => (&["sumoSourceAddress"], &["sumoSourceAddress"]),
        "segment" => (&["segmentWriteKey"], &["segmentWriteKey"]),
        "mixpanel" => (
            &[
                "mixpanelRegion",
                "mixpanelProjectId",
                "mixpanelServiceAccountUsername",
                "mixpanelServiceAccountPassword",
            ],
            &[
                "mixpanelRegion",
                "mixpanelProjectId",
                "mixpanelServiceAccountUsername",
                "mixpanelServiceAccountPassword",
            ],
        ),
        _ => return None,
    })
}
