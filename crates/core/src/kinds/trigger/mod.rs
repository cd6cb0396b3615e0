//! Triggers: the actions bound to each, in the order they run, one `PATCH` of the whole list
//! when it differs. A binding waits for its action's deploy; an action this plan unbinds is
//! deleted only after the trigger lets it go.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::manifest::types::ApiVersion;
use crate::model::Resource;
use crate::plan::builder::{Builder, Target};

pub struct Trigger;

/// The action names a trigger's `bindings` list, in order.
fn bound(r: &Resource) -> Vec<&str> {
    r.fields
        .get("bindings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("action").and_then(Value::as_str))
        .collect()
}

impl KindSpec for Trigger {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Trigger>(g)
    }

    fn fixed_names(&self, api: ApiVersion) -> Option<Vec<&'static str>> {
        (api == ApiVersion::V2).then(|| facts::TRIGGERS.to_vec())
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let t: manifest::Trigger = cx.typed(raw)?;
        if let Some(why) = facts::unknown(&t.trigger, true) {
            cx.problem("trigger", why);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, b) in t.bindings.iter().enumerate() {
            if !seen.insert(b.action.as_str()) {
                cx.problem(
                    &format!("bindings/{i}/action"),
                    format!("action `{}` is bound twice", b.action),
                );
            }
        }
        let fields = fields_of(&t, &["trigger"]);
        Some(cx.resource(self.kind(), &t.trigger, fields))
    }

    /// Each binding as `{action: NAME, display_name}` (the tenant's names its action as an
    /// object; the display name defaults to the action's name).
    fn normalise(&self, r: &mut Resource) {
        let Some(list) = r.fields.get("bindings").and_then(Value::as_array) else {
            return;
        };
        let bindings: Vec<Value> = list
            .iter()
            .map(|b| {
                let action = match b.get("action") {
                    Some(Value::Object(a)) => a.get("name").cloned().unwrap_or(Value::Null),
                    Some(v) => v.clone(),
                    None => Value::Null,
                };
                let display = b
                    .get("display_name")
                    .filter(|d| d.is_string())
                    .cloned()
                    .unwrap_or_else(|| action.clone());
                json!({"action": action, "display_name": display})
            })
            .collect();
        r.fields_mut()
            .insert("bindings".into(), Value::Array(bindings));
    }

    /// One `PATCH` of the whole list, by action name, after the deploys of the actions it binds;
    /// the deletes of the actions it unbinds wait for it.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        let actions = Kind::of(&crate::kinds::action::facts::FACTS);
        for c in changes {
            let (Action::Create | Action::Update, Some(d)) = (c.action, &c.desired) else {
                continue;
            };
            let bindings: Vec<Value> = d
                .fields
                .get("bindings")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|x| {
                    json!({
                        "ref": {"type": "action_name", "value": x["action"]},
                        "display_name": x["display_name"],
                    })
                })
                .collect();
            let path = b.dialect.item(Target::named(c.kind, &c.name));
            let id = b.add("PATCH", path, c.key());
            b.call(id).body = Some(json!({ "bindings": bindings }));
            // Rules run at login too: a rule this plan turns off or deletes (a migration to
            // actions) waits for the login's new bindings, so no login runs with neither, and a
            // binding that fails leaves the rules as they were. Rules are planned first (they
            // refer to nothing).
            if c.name == facts::LOGIN {
                for rule in b.changing(crate::kinds::rule::Rule.kind()) {
                    b.call(rule).after.push(id);
                }
            }
            for name in bound(d) {
                b.waits_for_change(id, actions, name);
            }
            let kept = bound(d);
            for name in c.live.as_deref().map(bound).unwrap_or_default() {
                if !kept.contains(&name) {
                    b.precedes(id, actions, name, false);
                }
            }
        }
    }

    /// The triggers that bind actions, in `TRIGGERS`' order.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for name in facts::TRIGGERS {
            let Some(t) = live
                .of_kind(self.kind())
                .find(|t| t.name == name && !bound(t).is_empty())
            else {
                continue;
            };
            let mut m = Map::new();
            m.push("trigger", Value::String(t.name.clone()));
            let bindings: Vec<Value> = t
                .fields
                .get("bindings")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|x| {
                    if x["display_name"] == x["action"] {
                        json!({"action": x["action"]})
                    } else {
                        x.clone()
                    }
                })
                .collect();
            m.push("bindings", Value::Array(bindings));
            items.push(w.item(m, &t.name, "trigger"));
        }
        w.section("triggers.yaml", "triggers", &items);
    }
}

/// The triggers the manifests declare, each with the names of the actions bound to it in the
/// order they run, in manifest order.
pub fn declared(desired: &crate::manifest::Desired) -> Vec<(&str, Vec<&str>)> {
    desired
        .of_kind(Trigger.kind())
        .iter()
        .map(|r| (r.name.as_str(), bound(r)))
        .collect()
}
