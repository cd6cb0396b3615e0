//! The tenant's settings (v2): a singleton that always exists, so it is only ever changed
//! (one `PATCH` of the changed keys); `flags` are compared and sent flag by flag, as the API
//! merges them.

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

pub struct Tenant;

impl KindSpec for Tenant {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::TenantSettings>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let t: manifest::TenantSettings = cx.typed(raw)?;
        let fields = fields_of(&t, &[]);
        Some(cx.resource(self.kind(), "settings", fields))
    }

    fn merged(&self) -> &'static [&'static str] {
        &["flags"]
    }

    /// Only updates: the settings always exist (a create is the update of every declared key).
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            builder::always_there(b, c);
        }
    }

    /// Every setting the tenant has.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let Some(t) = live.of_kind(self.kind()).next() else {
            return;
        };
        let mut m = Map::new();
        w.rest(&mut m, t, &[]);
        let item = w.item(m, "tenant", "the");
        w.mapping("tenant.yaml", "tenant", &item);
    }
}
