//! The manifest's JSON Schema, assembled from every kind's manifest type (schemars: each
//! kind's section, `KindSpec::schema`, with its facts' description) and
//! checked in at `schema/manifest.schema.json` for editors. `manifest` validates every file
//! against it with the `jsonschema` crate and turns each violation into a located, readable
//! message; this module owns that translation.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::{Map, Value, json};

use crate::kind::Kind;
use crate::manifest::types::ApiVersion;

/// Where the checked-in copy lives, relative to the repository root.
pub const CHECKED_IN_PATH: &str = "schema/manifest.schema.json";

/// The schema as JSON: a mapping of `api`, one section per kind (a list of its items, or a
/// singleton's one mapping; a kind one API lacks is marked `x-api`) and `ignore`; keys
/// starting with `x-` are free.
pub fn generate() -> Value {
    let mut g = schemars::generate::SchemaSettings::default().into_generator();
    let mut properties = Map::new();
    properties.insert(
        "api".into(),
        described(
            g.subschema_for::<Option<ApiVersion>>(),
            "The Management API this manifest is written for: `v1` (the default) or `v2`. Fields are\nnamed as that API names them; every file of a tree names the same API.",
            None,
        ),
    );
    for kind in Kind::all() {
        let item = crate::kinds::spec(kind).schema(&mut g);
        let section = if kind.is_singleton() {
            json!({"anyOf": [item, {"type": "null"}]})
        } else {
            json!({"type": ["array", "null"], "items": item})
        };
        let only = ApiVersion::ALL
            .into_iter()
            .filter(|api| kind.wire(*api).is_some())
            .collect::<Vec<_>>();
        let only = (only.len() == 1).then(|| only[0].as_str());
        properties.insert(
            kind.section().into(),
            described(section, kind.facts().about, only),
        );
    }
    let names: Vec<&str> = Kind::all().map(Kind::as_str).collect();
    properties.insert(
        "ignore".into(),
        json!({
            "description": format!(
                "Resources of the tenant a0ctl leaves alone (never listed, changed or deleted): `KIND` or `KIND/NAME`, where `*` matches any run of characters; KIND is one of {}. Examples: `client/Legacy *`, `connection/partner-*`, `rule`.",
                names.join(", ")
            ),
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": format!("^({})(/.+)?$", names.join("|"))},
        }),
    );
    let sections: Vec<&str> = Kind::all().map(Kind::section).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "a0ctl manifest",
        "description": format!(
            "An a0ctl manifest: the desired state of an Auth0 tenant, by section ({}). Several files may be merged. Top-level keys starting with `x-` are ignored (a place for YAML anchors shared between sections).",
            sections.join(", ")
        ),
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "patternProperties": {"^x-": {}},
        "$defs": g.take_definitions(true),
    })
}

/// `schema` with `description` first (and `x-api` last, when only one API has it).
fn described(schema: impl serde::Serialize, description: &str, only: Option<&str>) -> Value {
    let mut out = Map::new();
    out.insert("description".into(), Value::String(description.into()));
    if let Ok(Value::Object(fields)) = serde_json::to_value(schema) {
        out.extend(fields);
    }
    if let Some(api) = only {
        out.insert("x-api".into(), Value::String(api.into()));
    }
    Value::Object(out)
}

/// The schema as written to disk: pretty JSON with a final newline.
pub fn render() -> String {
    let mut s = serde_json::to_string_pretty(&generate()).expect("a generated schema is JSON");
    s.push('\n');
    s
}

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(generate)
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(schema()).expect("the generated schema is a valid JSON Schema")
    })
}

/// One schema violation, at a JSON pointer into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub pointer: String,
    /// The violation is about the key at `pointer` (an unknown key), not its value.
    pub at_key: bool,
    pub message: String,
}

/// Every violation of the manifest schema in one document.
pub fn check(instance: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for error in validator().iter_errors(instance) {
        explain(&error, &mut out);
    }
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    out.dedup();
    out
}

/// The violations one schema error stands for, each with a readable message, into `out`.
fn explain(error: &ValidationError<'_>, out: &mut Vec<Violation>) {
    let pointer = error.instance_path().as_str().to_string();
    let here = display_path(&pointer);
    let message = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = allowed_keys(&pointer);
            for key in unexpected {
                out.push(unknown_key(&pointer, &here, key, &known));
            }
            return;
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match explain_alternatives(error, context, &pointer, &here, out) {
                Some(message) => message,
                None => return,
            }
        }
        ValidationErrorKind::Type { kind } => type_message(error, kind, &here),
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            format!("{here} is missing the required key `{name}`")
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let mut message = format!(
                "{here}: {} is not one of: {}",
                short(error.instance()),
                options.join(", ")
            );
            if let Some(best) = error
                .instance()
                .as_str()
                .and_then(|given| closest(given, &options))
            {
                message.push_str(&format!("; did you mean `{best}`?"));
            }
            message
        }
        ValidationErrorKind::Minimum { limit } => {
            format!(
                "{here}: must be at least {limit}, found {}",
                short(error.instance())
            )
        }
        ValidationErrorKind::Maximum { limit } => {
            format!(
                "{here}: must be at most {limit}, found {}",
                short(error.instance())
            )
        }
        _ => format!("{here}: {}", error.masked()),
    };
    out.push(Violation {
        pointer,
        at_key: false,
        message,
    });
}

/// A value that matches none of its alternatives (`anyOf`, `oneOf`): the keys no alternative
/// knows, else the violations of the one alternative whose type matches, both pushed to `out`
/// (`None`); else the message naming what the alternatives expect.
fn explain_alternatives(
    error: &ValidationError<'_>,
    context: &[Vec<ValidationError<'static>>],
    pointer: &str,
    here: &str,
    out: &mut Vec<Violation>,
) -> Option<String> {
    if let Value::Object(map) = error.instance().as_ref() {
        // Keys no alternative knows are the likeliest mistake: name them.
        let known = allowed_keys(pointer);
        let unknown: Vec<&String> = map.keys().filter(|k| !known.contains(k)).collect();
        if !unknown.is_empty() {
            for key in unknown {
                out.push(unknown_key(pointer, here, key, &known));
            }
            return None;
        }
    }
    // Otherwise the one alternative whose type matches says what to fix.
    let matching: Vec<_> = context
        .iter()
        .filter(|branch| {
            !branch.is_empty()
                && !branch.iter().any(|e| {
                    e.instance_path().as_str() == pointer
                        && matches!(
                            e.kind(),
                            ValidationErrorKind::Type { .. }
                                | ValidationErrorKind::AdditionalProperties { .. }
                                | ValidationErrorKind::Required { .. }
                        )
                })
        })
        .collect();
    if let [branch] = matching.as_slice() {
        for e in branch.iter() {
            explain(e, out);
        }
        return None;
    }
    Some(format!(
        "{here}: expected {}",
        describe_alternatives(pointer)
    ))
}

/// A value of the wrong type: what was expected and found, with a word on YAML 1.1's booleans
/// where a boolean was expected.
fn type_message(error: &ValidationError<'_>, kind: &TypeKind, here: &str) -> String {
    let expected = describe_type(kind);
    let mut message = format!(
        "{here}: expected {expected}, found {}",
        json_type(error.instance())
    );
    let yaml11 = ["yes", "no", "on", "off", "y", "n"];
    if expected == "a boolean"
        && error
            .instance()
            .as_str()
            .is_some_and(|s| yaml11.contains(&s.to_lowercase().as_str()))
    {
        message.push_str(" (YAML 1.2 reads yes/no/on/off as strings: write true or false)");
    }
    message
}

fn unknown_key(pointer: &str, here: &str, key: &str, known: &[String]) -> Violation {
    let mut message = format!("unknown key `{key}` in {here}");
    if let Some(best) = closest(key, known) {
        message.push_str(&format!("; did you mean `{best}`?"));
    } else if !known.is_empty() {
        message.push_str(&format!("; expected one of: {}", known.join(", ")));
    }
    Violation {
        pointer: format!("{pointer}/{}", escape(key)),
        at_key: true,
        message,
    }
}

/// `/rules/0/script` → `rules[0].script`; the document root is `the manifest`.
pub fn display_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.parse::<usize>().is_ok() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() {
        "the manifest".to_string()
    } else {
        out
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("`{s}`"),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_word(t: &str) -> &'static str {
    match t {
        "null" => "null",
        "boolean" => "a boolean",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    }
}

fn describe_type(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => type_word(&t.to_string()).to_string(),
        TypeKind::Multiple(set) => {
            let words: Vec<&str> = set
                .iter()
                .map(|t| t.to_string())
                .filter(|t| t != "null")
                .map(|t| type_word(&t))
                .collect();
            words.join(" or ")
        }
    }
}

/// The schema node that describes the value at an instance pointer (following `$ref`, `items`
/// and `properties`; alternatives are all returned).
fn schema_nodes(pointer: &str) -> Vec<&'static Value> {
    let root = schema();
    let mut nodes = expand(root, root);
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        for node in &nodes {
            if let Some(p) = node.get("properties").and_then(|p| p.get(&seg)) {
                next.extend(expand(root, p));
            } else if seg.parse::<usize>().is_ok()
                && let Some(items) = node.get("items")
            {
                next.extend(expand(root, items));
            }
        }
        nodes = next;
    }
    nodes
}

/// A schema node with `$ref`s resolved and `anyOf`/`oneOf` flattened.
fn expand<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        if let Some(r) = n.get("$ref").and_then(Value::as_str)
            && let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p))
        {
            todo.push(target);
            continue;
        }
        let mut branched = false;
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = n.get(key).and_then(Value::as_array) {
                todo.extend(branches.iter().rev());
                branched = true;
            }
        }
        if !branched {
            out.push(n);
        }
    }
    out
}

/// The one API the key at `pointer` belongs to (`"v1"` or `"v2"`), when it is not shared: the
/// `x-api` the types give the field in the schema.
pub fn api_of(pointer: &str) -> Option<&'static str> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    /// A mapping's fields that carry `x-api`, by the mapping's pointer with indices as `0`.
    static MARKED: Mutex<Option<HashMap<String, HashMap<String, &'static str>>>> = Mutex::new(None);
    let (parent, key) = pointer.rsplit_once('/')?;
    let key = key.replace("~1", "/").replace("~0", "~");
    let parent: String = parent
        .split('/')
        .map(|seg| {
            if seg.parse::<usize>().is_ok() {
                "0"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut marked = MARKED.lock().unwrap_or_else(|e| e.into_inner());
    let fields = marked
        .get_or_insert_with(HashMap::new)
        .entry(parent)
        .or_insert_with_key(|parent| {
            schema_nodes(parent)
                .iter()
                .filter_map(|n| n.get("properties")?.as_object())
                .flat_map(|props| props.iter())
                .filter_map(|(k, v)| Some((k.clone(), v.get("x-api")?.as_str()?)))
                .collect()
        });
    fields.get(&key).copied()
}

/// The keys the schema allows in the mapping at `pointer`.
pub fn allowed_keys(pointer: &str) -> Vec<String> {
    let mut keys: Vec<String> = schema_nodes(pointer)
        .iter()
        .filter_map(|n| n.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn describe_alternatives(pointer: &str) -> String {
    let mut words: Vec<String> = schema_nodes(pointer)
        .iter()
        .filter(|n| n.get("type").and_then(Value::as_str) != Some("null"))
        .map(|n| match n.get("type").and_then(Value::as_str) {
            Some("object") => {
                let keys: Vec<String> = n
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().map(|k| format!("{k}: …")).collect())
                    .unwrap_or_default();
                if keys.is_empty() {
                    "a mapping".to_string()
                } else {
                    format!("{{{}}}", keys.join(", "))
                }
            }
            Some(t) => type_word(t).to_string(),
            None => "a value".to_string(),
        })
        .collect();
    words.dedup();
    words.join(" or ")
}

/// The known key closest to `key`, if it is close enough to be a likely typo.
pub fn closest(key: &str, known: &[String]) -> Option<String> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let k = norm(key);
    known
        .iter()
        .map(|c| {
            let n = norm(c);
            let score = if n == k {
                1.0
            } else {
                strsim::jaro_winkler(&k, &n)
            };
            (score, c)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The schema follows the kinds: one section per kind (a list, or a singleton's mapping),
    /// described by its facts, marked `x-api` when one API lacks it; `ignore` names every kind;
    /// no other key is allowed.
    #[test]
    fn the_schema_has_one_section_per_kind() {
        let schema = generate();
        let properties = schema["properties"].as_object().unwrap();
        let mut expected: Vec<&str> = vec!["api"];
        expected.extend(Kind::all().map(Kind::section));
        expected.push("ignore");
        assert_eq!(
            properties.keys().map(String::as_str).collect::<Vec<_>>(),
            expected
        );
        for kind in Kind::all() {
            let section = &properties[kind.section()];
            assert_eq!(section["description"], kind.facts().about, "{kind}");
            let one_api = ApiVersion::ALL
                .iter()
                .filter(|a| kind.wire(**a).is_some())
                .count()
                == 1;
            assert_eq!(section.get("x-api").is_some(), one_api, "{kind}");
            let item =
                json!({kind.section(): if kind.is_singleton() { json!({}) } else { json!([{}]) }});
            let wrong =
                json!({kind.section(): if kind.is_singleton() { json!([{}]) } else { json!({}) }});
            // An empty item lacks its required fields, but a list's is of the right shape.
            if !kind.is_singleton() {
                let section_itself = format!("/{}", kind.section());
                assert!(
                    check(&item).iter().all(|v| v.pointer != section_itself),
                    "{kind}"
                );
            }
            assert!(!check(&wrong).is_empty(), "{kind}");
            let pattern = schema["properties"]["ignore"]["items"]["pattern"]
                .as_str()
                .unwrap();
            assert!(
                pattern.contains(&format!("|{}|", kind.as_str()))
                    || pattern.contains(&format!("({}|", kind.as_str()))
                    || pattern.contains(&format!("|{})", kind.as_str())),
                "{kind}: {pattern}"
            );
        }
        assert!(!check(&json!({"no_such_kinds": []})).is_empty());
    }

    #[test]
    fn suggestions_catch_typos_and_case() {
        let known: Vec<String> = ["callbacks", "client_id", "name", "signingKey"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("calbacks", &known).as_deref(), Some("callbacks"));
        assert_eq!(closest("clientID", &known).as_deref(), Some("client_id"));
        assert_eq!(
            closest("signing_key", &known).as_deref(),
            Some("signingKey")
        );
        assert_eq!(closest("zzz", &known), None);
    }

    #[test]
    fn the_schema_names_each_fields_api() {
        assert_eq!(api_of("/rules/0/status"), Some("v1"));
        assert_eq!(api_of("/rules/0/enabled"), Some("v2"));
        assert_eq!(api_of("/rules/0/script"), None);
        assert_eq!(api_of("/clients/3/token_endpoint_auth_method"), Some("v2"));
        assert_eq!(api_of("/clients/0/signingKey"), Some("v1"));
        assert_eq!(api_of("/connections/0/display_name"), Some("v2"));
        assert_eq!(api_of("/emails/0/disabled"), Some("v1"));
        assert_eq!(api_of("/email_provider"), Some("v2"));
        assert_eq!(api_of("/connections"), None);
    }

    #[test]
    fn allowed_keys_follow_refs_and_alternatives() {
        assert!(allowed_keys("").contains(&"rules".to_string()));
        assert!(allowed_keys("/clients/3").contains(&"callbacks".to_string()));
        assert_eq!(allowed_keys("/rules/0/script"), vec!["file".to_string()]);
        assert_eq!(
            allowed_keys("/clients/0/signingKey"),
            vec!["cert", "key", "pkcs7"]
        );
    }

    #[test]
    fn violations_read_well() {
        let doc = json!({
            "rules": [{"name": "a", "status": "yes", "script": {"fle": "x.js"}, "order": -1}],
            "clients": [{"calbacks": []}],
            "emails": [{"template": "goodbye"}],
            "extra": 1
        });
        let messages: Vec<String> = check(&doc).into_iter().map(|v| v.message).collect();
        let expected = [
            "clients[0] is missing the required key `name`",
            "unknown key `calbacks` in clients[0]; did you mean `callbacks`?",
            "emails[0].template: `goodbye` is not one of: verify_email, welcome_email, reset_email, blocked_account, verify_email_by_code, reset_email_by_code, stolen_credentials, enrollment_email, mfa_oob_code, user_invitation, change_password, password_reset, async_approval",
            "unknown key `extra` in the manifest; expected one of: actions, api, attack_protection, branding, branding_templates, client_grants, clients, connections, custom_domains, email_provider, emails, guardian_factors, guardian_policies, ignore, log_streams, organizations, prompt_texts, prompts, resource_servers, roles, rules, tenant, triggers",
            "rules[0].order: must be at least 0, found -1",
            "rules[0].status: expected a boolean, found a string (YAML 1.2 reads yes/no/on/off as strings: write true or false)",
            "unknown key `fle` in rules[0].script; did you mean `file`?",
        ];
        for e in expected {
            assert!(
                messages.iter().any(|m| m == e),
                "missing {e:?} in {messages:#?}"
            );
        }
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        let two_keys = json!({"clients": [{"name": "a", "signingKey": {"cert": "x", "key": "y"}}]});
        let messages: Vec<String> = check(&two_keys).into_iter().map(|v| v.message).collect();
        assert_eq!(
            messages,
            vec!["clients[0].signingKey: expected {cert: …} or {key: …} or {pkcs7: …}"]
        );
    }
}
