//! Clients (applications): named by `name`, or pinned by `client_id` when names are shared.
//! `signingKey` (v1) is write-only. The global client is never one of them.

pub mod facts;
pub mod manifest;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use schemars::{Schema, SchemaGenerator};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{Builder, Check};

pub struct Client;

impl KindSpec for Client {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Client>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let c: manifest::Client = cx.typed(raw)?;
        let mut fields = fields_of(&c, &["client_id"]);
        let mut r = cx.resource(self.kind(), &c.name, BTreeMap::new());
        r.write_only.extend(fields.remove_entry("signingKey"));
        r.fields = fields.into();
        r.id = c.client_id;
        Some(r)
    }

    /// Creates (read back by name among clients the tenant did not have), updates, deletes.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], live: &Live) {
        // One set for all the creates: a copy each would be creates × clients of the tenant.
        let known: std::sync::Arc<BTreeSet<String>> =
            std::sync::Arc::new(live.client_names.keys().cloned().collect());
        for c in changes {
            match (c.action, &c.desired, &c.live) {
                (Action::Create, Some(d), _) => {
                    let check = Check::Client {
                        name: c.name.clone(),
                        known: known.clone(),
                    };
                    b.create(
                        Kind::Client,
                        &c.name,
                        crate::plan::builder::create_body(d),
                        check,
                    );
                }
                (Action::Update, Some(d), _) => {
                    b.update(c, d);
                }
                (Action::Delete, _, Some(l)) => {
                    b.delete(c, l);
                }
                _ => {}
            }
        }
    }

    /// Each pinned by client_id: a rename in the manifest then keeps the client (and its
    /// credentials) instead of creating another.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut clients: Vec<(&String, &String, Value)> = Vec::new();
        for c in live.of_kind(Kind::Client) {
            let id = c.id.as_ref().expect("live clients have ids");
            let mut m = Map::new();
            m.push("name", Value::String(c.name.clone()));
            m.push("client_id", Value::String(id.clone()));
            m.push(
                "callbacks",
                c.fields
                    .get("callbacks")
                    .cloned()
                    .unwrap_or(Value::Array(vec![])),
            );
            w.rest(&mut m, c, &[]);
            let item = w.item(m, &c.name, "client");
            clients.push((&c.name, id, item));
        }
        clients.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let items: Vec<Value> = clients.into_iter().map(|(_, _, v)| v).collect();
        w.section("clients.yaml", "clients", &items);
    }
}
