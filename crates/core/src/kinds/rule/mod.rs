//! Rules: named by `name`; their `order`s are unique across the tenant, so reorders span rules
//! (`plan::builder::rule_orders`, `diff`). v2's `stage` cannot change in place (a replacement).

pub mod facts;

use serde_json::{Value, json};

use super::spec::{KindSpec, fields_of, resource};
use crate::diff::change::Change;
use crate::export::writer::{Map, Writer, file_ref};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::desired::Desired;
use crate::manifest::types::ApiVersion;
use crate::model::Resource;
use crate::plan::builder::Builder;

pub struct Rule;

/// The field that says whether a rule runs, as each API names it.
fn runs_field(api: ApiVersion) -> &'static str {
    match api {
        ApiVersion::V1 => "status",
        ApiVersion::V2 => "enabled",
    }
}

impl KindSpec for Rule {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn desired(&self, desired: &Desired) -> Vec<Resource> {
        desired
            .rules
            .iter()
            .map(|item| {
                let r = &item.value;
                let mut fields = fields_of(r, &["name"]);
                // Whether a rule runs is always managed; absent means it runs.
                fields
                    .entry(runs_field(desired.api).to_string())
                    .or_insert(json!(true));
                resource(Kind::Rule, &r.name, fields, item)
            })
            .collect()
    }

    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], live: &Live) {
        crate::plan::builder::rule_orders(b, self.kind(), changes, live);
    }

    /// In their order, scripts in files.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut rules: Vec<_> = live.of_kind(Kind::Rule).collect();
        rules.sort_by_key(|r| {
            (
                r.fields.get("order").and_then(Value::as_u64),
                r.name.clone(),
            )
        });
        let runs = runs_field(w.api);
        let mut items = Vec::new();
        for r in rules {
            let script = r
                .fields
                .get("script")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let file = w.named_file(("rules", "js"), &r.name, "rule", script);
            let mut m = Map::new();
            m.push("name", Value::String(r.name.clone()));
            m.push(
                runs,
                r.fields.get(runs).cloned().unwrap_or(Value::Bool(true)),
            );
            if let Some(order) = r.fields.get("order").filter(|o| o.is_u64()) {
                m.push("order", order.clone());
            }
            w.rest(&mut m, r, &["order", "script"]);
            m.push("script", file_ref(&file));
            items.push(w.item(m, &r.name, "rule"));
        }
        w.section("rules.yaml", "rules", &items);
    }
}
