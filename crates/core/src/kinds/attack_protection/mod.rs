//! Attack protections (v2): brute-force protection, breached-password detection and
//! suspicious-IP throttling, each always there (so only ever changed: one `PATCH` of the keys
//! that differ), each taking only its own keys; `shields`, `allowlist` and
//! `admin_notification_frequency` are sets (the service keeps them in its own order); `stage`
//! is compared and sent stage by stage, as the API merges it.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

use super::spec::{KindSpec, as_set, fields_of, item_schema};
use crate::diff::change::Change;
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

pub struct AttackProtection;

/// The fields whose lists are sets.
const SETS: [&str; 3] = ["shields", "allowlist", "admin_notification_frequency"];

/// Every key a protection may take beside `name`.
const FIELDS: [&str; 8] = [
    "enabled",
    "shields",
    "allowlist",
    "mode",
    "max_attempts",
    "admin_notification_frequency",
    "method",
    "stage",
];

impl KindSpec for AttackProtection {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::AttackProtection>(g)
    }

    /// Each protection takes only its own keys, shields and stages.
    fn check(&self, raw: &Value, cx: &mut ItemCx<'_>) {
        let Some(name) = raw.get("name").and_then(Value::as_str) else {
            return;
        };
        let Some((keys, shields, stages)) = manifest::keys_of(name) else {
            return;
        };
        let Some(obj) = raw.as_object() else {
            return;
        };
        // Another protection's key (an unknown one is the schema's to report).
        for key in obj
            .keys()
            .filter(|k| *k != "name" && !keys.contains(&k.as_str()))
        {
            if FIELDS.contains(&key.as_str()) {
                cx.problem(
                    key,
                    format!("{name} takes no `{key}` (it takes {})", keys.join(", ")),
                );
            }
        }
        if let Some(list) = obj.get("shields").and_then(Value::as_array) {
            for (i, s) in list.iter().enumerate() {
                // The value is not echoed: it may have come from the environment.
                if s.as_str().is_some_and(|s| !shields.contains(&s)) {
                    cx.problem(
                        &format!("shields/{i}"),
                        format!("{name} has no such shield (it has {})", shields.join(", ")),
                    );
                }
            }
        }
        if let Some(stage) = obj.get("stage").and_then(Value::as_object) {
            for (s, v) in stage {
                if !stages.contains(&s.as_str()) {
                    cx.problem(
                        &format!("stage/{s}"),
                        format!("{name} has no stage `{s}` (it has {})", stages.join(", ")),
                    );
                } else if let Some(settings) = v.as_object() {
                    check_stage(name, s, settings, cx);
                } else {
                    cx.problem(
                        &format!("stage/{s}"),
                        format!("stage `{s}` must be a mapping"),
                    );
                }
            }
        }
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let p: manifest::AttackProtection = cx.typed(raw)?;
        let name = raw.get("name").and_then(Value::as_str)?.to_string();
        let fields = fields_of(&p, &["name"]);
        Some(cx.resource(self.kind(), &name, fields))
    }

    fn sets(&self) -> &'static [&'static str] {
        &SETS
    }

    fn merged(&self) -> &'static [&'static str] {
        &["stage"]
    }

    /// The sets sorted (the service keeps them in its own order), a stage's shields too.
    fn normalise(&self, r: &mut Resource) {
        if let Some(Value::Object(stages)) = r.fields.get("stage") {
            let mut stages = stages.clone();
            for settings in stages.values_mut() {
                if let Some(Value::Array(shields)) = settings.get_mut("shields") {
                    as_set(shields);
                }
            }
            r.fields_mut().insert("stage".into(), Value::Object(stages));
        }
        for key in SETS {
            if let Some(Value::Array(items)) = r.fields.get(key) {
                let mut sorted = items.clone();
                as_set(&mut sorted);
                if &sorted != items {
                    r.fields_mut().insert(key.to_string(), Value::Array(sorted));
                }
            }
        }
    }

    /// Only updates: each protection always exists (a create is the update of every declared
    /// key).
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            builder::always_there(b, c);
        }
    }

    /// Every protection the tenant has, with every key it takes.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for name in facts::NAMES {
            let Some(p) = live.of_kind(self.kind()).find(|r| r.name == name) else {
                continue;
            };
            let mut m = Map::new();
            m.push("name", Value::String(p.name.clone()));
            let (keys, _, _) = manifest::keys_of(name).unwrap_or_default();
            let others: Vec<&str> = p
                .fields
                .keys()
                .map(String::as_str)
                .filter(|k| !keys.contains(k))
                .collect();
            w.rest(&mut m, p, &others);
            items.push(w.item(m, &p.name, "attack protection"));
        }
        w.section("attack_protection.yaml", "attack_protection", &items);
    }
}

/// A stage's settings: suspicious-IP throttling's `max_attempts` and `rate` (positive
/// integers), breached-password detection's `shields` (`block`, `admin_notification`).
fn check_stage(
    name: &str,
    stage: &str,
    settings: &serde_json::Map<String, Value>,
    cx: &mut ItemCx<'_>,
) {
    let (keys, shields): (&[&str], &[&str]) = match name {
        "suspicious-ip-throttling" => (&["max_attempts", "rate"], &[]),
        _ => (&["shields"], &["block", "admin_notification"]),
    };
    for (k, v) in settings {
        let at = format!("stage/{stage}/{k}");
        if !keys.contains(&k.as_str()) {
            cx.problem(
                &at,
                format!(
                    "stage `{stage}` of {name} takes no `{k}` (it takes {})",
                    keys.join(", ")
                ),
            );
        } else if k == "shields" {
            let known = v.as_array().is_some_and(|a| {
                a.iter()
                    .all(|s| s.as_str().is_some_and(|s| shields.contains(&s)))
            });
            if !known {
                cx.problem(&at, format!("must be a list of {}", shields.join(", ")));
            }
        } else if v.as_u64().is_none_or(|n| n == 0) {
            cx.problem(&at, "must be a positive integer".to_string());
        }
    }
}
