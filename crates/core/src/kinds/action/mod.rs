//! Actions: named by `name`; their `code` is JavaScript (inline or a file, parsed before
//! anything is sent); `dependencies` and the names of `secrets` are sets; the secrets' values are
//! write-only. An action's lifecycle is a0ctl's: its draft is created or updated, and when it is
//! to be deployed, a deploy follows that first waits (bounded) until the service has built the
//! draft (`plan::builder::Wait`); what binds the action (a trigger) waits for the deploy.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::{Action as Act, Change};
use crate::export::writer::{Map, Writer, file_ref};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{Builder, Check, Target, Wait, create_body};

pub struct Action;

/// The fields whose change makes a new draft, which the service builds again: the secrets'
/// values (which cannot be compared) are sent with them.
const BUILT_FROM: &[&str] = &[
    "code",
    "dependencies",
    "runtime",
    "secrets",
    "supported_triggers",
];

/// Whether `r` is (to be) deployed.
fn deployed(r: &Resource) -> bool {
    r.fields.get("deployed").and_then(Value::as_bool) != Some(false)
}

/// A list of objects sorted by their `key` field, each with only `keep` (a set the service keeps
/// in any order, with fields of its own).
fn sorted_by(list: &Value, key: &str, keep: &[&str]) -> Option<Value> {
    let mut items: Vec<Value> = list
        .as_array()?
        .iter()
        .map(|x| {
            let kept: serde_json::Map<String, Value> = x
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Value::Object(kept)
        })
        .collect();
    items.sort_by(|a, b| {
        a.get(key)
            .and_then(Value::as_str)
            .cmp(&b.get(key).and_then(Value::as_str))
    });
    Some(Value::Array(items))
}

impl KindSpec for Action {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn sets(&self) -> &'static [&'static str] {
        &["dependencies", "secrets"]
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::Action>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let mut a: manifest::Action = cx.typed(raw)?;
        if cx.read_source(&mut a.code, "code") {
            cx.check_js(&format!("action `{}`", a.name), &a.code, "code");
        }
        for (i, t) in a.supported_triggers.iter().enumerate() {
            if let Some(why) = crate::kinds::trigger::facts::unknown(&t.id, false) {
                cx.problem(&format!("supported_triggers/{i}/id"), why);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in a.secrets.iter().flatten().enumerate() {
            if !seen.insert(s.name.as_str()) {
                cx.problem(
                    &format!("secrets/{i}/name"),
                    format!("secret `{}` is listed twice", s.name),
                );
            }
        }
        let mut fields = fields_of(&a, &["name", "secrets"]);
        fields.insert("deployed".into(), json!(a.deployed));
        let mut r = cx.resource(self.kind(), &a.name, fields);
        if let Some(secrets) = &a.secrets {
            // The names are compared; the values only sent.
            let names: Vec<Value> = secrets.iter().map(|s| json!({"name": s.name})).collect();
            r.fields_mut().insert("secrets".into(), Value::Array(names));
            r.write_only.insert("secrets".into(), json!(secrets));
        }
        Some(r)
    }

    /// Dependencies and secrets are sets (the service adds a secret's `updated_at`).
    fn normalise(&self, r: &mut Resource) {
        for (field, key, keep) in [
            ("dependencies", "name", &["name", "version"][..]),
            ("secrets", "name", &["name"][..]),
        ] {
            if let Some(v) = r.fields.get(field).and_then(|l| sorted_by(l, key, keep)) {
                r.fields_mut().insert(field.into(), v);
            }
        }
    }

    /// Deployed when every change of its draft is (`all_changes_deployed`).
    fn read_tenant(&self, obj: &Value, r: &mut Resource) {
        let all = obj.get("all_changes_deployed").and_then(Value::as_bool) == Some(true);
        r.fields_mut().insert("deployed".into(), json!(all));
    }

    fn sent_with(&self, field: &str) -> &'static [&'static str] {
        if BUILT_FROM.contains(&field) {
            &["secrets"]
        } else {
            &[]
        }
    }

    fn unseen_notice(&self, field: &str) -> Option<&'static str> {
        (field == "secrets").then_some(
            "an action's secret values are write-only (the tenant returns only their names, so a changed value cannot be seen); they are sent when the action is created or its code, dependencies, runtime or secret names change; pass --rotate-signing-keys to send them again",
        )
    }

    /// The draft's create or update, then, for an action to be deployed whose draft this plan
    /// changes or the tenant has not deployed, its deploy: after the service has built the
    /// draft. Whatever waits for the action's change waits for the deploy.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        let kind = self.kind();
        for c in changes {
            match (c.action, &c.desired, &c.live) {
                (Act::Create, Some(d), _) => {
                    let Value::Object(mut body) = create_body(d) else {
                        continue;
                    };
                    body.remove("deployed");
                    let check = Check::Named(kind, c.name.clone());
                    let id = b.create(kind, &c.name, Value::Object(body), check);
                    if deployed(d) {
                        deploy(b, c, Some(id));
                    }
                }
                (Act::Update, Some(d), Some(l)) => {
                    let updated = b.update(c, d);
                    if deployed(d) && (updated.is_some() || !deployed(l)) {
                        deploy(b, c, updated);
                    }
                }
                (Act::Delete, _, Some(l)) => {
                    b.delete(c, l);
                }
                _ => {}
            }
        }
    }

    /// Code in `actions/NAME.js`; secrets are left out (the tenant gives only their names: a
    /// manifest that declares them manages them).
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for a in live.of_kind(self.kind()) {
            let code = a
                .fields
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let file = w.named_file(("actions", "js"), &a.name, "action", code);
            let mut m = Map::new();
            m.push("name", Value::String(a.name.clone()));
            m.push("code", file_ref(&file));
            let skip = ["code", "secrets", "deployed"];
            w.rest(&mut m, a, &skip);
            if !deployed(a) {
                m.push("deployed", Value::Bool(false));
            }
            items.push(w.item(m, &a.name, "action"));
        }
        w.section("actions.yaml", "actions", &items);
    }
}

/// The deploy of `c`'s action, after `after` (its draft's create or update) and once the
/// service has built the draft; a build that fails stops it with the service's message.
fn deploy(b: &mut Builder<'_>, c: &Change, after: Option<usize>) {
    let kind = c.kind;
    let placeholder = b.dialect.placeholder(kind, &c.name);
    let target = match c.live_id() {
        Some(id) => Target::with_id(kind, &c.name, Some(id)),
        None => Target::pending(kind, &c.name, &placeholder),
    };
    let item = b.dialect.item(target);
    let id = b.add("POST", format!("{item}/deploy"), c.key());
    let call = b.call(id);
    call.after.extend(after);
    call.note = Some("deploys the draft once it is built".into());
    call.wait = Some(Wait {
        path: item,
        field: "status".into(),
        ready: "built".into(),
        failed: "failed".into(),
        then: Some(("all_changes_deployed".into(), json!(true))),
    });
    b.needs(id, kind, &c.name);
    b.completes(id, kind, &c.name);
}

/// A declared action as the action runner (`a0ctl test`) reads it.
pub struct Declared<'a> {
    /// The resource, with its name and the file its code came from.
    pub resource: &'a Resource,
    /// Where the manifests declare it.
    pub origin: &'a crate::manifest::Origin,
    /// Its JavaScript.
    pub code: &'a str,
    /// The trigger it supports.
    pub trigger: &'a str,
    /// Its secrets: names to values (as the manifests give them).
    pub secrets: serde_json::Map<String, Value>,
}

fn text(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or_default()
}

/// The actions the manifests declare (each has its origin), in manifest order.
pub fn declared(desired: &crate::manifest::Desired) -> Vec<Declared<'_>> {
    desired
        .of_kind(Action.kind())
        .iter()
        .filter_map(|r| {
            Some(Declared {
                resource: r,
                origin: r.origin.as_ref()?,
                code: text(r.fields.get("code")),
                trigger: text(
                    r.fields
                        .get("supported_triggers")
                        .and_then(|t| t.pointer("/0/id")),
                ),
                secrets: r
                    .write_only
                    .get("secrets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| {
                        Some((
                            s.get("name")?.as_str()?.to_string(),
                            s.get("value")?.clone(),
                        ))
                    })
                    .collect(),
            })
        })
        .collect()
}
