//! Rules: named by `name`; their `order`s are unique across the tenant, so reorders span rules
//! (`plan::rule_orders`, `diff`). v2's `stage` cannot change in place (a replacement).

use serde_json::{Value, json};

use super::{Kind, KindSpec, Named, Pairing};
use crate::dialect::wire::{Absent, Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::diff::Change;
use crate::export::{Map, Writer, file_ref};
use crate::live::Live;
use crate::manifest::Desired;
use crate::manifest::types::ApiVersion;
use crate::model::{Resource, fields_of, resource};
use crate::plan::Builder;

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
        Kind::Rule
    }

    fn name(&self) -> &'static str {
        "rule"
    }

    fn plural(&self) -> &'static str {
        "rules"
    }

    fn section(&self) -> &'static str {
        "rules"
    }

    fn identity(&self) -> Option<&'static str> {
        Some("name")
    }

    fn pairing(&self) -> Pairing {
        Pairing::Ordered
    }

    fn named(&self) -> Named {
        Named::By("name")
    }

    fn wire(&self, api: ApiVersion) -> Option<&'static Wire> {
        static V1: Wire = Wire {
            collection: "/api/rules",
            address: Address::Name,
            id_field: Some("id"),
            update: "PUT",
            list: List::Bare,
            find: Find::Item,
            fields: Fields::Listed(&[
                ("status", Absent::Null),
                ("script", Absent::Null),
                ("order", Absent::Null),
            ]),
            replaced_by: &[],
            updates: Updates::All,
            scopes: None,
        };
        static V2: Wire = Wire {
            collection: "/api/v2/rules",
            address: Address::Id,
            id_field: Some("id"),
            update: "PATCH",
            list: List::Pages("rules"),
            find: Find::Scan,
            fields: Fields::Schema {
                pointer: "/rules/0",
                skip: &["name"],
                defaults: &[],
            },
            replaced_by: &["stage"],
            updates: Updates::All,
            scopes: Some(Scopes::crud(
                "read:rules",
                "create:rules",
                "update:rules",
                "delete:rules",
            )),
        };
        match api {
            ApiVersion::V1 => Some(&V1),
            ApiVersion::V2 => Some(&V2),
        }
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
        crate::plan::rule_orders(b, self.kind(), changes, live);
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
