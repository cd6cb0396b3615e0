//! Management API v2 (`/api/v2`): clients, connections and rules addressed by id (names map to
//! ids through the listings), email templates by name, the email provider as one object; PATCH
//! everywhere; clients and rules listed in offset pages of 100, connections in checkpoint pages
//! of 100; a connection's clients changed through `/connections/{id}/clients` in batches of at
//! most 50; tokens for the audience `https://DOMAIN/api/v2/`, with scopes.
//!
//! The fields a0ctl reads and writes are the manifest types' v2 fields (the schema generated
//! from them is the one list), so the wire names are the names users write.

use serde_json::{Value, json};

use super::{
    ByName, Dialect, Enablement, Listing, StatusCall, StatusChange, Target, name_of, text,
};
use crate::manifest::types::{ApiVersion, TemplateName};
use crate::model::{Kind, Resource};

use super::PAGE;
/// Status changes per `PATCH /connections/{id}/clients`: the most v2 allows.
pub const STATUS_BATCH: usize = 50;

/// Management API v2.
#[derive(Debug, Clone, Copy, Default)]
pub struct V2;

impl V2 {
    /// The v2 fields of a kind that a0ctl compares: the manifest's, minus identity, the
    /// write-only ones and those the other API names.
    fn compared(kind: Kind) -> &'static [String] {
        static COMPARED: std::sync::OnceLock<Vec<(Kind, Vec<String>)>> = std::sync::OnceLock::new();
        let all = COMPARED.get_or_init(|| Kind::all().map(|k| (k, V2::compared_of(k))).collect());
        all.iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, fields)| fields.as_slice())
    }

    /// `compared`, worked out from the schema (once per kind).
    fn compared_of(kind: Kind) -> Vec<String> {
        let (pointer, skip): (&str, &[&str]) = match kind {
            Kind::Client => ("/clients/0", &["client_id"]),
            Kind::Connection => ("/connections/0", &["name", "enabled_clients"]),
            Kind::Rule => ("/rules/0", &["name"]),
            Kind::Email => ("/emails/0", &["template"]),
            Kind::EmailProvider => ("/email_provider", &["credentials"]),
        };
        crate::schema::allowed_keys(pointer)
            .into_iter()
            .filter(|k| !skip.contains(&k.as_str()))
            .filter(|k| crate::schema::api_of(&format!("{pointer}/{k}")) != Some("v1"))
            .collect()
    }
}

impl Dialect for V2 {
    fn version(&self) -> ApiVersion {
        ApiVersion::V2
    }

    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::Connection,
            Kind::Client,
            Kind::Rule,
            Kind::Email,
            Kind::EmailProvider,
        ]
    }

    fn templates(&self) -> &'static [TemplateName] {
        &TemplateName::V2
    }

    fn audience(&self, base: &str) -> Option<String> {
        Some(format!("{}/api/v2/", base.trim_end_matches('/')))
    }

    fn error_code(&self, body: &Value) -> Option<String> {
        body.get("errorCode")
            .or_else(|| body.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn collection(&self, kind: Kind) -> String {
        match kind {
            Kind::Connection => "/api/v2/connections",
            Kind::Client => "/api/v2/clients",
            Kind::Rule => "/api/v2/rules",
            Kind::Email => "/api/v2/email-templates",
            Kind::EmailProvider => "/api/v2/emails/provider",
        }
        .to_string()
    }

    fn item(&self, t: Target<'_>) -> String {
        match t.kind {
            Kind::Email => format!("{}/{}", self.collection(t.kind), super::segment(t.name)),
            Kind::EmailProvider => self.collection(t.kind),
            _ => format!("{}/{}", self.collection(t.kind), self.id_segment(t)),
        }
    }

    fn placeholder(&self, kind: Kind, name: &str) -> String {
        match kind {
            Kind::Client => format!("{{client_id of {name}}}"),
            _ => format!("{{id of {kind} {name}}}"),
        }
    }

    fn update_method(&self, _kind: Kind) -> &'static str {
        "PATCH"
    }

    fn id_field(&self, kind: Kind) -> &'static str {
        match kind {
            Kind::Client => "client_id",
            _ => "id",
        }
    }

    fn listing(&self, kind: Kind) -> Listing {
        match kind {
            Kind::Client => Listing::Pages {
                path: self.collection(kind),
                key: "clients",
                per_page: PAGE,
            },
            Kind::Rule => Listing::Pages {
                path: self.collection(kind),
                key: "rules",
                per_page: PAGE,
            },
            Kind::Connection => Listing::Checkpoint {
                path: self.collection(kind),
                key: "connections",
                take: PAGE,
            },
            Kind::Email => Listing::Each(
                TemplateName::V2
                    .iter()
                    .map(|t| self.item(Target::named(Kind::Email, t.as_str())))
                    .collect(),
            ),
            Kind::EmailProvider => Listing::Each(vec![self.collection(kind)]),
        }
    }

    fn by_name(&self, kind: Kind, name: &str) -> ByName {
        match kind {
            Kind::Connection => ByName::Filter(format!(
                "{}?name={}",
                self.collection(kind),
                super::segment(name)
            )),
            Kind::Email | Kind::EmailProvider => ByName::Item(self.item(Target::named(kind, name))),
            Kind::Client | Kind::Rule => ByName::Scan,
        }
    }

    fn read(&self, kind: Kind, obj: &Value) -> Resource {
        let mut r = Resource::new(kind, name_of(kind, obj));
        if matches!(kind, Kind::Client | Kind::Connection | Kind::Rule) {
            r.id = Some(text(obj, self.id_field(kind)));
        }
        for field in V2::compared(kind) {
            if let Some(v) = obj.get(field) {
                r.fields.insert(field.clone(), v.clone());
            }
        }
        if kind == Kind::Connection {
            r.fields
                .entry("options".to_string())
                .or_insert_with(|| json!({}));
        }
        r
    }

    fn replaced_by(&self, kind: Kind) -> &'static [&'static str] {
        match kind {
            Kind::Connection => &["strategy"],
            Kind::Rule => &["stage"],
            _ => &[],
        }
    }

    fn updatable(&self, kind: Kind, field: &str) -> bool {
        !(kind == Kind::Connection && matches!(field, "enabled_clients" | "strategy"))
    }

    fn enablement(&self) -> Enablement {
        Enablement::OnConnection
    }

    fn connection_clients(&self, connection: Target<'_>) -> Option<Listing> {
        Some(Listing::Checkpoint {
            path: format!("{}/clients", self.item(connection)),
            key: "clients",
            take: PAGE,
        })
    }

    fn client_view(&self, client_id: &str) -> String {
        format!(
            "{}/{}",
            self.collection(Kind::Client),
            super::segment(client_id)
        )
    }

    fn status_calls(&self, connection: Target<'_>, changes: &[StatusChange]) -> Vec<StatusCall> {
        changes
            .chunks(STATUS_BATCH)
            .map(|batch| StatusCall {
                method: "PATCH",
                path: format!("{}/clients", self.item(connection)),
                body: Value::Array(
                    batch
                        .iter()
                        .map(|c| json!({"client_id": c.client, "status": c.status}))
                        .collect(),
                ),
                clients: batch.iter().map(|c| c.client.clone()).collect(),
            })
            .collect()
    }

    fn connection_users(&self, _: Target<'_>, _: usize, _: usize) -> Option<String> {
        // v2 lists users by search, not by connection.
        None
    }

    fn scopes(&self, method: &str, kind: Kind, body: Option<&Value>) -> Vec<&'static str> {
        let verb = match method {
            "GET" => 0,
            "POST" => 1,
            "DELETE" => 3,
            _ => 2,
        };
        let table: [&'static str; 4] = match kind {
            Kind::Client => [
                "read:clients",
                "create:clients",
                "update:clients",
                "delete:clients",
            ],
            Kind::Connection => [
                "read:connections",
                "create:connections",
                "update:connections",
                "delete:connections",
            ],
            Kind::Rule => ["read:rules", "create:rules", "update:rules", "delete:rules"],
            Kind::Email => [
                "read:email_templates",
                "create:email_templates",
                "update:email_templates",
                "update:email_templates",
            ],
            Kind::EmailProvider => [
                "read:email_provider",
                "create:email_provider",
                "update:email_provider",
                "delete:email_provider",
            ],
        };
        let mut out = vec![table[verb]];
        // Private-key JWT credentials are created and changed under scopes of their own.
        if kind == Kind::Client
            && body.is_some_and(|b| b.get("client_authentication_methods").is_some())
        {
            match verb {
                1 => out.push("create:client_credentials"),
                2 => out.push("update:client_credentials"),
                _ => {}
            }
        }
        // Options are read and changed under scopes of their own.
        if kind == Kind::Connection {
            if verb == 0 {
                out.push("read:connections_options");
            } else if verb == 2 && body.and_then(|b| b.get("options")).is_some() {
                out.push("update:connections_options");
            }
        }
        out
    }
}
