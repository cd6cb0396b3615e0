//! Saved plans (`plan --out PLANFILE`, `apply --plan PLANFILE`): the JSON plan of design §5 plus
//! what it takes to apply exactly that plan later, safely. Secret values are never in the file:
//! each is replaced by `{"$secret": N}`, and the file keeps the `${VAR}` template it came from and
//! a salted SHA-256 of the value. Every live object the plan read is fingerprinted (salted too,
//! since objects hold secret options), and every resource the plan creates is recorded as absent,
//! so `apply --plan` can refuse when the tenant changed in between.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::diag::{Refused, hinted};
use crate::diff::{Action, Change, Changes, FieldChange};
use crate::live::Live;
use crate::manifest::interp::{self, Resolved};
use crate::model::{Kind, Resource};
use crate::plan::{Call, Check, Plan};
use crate::render;

/// What identifies a plan file.
pub const KIND: &str = "a0ctl-plan";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    pub kind: String,
    pub tenant: String,
    pub summary: Value,
    pub changes: Vec<SavedChange>,
    pub calls: Vec<SavedCall>,
    /// Secrets the bodies refer to as `{"$secret": index}`.
    pub secrets: Vec<SavedSecret>,
    /// Hex salt of every hash in this file.
    pub salt: String,
    /// Live objects read for the plan: key → salted hash.
    pub fingerprints: BTreeMap<String, String>,
    /// Resources the plan creates, which must still not exist.
    pub absent: Vec<String>,
    /// Whether each client's connection view was read.
    pub client_views: bool,
    /// Made with `--allow-delete`.
    pub allow_delete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedChange {
    pub kind: Kind,
    pub name: String,
    pub action: Action,
    pub fields: Vec<SavedField>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The live id (clients: the clientID), to verify the right object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedField {
    pub path: String,
    pub before: Value,
    pub after: Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedCall {
    #[serde(flatten)]
    pub call: Call,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creates_client: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSecret {
    /// The manifest's template, e.g. `${GOOGLE_SECRET}`.
    pub template: String,
    /// `sha256:` of salt + value.
    pub hash: String,
}

fn salted(salt: &str, data: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0u8]);
    h.update(data);
    format!("sha256:{:x}", h.finalize())
}

/// The key a resource is fingerprinted under: clients by id (names repeat), others by name.
fn key_of(r: &Resource) -> String {
    match (r.kind, &r.id) {
        (Kind::Client, Some(id)) => format!("client/{id}"),
        _ => r.key(),
    }
}

/// Salted hashes of every live object, including each connection's enabled clients.
pub fn fingerprints(live: &Live, salt: &str) -> BTreeMap<String, String> {
    live.resources
        .iter()
        .map(|r| {
            let enabled = live
                .enabled
                .as_ref()
                .and_then(|e| e.get(&r.name))
                .filter(|_| r.kind == Kind::Connection);
            let canonical = json!({"fields": r.fields, "enabled": enabled});
            (key_of(r), salted(salt, canonical.to_string().as_bytes()))
        })
        .collect()
}

/// Turn a plan into its file. Fails when a secret was written inline in a manifest: a saved
/// plan can only point at where secrets come from.
pub fn save(
    plan: &Plan,
    live: &Live,
    tenant: &str,
    client_views: bool,
    allow_delete: bool,
) -> Result<String> {
    let salt: String = (0..16)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let mut secrets: Vec<SavedSecret> = Vec::new();
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut calls = Vec::new();
    for call in &plan.calls {
        let mut body = call.body.clone();
        for s in &call.secrets {
            let Some(template) = &s.template else {
                return Err(hinted(
                    format!(
                        "{} has a secret written inline at {} of its request body; a saved plan cannot hold it",
                        call.resource, s.pointer
                    ),
                    "move the value to an environment variable and write `${VAR}` in the manifest",
                ));
            };
            let value = body
                .as_ref()
                .and_then(|b| b.pointer(&s.pointer))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let hash = salted(&salt, value.as_bytes());
            let i = *index
                .entry((template.clone(), hash.clone()))
                .or_insert_with(|| {
                    secrets.push(SavedSecret {
                        template: template.clone(),
                        hash,
                    });
                    secrets.len() - 1
                });
            if let Some(slot) = body.as_mut().and_then(|b| b.pointer_mut(&s.pointer)) {
                *slot = json!({"$secret": i});
            }
        }
        calls.push(SavedCall {
            call: call.clone(),
            body,
            check: call.check.clone(),
            needs_client: call.needs_client.clone(),
            creates_client: call.creates_client.clone(),
        });
    }
    let changes = plan
        .changes
        .changes
        .iter()
        .map(|c| SavedChange {
            kind: c.kind,
            name: c.name.clone(),
            action: c.action,
            fields: c.fields.iter().map(saved_field).collect(),
            notes: c.notes.clone(),
            id: c.live_id().map(str::to_string),
        })
        .collect();
    let absent = plan
        .changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(Change::key)
        .collect();
    let saved = SavedPlan {
        format_version: render::FORMAT_VERSION,
        kind: KIND.into(),
        tenant: tenant.into(),
        summary: render::summary(&plan.changes),
        changes,
        calls,
        secrets,
        fingerprints: fingerprints(live, &salt),
        salt,
        absent,
        client_views,
        allow_delete,
    };
    let mut text = serde_json::to_string_pretty(&saved)?;
    text.push('\n');
    Ok(text)
}

fn saved_field(f: &FieldChange) -> SavedField {
    let show = |v: &Option<Value>| match v {
        None => Value::Null,
        Some(_) if f.sensitive => json!("(sensitive)"),
        Some(v) => v.clone(),
    };
    SavedField {
        path: f.path.clone(),
        before: show(&f.before),
        after: show(&f.after),
        sensitive: f.sensitive,
    }
}

/// Read a plan file.
pub fn read(path: &std::path::Path) -> Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the plan file {}", path.display()))?;
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| {
        hinted(
            format!(
                "{}:{}:{}: not an a0ctl plan file: {e}",
                path.display(),
                e.line(),
                e.column()
            ),
            "write one with `a0ctl plan --out PLANFILE`",
        )
    })?;
    if saved.kind != KIND || saved.format_version != render::FORMAT_VERSION {
        return Err(anyhow!(
            "{}: plan file format {} `{}` is not the one this a0ctl reads ({} `{KIND}`)",
            path.display(),
            saved.format_version,
            saved.kind,
            render::FORMAT_VERSION
        ));
    }
    Ok(saved)
}

/// Refuse (exit 3) when the tenant is not the one, or not as it was, when the plan was made.
pub fn check_fresh(saved: &SavedPlan, tenant: &str, live: &Live) -> Result<()> {
    if saved.tenant != tenant {
        return Err(Refused {
            message: format!(
                "the plan was made for {}, not {tenant}: nothing was changed",
                saved.tenant
            ),
            hint: "apply it to the tenant it was made for, or plan again".into(),
        }
        .into());
    }
    let now = fingerprints(live, &saved.salt);
    let mut stale: Vec<String> = Vec::new();
    for (key, hash) in &saved.fingerprints {
        match now.get(key) {
            None => stale.push(format!("{key} was deleted")),
            Some(h) if h != hash => stale.push(format!("{key} changed")),
            Some(_) => {}
        }
    }
    let present: BTreeSet<String> = live.resources.iter().map(Resource::key).collect();
    for key in &saved.absent {
        if present.contains(key) {
            stale.push(format!("{key} was created"));
        }
    }
    if stale.is_empty() {
        return Ok(());
    }
    Err(Refused {
        message: format!(
            "the tenant changed since the plan was made ({}): nothing was changed",
            stale.join(", ")
        ),
        hint: "run plan again and review the new plan".into(),
    }
    .into())
}

/// The calls with their secrets resolved from the environment; refuses (exit 3) when a value
/// no longer hashes to what the plan recorded.
pub fn calls(saved: &SavedPlan, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Call>> {
    let mut values = Vec::with_capacity(saved.secrets.len());
    for s in &saved.secrets {
        let value = match interp::resolve(&s.template, env, false) {
            Ok(Resolved::FromEnv(v) | Resolved::Literal(v)) => v,
            Err(errors) => {
                return Err(hinted(
                    format!("cannot resolve `{}`: {}", s.template, errors.join("; ")),
                    "set the variables the plan was made with",
                ));
            }
        };
        if salted(&saved.salt, value.as_bytes()) != s.hash {
            return Err(Refused {
                message: format!(
                    "the value of `{}` is not the one the plan was made with: nothing was changed",
                    s.template
                ),
                hint: "set it as it was, or plan again".into(),
            }
            .into());
        }
        values.push(value);
    }
    saved
        .calls
        .iter()
        .map(|sc| {
            let mut call = sc.call.clone();
            let mut body = sc.body.clone();
            if let Some(b) = body.as_mut() {
                substitute(b, &values)?;
            }
            call.body = body;
            call.check = sc.check.clone();
            call.needs_client = sc.needs_client.clone();
            call.creates_client = sc.creates_client.clone();
            Ok(call)
        })
        .collect()
}

fn substitute(v: &mut Value, values: &[String]) -> Result<()> {
    match v {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(i) = map.get("$secret").and_then(Value::as_u64) {
                    let value = values.get(i as usize).ok_or_else(|| {
                        anyhow!("the plan file refers to a secret it does not list")
                    })?;
                    *v = Value::String(value.clone());
                    return Ok(());
                }
            }
            for item in map.values_mut() {
                substitute(item, values)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                substitute(item, values)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The changes recorded in the file, for gates and rendering.
pub fn changes(saved: &SavedPlan) -> Changes {
    Changes {
        changes: saved
            .changes
            .iter()
            .map(|c| {
                let mut live = Resource::new(c.kind, &c.name);
                live.id = c.id.clone();
                Change {
                    kind: c.kind,
                    name: c.name.clone(),
                    action: c.action,
                    fields: c
                        .fields
                        .iter()
                        .map(|f| FieldChange {
                            path: f.path.clone(),
                            before: (!f.before.is_null()).then(|| f.before.clone()),
                            after: (!f.after.is_null()).then(|| f.after.clone()),
                            sensitive: f.sensitive,
                            forces_replacement: c.kind == Kind::Connection && f.path == "strategy",
                        })
                        .collect(),
                    desired: None,
                    live: c.id.is_some().then_some(live),
                    enable: BTreeSet::new(),
                    disable: BTreeSet::new(),
                    notes: c.notes.clone(),
                }
            })
            .collect(),
        unchanged: 0,
    }
}

/// After applying a saved plan: every change took effect (sensitive values are not compared).
pub fn verify(saved: &SavedPlan, live: &Live) -> Vec<String> {
    let mut problems = Vec::new();
    for c in &saved.changes {
        let found = live.resources.iter().find(|r| {
            r.kind == c.kind
                && match (c.kind, &c.id, c.action) {
                    (Kind::Client, Some(id), Action::Update | Action::Delete) => {
                        r.id.as_ref() == Some(id)
                    }
                    _ => r.name == c.name,
                }
        });
        match (c.action, found) {
            (Action::Unmanaged, _) => {}
            (Action::Delete, Some(_)) => {
                problems.push(format!("{}/{} still exists", c.kind, c.name))
            }
            (Action::Delete, None) => {}
            (_, None) => problems.push(format!("{}/{} does not exist", c.kind, c.name)),
            (_, Some(r)) => {
                for f in c.fields.iter().filter(|f| !f.sensitive) {
                    let have = field_value(r, live, &f.path);
                    if have.as_ref().unwrap_or(&Value::Null) != &f.after {
                        problems.push(format!("{}/{}: {} differs", c.kind, c.name, f.path));
                    }
                }
            }
        }
    }
    problems
}

fn field_value(r: &Resource, live: &Live, path: &str) -> Option<Value> {
    if path == "enabled_clients" {
        let ids = live.enabled.as_ref()?.get(&r.name)?;
        let names: BTreeSet<String> = ids
            .iter()
            .map(|id| {
                live.client_names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| id.clone())
            })
            .collect();
        return Some(json!(names));
    }
    match path.strip_prefix("options.") {
        Some(key) => r.fields.get("options")?.get(key).cloned(),
        None => r.fields.get(path).cloned(),
    }
}
