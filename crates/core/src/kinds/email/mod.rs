//! Email templates: named by `template` (v1 has four, v2 thirteen); they cannot be deleted, so
//! the tenant's undeclared templates are neither read by a plan nor shown.

pub mod facts;
pub mod manifest;

use serde_json::Value;

use schemars::{Schema, SchemaGenerator};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::export::writer::{Map, Writer, file_ref};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::manifest::types::ApiVersion;
use crate::model::Resource;

pub struct Email;

impl KindSpec for Email {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::EmailTemplate>(g)
    }

    /// A template that exists in v2 only is a problem in a v1 manifest.
    fn check(&self, raw: &Value, cx: &mut ItemCx<'_>) {
        if cx.api == ApiVersion::V1
            && let Some(t) = raw.get("template").and_then(Value::as_str)
            && manifest::TemplateName::parse(t).is_some_and(|t| !t.in_v1())
        {
            cx.problem(
                "template",
                format!(
                    "email template `{t}` exists in Management API v2 only, and this manifest is written for v1 (v1 has verify_email, welcome_email, reset_email and blocked_account)"
                ),
            );
        }
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let mut e: manifest::EmailTemplate = cx.typed(raw)?;
        if let Some(body) = e.body.as_mut() {
            cx.read_source(body, "body");
        }
        let fields = fields_of(&e, &["template"]);
        Some(cx.resource(self.kind(), e.template.as_str(), fields))
    }

    fn twin(&self, key: &str, api: ApiVersion) -> Option<&'static str> {
        match (key, api) {
            ("disabled", ApiVersion::V2) => Some("`enabled`, with the opposite meaning"),
            ("enabled", ApiVersion::V1) => Some("`disabled`, with the opposite meaning"),
            _ => None,
        }
    }

    fn fixed_names(&self, api: ApiVersion) -> Option<Vec<&'static str>> {
        let names = crate::dialect::for_version(api).templates();
        Some(names.iter().map(|t| t.as_str()).collect())
    }

    /// Bodies in files; empty strings (the service's defaults) left out.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for e in live.of_kind(Kind::Email) {
            let mut m = Map::new();
            m.push("template", Value::String(e.name.clone()));
            let written = |v: &&Value| v.as_str() != Some("");
            for key in ["disabled", "enabled", "from", "subject"] {
                if let Some(v) = e.fields.get(key).filter(written) {
                    m.push(key, v.clone());
                }
            }
            if let Some(body) = e.fields.get("body").and_then(Value::as_str) {
                let file = w.named_file(("emails", "html"), &e.name, "email template", body);
                m.push("body", file_ref(&file));
            }
            for key in [
                "resultUrl",
                "urlLifetimeInSeconds",
                "syntax",
                "includeEmailInRedirect",
            ] {
                if let Some(v) = e.fields.get(key).filter(written) {
                    m.push(key, v.clone());
                }
            }
            items.push(w.item(m, &e.name, "email template"));
        }
        w.section("emails.yaml", "emails", &items);
    }
}
