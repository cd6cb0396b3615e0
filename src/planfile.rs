//! Saved plans (`plan --out PLANFILE`, `apply --plan PLANFILE`): the JSON plan of design §5 plus
//! what it takes to apply exactly that plan later, safely. Secret values are never in the file:
//! each is replaced by `{"$secret": N}` (a manifest's own `{"$secret": …}` or `{"$literal": …}`
//! objects are escaped as `{"$literal": …}`, so they cannot pull a secret into another field), and
//! the file keeps the `${VAR}` template it came from and a salted argon2id hash of the value, slow
//! to guess at. Every live object the plan read is fingerprinted (its secret options hashed the
//! same way), and every resource the plan creates is recorded as absent, so `apply --plan` can
//! refuse when the tenant changed in between. On reading, every call must match the change it
//! belongs to (method and path), so an edited file cannot send what its changes do not show.

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

/// A secret's hash: argon2id, salted, deliberately slow so a plan file does not make guessing a
/// secret cheap.
fn secret_hash(salt: &str, value: &str) -> String {
    let params = argon2::Params::new(8 * 1024, 2, 1, Some(32)).expect("valid argon2 parameters");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    argon
        .hash_password_into(value.as_bytes(), salt.as_bytes(), &mut out)
        .expect("a 32-character salt and a 32-byte output are valid");
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    format!("argon2id:{hex}")
}

/// Whether a body pointer holds a secret by its key's name (not only by its origin).
pub fn secret_by_key(pointer: &str) -> bool {
    pointer.starts_with("/signingKey")
        || pointer
            .rsplit('/')
            .next()
            .is_some_and(crate::model::is_sensitive_key)
}

/// The key a resource is fingerprinted under: clients by id (names repeat), others by name.
fn key_of(r: &Resource) -> String {
    match (r.kind, &r.id) {
        (Kind::Client, Some(id)) => format!("client/{id}"),
        _ => r.key(),
    }
}

/// Salted hashes of every live object, including each connection's enabled clients; secret
/// values inside are replaced by their slow hashes first.
pub fn fingerprints(live: &Live, salt: &str) -> BTreeMap<String, String> {
    live.resources
        .iter()
        .map(|r| {
            let enabled = live
                .enabled
                .as_ref()
                .and_then(|e| e.get(&r.name))
                .filter(|_| r.kind == Kind::Connection);
            let mut fields = serde_json::Map::new();
            for (k, v) in &r.fields {
                let mut v = v.clone();
                hash_secrets(r.kind, k, &mut v, salt);
                fields.insert(k.clone(), v);
            }
            let canonical = json!({"fields": fields, "enabled": enabled});
            (key_of(r), salted(salt, canonical.to_string().as_bytes()))
        })
        .collect()
}

fn hash_secrets(kind: Kind, path: &str, v: &mut Value, salt: &str) {
    match v {
        Value::String(s) if crate::model::is_sensitive_path(kind, path) => {
            *s = secret_hash(salt, s);
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                hash_secrets(kind, &format!("{path}.{i}"), item, salt);
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                hash_secrets(kind, &format!("{path}.{k}"), item, salt);
            }
        }
        _ => {}
    }
}

/// Escape a manifest's own objects that look like this file's markers.
fn escape_markers(v: &mut Value, pointer: &str, refs: &BTreeSet<String>) {
    if refs.contains(pointer) {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                let child = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                escape_markers(item, &child, refs);
            }
            if map.len() == 1 && (map.contains_key("$secret") || map.contains_key("$literal")) {
                let inner = std::mem::take(v);
                *v = json!({"$literal": inner});
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                escape_markers(item, &format!("{pointer}/{i}"), refs);
            }
        }
        _ => {}
    }
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
            let hash = secret_hash(&salt, &value);
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
        let refs: BTreeSet<String> = call.secrets.iter().map(|s| s.pointer.clone()).collect();
        if let Some(b) = body.as_mut() {
            escape_markers(b, "", &refs);
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
        if secret_hash(&saved.salt, &value) != s.hash {
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
    for sc in &saved.calls {
        if !saved.changes.iter().any(|c| call_belongs_to(&sc.call, c)) {
            return Err(Refused {
                message: format!(
                    "the plan file's call {} {} ({}) matches none of its changes: the file was edited or is damaged; nothing was changed",
                    sc.call.method, sc.call.path, sc.call.resource
                ),
                hint: "plan again".into(),
            }
            .into());
        }
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

/// Whether a call is one the change would make: its method for the change's action, on the
/// change's own resource.
fn call_belongs_to(call: &Call, change: &SavedChange) -> bool {
    if call.resource != format!("{}/{}", change.kind, change.name) {
        return false;
    }
    let methods: &[&str] = match change.action {
        Action::Create => &["POST", "PUT"],
        Action::Update => &["PUT", "PATCH"],
        Action::Replace => &["DELETE", "POST", "PUT"],
        Action::Delete => &["DELETE"],
        Action::Unmanaged => &[],
    };
    if !methods.contains(&call.method.as_str()) {
        return false;
    }
    let path = call.path.split('?').next().unwrap_or_default();
    let (collection, item) = match change.kind {
        Kind::Connection => ("/api/connections", crate::api::segment(&change.name)),
        Kind::Client => (
            "/api/clients",
            crate::api::segment(change.id.as_deref().unwrap_or_default()),
        ),
        Kind::Rule => ("/api/rules", crate::api::segment(&change.name)),
        Kind::Email => ("/api/emails", crate::api::segment(&change.name)),
    };
    match call.method.as_str() {
        "POST" => path == collection,
        _ => path == format!("{collection}/{item}"),
    }
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
                if let Some(inner) = map.remove("$literal") {
                    // A manifest's own object: kept as written, but what it holds is looked at.
                    *v = inner;
                    match v {
                        Value::Object(m) => {
                            for item in m.values_mut() {
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
                            forces_replacement: c.action == Action::Replace
                                && c.kind == Kind::Connection
                                && f.path == "strategy",
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
