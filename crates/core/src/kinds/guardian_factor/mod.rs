//! MFA factors (v2): each always there, turned on or off by one `PUT` of `{enabled}`; only the
//! factors a manifest names are managed.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::Change;
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

pub struct GuardianFactor;

impl KindSpec for GuardianFactor {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::GuardianFactor>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let f: manifest::GuardianFactor = cx.typed(raw)?;
        let name = raw.get("name").and_then(Value::as_str)?.to_string();
        Some(cx.resource(self.kind(), &name, fields_of(&f, &["name"])))
    }

    /// Only updates: every factor exists.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            builder::always_there(b, c);
        }
    }

    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for f in live.of_kind(self.kind()) {
            let mut m = Map::new();
            m.push("name", Value::String(f.name.clone()));
            w.rest(&mut m, f, &[]);
            items.push(w.item(m, &f.name, "MFA factor"));
        }
        w.section("guardian_factors.yaml", "guardian_factors", &items);
    }
}
