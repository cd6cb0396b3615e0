//! The shape both sides of the diff share: a [`Resource`] is one connection, client, rule or
//! email template reduced to the fields a0ctl compares, named as the API names them. `manifest`
//! produces the desired side (only the fields the manifest manages), `live` the tenant's side
//! (normalised: server-owned fields dropped). Which values are secret is decided here too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::manifest::types::ApiVersion;
use crate::manifest::{Desired, Origin};
use crate::path::FieldPath;
use crate::secret::{Redactor, Secrecy};

/// The kinds of resources a0ctl manages, in the order plans list them (the email provider is
/// v2's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Connection,
    Client,
    Rule,
    Email,
    EmailProvider,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Connection,
        Kind::Client,
        Kind::Rule,
        Kind::Email,
        Kind::EmailProvider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Connection => "connection",
            Kind::Client => "client",
            Kind::Rule => "rule",
            Kind::Email => "email",
            Kind::EmailProvider => "email_provider",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Connection => "connections",
            Kind::Client => "clients",
            Kind::Rule => "rules",
            Kind::Email => "email templates",
            Kind::EmailProvider => "email providers",
        }
    }

    /// The manifest section that declares this kind.
    pub fn section(self) -> &'static str {
        match self {
            Kind::Connection => "connections",
            Kind::Client => "clients",
            Kind::Rule => "rules",
            Kind::Email => "emails",
            Kind::EmailProvider => "email_provider",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn of_section(section: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.section() == section)
    }
}

/// The one email provider's name as a resource (`email_provider/default`).
pub const PROVIDER_NAME: &str = "default";

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource reduced to what a0ctl compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub kind: Kind,
    /// The natural key: connection and rule `name`, client `name`, email `template`.
    pub name: String,
    /// The server's id (connection `id`, client `clientID`, rule `id`); for a desired client, a
    /// pinned `client_id`.
    pub id: Option<String>,
    /// Compared fields by API name (`options`, `callbacks`, `script`, …).
    pub fields: BTreeMap<String, Value>,
    /// Fields sent but never compared (write-only: a client's `signingKey`).
    pub write_only: BTreeMap<String, Value>,
    /// Values that came from `${VAR}`: field path → template.
    pub from_env: BTreeMap<FieldPath, String>,
    /// Where the manifest declared it.
    pub origin: Option<Origin>,
    /// Fields read from `{file: …}` (field → path as written), for display.
    pub files: BTreeMap<String, String>,
}

impl Resource {
    pub fn new(kind: Kind, name: impl Into<String>) -> Resource {
        Resource {
            kind,
            name: name.into(),
            id: None,
            fields: BTreeMap::new(),
            write_only: BTreeMap::new(),
            from_env: BTreeMap::new(),
            origin: None,
            files: BTreeMap::new(),
        }
    }

    /// `rule/add-country`
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// What is secret among this resource's values.
    pub fn secrecy(&self) -> Secrecy<'_> {
        Secrecy {
            from_env: &self.from_env,
        }
    }

    /// Whether the value at a field path is secret: by any segment's key name, or because it
    /// came from the environment.
    pub fn is_secret(&self, path: &FieldPath) -> bool {
        self.secrecy().is_secret(path)
    }

    /// The resource's fields (write-only ones included) as one JSON object.
    pub fn as_value(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .chain(self.write_only.iter())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }
}

/// Every secret value these resources hold, for scrubbing printed text.
pub fn redactor<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Redactor {
    let values: Vec<(Value, &Resource)> =
        resources.into_iter().map(|r| (r.as_value(), r)).collect();
    Redactor::from_values(values.iter().map(|(v, r)| (v, r.secrecy())))
}

/// The desired side as resources, per kind, in manifest order: each declared entry's fields as
/// its API names them (absent fields are not managed), minus its identity; write-only fields
/// (a v1 client's `signingKey`, the provider's `credentials`) apart.
pub fn desired_resources(desired: &Desired) -> Vec<Resource> {
    let mut out = Vec::new();
    for item in &desired.connections {
        let c = &item.value;
        let mut fields = fields_of(c, &["name", "enabled_clients"]);
        fields
            .entry("options".to_string())
            .or_insert_with(|| json!({}));
        if let Some(clients) = &c.enabled_clients {
            // By name, or by pin (`types::pin_key`) for clients that share a name.
            let set: BTreeSet<String> = clients.iter().map(|e| e.key()).collect();
            fields.insert("enabled_clients".into(), json!(set));
        }
        out.push(resource(Kind::Connection, &c.name, fields, item));
    }
    for item in &desired.clients {
        let c = &item.value;
        let mut fields = fields_of(c, &["client_id"]);
        let mut r = resource(Kind::Client, &c.name, BTreeMap::new(), item);
        r.write_only.extend(fields.remove_entry("signingKey"));
        r.fields = fields;
        r.id = c.client_id.clone();
        out.push(r);
    }
    for item in &desired.rules {
        let r = &item.value;
        let mut fields = fields_of(r, &["name"]);
        // Whether a rule runs is always managed; absent means it runs.
        let runs = match desired.api {
            ApiVersion::V1 => "status",
            ApiVersion::V2 => "enabled",
        };
        fields.entry(runs.to_string()).or_insert(json!(true));
        out.push(resource(Kind::Rule, &r.name, fields, item));
    }
    for item in &desired.emails {
        let e = &item.value;
        let fields = fields_of(e, &["template"]);
        out.push(resource(Kind::Email, e.template.as_str(), fields, item));
    }
    if let Some(item) = &desired.email_provider {
        let mut fields = fields_of(&item.value, &[]);
        let mut r = resource(Kind::EmailProvider, PROVIDER_NAME, BTreeMap::new(), item);
        r.write_only.extend(fields.remove_entry("credentials"));
        r.fields = fields;
        out.push(r);
    }
    out
}

/// A declared entry's fields as the manifest names them (the API's names), without `skip`.
/// `{file: …}` sources are resolved to their text by the loader, so they serialise as strings.
fn fields_of<T: Serialize>(value: &T, skip: &[&str]) -> BTreeMap<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn resource<T>(
    kind: Kind,
    name: &str,
    fields: BTreeMap<String, Value>,
    item: &crate::manifest::Item<T>,
) -> Resource {
    Resource {
        fields,
        from_env: item
            .secrets
            .iter()
            .map(|s| (s.path.clone(), s.template.clone()))
            .collect(),
        origin: Some(item.origin.clone()),
        files: item.files.clone(),
        ..Resource::new(kind, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_paths_cover_nested_values() {
        let mut r = Resource::new(Kind::Client, "c");
        r.from_env.insert(
            FieldPath::from_segments(["callbacks", "1"]),
            "${HOST}".into(),
        );
        assert!(r.is_secret(&FieldPath::from_segments(["callbacks", "1"])));
        assert!(!r.is_secret(&FieldPath::field("name")));
        assert!(r.is_secret(&FieldPath::field("signingKey")));
        let c = Resource::new(Kind::Connection, "c");
        assert!(c.is_secret(&FieldPath::from_segments(["options", "client_secret"])));
        assert!(!c.is_secret(&FieldPath::from_segments(["options", "client_id"])));
    }
}
