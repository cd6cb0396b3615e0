//! What a kind does, beside what it is ([`Facts`](crate::kind::Facts)): [`KindSpec`], and the
//! helpers every kind's `desired` uses.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::diff::change::Change;
use crate::export::writer::Writer;
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::desired::{Desired, Item};
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
    /// The manifests' items of this kind as resources, in manifest order.
    fn desired(&self, desired: &Desired) -> Vec<Resource>;
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

/// A declared entry as a resource of `kind` named `name`, with `fields`, its `${VAR}` values,
/// its origin and its `{file: …}` fields.
pub fn resource<T>(
    kind: Kind,
    name: &str,
    fields: BTreeMap<String, Value>,
    item: &Item<T>,
) -> Resource {
    Resource {
        fields: fields.into(),
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
