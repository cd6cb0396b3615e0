//! How the manifests declare an email template.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::manifest::types::Source;

/// The email templates: v1 has the first four, v2 all of them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TemplateName {
    VerifyEmail,
    WelcomeEmail,
    ResetEmail,
    BlockedAccount,
    VerifyEmailByCode,
    ResetEmailByCode,
    StolenCredentials,
    EnrollmentEmail,
    MfaOobCode,
    UserInvitation,
    ChangePassword,
    PasswordReset,
    AsyncApproval,
}

impl TemplateName {
    /// v1's templates.
    pub const V1: [TemplateName; 4] = [
        TemplateName::VerifyEmail,
        TemplateName::WelcomeEmail,
        TemplateName::ResetEmail,
        TemplateName::BlockedAccount,
    ];

    /// v2's templates (the spec's twelve and `async_approval`).
    pub const V2: [TemplateName; 13] = [
        TemplateName::VerifyEmail,
        TemplateName::WelcomeEmail,
        TemplateName::ResetEmail,
        TemplateName::BlockedAccount,
        TemplateName::VerifyEmailByCode,
        TemplateName::ResetEmailByCode,
        TemplateName::StolenCredentials,
        TemplateName::EnrollmentEmail,
        TemplateName::MfaOobCode,
        TemplateName::UserInvitation,
        TemplateName::ChangePassword,
        TemplateName::PasswordReset,
        TemplateName::AsyncApproval,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateName::VerifyEmail => "verify_email",
            TemplateName::WelcomeEmail => "welcome_email",
            TemplateName::ResetEmail => "reset_email",
            TemplateName::BlockedAccount => "blocked_account",
            TemplateName::VerifyEmailByCode => "verify_email_by_code",
            TemplateName::ResetEmailByCode => "reset_email_by_code",
            TemplateName::StolenCredentials => "stolen_credentials",
            TemplateName::EnrollmentEmail => "enrollment_email",
            TemplateName::MfaOobCode => "mfa_oob_code",
            TemplateName::UserInvitation => "user_invitation",
            TemplateName::ChangePassword => "change_password",
            TemplateName::PasswordReset => "password_reset",
            TemplateName::AsyncApproval => "async_approval",
        }
    }

    pub fn parse(s: &str) -> Option<TemplateName> {
        TemplateName::V2.into_iter().find(|t| t.as_str() == s)
    }

    /// The APIs that have this template.
    pub fn in_v1(self) -> bool {
        TemplateName::V1.contains(&self)
    }
}

/// Template syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    Liquid,
    MdWithMacros,
}

impl Syntax {
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Liquid => "liquid",
            Syntax::MdWithMacros => "md_with_macros",
        }
    }
}

/// An email template. Absent fields are not managed. v1 cannot delete a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    /// Which template.
    pub template: TemplateName,
    /// Whether the email is not sent (v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v1"))]
    pub disabled: Option<bool>,
    /// Whether the email is sent (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub enabled: Option<bool>,
    /// Sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Body (HTML): inline, or `{file: PATH}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Source>,
    /// Where the user goes after the emailed link.
    #[serde(rename = "resultUrl", default, skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
    /// How long the emailed link stays valid.
    #[serde(
        rename = "urlLifetimeInSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub url_lifetime_in_seconds: Option<u64>,
    /// `liquid` (the API's default) or `md_with_macros`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syntax: Option<Syntax>,
    /// Whether the user's email is added to the redirect (v2).
    #[serde(
        rename = "includeEmailInRedirect",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend("x-api" = "v2"))]
    pub include_email_in_redirect: Option<bool>,
}
