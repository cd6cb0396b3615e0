//! What a kind does, beside what it is ([`Facts`](crate::kind::Facts)): [`KindSpec`], and the
//! helpers every kind's `desired` uses.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::Value;

use crate::diff::change::Change;
use crate::export::writer::Writer;
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::manifest::types::ApiVersion;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

/// The behaviour of one kind: its desired form, its calls, its export. Everything that is data
/// is in its facts ([`Kind::facts`]).
pub trait KindSpec: Sync {
    /// The kind (a handle on its facts).
    fn kind(&self) -> Kind;
    /// What a plan says of a declared write-only `field` that it cannot see change (unless
    /// the values are sent again); `None`: nothing, or said elsewhere.
    fn unseen_notice(&self, _field: &str) -> Option<&'static str> {
        None
    }
    /// Write-only fields that must be sent again when `field` changes (they cannot be
    /// compared, so the diff adds them).
    fn sent_with(&self, _field: &str) -> &'static [&'static str] {
        &[]
    }
    /// The schema of one item of its manifest section (its manifest type's, from schemars):
    /// [`item_schema`].
    fn schema(&self, g: &mut SchemaGenerator) -> Schema;
    /// The checks of a declared item that hold whether or not the schema found it valid.
    fn check(&self, _raw: &Value, _cx: &mut ItemCx<'_>) {}
    /// A declared item that the schema found valid, as a resource: its manifest type read,
    /// its `{file: …}` sources resolved, and its fields as the manifest names them.
    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource>;
    /// A field the tenant keeps in a listing of its own under each resource (a role's
    /// permissions): read with one listing per resource, changed by the kind's own calls.
    fn part(&self) -> Option<Part> {
        None
    }
    /// Kinds whose tenant resources this kind's calls name by id though the manifests name them
    /// by name (an organization's enabled connections): read with this kind even where no
    /// manifest declares them (then only read, never managed), and a name that neither the
    /// manifests nor the tenant hold is an error before anything is sent.
    fn reads(&self) -> &'static [Kind] {
        &[]
    }
    /// Fields that are sets: a plan shows what they gain and lose, not both lists.
    fn sets(&self) -> &'static [&'static str] {
        &[]
    }
    /// Object fields the API merges key by key (a tenant's `flags`): compared by the keys the
    /// manifest declares, the others left as they are.
    fn merged(&self) -> &'static [&'static str] {
        &[]
    }
    /// Object fields the API replaces whole, compared key by key on both sides, this many
    /// levels of keys deep (a connection's `options`; a prompt's custom text, screen by screen
    /// and text by text): a plan shows each key that changes, appears or goes.
    fn keyed(&self) -> &'static [(&'static str, usize)] {
        &[]
    }
    /// What the tenant's object `obj` says of `r` beyond the fields it carries as they are
    /// compared (whether an action's changes are all deployed); before `normalise`.
    fn read_tenant(&self, _obj: &Value, _r: &mut Resource) {}
    /// Whether the tenant's value of `field` is the service's while it is what `live` holds
    /// (a log stream the service suspended): not compared, so not fought.
    fn held(&self, _live: &Resource, _field: &str) -> bool {
        false
    }
    /// What a plan reports of the tenant's resource `live`, a state a0ctl reads but never
    /// changes (a custom domain waiting for verification, a suspended log stream).
    fn report(&self, _live: &Resource) -> Option<String> {
        None
    }
    /// Put a resource, declared or read from the tenant, in the one form both are compared in
    /// (a list the service keeps in any order, sorted).
    fn normalise(&self, _r: &mut Resource) {}
    /// `api`'s name for `key`, a field of this kind that only the other API has.
    fn twin(&self, _key: &str, _api: ApiVersion) -> Option<&'static str> {
        None
    }
    /// The names `api` allows for this kind's items, when the API fixes them (the email
    /// templates); the schema, which knows every API's, is told to name only these.
    fn fixed_names(&self, _api: ApiVersion) -> Option<Vec<&'static str>> {
        None
    }
    /// The calls that carry out this kind's changes.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            builder::simple(b, c);
        }
    }
    /// Its manifest file(s) in an export.
    fn export(&self, w: &mut Writer<'_>, live: &Live);
}

/// A declared entry's fields as the manifest names them (the API's names), without `skip`.
/// `{file: …}` sources are resolved to their text by the loader, so they serialise as strings.
pub fn fields_of<T: Serialize>(value: &T, skip: &[&str]) -> BTreeMap<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Whether `u` is an https URL with a host, as the service requires of logos and favicons
/// (`https://` alone is not).
pub fn is_https_url(u: &str) -> bool {
    u.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

/// A list the service keeps as a set, in its own order: sorted (by its JSON text), each item
/// once.
pub fn as_set(items: &mut Vec<Value>) {
    items.sort_by_key(Value::to_string);
    items.dedup();
}

/// The schema of one item of type `T`: a reference to its definition.
pub fn item_schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// A field listed under each resource (`KindSpec::part`).
#[derive(Debug, Clone, Copy)]
pub struct Part {
    /// The resource's field it fills.
    pub field: &'static str,
    /// The listing's path below the resource's (`/permissions`).
    pub suffix: &'static str,
    /// The key of its pages' items.
    pub key: &'static str,
    /// One listed object as an item of the field, in the manifest's shape.
    pub read: fn(&Value) -> Value,
}
