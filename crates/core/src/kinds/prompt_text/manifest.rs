//! How the manifests declare a prompt's custom text in one language.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// The prompts whose text the API takes, as its reference document names them.
pub const PROMPTS: [&str; 34] = [
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
];

/// The languages the API takes text in.
pub const LANGUAGES: [&str; 81] = [
    "am", "ar", "ar-EG", "ar-SA", "az", "bg", "bn", "bs", "ca-ES", "cnr", "cs", "cy", "da", "de",
    "el", "en", "en-CA", "es", "es-419", "es-AR", "es-MX", "et", "eu-ES", "fa", "fi", "fr",
    "fr-CA", "fr-FR", "gl-ES", "gu", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka",
    "kk", "kn", "ko", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "my", "nb", "nl", "nn", "no", "pa",
    "pl", "pt", "pt-BR", "pt-PT", "ro", "ru", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te",
    "th", "tl", "tr", "uk", "ur", "vi", "zgh", "zh-CN", "zh-HK", "zh-TW",
];

/// The custom text of one login prompt in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptText {
    /// Which prompt (`login`, `signup-id`, `mfa-otp`, …).
    pub prompt: PromptName,
    /// Which language (`en`, `fr-CA`, …).
    pub language: Language,
    /// Screen → key → text (`login: {title: Welcome to Acme}`): the whole text of the prompt in
    /// this language (what is not written here is the service's default); compared key by key.
    pub custom_text: BTreeMap<String, BTreeMap<String, String>>,
}

/// A prompt's name, one of the API's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PromptName(pub String);

/// A language's code, one of the API's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Language(pub String);

impl JsonSchema for PromptName {
    fn schema_name() -> Cow<'static, str> {
        "PromptName".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "enum": PROMPTS.as_slice()})
    }
}

impl JsonSchema for Language {
    fn schema_name() -> Cow<'static, str> {
        "Language".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "enum": LANGUAGES.as_slice()})
    }
}
