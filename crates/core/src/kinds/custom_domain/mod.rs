//! Custom domains (v2): identified by `domain`, addressed by `custom_domain_id`; a changed
//! `type` replaces one; only `tls_policy` and `custom_client_ip_header` change in place. The
//! domain's verification is its owner's (a DNS record): a plan reports a domain that is not
//! ready, with the record to add, and never verifies it.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;

pub struct CustomDomain;

/// The tenant's verification state, kept beside the compared fields (no manifest declares it).
const STATUS: &str = "status";
const RECORDS: &str = "verification";

impl KindSpec for CustomDomain {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::CustomDomain>(g)
    }

    /// A domain is a host name: labels of letters, digits and hyphens, at least two.
    fn check(&self, raw: &Value, cx: &mut ItemCx<'_>) {
        let Some(domain) = raw.get("domain").and_then(Value::as_str) else {
            return;
        };
        let labels: Vec<&str> = domain.split('.').collect();
        let host = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !host {
            cx.problem(
                "domain",
                "must be a host name such as login.example.com (no scheme, path or port)".into(),
            );
        }
    }

    /// Named in lower case, as the service keeps it (`Login.Example.com` is
    /// `login.example.com`).
    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let d: manifest::CustomDomain = cx.typed(raw)?;
        let name = d.domain.to_ascii_lowercase();
        Some(cx.resource(self.kind(), &name, fields_of(&d, &["domain"])))
    }

    /// Its status and the records that verify it, to report.
    fn read_tenant(&self, obj: &Value, r: &mut Resource) {
        let status = obj.get(STATUS).cloned().unwrap_or(json!("ready"));
        let records = obj
            .pointer("/verification/methods")
            .cloned()
            .unwrap_or(json!([]));
        r.fields_mut().insert(STATUS.into(), status);
        r.fields_mut().insert(RECORDS.into(), records);
    }

    fn report(&self, live: &Resource) -> Option<String> {
        let status = live.fields.get(STATUS).and_then(Value::as_str)?;
        if status == "ready" {
            return None;
        }
        let records: Vec<String> = live
            .fields
            .get(RECORDS)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|m| {
                let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
                format!(
                    "{} record {} = {}",
                    s("name").to_uppercase(),
                    s("domain"),
                    s("record")
                )
            })
            .collect();
        let how = if records.is_empty() {
            String::new()
        } else {
            format!(" (add {}, then verify it)", records.join("; "))
        };
        Some(format!(
            "custom domain `{}` is {status}{how}; a0ctl reads its verification and never does it",
            live.name
        ))
    }

    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for d in live.of_kind(self.kind()) {
            let mut m = Map::new();
            m.push("domain", Value::String(d.name.clone()));
            w.rest(&mut m, d, &[STATUS, RECORDS]);
            items.push(w.item(m, &d.name, "custom domain"));
        }
        w.section("custom_domains.yaml", "custom_domains", &items);
    }
}
