//! Branding templates (v2): the Universal Login page, read as `{body}` and written by one `PUT`
//! of `{template: body}` (the API names the text two ways), deleted by `DELETE`. The body must
//! hold the head and widget tags the service requires: checked offline.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer, file_ref};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

pub struct BrandingTemplate;

/// The tags the service requires in a page.
const TAGS: [&str; 2] = ["auth0:head", "auth0:widget"];
/// The most the service takes.
const MAX_BODY: usize = 102_400;

impl KindSpec for BrandingTemplate {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::BrandingTemplate>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let mut t: manifest::BrandingTemplate = cx.typed(raw)?;
        if !cx.read_source(&mut t.body, "body") {
            return None;
        }
        let text = serde_json::to_value(&t.body).ok()?;
        let text = text.as_str().unwrap_or_default();
        for tag in TAGS {
            if !text.contains(tag) {
                cx.problem(
                    "body",
                    format!("the page has no `{{%- {tag} -%}}` tag, which the service requires"),
                );
            }
        }
        if text.len() > MAX_BODY {
            cx.problem(
                "body",
                format!(
                    "the page is {} bytes; the service takes at most {MAX_BODY}",
                    text.len()
                ),
            );
        }
        let name = raw.get("template").and_then(Value::as_str)?.to_string();
        Some(cx.resource(self.kind(), &name, fields_of(&t, &["template"])))
    }

    /// A `PUT` of `{template: body}` makes or changes it; a `DELETE` removes it.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            match (c.action, &c.desired) {
                (Action::Create | Action::Update, Some(d)) => {
                    if let Some(id) = b.update(c, d) {
                        let body = d.fields.get("body").cloned().unwrap_or(Value::Null);
                        b.call(id).body = Some(json!({ "template": body }));
                    }
                }
                _ => builder::simple(b, c),
            }
        }
    }

    /// The body in a file.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for t in live.of_kind(self.kind()) {
            let mut m = Map::new();
            m.push("template", Value::String(t.name.clone()));
            if let Some(body) = t.fields.get("body").and_then(Value::as_str) {
                let file = w.named_file(("branding", "html"), &t.name, "branding template", body);
                m.push("body", file_ref(&file));
            }
            items.push(w.item(m, &t.name, "branding template"));
        }
        w.section("branding_templates.yaml", "branding_templates", &items);
    }
}
