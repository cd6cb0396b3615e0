//! The shape both sides of the diff share: a [`Resource`] is one connection, client, rule or
//! email template reduced to the fields a0ctl compares, named as the API names them. `manifest`
//! produces the desired side (only the fields the manifest manages), `live` the tenant's side
//! (normalised: server-owned fields dropped). Which values are secret is decided here too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::manifest::types::Source;
use crate::manifest::{Desired, Origin};
use crate::path::FieldPath;
use crate::secret::{Redactor, Secrecy};

/// The four kinds of resources a0ctl manages, in the order plans list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Connection,
    Client,
    Rule,
    Email,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Connection, Kind::Client, Kind::Rule, Kind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Connection => "connection",
            Kind::Client => "client",
            Kind::Rule => "rule",
            Kind::Email => "email",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Connection => "connections",
            Kind::Client => "clients",
            Kind::Rule => "rules",
            Kind::Email => "email templates",
        }
    }
}

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

/// The desired side as resources, per kind, in manifest order.
pub fn desired_resources(desired: &Desired) -> Vec<Resource> {
    let mut out = Vec::new();
    let env_paths = |secrets: &[crate::manifest::Secret]| {
        secrets
            .iter()
            .map(|s| (s.path.clone(), s.template.clone()))
            .collect::<BTreeMap<FieldPath, String>>()
    };
    for item in &desired.connections {
        let c = &item.value;
        let mut fields = BTreeMap::new();
        fields.insert("strategy".into(), json!(c.strategy));
        fields.insert("options".into(), Value::Object(c.options.clone()));
        if let Some(clients) = &c.enabled_clients {
            // By name, or by pin (`types::pin_key`) for clients that share a name.
            let set: BTreeSet<String> = clients.iter().map(|e| e.key()).collect();
            fields.insert("enabled_clients".into(), json!(set));
        }
        out.push(Resource {
            fields,
            from_env: env_paths(&item.secrets),
            origin: Some(item.origin.clone()),
            ..Resource::new(Kind::Connection, &c.name)
        });
    }
    for item in &desired.clients {
        let c = &item.value;
        let mut fields = BTreeMap::new();
        fields.insert("name".into(), json!(c.name));
        if let Some(cb) = &c.callbacks {
            fields.insert("callbacks".into(), json!(cb));
        }
        let mut write_only = BTreeMap::new();
        if let Some(key) = &c.signing_key {
            write_only.insert(
                "signingKey".into(),
                serde_json::to_value(key).unwrap_or(Value::Null),
            );
        }
        out.push(Resource {
            id: c.client_id.clone(),
            fields,
            write_only,
            from_env: env_paths(&item.secrets),
            origin: Some(item.origin.clone()),
            ..Resource::new(Kind::Client, &c.name)
        });
    }
    for item in &desired.rules {
        let r = &item.value;
        let mut fields = BTreeMap::new();
        fields.insert("status".into(), json!(r.status.unwrap_or(true)));
        fields.insert("script".into(), json!(r.script.text()));
        if let Some(order) = r.order {
            fields.insert("order".into(), json!(order));
        }
        out.push(Resource {
            fields,
            from_env: env_paths(&item.secrets),
            origin: Some(item.origin.clone()),
            files: item.files.clone(),
            ..Resource::new(Kind::Rule, &r.name)
        });
    }
    for item in &desired.emails {
        let e = &item.value;
        let mut fields = BTreeMap::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                fields.insert(k.to_string(), v);
            }
        };
        put("disabled", e.disabled.map(Value::Bool));
        put("from", e.from.clone().map(Value::String));
        put("subject", e.subject.clone().map(Value::String));
        put("body", e.body.as_ref().map(|b| json!(Source::text(b))));
        put("resultUrl", e.result_url.clone().map(Value::String));
        put(
            "urlLifetimeInSeconds",
            e.url_lifetime_in_seconds.map(|n| json!(n)),
        );
        put("syntax", e.syntax.map(|s| json!(s.as_str())));
        out.push(Resource {
            fields,
            from_env: env_paths(&item.secrets),
            origin: Some(item.origin.clone()),
            files: item.files.clone(),
            ..Resource::new(Kind::Email, e.template.as_str())
        });
    }
    out
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
