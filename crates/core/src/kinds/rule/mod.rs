//! Rules: named by `name`; their `order`s are unique across the tenant, so reorders span rules
//! (`plan::builder::rule_orders`, `diff`). v2's `stage` cannot change in place (a replacement).

pub mod facts;
pub mod manifest;

use serde_json::{Value, json};

use schemars::{Schema, SchemaGenerator};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::Change;
use crate::export::writer::{Map, Writer, file_ref};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
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

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Rule>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let mut r: manifest::Rule = cx.typed(raw)?;
        if cx.read_source(&mut r.script, "script") {
            cx.check_js(&format!("rule `{}`", r.name), &r.script, "script");
        }
        let mut fields = fields_of(&r, &["name"]);
        // Whether a rule runs is always managed; absent means it runs.
        fields
            .entry(runs_field(cx.api).to_string())
            .or_insert(json!(true));
        Some(cx.resource(self.kind(), &r.name, fields))
    }

    fn twin(&self, key: &str, api: ApiVersion) -> Option<&'static str> {
        match (key, api) {
            ("status", ApiVersion::V2) => Some("`enabled`"),
            ("enabled", ApiVersion::V1) => Some("`status`"),
            _ => None,
        }
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

/// A declared rule as the rule runner (`a0ctl test`) reads it.
pub struct Declared<'a> {
    /// The resource, with its name and the file its script came from.
    pub resource: &'a Resource,
    /// Where the manifests declare it.
    pub origin: &'a crate::manifest::Origin,
    /// Its JavaScript.
    pub script: &'a str,
    /// Whether it runs at login.
    pub runs: bool,
    /// Its place in the pipeline, if declared.
    pub order: Option<u32>,
}

/// The rules the manifests declare (each has its origin), in manifest order.
pub fn declared(desired: &crate::manifest::Desired) -> Vec<Declared<'_>> {
    let runs = runs_field(desired.api);
    desired
        .of_kind(Rule.kind())
        .iter()
        .filter_map(|r| {
            Some(Declared {
                resource: r,
                origin: r.origin.as_ref()?,
                script: r
                    .fields
                    .get("script")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                runs: r.fields.get(runs).and_then(Value::as_bool).unwrap_or(true),
                order: r
                    .fields
                    .get("order")
                    .and_then(Value::as_u64)
                    .and_then(|o| u32::try_from(o).ok()),
            })
        })
        .collect()
}
