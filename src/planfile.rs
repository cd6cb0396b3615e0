//! Saved plans (`plan --out PLANFILE`, `apply --plan PLANFILE`). A saved plan is one source of
//! truth: the file holds the JSON plan of design §5 (what a reviewer sees) and the desired
//! resources and options it was computed from, and `apply --plan` sends nothing the file spells
//! out as a call. It reads the tenant, recomputes the diff of the file's desired resources,
//! keeps the changes to the resources the plan touches, plans them with the same planner, and
//! refuses (exit 3, before any write) unless those changes and calls are exactly the ones the
//! file shows. An edited body, a duplicated or retargeted call, a secret moved to another field:
//! each makes the recomputation differ from what the file displays, so each is refused.
//!
//! Secret values are never in the file. A secret leaf of a resource the plan touches must come
//! from `${VAR}`: the file keeps its place, the template and a salted argon2id hash of the value
//! (slow to guess at); `apply --plan` reads the variable again and refuses if it no longer
//! hashes the same. Resources the plan does not touch are kept only for matching (client names,
//! rule orders), with their secrets masked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::diag::{Refused, hinted};
use crate::diff::{Action, Changes};
use crate::manifest::Vars;
use crate::manifest::interp::{self, Resolved};
use crate::model::{Kind, Resource};
use crate::path::FieldPath;
use crate::plan::{Call, Plan};
use crate::render;
use crate::secret::SENSITIVE;

/// What identifies a plan file.
pub const KIND: &str = "a0ctl-plan";
/// The layout of the file around the JSON plan; bumped when it changes.
pub const FILE_VERSION: u32 = 2;
/// The largest plan file written or read: `plan --out` refuses to write a larger one, so every
/// file it writes is one `apply --plan` reads (100,000 resources make about 73 MB).
pub const MAX_BYTES: u64 = 256 << 20;

/// Write a saved plan: refused (nothing written) past [`MAX_BYTES`]; the file is the owner's
/// only (0600), since it holds salted hashes of the environment's secrets.
pub fn write(path: &Path, text: &str) -> Result<()> {
    if text.len() as u64 > MAX_BYTES {
        return Err(hinted(
            format!(
                "cannot write the plan file {}: the plan is {} MiB, more than the {} MiB that `apply --plan` reads; nothing was written",
                path.display(),
                text.len() >> 20,
                MAX_BYTES >> 20
            ),
            "plan part of the tenant at a time with --target",
        ));
    }
    crate::fsutil::write_private(path, text.as_bytes()).map_err(crate::error::io(format!(
        "cannot write the plan file {}",
        path.display()
    )))
}
const SALT_HEX_LEN: usize = 32;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub format_version: u32,
    pub kind: String,
    pub file_version: u32,
    pub tenant: String,
    pub summary: Value,
    /// The changes as the JSON plan shows them.
    pub changes: Vec<Value>,
    /// The calls as the JSON plan shows them.
    pub calls: Vec<Call>,
    /// Every desired resource the plan was computed from.
    pub desired: Vec<SavedResource>,
    /// Secrets the touched resources hold, by reference.
    pub secrets: Vec<SavedSecret>,
    /// Hex salt of every hash in this file.
    pub salt: String,
    pub options: SavedOptions,
    /// Whether each client's connection view was read.
    pub client_views: bool,
    /// With a key in [`KEY_VAR`]: an HMAC of everything else in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

/// A plan file's signature: HMAC-SHA256, keyed by [`KEY_VAR`], over the file's canonical text
/// (its JSON without `signature`, compact, keys in the file's order).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub alg: String,
    pub mac: String,
}

/// The environment variable that holds the key plan files are signed and checked with.
pub const KEY_VAR: &str = "A0CTL_PLAN_KEY";
const ALG: &str = "hmac-sha256";

/// The signing key, if the environment has one (a CI secret: it is learnt as one, so no output
/// shows it).
pub fn key_from_env() -> Option<Vec<u8>> {
    let key = std::env::var(KEY_VAR).ok().filter(|k| !k.is_empty())?;
    crate::secret::learn_value(&key);
    Some(key.into_bytes())
}

/// The MAC of a file's JSON, `signature` left out.
fn mac_of(key: &[u8], file: &Value) -> Result<hmac::Hmac<sha2::Sha256>> {
    use hmac::Mac;
    let mut unsigned = file.clone();
    if let Some(map) = unsigned.as_object_mut() {
        map.remove("signature");
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)
        .map_err(|_| hinted(format!("{KEY_VAR} cannot be used as a key"), ""))?;
    mac.update(unsigned.to_string().as_bytes());
    Ok(mac)
}

/// Sign a plan file's text (as [`save`] wrote it) with `key`.
pub fn sign(text: &str, key: &[u8]) -> Result<String> {
    use hmac::Mac;
    let mut file: Value = serde_json::from_str(text)
        .map_err(|e| hinted(format!("cannot sign the plan file: {e}"), ""))?;
    let mac = mac_of(key, &file)?.finalize().into_bytes();
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(map) = file.as_object_mut() {
        map.insert("signature".into(), json!({"alg": ALG, "mac": hex}));
    }
    let mut text = serde_json::to_string_pretty(&file)
        .map_err(|e| hinted(format!("cannot sign the plan file: {e}"), ""))?;
    text.push('\n');
    Ok(text)
}

/// Check a plan file's signature against `key`: a signed file needs the key, a key needs a
/// signed file, and the MAC must be the file's (compared in constant time). Refusals exit 3.
fn check_signature(path: &Path, file: &Value, key: Option<&[u8]>) -> Result<()> {
    let signed = file.get("signature").is_some_and(|s| !s.is_null());
    use hmac::Mac;
    let refuse = |message: String, hint: &str| -> crate::error::Error {
        Refused {
            message: format!("{}: {message}; nothing was changed", path.display()),
            hint: hint.into(),
        }
        .into()
    };
    let Some(key) = key else {
        if signed {
            return Err(refuse(
                format!("the plan file is signed, but {KEY_VAR} is not set to check it"),
                "set A0CTL_PLAN_KEY to the key `plan --out` signed it with",
            ));
        }
        return Ok(());
    };
    if !signed {
        return Err(refuse(
            format!("the plan file is not signed, and {KEY_VAR} says plans must be"),
            "plan again with A0CTL_PLAN_KEY set, so that `plan --out` signs the file",
        ));
    }
    let sig = &file["signature"];
    let given = sig["mac"]
        .as_str()
        .filter(|_| sig["alg"] == ALG)
        .and_then(|hex| {
            (hex.len() % 2 == 0)
                .then(|| {
                    (0..hex.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                        .collect::<Option<Vec<u8>>>()
                })
                .flatten()
        });
    let fits = given
        .is_some_and(|given| mac_of(key, file).is_ok_and(|mac| mac.verify_slice(&given).is_ok()));
    if fits {
        Ok(())
    } else {
        Err(refuse(
            "the plan file's signature does not match: it was changed after `plan --out`, or signed with another key".into(),
            "plan again and apply the file `plan --out` wrote, unchanged",
        ))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOptions {
    pub allow_delete: bool,
    /// Made with `--allow-replace` (replacements carry no note that apply needs it).
    pub allow_replace: bool,
    pub rotate_signing_keys: bool,
    /// What the plan managed (kinds with a section, ignored resources).
    pub scope: crate::scope::Scope,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedResource {
    pub kind: Kind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub fields: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub write_only: BTreeMap<String, Value>,
    /// Whether the plan changes this resource (its secrets are then references, else masked).
    pub touched: bool,
    /// Values that came from the environment: where they are, and which secret of the file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from_env: Vec<SecretRef>,
    /// What it names (`Resource::refs`: a grant's client and audience).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub path: FieldPath,
    pub secret: usize,
    /// Binds the secret to this resource and path (see `placement_tag`).
    pub tag: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSecret {
    /// The manifest's template, e.g. `${GOOGLE_SECRET}`.
    pub template: String,
    /// The values of the template's `--var`/var-file variables (not secrets), so that applying
    /// needs only the environment's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// `argon2id:` hash of salt + value.
    pub hash: String,
}

/// A secret's hash: argon2id, salted, deliberately slow so a plan file does not make guessing a
/// secret cheap.
fn secret_hash(salt: &str, value: &str) -> Derived {
    let params = argon2::Params::new(8 * 1024, 2, 1, Some(64)).expect("valid argon2 parameters");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 64];
    argon
        .hash_password_into(value.as_bytes(), salt.as_bytes(), &mut out)
        .expect("a 32-character salt and a 64-byte output are valid");
    let hex: String = out[..32].iter().map(|b| format!("{b:02x}")).collect();
    let mut key = [0u8; 32];
    key.copy_from_slice(&out[32..]);
    Derived {
        hash: format!("argon2id:{hex}"),
        key,
    }
}

/// What one slow hash of a secret gives: the hash the file keeps, and a key it never holds,
/// which only someone who knows the value can derive, to bind the secret to its places.
#[derive(Clone)]
struct Derived {
    hash: String,
    key: [u8; 32],
}

/// The tag that binds a secret to one place (resource and field path): an edited file cannot
/// move or copy a secret to another field without the secret itself.
fn placement_tag(key: &[u8; 32], kind: Kind, name: &str, path: &FieldPath) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(key);
    for part in [kind.as_str(), name, &path.pointer()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let out = h.finalize();
    out.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hash many values at once, one thread per core (argon2 is slow on purpose).
fn secret_hashes(salt: &str, values: &[&str]) -> Vec<Derived> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = values.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = values
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|v| secret_hash(salt, v))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Turn a plan into its file. Fails when a resource the plan changes holds a secret written
/// inline in a manifest: a saved plan can only point at where secrets come from.
pub fn save(
    plan: &Plan,
    desired: &[Resource],
    vars: &Vars,
    tenant: &str,
    client_views: bool,
    options: SavedOptions,
) -> Result<String> {
    let salt: String = (0..SALT_HEX_LEN / 2)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let touched: BTreeSet<(Kind, String)> = plan
        .changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Unmanaged)
        .map(|c| (c.kind, c.name.clone()))
        .collect();
    let mut values = SecretValues::default();
    let mut saved = Vec::with_capacity(desired.len());
    for r in desired {
        let is_touched = touched.contains(&(r.kind, r.name.clone()));
        saved.push(saved_resource(r, is_touched, &mut values)?);
    }
    let secrets = values.hash_and_bind(&salt, &mut saved, vars);
    let shown = render::json_plan(plan, tenant);
    let file = SavedPlan {
        format_version: render::FORMAT_VERSION,
        kind: KIND.into(),
        file_version: FILE_VERSION,
        tenant: tenant.into(),
        summary: shown["summary"].clone(),
        changes: shown["changes"].as_array().cloned().unwrap_or_default(),
        calls: plan.calls.clone(),
        desired: saved,
        secrets,
        salt,
        options,
        client_views,
        signature: None,
    };
    let mut text = serde_json::to_string_pretty(&file)
        .map_err(|e| hinted(format!("cannot write the plan file: {e}"), ""))?;
    text.push('\n');
    Ok(text)
}

/// The secret values a plan file refers to, each (template and value) once, in the order first
/// met.
#[derive(Default)]
struct SecretValues {
    values: Vec<(String, String)>,
    index: BTreeMap<(String, String), usize>,
}

impl SecretValues {
    /// The index of this template's value, added if it is new.
    fn reference(&mut self, template: String, value: String) -> usize {
        *self
            .index
            .entry((template.clone(), value.clone()))
            .or_insert_with(|| {
                self.values.push((template, value));
                self.values.len() - 1
            })
    }

    /// Hash every value (salted), bind each reference of `saved` to its place with the hash's
    /// key, and return the secrets as the file lists them.
    fn hash_and_bind(
        self,
        salt: &str,
        saved: &mut [SavedResource],
        vars: &Vars,
    ) -> Vec<SavedSecret> {
        let refs: Vec<&str> = self.values.iter().map(|(_, v)| v.as_str()).collect();
        let hashes = secret_hashes(salt, &refs);
        for r in saved.iter_mut() {
            for e in r.from_env.iter_mut() {
                e.tag = placement_tag(&hashes[e.secret].key, r.kind, &r.name, &e.path);
            }
        }
        self.values
            .into_iter()
            .zip(hashes)
            .map(|((template, _), derived)| SavedSecret {
                vars: interp::names(&template)
                    .filter_map(|n| vars.text(n).map(|v| (n.to_string(), v)))
                    .collect(),
                template,
                hash: derived.hash,
            })
            .collect()
    }
}

/// A desired resource as the file keeps it: every secret leaf masked, and, when the plan
/// touches it, each secret referenced in `values` (one written inline is an error).
fn saved_resource(
    r: &Resource,
    is_touched: bool,
    values: &mut SecretValues,
) -> Result<SavedResource> {
    let mut value = r.as_value();
    let mut from_env = Vec::new();
    for (path, leaf) in secret_leaves(r, &value) {
        let template = r.secrecy().template(&path).map(str::to_string);
        match (is_touched, template, leaf) {
            (true, Some(template), Value::String(s)) => {
                let i = values.reference(template, s);
                from_env.push(SecretRef {
                    path: path.clone(),
                    secret: i,
                    tag: String::new(),
                });
            }
            (true, _, _) => {
                return Err(hinted(
                    format!(
                        "{} has a secret written inline at {path}; a saved plan cannot hold it",
                        r.key()
                    ),
                    "move the value to an environment variable and write `${VAR}` in the manifest",
                ));
            }
            (false, _, _) => {}
        }
        if let Some(slot) = path.get_mut(&mut value) {
            *slot = json!(SENSITIVE);
        }
    }
    let fields = split_fields(&value, r);
    Ok(SavedResource {
        kind: r.kind,
        name: r.name.clone(),
        id: r.id.clone(),
        fields: fields.0,
        write_only: fields.1,
        touched: is_touched,
        from_env,
        refs: r.refs.clone(),
    })
}

/// Every non-null secret leaf of a resource's value (by key name or by origin).
fn secret_leaves(r: &Resource, value: &Value) -> Vec<(FieldPath, Value)> {
    let mut out = Vec::new();
    crate::path::leaves(value, &FieldPath::root(), &mut |p, leaf| {
        if !leaf.is_null() && r.is_secret(p) {
            out.push((p.clone(), leaf.clone()));
        }
    });
    out
}

/// A resource's value split back into compared and write-only fields.
fn split_fields(value: &Value, r: &Resource) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let mut fields = BTreeMap::new();
    let mut write_only = BTreeMap::new();
    for (k, v) in value.as_object().into_iter().flatten() {
        if r.write_only.contains_key(k) {
            write_only.insert(k.clone(), v.clone());
        } else {
            fields.insert(k.clone(), v.clone());
        }
    }
    (fields, write_only)
}

/// Read and check a plan file: a regular file of bounded size, of this version, whole and
/// consistent. A damaged file is an error that names it, never a panic.
pub fn read(path: &Path, key: Option<&[u8]>) -> Result<SavedPlan> {
    let text = crate::fsutil::read_regular(path, MAX_BYTES, "plan file")?;
    // The signature first: an altered file is refused as altered (exit 3), whatever else it
    // claims (another version, another layout).
    if let Ok(file) = serde_json::from_str::<Value>(&text) {
        check_signature(path, &file, key)?;
    }
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| {
        hinted(
            format!(
                "{}:{}:{}: not an a0ctl plan file of this version: {e}",
                path.display(),
                e.line(),
                e.column()
            ),
            "write one with `a0ctl plan --out PLANFILE`",
        )
    })?;
    if saved.kind != KIND
        || saved.format_version != render::FORMAT_VERSION
        || saved.file_version != FILE_VERSION
    {
        return Err(hinted(
            format!(
                "{}: plan file `{}` format {}.{} is not the one this a0ctl reads (`{KIND}` {}.{FILE_VERSION})",
                path.display(),
                saved.kind,
                saved.format_version,
                saved.file_version,
                render::FORMAT_VERSION
            ),
            "",
        ));
    }
    damage(&saved).map_err(|what| {
        hinted(
            format!("{}: the plan file is damaged: {what}", path.display()),
            "plan again with `a0ctl plan --out PLANFILE`",
        )
    })?;
    Ok(saved)
}

/// What is damaged in a plan file of this version, if anything: a change with no resource it
/// was planned from, a malformed salt, or a secret not where and as the file says.
fn damage(saved: &SavedPlan) -> Result<(), String> {
    for c in &saved.changes {
        let action = c["action"].as_str().unwrap_or_default();
        if matches!(action, "unmanaged" | "delete") {
            continue;
        }
        let touched = saved
            .desired
            .iter()
            .any(|r| r.touched && json!(r.kind) == c["kind"] && json!(r.name) == c["name"]);
        if !touched {
            return Err(format!(
                "its change to {} {} has no resource it was planned from",
                c["kind"], c["name"]
            ));
        }
    }
    if saved.salt.len() != SALT_HEX_LEN || !saved.salt.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "its salt must be {SALT_HEX_LEN} hexadecimal digits"
        ));
    }
    for r in &saved.desired {
        secret_damage(r, saved.secrets.len())?;
    }
    Ok(())
}

/// What is wrong with a saved resource's secrets, if anything: a value in clear where only a
/// reference may stand, or a reference to a secret the file does not list (it has `secrets`)
/// or to a place that holds no placeholder.
fn secret_damage(r: &SavedResource, secrets: usize) -> Result<(), String> {
    let value = Value::Object(
        r.fields
            .iter()
            .chain(r.write_only.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    // Every secret leaf is a placeholder: a value from the environment, referenced (and
    // bound to its place), or, in a resource the plan does not touch, masked.
    let referenced: BTreeSet<&FieldPath> = r.from_env.iter().map(|e| &e.path).collect();
    let mut secret_leaf = None;
    crate::path::leaves(&value, &FieldPath::root(), &mut |p, leaf| {
        let by_key = crate::secret::Secrecy::by_key().is_secret(p);
        let placeholder = leaf == &json!(SENSITIVE);
        // A touched resource is sent: none of its placeholders may stand unreferenced.
        let unreferenced = placeholder && r.touched && !referenced.contains(p);
        if (!leaf.is_null() && by_key && !placeholder) || unreferenced {
            secret_leaf.get_or_insert_with(|| p.clone());
        }
    });
    if let Some(p) = secret_leaf {
        return Err(format!(
            "{}/{} holds a value in clear at {p}, where only a reference to a secret may stand",
            r.kind, r.name
        ));
    }
    for s in &r.from_env {
        if s.secret >= secrets {
            return Err(format!(
                "{}/{} refers to secret {}, which the file does not list",
                r.kind, r.name, s.secret
            ));
        }
        if s.path.get(&value) != Some(&json!(SENSITIVE)) {
            return Err(format!(
                "{}/{} has no secret placeholder at {}",
                r.kind, r.name, s.path
            ));
        }
    }
    Ok(())
}

/// The desired resources, with their secrets resolved from the environment. Refuses (exit 3)
/// when a value no longer hashes to what the plan recorded.
pub fn desired(saved: &SavedPlan, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Resource>> {
    let mut values = Vec::with_capacity(saved.secrets.len());
    for s in &saved.secrets {
        let vars = Vars::from_strings(&s.vars);
        let lookup = interp::Lookup { vars: &vars, env };
        let value = match interp::resolve(&s.template, lookup, false) {
            Ok(Resolved::FromEnv(v) | Resolved::Literal(v)) => v,
            Ok(Resolved::FromVars(v, _)) => v.as_str().unwrap_or_default().to_string(),
            Err(errors) => {
                let errors: Vec<String> = errors.into_iter().map(|(m, _)| m).collect();
                return Err(hinted(
                    format!("cannot resolve `{}`: {}", s.template, errors.join("; ")),
                    "set the variables the plan was made with",
                ));
            }
        };
        values.push(value);
    }
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let hashes = secret_hashes(&saved.salt, &refs);
    for (s, derived) in saved.secrets.iter().zip(&hashes) {
        if derived.hash != s.hash {
            return Err(Refused {
                message: format!(
                    "the value of `{}` is not the one the plan was made with: nothing was changed",
                    s.template
                ),
                hint: "set it as it was, or plan again".into(),
            }
            .into());
        }
    }
    for v in &values {
        crate::secret::learn_value(v);
    }
    for r in &saved.desired {
        for e in &r.from_env {
            if placement_tag(&hashes[e.secret].key, r.kind, &r.name, &e.path) != e.tag {
                return Err(Refused {
                    message: format!(
                        "the plan file puts `{}` at {} of {}/{}, where the plan did not: the file was edited; nothing was changed",
                        saved.secrets[e.secret].template, e.path, r.kind, r.name
                    ),
                    hint: "plan again".into(),
                }
                .into());
            }
        }
    }
    Ok(saved
        .desired
        .iter()
        .map(|s| {
            let mut r = Resource::new(s.kind, &s.name);
            r.id = s.id.clone();
            r.fields = s.fields.clone().into();
            r.write_only = s.write_only.clone();
            r.refs = s.refs.clone();
            for e in &s.from_env {
                let (template, value) = (&saved.secrets[e.secret].template, &values[e.secret]);
                let top = e.path.top().to_string();
                let rest = e
                    .path
                    .strip_prefix(&FieldPath::field(&top))
                    .unwrap_or_default();
                let slot = Arc::make_mut(&mut r.fields)
                    .get_mut(&top)
                    .or_else(|| r.write_only.get_mut(&top))
                    .and_then(|v| rest.get_mut(v));
                if let Some(slot) = slot {
                    *slot = Value::String(value.clone());
                }
                r.from_env.insert(e.path.clone(), template.clone());
            }
            r
        })
        .collect())
}

/// Keep the changes to the resources the file changes; refuse (exit 3) unless they and the calls
/// planned for them are exactly what the file shows. Named by name.
pub fn check_matches(saved: &SavedPlan, tenant: &str, plan: &Plan) -> Result<()> {
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
    let now = render::json_plan(plan, tenant);
    let shown_now: Vec<&Value> = now["changes"].as_array().into_iter().flatten().collect();
    let saved_changes: Vec<&Value> = saved
        .changes
        .iter()
        .filter(|c| c["action"] != json!("unmanaged"))
        .collect();
    let calls_now = now["calls"].clone();
    if saved_changes == shown_now && serde_json::to_value(&saved.calls).ok() == Some(calls_now) {
        return Ok(());
    }
    let name_of = |c: &Value| {
        format!(
            "{} \"{}\"",
            c["kind"].as_str().unwrap_or("?"),
            c["name"].as_str().unwrap_or("?")
        )
    };
    let same = |a: &Value, b: &Value| a["kind"] == b["kind"] && a["name"] == b["name"];
    let mut stale = Vec::new();
    for c in &saved_changes {
        let created = c["action"] == json!("create");
        match shown_now.iter().find(|n| same(n, c)) {
            Some(_) | None
                if created
                    && !shown_now
                        .iter()
                        .any(|n| same(n, c) && n["action"] == json!("create")) =>
            {
                stale.push(format!("{} was created since", name_of(c)))
            }
            None => stale.push(format!("{} no longer needs this change", name_of(c))),
            Some(n) if *n != *c => stale.push(format!("{} changed", name_of(c))),
            Some(_) => {}
        }
    }
    if stale.is_empty() {
        let file_calls = serde_json::to_value(&saved.calls).unwrap_or_default();
        let (file_calls, now_calls) = (
            file_calls.as_array().cloned().unwrap_or_default(),
            now["calls"].as_array().cloned().unwrap_or_default(),
        );
        let first = file_calls
            .iter()
            .zip(&now_calls)
            .find(|(a, b)| a != b)
            .map(|(a, _)| a["resource"].as_str().unwrap_or("?").to_string());
        stale.push(match first {
            Some(resource) => format!(
                "the calls these changes need are not the ones the file lists (first at {resource}: the tenant moved under it, or the file was edited)"
            ),
            None => format!(
                "the file lists {} calls where these changes need {}",
                file_calls.len(),
                now_calls.len()
            ),
        });
    }
    Err(Refused {
        message: format!(
            "the plan file no longer matches the tenant ({}): nothing was changed",
            stale.join(", ")
        ),
        hint: "the tenant changed since the plan was made, or the file was edited: run plan again and review the new plan".into(),
    }
    .into())
}

/// The changes that touch what the file touches (unmanaged resources are not changes).
pub fn restrict(saved: &SavedPlan, changes: Changes) -> Changes {
    let keys: BTreeSet<(String, String)> = saved
        .changes
        .iter()
        .filter(|c| c["action"] != json!("unmanaged"))
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or_default().to_string(),
                c["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Changes {
        changes: changes
            .changes
            .into_iter()
            .filter(|c| c.action != Action::Unmanaged)
            .filter(|c| keys.contains(&(c.kind.as_str().to_string(), c.name.clone())))
            .collect(),
        unchanged: changes.unchanged,
        targets: changes.targets,
        notices: changes.notices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn saved_plans_are_private_whatever_was_there() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, "{\"new\": true}").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"new\": true}");
        // Nothing else is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn plan_writes_only_files_that_apply_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let too_big = "a".repeat(MAX_BYTES as usize + 1);
        let e = write(&path, &too_big).unwrap_err().to_string();
        assert!(e.contains("nothing was written"), "{e}");
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // At the limit it is written, and the reader's bound lets it through to the parser.
        let at_limit = "a".repeat(MAX_BYTES as usize);
        write(&path, &at_limit).unwrap();
        let e = read(&path, None).unwrap_err().to_string();
        assert!(!e.contains("larger than"), "{e}");
    }
}
