//! The email provider (v2): one per tenant, named `default`; its `credentials` are secret and
//! write-only (never returned, so never compared: sent on create, and with
//! `--rotate-signing-keys`).

pub mod facts;
pub mod manifest;

use std::collections::BTreeMap;

use serde_json::Value;

use schemars::{Schema, SchemaGenerator};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::{PROVIDER_NAME, Resource};

pub struct Provider;

impl KindSpec for Provider {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::EmailProvider>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let p: manifest::EmailProvider = cx.typed(raw)?;
        let mut fields = fields_of(&p, &[]);
        let mut r = cx.resource(self.kind(), PROVIDER_NAME, BTreeMap::new());
        r.write_only.extend(fields.remove_entry("credentials"));
        r.fields = fields.into();
        Some(r)
    }

    fn unseen_notice(&self, field: &str) -> Option<&'static str> {
        (field == "credentials").then_some(
            "the email provider's credentials are write-only (the API never returns them, so a change to them cannot be seen); they are sent when the provider is created; pass --rotate-signing-keys to send them again",
        )
    }

    /// Another provider (a new `name`) cannot use the old one's credentials: they go with it.
    fn sent_with(&self, field: &str) -> &'static [&'static str] {
        match field {
            "name" => &["credentials"],
            _ => &[],
        }
    }

    /// Its credentials are never returned, so they are written as variables, one per key its
    /// kind of provider takes.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let Some(p) = live.of_kind(Kind::EmailProvider).next() else {
            return;
        };
        let mut m = Map::new();
        let name = p
            .fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        m.push("name", Value::String(name.to_string()));
        w.rest(&mut m, p, &[]);
        let mut credentials = Map::new();
        for key in credential_keys(name) {
            // Any value: every credential is secret, so it is written as a variable.
            credentials.push(key, Value::String(String::new()));
        }
        m.push("credentials", credentials.into_value());
        let item = w.item(m, "email provider", "the");
        w.mapping("email_provider.yaml", "email_provider", &item);
    }
}

/// The credentials each provider takes (Auth0's `emailProviderCredentials`).
fn credential_keys(provider: &str) -> &'static [&'static str] {
    match provider {
        "smtp" => &["smtp_host", "smtp_port", "smtp_user", "smtp_pass"],
        "ses" => &["accessKeyId", "secretAccessKey", "region"],
        "mailgun" => &["api_key", "domain", "region"],
        "azure_cs" => &["connectionString"],
        "ms365" => &["tenantId", "clientId", "clientSecret"],
        _ => &["api_key"],
    }
}
