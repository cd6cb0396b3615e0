//! Email templates: named by `template` (v1 has four, v2 thirteen); they cannot be deleted, so
//! the tenant's undeclared templates are neither read by a plan nor shown.

use serde_json::Value;

use super::{Kind, KindSpec, Named};
use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::export::{Map, Writer, file_ref};
use crate::live::Live;
use crate::manifest::Desired;
use crate::manifest::types::{ApiVersion, TemplateName};
use crate::model::{Resource, fields_of, resource};

pub struct Email;

impl KindSpec for Email {
    fn kind(&self) -> Kind {
        Kind::Email
    }

    fn name(&self) -> &'static str {
        "email"
    }

    fn plural(&self) -> &'static str {
        "email templates"
    }

    fn section(&self) -> &'static str {
        "emails"
    }

    fn identity(&self) -> Option<&'static str> {
        Some("template")
    }

    fn named(&self) -> Named {
        Named::By("template")
    }

    fn wire(&self, api: ApiVersion) -> Option<&'static Wire> {
        static V1: Wire = Wire {
            collection: "/api/emails",
            address: Address::Name,
            id_field: None,
            update: "PUT",
            list: List::EachNamed(|| TemplateName::V1.iter().map(|t| t.as_str()).collect()),
            find: Find::Item,
            fields: Fields::AllBut(&["template"]),
            replaced_by: &[],
            updates: Updates::All,
            scopes: None,
        };
        static V2: Wire = Wire {
            collection: "/api/v2/email-templates",
            address: Address::Name,
            id_field: None,
            update: "PATCH",
            list: List::EachNamed(|| TemplateName::V2.iter().map(|t| t.as_str()).collect()),
            find: Find::Item,
            fields: Fields::Schema {
                pointer: "/emails/0",
                skip: &["template"],
                defaults: &[],
            },
            replaced_by: &[],
            updates: Updates::All,
            // Templates cannot be deleted; an update is what a delete would need.
            scopes: Some(Scopes::crud(
                "read:email_templates",
                "create:email_templates",
                "update:email_templates",
                "update:email_templates",
            )),
        };
        match api {
            ApiVersion::V1 => Some(&V1),
            ApiVersion::V2 => Some(&V2),
        }
    }

    fn deletable(&self) -> bool {
        false
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
