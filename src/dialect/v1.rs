//! Management API v1: connections, rules and templates addressed by name, clients by
//! `clientID`; PUT (clients: PATCH); lists are bare arrays; a connection's status per client is
//! read as each client sees the connections and set per client.

use serde_json::{Value, json};

use super::{
    ByName, Dialect, Enablement, Listing, StatusCall, StatusChange, Target, copy_fields, text,
};
use crate::manifest::types::{ApiVersion, TemplateName};
use crate::model::{Kind, Resource};

/// Management API v1.
#[derive(Debug, Clone, Copy, Default)]
pub struct V1;

impl Dialect for V1 {
    fn version(&self) -> ApiVersion {
        ApiVersion::V1
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Connection, Kind::Client, Kind::Rule, Kind::Email]
    }

    fn templates(&self) -> &'static [TemplateName] {
        &TemplateName::V1
    }

    fn audience(&self, _base: &str) -> Option<String> {
        None
    }

    fn error_code(&self, body: &Value) -> Option<String> {
        body.get("error")
            .or_else(|| body.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn collection(&self, kind: Kind) -> String {
        match kind {
            Kind::Connection => "/api/connections",
            Kind::Client => "/api/clients",
            Kind::Rule => "/api/rules",
            Kind::Email | Kind::EmailProvider => "/api/emails",
        }
        .to_string()
    }

    fn item(&self, t: Target<'_>) -> String {
        let key = match t.kind {
            Kind::Client => return format!("{}/{}", self.collection(t.kind), self.id_segment(t)),
            _ => t.name,
        };
        format!("{}/{}", self.collection(t.kind), super::segment(key))
    }

    fn placeholder(&self, kind: Kind, name: &str) -> String {
        match kind {
            Kind::Client => format!("{{clientID of {name}}}"),
            _ => format!("{{id of {kind} {name}}}"),
        }
    }

    fn update_method(&self, kind: Kind) -> &'static str {
        match kind {
            Kind::Client => "PATCH",
            _ => "PUT",
        }
    }

    fn id_field(&self, kind: Kind) -> &'static str {
        match kind {
            Kind::Client => "clientID",
            _ => "id",
        }
    }

    fn listing(&self, kind: Kind) -> Listing {
        match kind {
            Kind::Email => Listing::Each(
                TemplateName::V1
                    .iter()
                    .map(|t| self.item(Target::named(Kind::Email, t.as_str())))
                    .collect(),
            ),
            Kind::EmailProvider => Listing::Each(Vec::new()),
            _ => Listing::Bare(self.collection(kind)),
        }
    }

    fn by_name(&self, kind: Kind, name: &str) -> ByName {
        match kind {
            Kind::Client | Kind::EmailProvider => ByName::Scan,
            _ => ByName::Item(self.item(Target::named(kind, name))),
        }
    }

    fn read(&self, kind: Kind, obj: &Value) -> Resource {
        let mut r = Resource::new(kind, super::name_of(kind, obj));
        match kind {
            Kind::Client => {
                r.id = Some(text(obj, "clientID"));
                r.fields.insert("name".into(), json!(r.name));
                r.fields.insert(
                    "callbacks".into(),
                    obj.get("callbacks").cloned().unwrap_or_else(|| json!([])),
                );
            }
            Kind::Connection => {
                r.id = Some(text(obj, "id"));
                r.fields
                    .insert("strategy".into(), json!(text(obj, "strategy")));
                r.fields.insert(
                    "options".into(),
                    obj.get("options").cloned().unwrap_or_else(|| json!({})),
                );
            }
            Kind::Rule => {
                r.id = Some(text(obj, "id"));
                for key in ["status", "script", "order"] {
                    r.fields
                        .insert(key.into(), obj.get(key).cloned().unwrap_or(Value::Null));
                }
            }
            Kind::Email | Kind::EmailProvider => copy_fields(obj, &mut r, &["template"]),
        }
        r
    }

    fn replaced_by(&self, kind: Kind) -> &'static [&'static str] {
        match kind {
            Kind::Connection => &["strategy"],
            _ => &[],
        }
    }

    fn updatable(&self, kind: Kind, field: &str) -> bool {
        // v1 changes a connection's options only (its status per client apart).
        kind != Kind::Connection || field == "options"
    }

    fn enablement(&self) -> Enablement {
        Enablement::ClientViews
    }

    fn connection_clients(&self, _: Target<'_>) -> Option<Listing> {
        None
    }

    fn client_view(&self, client_id: &str) -> String {
        format!(
            "{}?client={}",
            self.collection(Kind::Connection),
            super::segment(client_id)
        )
    }

    fn status_calls(&self, connection: Target<'_>, changes: &[StatusChange]) -> Vec<StatusCall> {
        changes
            .iter()
            .map(|c| StatusCall {
                method: "PUT",
                path: format!(
                    "{}?client={}",
                    self.item(connection),
                    super::id_or_placeholder(&c.client, c.pending)
                ),
                body: json!({ "status": c.status }),
                clients: vec![c.client.clone()],
            })
            .collect()
    }

    fn connection_users(
        &self,
        connection: Target<'_>,
        page: usize,
        per_page: usize,
    ) -> Option<String> {
        Some(format!(
            "{}/users?per_page={per_page}&page={page}",
            self.item(connection)
        ))
    }

    fn scopes(&self, _method: &str, _kind: Kind, _body: Option<&Value>) -> Vec<&'static str> {
        // v1 tokens carry no scopes: the global client may do everything.
        Vec::new()
    }
}
