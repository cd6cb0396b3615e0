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
    /// Values that came from `${VAR}`: field path (`options.client_secret`) → template.
    pub from_env: BTreeMap<String, String>,
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

    /// Whether the value at a field path is secret: by its key's name, or because it came from
    /// the environment.
    pub fn is_secret(&self, path: &str) -> bool {
        is_sensitive_path(self.kind, path)
            || self.from_env.keys().any(|p| {
                p == path
                    || p.starts_with(&format!("{path}.")) // a secret inside this value
                    || path.starts_with(&format!("{p}.")) // this value inside a secret
            })
    }
}

/// Keys of connection options (and similar) that hold secrets: `client_secret`, `*_secret`,
/// `password`, `key`, `cert`, tokens, … compared by words, so `signingCert`, `api_key` and
/// `Signing Cert` count too.
pub fn is_sensitive_key(key: &str) -> bool {
    let words = split_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    const LAST: [&str; 13] = [
        "secret",
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "key",
        "cert",
        "certificate",
        "token",
        "pkcs7",
        "pem",
        "credential",
        "credentials",
    ];
    LAST.contains(&last.as_str())
        || words
            .iter()
            .any(|w| matches!(w.as_str(), "secret" | "private"))
}

fn split_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a field path of a kind holds a secret whatever its value's origin.
pub fn is_sensitive_path(kind: Kind, path: &str) -> bool {
    match kind {
        Kind::Client => path == "signingKey" || path.starts_with("signingKey."),
        Kind::Connection => path
            .strip_prefix("options.")
            .is_some_and(|rest| rest.split('.').any(is_sensitive_key)),
        _ => false,
    }
}

/// The desired side as resources, per kind, in manifest order.
pub fn desired_resources(desired: &Desired) -> Vec<Resource> {
    let mut out = Vec::new();
    let env_paths = |secrets: &[crate::manifest::Secret]| {
        secrets
            .iter()
            .map(|s| (s.path.join("."), s.template.clone()))
            .collect::<BTreeMap<String, String>>()
    };
    for item in &desired.connections {
        let c = &item.value;
        let mut fields = BTreeMap::new();
        fields.insert("strategy".into(), json!(c.strategy));
        fields.insert("options".into(), Value::Object(c.options.clone()));
        if let Some(clients) = &c.enabled_clients {
            let set: BTreeSet<&String> = clients.iter().collect();
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
    fn sensitive_keys() {
        for yes in [
            "client_secret",
            "app_secret",
            "password",
            "key",
            "cert",
            "signingCert",
            "Signing Cert",
            "api_key",
            "private_key_id",
            "consumer_secret",
            "access_token",
            "bind_password",
            "passphrase",
            "pwd",
            "service_account_credentials",
        ] {
            assert!(is_sensitive_key(yes), "{yes}");
        }
        for no in [
            "client_id",
            "domain_aliases",
            "tenant_domain",
            "scope",
            "requires_username",
            "signInEndpoint",
            "keywords",
            "passwordPolicy",
            "password_complexity_options",
        ] {
            assert!(!is_sensitive_key(no), "{no}");
        }
    }

    #[test]
    fn secret_paths_cover_nested_values() {
        let mut r = Resource::new(Kind::Client, "c");
        r.from_env.insert("callbacks.1".into(), "${HOST}".into());
        assert!(r.is_secret("callbacks"));
        assert!(r.is_secret("callbacks.1"));
        assert!(!r.is_secret("name"));
        assert!(r.is_secret("signingKey"));
        let c = Resource::new(Kind::Connection, "c");
        assert!(c.is_secret("options.client_secret"));
        assert!(!c.is_secret("options.client_id"));
    }
}
