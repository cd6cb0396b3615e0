//! Roles: named by `name`; their `permissions` are a set kept by the tenant under each role
//! (`/roles/{id}/permissions`, read with one listing per role), changed by adding and removing
//! only the difference, in batches the API accepts. Permissions wait for the APIs that define
//! their scopes; removed ones go before their API drops the scope or is deleted.

pub mod facts;
pub mod manifest;

use std::collections::BTreeSet;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::spec::{KindSpec, Part, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

pub struct Role;

/// Most permissions one call adds or removes.
pub const BATCH: usize = 50;

/// A role's permissions as (API, scope) pairs.
fn permissions(r: Option<&Resource>) -> BTreeSet<(String, String)> {
    r.and_then(|r| r.fields.get("permissions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("resource_server")?.as_str()?.to_string(),
                p.get("scope")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// One listed permission (`{resource_server_identifier, permission_name, …}`) in the
/// manifest's shape.
fn read_permission(obj: &Value) -> Value {
    json!({
        "resource_server": obj.get("resource_server_identifier").cloned().unwrap_or(Value::Null),
        "scope": obj.get("permission_name").cloned().unwrap_or(Value::Null),
    })
}

impl KindSpec for Role {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn sets(&self) -> &'static [&'static str] {
        &["permissions"]
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Role>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let r: manifest::Role = cx.typed(raw)?;
        let fields = fields_of(&r, &["name"]);
        Some(cx.resource(self.kind(), &r.name, fields))
    }

    fn part(&self) -> Option<Part> {
        Some(Part {
            field: "permissions",
            suffix: "/permissions",
            key: "permissions",
            read: read_permission,
        })
    }

    /// Permissions are a set: sorted, each once.
    fn normalise(&self, r: &mut Resource) {
        if r.fields.contains_key("permissions") {
            let set = permissions(Some(r));
            let sorted: Vec<Value> = set
                .into_iter()
                .map(|(api, scope)| json!({"resource_server": api, "scope": scope}))
                .collect();
            r.fields_mut()
                .insert("permissions".into(), Value::Array(sorted));
        }
    }

    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        let apis = Kind::of(&crate::kinds::resource_server::facts::FACTS);
        for c in changes {
            if let (Action::Delete, Some(l)) = (c.action, &c.live) {
                b.delete(c, l);
                continue;
            }
            let Some(owner) = self
                .part()
                .and_then(|p| builder::part_owner(b, c, (p.field, p.suffix)))
            else {
                continue;
            };
            let want = permissions(c.desired.as_deref());
            let have = if owner.created {
                BTreeSet::new()
            } else {
                permissions(c.live.as_deref())
            };
            let removed: Vec<&(String, String)> = have.difference(&want).collect();
            let added: Vec<&(String, String)> = want.difference(&have).collect();
            for (method, set) in [("DELETE", removed), ("POST", added)] {
                for batch in set.chunks(BATCH) {
                    let body = json!({"permissions": batch
                        .iter()
                        .map(|(api, scope)| json!({"resource_server_identifier": api, "permission_name": scope}))
                        .collect::<Vec<_>>()});
                    let id = owner.call(b, c, method, owner.path.clone(), Some(body));
                    let named: BTreeSet<&str> = batch.iter().map(|(api, _)| api.as_str()).collect();
                    for api in named {
                        if method == "POST" {
                            b.waits_for_change(id, apis, api);
                        } else {
                            b.precedes(id, apis, api, true);
                        }
                    }
                }
            }
        }
    }

    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for r in live.of_kind(self.kind()) {
            let mut m = Map::new();
            m.push("name", Value::String(r.name.clone()));
            w.rest(&mut m, r, &[]);
            items.push(w.item(m, &r.name, "role"));
        }
        w.section("roles.yaml", "roles", &items);
    }
}
