//! APIs (resource servers): identified by `identifier`, the audience, which cannot change;
//! `scopes` are a set compared by value; `signing_secret` is secret and write-only (never
//! compared: sent on create, and with `--rotate-signing-keys`). The tenant's own Management API
//! (`is_system`) is never one of them.

pub mod facts;
pub mod manifest;

use std::collections::BTreeMap;

use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

use super::spec::{KindSpec, fields_of, item_schema};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;

pub struct ResourceServer;

impl KindSpec for ResourceServer {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn sets(&self) -> &'static [&'static str] {
        &["scopes"]
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::ResourceServer>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let rs: manifest::ResourceServer = cx.typed(raw)?;
        let mut seen = std::collections::HashSet::new();
        for (i, s) in rs.scopes.iter().flatten().enumerate() {
            if !seen.insert(s.value.as_str()) {
                cx.problem(
                    &format!("scopes/{i}/value"),
                    format!("scope `{}` is listed twice", s.value),
                );
            }
        }
        let mut fields = fields_of(&rs, &["identifier"]);
        let mut r = cx.resource(self.kind(), &rs.identifier, BTreeMap::new());
        r.write_only.extend(fields.remove_entry("signing_secret"));
        r.fields = fields.into();
        Some(r)
    }

    /// Scopes are a set: sorted by value (the service keeps them as sent, the dashboard as
    /// clicked).
    fn normalise(&self, r: &mut Resource) {
        let sorted = |scopes: &Value| {
            let mut s = scopes.as_array()?.clone();
            s.sort_by(|a, b| {
                let v = |x: &Value| x.get("value").and_then(Value::as_str).map(str::to_string);
                v(a).cmp(&v(b))
            });
            Some(Value::Array(s))
        };
        if let Some(s) = r.fields.get("scopes").and_then(sorted) {
            r.fields_mut().insert("scopes".into(), s);
        }
    }

    fn unseen_notice(&self, field: &str) -> Option<&'static str> {
        (field == "signing_secret").then_some(
            "a resource server's signing_secret is write-only (the plan cannot see it change); it is sent when the API is created; pass --rotate-signing-keys to send it again",
        )
    }

    /// The identifier first, then every compared field; a signing secret is never read, so it
    /// is left out (not managed until a manifest declares it).
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for rs in live.of_kind(self.kind()) {
            let mut m = Map::new();
            m.push("identifier", Value::String(rs.name.clone()));
            w.rest(&mut m, rs, &[]);
            items.push(w.item(m, &rs.name, "resource server"));
        }
        w.section("resource_servers.yaml", "resource_servers", &items);
    }
}
