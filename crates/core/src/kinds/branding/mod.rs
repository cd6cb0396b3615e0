//! The branding (v2): a singleton that always exists, so it is only ever changed (one `PATCH`
//! of the keys that differ); the keys no manifest declares are left alone.

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

pub struct Branding;

impl KindSpec for Branding {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Branding>(g)
    }

    /// Its URLs are https (the service refuses others).
    fn check(&self, raw: &Value, cx: &mut ItemCx<'_>) {
        let urls = [
            ("logo_url", raw.get("logo_url")),
            ("favicon_url", raw.get("favicon_url")),
            ("font/url", raw.pointer("/font/url")),
        ];
        for (at, v) in urls {
            if v.and_then(Value::as_str)
                .is_some_and(|u| !super::spec::is_https_url(u))
            {
                // The value is not echoed: it may have come from the environment.
                cx.problem(
                    at,
                    format!("`{}` must be an https:// URL", at.replace('/', ".")),
                );
            }
        }
    }

    /// Compared and sent colour by colour (the service merges them).
    fn merged(&self) -> &'static [&'static str] {
        &["colors"]
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let b: manifest::Branding = cx.typed(raw)?;
        Some(cx.resource(self.kind(), "branding", fields_of(&b, &[])))
    }

    /// Only updates: the branding always exists.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            builder::always_there(b, c);
        }
    }

    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let Some(b) = live.of_kind(self.kind()).next() else {
            return;
        };
        let mut m = Map::new();
        w.rest(&mut m, b, &[]);
        let item = w.item(m, "branding", "the");
        w.mapping("branding.yaml", "branding", &item);
    }
}
