//! Organizations: named by `name`; the connections each enables are a set kept by the tenant
//! under it (`/organizations/{id}/enabled_connections`, read with one listing per
//! organization), changed by only the difference: a `POST` per connection enabled, a `PATCH`
//! per connection whose flags change, a `DELETE` per connection no longer enabled. Connections
//! are named by name in the manifests and by id on the wire, so the tenant's connections are
//! read with the organizations (`KindSpec::reads`); an enabled connection waits for the create
//! of a connection this plan makes, and a connection's delete waits for its removal.

pub mod facts;
pub mod manifest;

use std::collections::BTreeMap;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Map as JsonMap, Value, json};

use super::spec::{KindSpec, Part, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

pub struct Organization;

/// An enabled connection's flags, with the value the service gives one left out.
const FLAGS: [(&str, bool); 3] = [
    ("assign_membership_on_login", false),
    ("show_as_button", true),
    ("is_signup_enabled", false),
];

/// An organization's enabled connections, by connection name: each one's flags, every flag
/// given (`normalise` fills in the service's defaults).
fn enabled(r: Option<&Resource>) -> BTreeMap<String, JsonMap<String, Value>> {
    r.and_then(|r| r.fields.get("connections"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.get("connection")?.as_str()?.to_string();
            let flags = FLAGS
                .iter()
                .map(|(k, default)| {
                    let v = e.get(*k).and_then(Value::as_bool).unwrap_or(*default);
                    ((*k).to_string(), Value::Bool(v))
                })
                .collect();
            Some((name, flags))
        })
        .collect()
}

/// One listed enabled connection (`{connection_id, connection: {name, strategy}, flags}`) in
/// the manifest's shape.
fn read_enabled(obj: &Value) -> Value {
    let mut out = JsonMap::new();
    out.insert(
        "connection".into(),
        obj.pointer("/connection/name")
            .cloned()
            .unwrap_or(Value::Null),
    );
    for (k, _) in FLAGS {
        if let Some(v) = obj.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    Value::Object(out)
}

impl KindSpec for Organization {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn sets(&self) -> &'static [&'static str] {
        &["connections"]
    }

    fn reads(&self) -> &'static [Kind] {
        &[Kind::Connection]
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Organization>(g)
    }

    /// Its logo is an https:// URL; each connection is enabled once.
    fn check(&self, raw: &Value, cx: &mut ItemCx<'_>) {
        if raw
            .pointer("/branding/logo_url")
            .and_then(Value::as_str)
            .is_some_and(|u| !super::spec::is_https_url(u))
        {
            // The value is not echoed: it may have come from the environment.
            cx.problem(
                "branding/logo_url",
                "`branding.logo_url` must be an https:// URL".into(),
            );
        }
        // `null` would read as "not managed": said, not silently taken.
        for (key, none) in [
            ("display_name", "a name"),
            ("branding", "`{}` for none"),
            ("metadata", "`{}` for none"),
            ("connections", "`[]` for none"),
        ] {
            if raw.get(key).is_some_and(Value::is_null) {
                cx.problem(
                    key,
                    format!(
                        "`{key}: null` manages nothing: leave the key out to keep the tenant's, or write {none}"
                    ),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        let listed = raw.get("connections").and_then(Value::as_array);
        for (i, e) in listed.into_iter().flatten().enumerate() {
            if let Some(name) = e.get("connection").and_then(Value::as_str)
                && !seen.insert(name)
            {
                cx.problem(
                    &format!("connections/{i}/connection"),
                    format!(
                        "connection {} is enabled twice",
                        cx.shown(&format!("connections/{i}/connection"), name)
                    ),
                );
            }
        }
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let o: manifest::Organization = cx.typed(raw)?;
        Some(cx.resource(self.kind(), &o.name, fields_of(&o, &["name"])))
    }

    fn part(&self) -> Option<Part> {
        Some(Part {
            field: "connections",
            suffix: "/enabled_connections",
            key: "enabled_connections",
            read: read_enabled,
        })
    }

    /// Enabled connections are a set, by connection name, each with every flag.
    fn normalise(&self, r: &mut Resource) {
        if r.fields.contains_key("connections") {
            let sorted: Vec<Value> = enabled(Some(r))
                .into_iter()
                .map(|(name, flags)| {
                    let mut e = JsonMap::new();
                    e.insert("connection".into(), Value::String(name));
                    e.extend(flags);
                    Value::Object(e)
                })
                .collect();
            r.fields_mut()
                .insert("connections".into(), Value::Array(sorted));
        }
    }

    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], live: &Live) {
        let connections = Kind::Connection;
        let id_of = |name: &str| -> Option<String> {
            live.of_kind(connections)
                .find(|r| r.name == name)
                .and_then(|r| r.id.clone())
        };
        for c in changes {
            if let (Action::Delete, Some(l)) = (c.action, &c.live) {
                // Its enabled connections go with it.
                let id = b.delete(c, l);
                for name in enabled(Some(l)).keys() {
                    b.precedes(id, connections, name, false);
                }
                continue;
            }
            let Some(owner) = self
                .part()
                .and_then(|p| builder::part_owner(b, c, (p.field, p.suffix)))
            else {
                continue;
            };
            let want = enabled(c.desired.as_deref());
            let have = if owner.created {
                BTreeMap::new()
            } else {
                enabled(c.live.as_deref())
            };
            let base = &owner.path;
            for (name, flags) in &have {
                let Some(conn) = id_of(name) else { continue };
                let path = format!("{base}/{}", crate::dialect::segment(&conn));
                match want.get(name) {
                    None => {
                        let id = owner.call(b, c, "DELETE", path, None);
                        b.precedes(id, connections, name, false);
                    }
                    Some(w) if w != flags => {
                        owner.call(b, c, "PATCH", path, Some(Value::Object(w.clone())));
                    }
                    Some(_) => {}
                }
            }
            for (name, flags) in want.iter().filter(|(n, _)| !have.contains_key(*n)) {
                // A connection this plan creates (or replaces) is named by its new id.
                let conn = match id_of(name) {
                    Some(id) if !b.creates(connections, name) => id,
                    _ => b.dialect.placeholder(connections, name),
                };
                let mut body = JsonMap::new();
                body.insert("connection_id".into(), json!(conn));
                body.extend(flags.clone());
                let id = owner.call(b, c, "POST", base.clone(), Some(Value::Object(body)));
                b.needs(id, connections, name);
            }
        }
    }

    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for r in live.of_kind(self.kind()) {
            let mut m = Map::new();
            m.push("name", Value::String(r.name.clone()));
            w.rest(&mut m, r, &[]);
            items.push(w.item(m, &r.name, "organization"));
        }
        w.section("organizations.yaml", "organizations", &items);
    }
}
