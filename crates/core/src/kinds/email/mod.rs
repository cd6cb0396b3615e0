//! Email templates: named by `template` (v1 has four, v2 thirteen); they cannot be deleted, so
//! the tenant's undeclared templates are neither read by a plan nor shown.

pub mod facts;

use serde_json::Value;

use super::spec::{KindSpec, fields_of, resource};
use crate::export::writer::{Map, Writer, file_ref};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::desired::Desired;
use crate::model::Resource;

pub struct Email;

impl KindSpec for Email {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn desired(&self, desired: &Desired) -> Vec<Resource> {
        desired
            .emails
            .iter()
            .map(|item| {
                let e = &item.value;
                let fields = fields_of(e, &["template"]);
                resource(Kind::Email, e.template.as_str(), fields, item)
            })
            .collect()
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
