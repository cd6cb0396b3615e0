//! Client grants: a client allowed tokens for an API, identified by the two (`client ->
//! audience`, the client by name); `scope` is a set. A grant waits for the client and the API
//! it names when this plan creates them, and an API's delete waits for the deletes of the
//! grants that name it. a0ctl's own client's grants are never deleted unless declared (they
//! are how a0ctl reaches the tenant).

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::kinds::client::manifest::NamedClient;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{Builder, Check};

pub struct ClientGrant;

/// What a grant names (`Resource::refs`): its client (a declared grant's by name, the tenant's
/// by id) and its audience. Read from its references, never parsed from its name, which either
/// may contain ` -> `.
fn named(r: &Resource) -> (&str, &str) {
    let get = |f: &str| r.refs.get(f).map_or("", String::as_str);
    (get("client"), get("audience"))
}

impl KindSpec for ClientGrant {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn sets(&self) -> &'static [&'static str] {
        &["scope"]
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::ClientGrant>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let g: manifest::ClientGrant = cx.typed(raw)?;
        let fields = fields_of(&g, &["client", "audience"]);
        let client = match &g.client {
            NamedClient::Name(name) => name.clone(),
            NamedClient::Pinned(p) => format!("client_id {}", p.client_id),
        };
        let name = format!("{client} -> {}", g.audience);
        let mut r = cx.resource(self.kind(), &name, fields);
        // What it names, as written (`Resource::refs`): a client by name or by pin
        // (`kind::pin_key`).
        r.refs.insert("client".into(), g.client.key());
        r.refs.insert("audience".into(), g.audience);
        Some(r)
    }

    /// The scopes are a set: sorted, each once.
    fn normalise(&self, r: &mut Resource) {
        if let Some(Value::Array(scopes)) = r.fields.get("scope") {
            let mut s: Vec<Value> = scopes.clone();
            s.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            s.dedup();
            r.fields_mut().insert("scope".into(), Value::Array(s));
        }
    }

    /// A create names the client by its id (the placeholder of one this plan creates) and waits
    /// for the API when this plan creates it; a delete of an API waits for its grants' deletes.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], live: &Live) {
        let clients = Kind::clients();
        let apis = Kind::of(&crate::kinds::resource_server::facts::FACTS);
        for c in changes {
            let Some(r) = c.desired.as_ref().or(c.live.as_ref()) else {
                continue;
            };
            let (client, audience) = named(r);
            match (c.action, &c.desired, &c.live) {
                (Action::Create, Some(d), _) => {
                    let pinned = client.strip_prefix(&crate::kind::pin_key(""));
                    let client_id = match pinned.or_else(|| live.client_id_of(client)) {
                        Some(id) => id.to_string(),
                        None => b.dialect.placeholder(clients, client),
                    };
                    let mut body = serde_json::Map::new();
                    body.insert("client_id".into(), json!(client_id));
                    body.insert("audience".into(), json!(audience));
                    for (k, v) in d.fields.iter() {
                        body.insert(k.clone(), v.clone());
                    }
                    let check = Check::Named(c.kind, c.name.clone());
                    let id = b.create(c.kind, &c.name, Value::Object(body), check);
                    b.needs(id, clients, client);
                    b.waits_for_change(id, apis, audience);
                }
                (Action::Update, Some(d), _) => {
                    if let Some(id) = b.update(c, d) {
                        // A grant that gains a scope waits for its API to define it; one that
                        // only loses scopes goes first, so its API may drop them.
                        if gains_scope(d, audience, live) {
                            b.waits_for_change(id, apis, audience);
                        } else {
                            b.precedes(id, apis, audience, true);
                        }
                    }
                }
                (Action::Delete, _, Some(l)) => {
                    let id = b.delete(c, l);
                    b.precedes(id, apis, audience, true);
                }
                _ => {}
            }
        }
    }

    /// By client name and audience; a client whose name another shares by its pin, as the
    /// clients' export pins it (a grant of the global client, which no manifest declares, is
    /// left out).
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for g in live.of_kind(self.kind()) {
            let (client_id, audience) = named(g);
            let Some(name) = live.client_names.get(client_id) else {
                continue;
            };
            let client = if live.client_id_of(name) == Some(client_id) {
                Value::String(name.to_string())
            } else {
                serde_json::json!({"client_id": client_id})
            };
            let mut m = Map::new();
            m.push("client", client);
            m.push("audience", Value::String(audience.to_string()));
            m.push("scope", g.fields.get("scope").cloned().unwrap_or(json!([])));
            w.rest(&mut m, g, &[]);
            items.push(w.item(m, &g.name, "client grant"));
        }
        w.section("client_grants.yaml", "client_grants", &items);
    }
}

/// Whether the grant `d` of `audience` holds a scope the tenant's API does not define yet.
fn gains_scope(d: &Resource, audience: &str, live: &Live) -> bool {
    let apis = Kind::of(&crate::kinds::resource_server::facts::FACTS);
    let defined: Vec<&str> = live
        .of_kind(apis)
        .find(|r| r.name == audience)
        .and_then(|r| r.fields.get("scopes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("value").and_then(Value::as_str))
        .collect();
    d.fields
        .get("scope")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|s| !defined.contains(&s))
}
