//! The prompts settings (v2): a singleton that always exists, so it is only ever changed (one
//! `PATCH` of the keys that differ). Custom text per prompt and language is not managed yet.

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

pub struct Prompts;

impl KindSpec for Prompts {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Prompts>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let p: manifest::Prompts = cx.typed(raw)?;
        Some(cx.resource(self.kind(), "settings", fields_of(&p, &[])))
    }

    /// Only updates: the settings always exist.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            builder::always_there(b, c);
        }
    }

    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let Some(p) = live.of_kind(self.kind()).next() else {
            return;
        };
        let mut m = Map::new();
        w.rest(&mut m, p, &[]);
        let item = w.item(m, "prompts settings", "the");
        w.mapping("prompts.yaml", "prompts", &item);
    }
}
