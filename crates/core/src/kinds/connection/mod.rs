//! Connections: named by `name`; a new `strategy` replaces one (DELETE, then POST, which loses
//! its users). Its status for clients (`enabled_clients`) spans kinds: `diff` compares it by
//! client identity and `plan::builder::enabled_clients` sends it.

pub mod facts;
pub mod manifest;

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use schemars::{Schema, SchemaGenerator};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::dialect::{Dialect, Target};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::path::FieldPath;
use crate::plan::builder::{Builder, Check};

pub struct Connection;

impl KindSpec for Connection {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    /// The options are replaced whole by a `PATCH`, and shown key by key.
    fn keyed(&self) -> &'static [(&'static str, usize)] {
        &[("options", 1)]
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Connection>(g)
    }

    /// `yes`/`no`/`on`/`off` written bare inside options are strings in YAML 1.2, where YAML
    /// 1.1 tools read booleans: probably not what was meant.
    fn check(&self, raw: &Value, cx: &mut ItemCx<'_>) {
        let Some(options) = raw.get("options") else {
            return;
        };
        let at = FieldPath::from_segments(["options".to_string()]);
        crate::path::leaves(options, &at, &mut |path, leaf| {
            let Some(word) = leaf.as_str() else { return };
            let field = path.pointer();
            let field = field.trim_start_matches('/');
            if cx.is_bare(field)
                && matches!(
                    word.to_ascii_lowercase().as_str(),
                    "yes" | "no" | "on" | "off"
                )
            {
                cx.warn(
                    field,
                    format!(
                        "`{word}` is the string \"{word}\" here (YAML 1.2 reads yes/no/on/off as strings): write true or false for a boolean, or quote it to keep the string"
                    ),
                );
            }
        });
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let c: manifest::Connection = cx.typed(raw)?;
        let mut fields = fields_of(&c, &["name", "enabled_clients"]);
        fields
            .entry("options".to_string())
            .or_insert_with(|| json!({}));
        if let Some(clients) = &c.enabled_clients {
            // By name, or by pin (`kind::pin_key`) for clients that share a name.
            let set: BTreeSet<String> = clients.iter().map(|e| e.key()).collect();
            fields.insert("enabled_clients".into(), json!(set));
        }
        Some(cx.resource(self.kind(), &c.name, fields))
    }

    /// Its create (after the delete, for a replacement), update or delete, then the calls that
    /// set its status for the clients it is enabled or disabled for.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            let live_target = Target::with_id(Kind::Connection, &c.name, c.live_id());
            let mut created = None;
            match (c.action, &c.desired) {
                (Action::Create | Action::Replace, Some(d)) => {
                    let deleted = (c.action == Action::Replace)
                        .then(|| b.add("DELETE", b.dialect.item(live_target), c.key()));
                    let check = Check::Named(Kind::Connection, c.name.clone());
                    let body = crate::plan::builder::create_body(d);
                    let id = b.create(Kind::Connection, &c.name, body, check);
                    if let Some(del) = deleted {
                        let call = b.call(id);
                        call.after.push(del);
                        call.note = Some(
                            "replacement: the old connection and its users are deleted first"
                                .into(),
                        );
                    }
                    created = Some(id);
                }
                (Action::Update, Some(d)) => {
                    if let Some(id) = b.update(c, d) {
                        b.call(id).note = options_note(c, d, b.dialect);
                    }
                }
                // Registered as the connection's delete, so what must go first (an
                // organization's removal of it) is ordered before it (`Builder::precedes`).
                (Action::Delete, _) => {
                    if let Some(l) = &c.live {
                        b.delete(c, l);
                    }
                }
                _ => {}
            }
            crate::plan::builder::enabled_clients(b, c, created.is_some());
        }
    }

    /// Secret options become variables; enabled clients by name, or by pin for a client whose
    /// name another shares.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut name_count: HashMap<&str, usize> = HashMap::new();
        for c in live.of_kind(Kind::Client) {
            *name_count.entry(c.name.as_str()).or_default() += 1;
        }
        let mut items = Vec::new();
        for c in live.of_kind(Kind::Connection) {
            let mut m = Map::new();
            m.push("name", Value::String(c.name.clone()));
            m.push(
                "strategy",
                c.fields.get("strategy").cloned().unwrap_or(Value::Null),
            );
            let options = c
                .fields
                .get("options")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            m.push("options", options);
            w.rest(&mut m, c, &["enabled_clients"]);
            if let Some(enabled) = live.enabled.as_ref().and_then(|e| e.get(&c.name)) {
                let mut entries: Vec<(String, Value)> = enabled
                    .iter()
                    .filter_map(|id| live.client_names.get(id).map(|name| (id, name)))
                    .map(|(id, name)| {
                        if name_count.get(name.as_str()).copied().unwrap_or(0) > 1 {
                            (format!("{name} {id}"), json!({"client_id": id}))
                        } else {
                            (name.clone(), Value::String(name.clone()))
                        }
                    })
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                m.push(
                    "enabled_clients",
                    Value::Array(entries.into_iter().map(|(_, v)| v).collect()),
                );
            }
            items.push(w.item(m, &c.name, "connection"));
        }
        w.section("connections.yaml", "connections", &items);
    }
}

/// A connection update sends `options` whole: where the update is a PATCH (which reads like a
/// merge), say which keys of the tenant's it removes.
fn options_note(c: &Change, d: &Resource, dialect: &dyn Dialect) -> Option<String> {
    if dialect.update_method(Kind::Connection) != "PATCH" {
        return None;
    }
    let sent = d.fields.get("options")?.as_object()?;
    let held = c.live.as_ref()?.fields.get("options")?.as_object()?;
    let removed: Vec<&str> = held
        .keys()
        .filter(|k| !sent.contains_key(*k))
        .map(String::as_str)
        .collect();
    (!removed.is_empty()).then(|| {
        format!(
            "options are replaced whole: the tenant's {} not in the manifest {} removed",
            removed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if removed.len() == 1 { "is" } else { "are" }
        )
    })
}
