//! The shape both sides of the diff share: a [`Resource`] is one connection, client, rule or
//! email template reduced to the fields a0ctl compares, named as the API names them. `manifest`
//! produces the desired side (only the fields the manifest manages), `live` the tenant's side
//! (normalised: server-owned fields dropped). Which values are secret is decided here too.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::manifest::yaml::Origin;
use crate::path::FieldPath;
use crate::secret::{Redactor, Secrecy};

pub use crate::kind::Kind;

/// The name of the apply lease's marker (a resource of `Kind::lease_holder`, see `lease`): never
/// declared, never managed.
pub const LOCK_NAME: &str = "a0ctl-apply-lock";

pub use crate::kinds::provider::facts::PROVIDER_NAME;

/// One resource reduced to what a0ctl compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub kind: Kind,
    /// The natural key: connection and rule `name`, client `name`, email `template`.
    pub name: String,
    /// The server's id (connection `id`, client `clientID`, rule `id`); for a desired client, a
    /// pinned `client_id`.
    pub id: Option<String>,
    /// Compared fields by API name (`options`, `callbacks`, `script`, …), shared between the
    /// copies a plan keeps of one resource (its change, its call): [`Resource::fields_mut`]
    /// copies them only when another copy holds them.
    pub fields: Arc<BTreeMap<String, Value>>,
    /// Fields sent but never compared (write-only: a client's `signingKey`).
    pub write_only: BTreeMap<String, Value>,
    /// Values that came from `${VAR}`: field path → template.
    pub from_env: BTreeMap<FieldPath, String>,
    /// Where the manifest declared it.
    pub origin: Option<Origin>,
    /// Fields read from `{file: …}` (field → path as written), for display.
    pub files: BTreeMap<String, String>,
    /// What it refers to, by reference field (`Reference::tenant_field`): the tenant's
    /// resource holds ids for a pinned kind (a grant's `client` → its client's id), a declared
    /// one the names as written.
    pub refs: BTreeMap<String, String>,
}

impl Resource {
    /// The fields, to change (copied first if another copy shares them).
    pub fn fields_mut(&mut self) -> &mut BTreeMap<String, Value> {
        Arc::make_mut(&mut self.fields)
    }

    pub fn new(kind: Kind, name: impl Into<String>) -> Resource {
        Resource {
            kind,
            name: name.into(),
            id: None,
            fields: Arc::default(),
            write_only: BTreeMap::new(),
            from_env: BTreeMap::new(),
            origin: None,
            files: BTreeMap::new(),
            refs: BTreeMap::new(),
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
    Redactor::from_fields(
        resources
            .into_iter()
            .map(|r| (r.fields.iter().chain(r.write_only.iter()), r.secrecy())),
    )
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
