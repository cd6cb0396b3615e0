//! What is secret, decided in one place, and the one walk that applies it. A value is secret when
//! any segment of its [`FieldPath`] is a key that names a secret (`client_secret`, `api_key`,
//! `signingKey`, `private_key`, … at any depth), or when it came from an environment variable
//! (`${VAR}`). Every consumer (diff's display values, plan bodies, the plan file, export, the
//! [`Redactor`]) asks [`Secrecy::is_secret`] and walks values with [`crate::path::leaves`].

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use crate::path::{FieldPath, leaves, leaves_mut};

/// How a secret is shown.
pub const SENSITIVE: &str = "(sensitive)";
/// How a secret that changed is shown.
pub const SENSITIVE_CHANGED: &str = "(sensitive, changed)";

/// Keys that hold secrets: `client_secret`, `*_secret`, `password`, `key`, `cert`, tokens, …
/// compared by words, so `signingCert`, `api_key`, `JWTSecret`, `Signing Cert`, `passwords`
/// and `access_token2` count too; and any key with `secret` or `private` in it
/// (`clientsecret`), or that ends in a compound such as `apikey` or `accesstoken`. Passwords go
/// by the short names real configurations use too (`DB_PASS`, `smtp_pass`, `ldap_pw`), and so
/// do values that embed one (`SENTRY_DSN`, `MONGO_CONNECTION_STRING`, `DATABASE_URL`, an
/// `Authorization` header, a `webhook_url`).
pub fn is_sensitive_key(key: &str) -> bool {
    // A plan of 100,000 resources asks this of the same few keys millions of times: the
    // answers are remembered, for at most `REMEMBERED` keys (a hostile tree of endless key
    // names is still answered, only not remembered).
    const REMEMBERED: usize = 4096;
    type Seen = std::sync::RwLock<foldhash::HashMap<String, bool>>;
    static SEEN: std::sync::LazyLock<Seen> = std::sync::LazyLock::new(Seen::default);
    if let Some(known) = SEEN.read().ok().and_then(|m| m.get(key).copied()) {
        return known;
    }
    let sensitive = classify_key(key);
    if let Ok(mut m) = SEEN.write()
        && m.len() < REMEMBERED
    {
        m.insert(key.to_string(), sensitive);
    }
    sensitive
}

/// A value as a message shows it: `` `value` ``, or, when it came from the environment, the
/// `${VAR}` it was written as (the value itself is a secret).
pub fn shown_in_message(value: &str, template: Option<&str>) -> String {
    match template {
        Some(t) => format!("{t} (from the environment)"),
        None => format!("`{value}`"),
    }
}

/// [`is_sensitive_key`], worked out.
fn classify_key(key: &str) -> bool {
    let words: Vec<String> = split_words(key)
        .into_iter()
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()).to_string())
        .filter(|w| !w.is_empty())
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    // A switch named for what it switches (`disable_self_service_change_password`) holds no
    // secret.
    const SWITCHES: [&str; 9] = [
        "disable", "disabled", "enable", "enabled", "require", "requires", "is", "has", "show",
    ];
    if words.len() > 1 && SWITCHES.contains(&words[0].to_ascii_lowercase().as_str()) {
        return false;
    }
    const LAST: [&str; 19] = [
        "secret",
        "password",
        "passwd",
        "pass",
        "pw",
        "dsn",
        "salt",
        "authorization",
        "webhook",
        "passphrase",
        "pwd",
        "key",
        "cert",
        "certificate",
        "token",
        "pkcs7",
        "pem",
        "credential",
        "credentials",
    ];
    let singular = last.strip_suffix('s').filter(|w| LAST.contains(w));
    let joined: String = words.concat();
    const COMPOUNDS: [&str; 20] = [
        "apikey",
        "dbpass",
        "smtppass",
        "userpass",
        "adminpass",
        "rootpass",
        "authkey",
        "connectionstring",
        "databaseurl",
        "dburl",
        "webhookurl",
        "connectionuri",
        "mongouri",
        "privatekey",
        "secretkey",
        "accesskey",
        "sshkey",
        "signingkey",
        "accesstoken",
        "refreshtoken",
    ];
    LAST.contains(&last.as_str())
        || singular.is_some()
        || words
            .iter()
            .any(|w| w.contains("secret") || w.contains("private"))
        || COMPOUNDS.iter().any(|c| joined.ends_with(c))
}

/// Words of a key: split at non-alphanumerics, at a lower-to-upper change (`signingKey`), and
/// before the last capital of a run followed by a lower-case letter (`JWTSecret`: JWT, Secret).
fn split_words(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && !current.is_empty()
            && (prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase)));
        if boundary {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The secrecy of one resource's values: key names, plus the paths whose values came from the
/// environment (path → the template as written, e.g. `${GOOGLE_SECRET}`).
#[derive(Debug, Clone, Copy)]
pub struct Secrecy<'a> {
    pub from_env: &'a BTreeMap<FieldPath, String>,
}

static NO_ENV: BTreeMap<FieldPath, String> = BTreeMap::new();

impl Secrecy<'static> {
    /// Secrecy by key names alone (the tenant's side, where nothing came from a variable).
    pub fn by_key() -> Secrecy<'static> {
        Secrecy { from_env: &NO_ENV }
    }
}

/// Fields of a resource (v2 clients) named like secrets that hold settings: the key at the end
/// of each of these paths is not judged by its name (what lies below it still is).
/// An action's `secrets` are `{name, value}` pairs: the names are shown, the values are not
/// (`SECRET_PATHS`).
const SETTINGS: [&[&str]; 4] = [
    &["refresh_token"],
    &["jwt_configuration", "secret_encoded"],
    &["secrets"],
    // Breached-password detection's settings at password changes.
    &["stage", "pre-change-password"],
];

/// Fields whose keys at any depth name what is shown to people, never a secret: a prompt's
/// custom text (its `login-password` screen, its `passwordPlaceholder` text). A value from the
/// environment is a secret there too.
const SHOWN_TEXT: [&str; 1] = ["custom_text"];

/// Paths whose last key holds a secret whatever its name (`*`: any key or index): the values
/// of an action's secrets, a log stream's Sumo address and custom header values.
const SECRET_PATHS: [&[&str]; 3] = [
    &["secrets", "*", "value"],
    // A log stream's Sumo Logic address (the address is the credential) and custom headers.
    &["sink", "sumoSourceAddress"],
    &["sink", "httpCustomHeaders", "*", "value"],
];

/// Whether the path `at` (its keys, outermost first) is one of `SECRET_PATHS`.
fn on_secret_path<S: AsRef<str>>(at: &[S]) -> bool {
    SECRET_PATHS.iter().any(|p| {
        p.len() == at.len()
            && p.iter()
                .zip(at)
                .all(|(want, key)| *want == "*" || *want == key.as_ref())
    })
}

/// Whether the key at `segments[i]` names a secret, at that place.
fn names_a_secret<S: AsRef<str>>(segments: &[S], i: usize) -> bool {
    if i > 0 && SHOWN_TEXT.contains(&segments[0].as_ref()) {
        return false;
    }
    (is_sensitive_key(segments[i].as_ref())
        && !SETTINGS
            .iter()
            .any(|s| s.len() == i + 1 && s.iter().zip(segments).all(|(a, b)| *a == b.as_ref())))
        || on_secret_path(&segments[..=i])
}

impl Secrecy<'_> {
    /// Whether the value at `path` is secret (or lies inside a secret value).
    pub fn is_secret(&self, path: &FieldPath) -> bool {
        let segments = path.segments();
        (0..segments.len()).any(|i| names_a_secret(segments, i)) || self.env_covers(path)
    }

    /// Whether the value at `path` came from the environment, or lies inside one that did.
    pub fn env_covers(&self, path: &FieldPath) -> bool {
        self.from_env.keys().any(|p| path.starts_with(p))
    }

    /// Whether the value at `path` is secret or holds one somewhere inside.
    pub fn holds_secret(&self, path: &FieldPath, value: &Value) -> bool {
        let mut found = false;
        leaves(value, path, &mut |p, _| found |= self.is_secret(p));
        found
    }

    /// The `${VAR}` template of the value at `path`, when it came from the environment.
    pub fn template(&self, path: &FieldPath) -> Option<&str> {
        self.from_env.get(path).map(String::as_str)
    }

    /// The value at `path` with every secret leaf replaced by `(sensitive)`.
    pub fn mask(&self, path: &FieldPath, value: &Value) -> Value {
        let mut out = value.clone();
        leaves_mut(&mut out, path, &mut |p, leaf| {
            if self.is_secret(p) && !leaf.is_null() {
                *leaf = Value::String(SENSITIVE.into());
            }
        });
        out
    }

    /// The secret string leaves of a value, with their paths.
    pub fn secret_strings<'v>(
        &self,
        path: &FieldPath,
        value: &'v Value,
    ) -> Vec<(FieldPath, &'v str)> {
        let mut out = Vec::new();
        leaves(value, path, &mut |p, leaf| {
            if let Value::String(s) = leaf
                && self.is_secret(p)
            {
                out.push((p.clone(), s.as_str()));
            }
        });
        out
    }
}

/// A before/after pair for display: secret leaves (secret by either side's reckoning) masked; a
/// secret leaf of `after` that differs from `before` reads `(sensitive, changed)`.
pub fn mask_pair(
    path: &FieldPath,
    before: Option<&Value>,
    after: Option<&Value>,
    before_secrecy: Secrecy<'_>,
    after_secrecy: Secrecy<'_>,
) -> (Option<Value>, Option<Value>) {
    // Most values hold no secret at all: they are shown as they are, judged without a path
    // made per leaf.
    if before_secrecy.from_env.is_empty()
        && after_secrecy.from_env.is_empty()
        && [before, after]
            .into_iter()
            .flatten()
            .all(|v| !holds_key_secret(path, v))
    {
        return (before.cloned(), after.cloned());
    }
    let secret = |p: &FieldPath| before_secrecy.is_secret(p) || after_secrecy.is_secret(p);
    let masked_before = before.map(|b| {
        let mut out = b.clone();
        leaves_mut(&mut out, path, &mut |p, leaf| {
            if !leaf.is_null() && secret(p) {
                *leaf = Value::String(SENSITIVE.into());
            }
        });
        out
    });
    let masked_after = after.map(|a| {
        let mut out = a.clone();
        leaves_mut(&mut out, path, &mut |p, leaf| {
            if leaf.is_null() || !secret(p) {
                return;
            }
            let rel = p.strip_prefix(path).unwrap_or_default();
            let old = before.and_then(|b| rel.get(b));
            let marker = if before.is_some() && old != Some(&*leaf) {
                SENSITIVE_CHANGED
            } else {
                SENSITIVE
            };
            *leaf = Value::String(marker.into());
        });
        out
    });
    (masked_before, masked_after)
}

/// Whether a key's name makes the value at `path`, or a value inside it, secret: what
/// [`Secrecy::by_key`] says of any of its leaves, without a path made per leaf.
fn holds_key_secret(path: &FieldPath, value: &Value) -> bool {
    let segments = path.segments();
    let inside = (0..segments.len()).any(|i| names_a_secret(segments, i));
    // Only a key names a secret (`SECRET_PATHS` end in one): a value with no object inside
    // holds one only when its own path names it (most values: names, URLs, lists of them).
    if inside || !has_object(value) {
        return inside;
    }
    let mut at: Vec<&str> = segments.iter().map(String::as_str).collect();
    by_key(value, &mut at, inside, &mut |_, secret| secret)
}

/// Whether an object is `value` or lies inside it.
fn has_object(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().any(has_object),
        _ => false,
    }
}

/// Visits `value` (at the path `at`) and every value inside it, each with whether a key on its
/// path names a secret (`inside`: one above `value` does): the judgement of
/// [`Secrecy::by_key`], made without a path per leaf. Stops, and says so, once `visit` does.
fn by_key<'v>(
    value: &'v Value,
    at: &mut Vec<&'v str>,
    inside: bool,
    visit: &mut dyn FnMut(&'v Value, bool) -> bool,
) -> bool {
    if visit(value, inside) {
        return true;
    }
    let mut child = |key: &'v str, v: &'v Value, at: &mut Vec<&'v str>| {
        at.push(key);
        let secret = inside || key_names_a_secret(at);
        let stop = by_key(v, at, secret, visit);
        at.pop();
        stop
    };
    match value {
        Value::Object(m) => m.iter().any(|(k, v)| child(k, v, at)),
        // An index names no secret, and no setting's path has one.
        Value::Array(items) => items.iter().any(|v| child("", v, at)),
        _ => false,
    }
}

/// Whether the last key of `at` names a secret at that place (`names_a_secret` of the path).
fn key_names_a_secret(at: &[&str]) -> bool {
    names_a_secret(at, at.len() - 1)
}

/// Shorter values are not scrubbed from free text (they would garble it); they are never
/// displayed in the first place.
const MIN_SCRUBBED: usize = 6;

/// Scrubs known secret values from text before it is printed: the second line of defence behind
/// structural masking. Values that are secret by their key's name are scrubbed from everything;
/// values that came from the environment are scrubbed from messages (API errors, logs), where an
/// API may echo a request body, but not from plans, where an ordinary value such as a domain
/// would garble everything else that mentions it (there they are masked where they are used).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    by_key: Vec<String>,
    from_env: Vec<String>,
}

impl Redactor {
    /// The secret values of these resources' fields.
    pub fn from_values<'a>(values: impl IntoIterator<Item = (&'a Value, Secrecy<'a>)>) -> Redactor {
        let mut r = Redactor::default();
        for (value, secrecy) in values {
            r.collect(value, secrecy);
        }
        r.normalise();
        r
    }

    /// A redactor of every secret value of these resources, each given as its top-level fields
    /// and its secrecy: what [`Redactor::from_values`] finds in the object of those fields,
    /// without making that object.
    pub fn from_fields<'a, 'v, F>(resources: impl IntoIterator<Item = (F, Secrecy<'a>)>) -> Redactor
    where
        F: IntoIterator<Item = (&'v String, &'v Value)>,
    {
        let mut r = Redactor::default();
        let mut at: Vec<&str> = Vec::new();
        for (fields, secrecy) in resources {
            for (key, value) in fields {
                if secrecy.from_env.is_empty() {
                    at.push(key);
                    let inside = key_names_a_secret(&at);
                    by_key(value, &mut at, inside, &mut |v, secret| {
                        if let (true, Value::String(s)) = (secret, v) {
                            r.by_key.push(s.clone());
                        }
                        false
                    });
                    at.pop();
                } else {
                    // Values from the environment are found by their paths.
                    leaves(value, &FieldPath::field(key), &mut |p, leaf| {
                        r.push_leaf(p, leaf, secrecy)
                    });
                }
            }
        }
        r.normalise();
        r
    }

    fn push_leaf(&mut self, p: &FieldPath, leaf: &Value, secrecy: Secrecy<'_>) {
        let Value::String(s) = leaf else { return };
        if Secrecy::by_key().is_secret(p) {
            self.by_key.push(s.clone());
        } else if secrecy.is_secret(p) {
            self.from_env.push(s.clone());
        }
    }

    fn collect(&mut self, value: &Value, secrecy: Secrecy<'_>) {
        leaves(value, &FieldPath::root(), &mut |p, leaf| {
            self.push_leaf(p, leaf, secrecy)
        });
    }

    /// Longest first (so a secret containing another is scrubbed whole), without repeats.
    fn normalise(&mut self) {
        for list in [&mut self.by_key, &mut self.from_env] {
            list.retain(|s| s.chars().count() >= MIN_SCRUBBED);
            list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            list.dedup();
        }
    }

    pub fn merge(&mut self, other: Redactor) {
        self.by_key.extend(other.by_key);
        self.from_env.extend(other.from_env);
        self.normalise();
    }

    /// A displayed text (a plan, a report) with every secret-by-name value replaced, also in its
    /// JSON-escaped form.
    pub fn scrub<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        scrub_with(text, &self.by_key)
    }

    /// A message (an error, a log line) with every known secret replaced, those from the
    /// environment included.
    pub fn scrub_message(&self, text: &str) -> String {
        scrub_with(&scrub_with(text, &self.by_key), &self.from_env).into_owned()
    }
}

/// `text` with every written form of `secrets` replaced; borrowed when none occurs (a plan of
/// 100,000 resources is not copied to be printed).
fn scrub_with<'t>(text: &'t str, secrets: &[String]) -> std::borrow::Cow<'t, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    for s in secrets {
        for form in written_forms(s) {
            if out.contains(form.as_str()) {
                out = std::borrow::Cow::Owned(out.replace(form.as_str(), SENSITIVE));
            }
        }
    }
    out
}

/// The ways a JSON encoder may write a string back: as is, with JSON escapes, with `/` as
/// `\/` (PHP), with every non-ASCII character as `\uXXXX` (Python), and both.
fn written_forms(s: &str) -> Vec<String> {
    let json = serde_json::to_string(s).unwrap_or_default();
    let json = json[1..json.len().saturating_sub(1).max(1)].to_string();
    let ascii: String = json
        .chars()
        .flat_map(|c| {
            if c.is_ascii() {
                vec![c.to_string()]
            } else {
                let mut units = [0u16; 2];
                c.encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect()
            }
        })
        .collect();
    let mut forms = vec![s.to_string(), json.clone(), json.replace('/', "\\/")];
    forms.push(ascii.clone());
    forms.push(ascii.replace('/', "\\/"));
    forms.retain(|f| !f.is_empty());
    forms.sort();
    forms.dedup();
    // Longest first, so a form containing another is replaced whole.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

/// The process's redactor: every secret a command has learnt (from manifests, the tenant, tokens),
/// so that every message printed anywhere (errors, logs, reports) can be scrubbed.
static KNOWN: Mutex<Option<Redactor>> = Mutex::new(None);

fn known() -> MutexGuard<'static, Option<Redactor>> {
    KNOWN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Remember secrets for every later [`scrub_message`] and [`scrub`].
pub fn learn(redactor: Redactor) {
    known()
        .get_or_insert_with(Redactor::default)
        .merge(redactor);
}

/// Remember one secret value (a token, a credential) for messages.
pub fn learn_value(value: &str) {
    learn(Redactor {
        by_key: Vec::new(),
        from_env: vec![value.to_string()],
    });
}

/// The process's redactor, as learnt so far.
pub fn redactor() -> Redactor {
    known().clone().unwrap_or_default()
}

/// A message scrubbed with everything learnt so far.
pub fn scrub_message(text: &str) -> String {
    redactor().scrub_message(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A prompt's custom text is shown to people: its screens and keys (`login-password`,
    /// `passwordPlaceholder`) name no secret, walked by path or by value; the same keys
    /// elsewhere still do, and a value from the environment is a secret there too.
    #[test]
    fn a_prompt_s_text_is_never_secret_by_its_keys() {
        let s = Secrecy::by_key();
        let at = |p: &[&str]| FieldPath::from_segments(p.iter().copied());
        for path in [
            &["custom_text", "login-password", "passwordPlaceholder"][..],
            &["custom_text", "reset-password", "password"],
            &["custom_text", "mfa-otp", "token"],
        ] {
            assert!(!s.is_secret(&at(path)), "{path:?}");
        }
        let text = json!({"login-password": {"password": "Mot de passe"}});
        assert!(!s.holds_secret(&at(&["custom_text"]), &text));
        assert_eq!(s.mask(&at(&["custom_text"]), &text), text);
        assert!(s.is_secret(&at(&["options", "password"])));
        assert!(s.holds_secret(&at(&["options"]), &text));
        let from_env = BTreeMap::from([(at(&["custom_text", "login", "title"]), "${T}".into())]);
        let env = Secrecy {
            from_env: &from_env,
        };
        assert!(env.is_secret(&at(&["custom_text", "login", "title"])));
    }

    #[test]
    fn sensitive_keys() {
        for yes in [
            "client_secret",
            "app_secret",
            "password",
            "key",
            "cert",
            "signingCert",
            "signingKey",
            "Signing Cert",
            "api_key",
            "api.key",
            "API_KEY",
            "private_key_id",
            "consumer_secret",
            "access_token",
            "bind_password",
            "db_password",
            "passphrase",
            "pwd",
            "service_account_credentials",
            "JWTSecret",
            "clientsecret",
            "APIKey",
            "SSHKey",
            "apikey",
            "privatekey",
            "secrets",
            "passwords",
            "tokens",
            "Password1",
            "db_password_2",
            "access_token2",
            "signing_keys",
            "accesstoken",
            "DB_PASS",
            "SMTP_PASS",
            "smtp_pass",
            "smtpPass",
            "ldap_pw",
            "SENTRY_DSN",
            "dbpass",
            "MONGO_CONNECTION_STRING",
            "connectionString",
            "hash_salt",
            "DATABASE_URL",
            "Authorization",
            "webhook_url",
            "slackWebhook",
            "MONGO_URI",
        ] {
            assert!(is_sensitive_key(yes), "{yes}");
        }
        for no in [
            "client_id",
            "domain_aliases",
            "tenant_domain",
            "scope",
            "requires_username",
            "signInEndpoint",
            "keywords",
            "passwordPolicy",
            "password_complexity_options",
            "callbacks",
            "options",
            "configuration",
            "token_endpoint_auth_method",
            "monkey",
            "keys_url",
            "hockey",
            "passthrough",
            "bypass",
            "compass",
            "pass_through_mode",
            "connection_name",
            "disable_self_service_change_password",
            "enable_password_reset",
            "is_token_endpoint_ip_header_trusted",
            "requires_password",
        ] {
            assert!(!is_sensitive_key(no), "{no}");
        }
    }

    #[test]
    fn secret_paths_cover_nested_and_env_values() {
        let mut env = BTreeMap::new();
        env.insert(
            FieldPath::from_segments(["callbacks", "1"]),
            "${HOST}".to_string(),
        );
        let s = Secrecy { from_env: &env };
        assert!(s.is_secret(&FieldPath::from_segments(["callbacks", "1"])));
        assert!(!s.is_secret(&FieldPath::field("callbacks")));
        assert!(s.holds_secret(&FieldPath::field("callbacks"), &json!(["a", "b"])));
        assert!(s.is_secret(&FieldPath::from_segments(["signingKey", "cert"])));
        assert!(s.is_secret(&FieldPath::from_segments([
            "options",
            "configuration",
            "API_KEY"
        ])));
        assert!(!s.is_secret(&FieldPath::from_segments(["options", "client_id"])));
    }

    #[test]
    fn mask_hides_nested_secrets_whatever_their_length() {
        let v = json!({"configuration": {"db_password": "abc", "host": "db"}, "upstream": {"client_secret": "x"}});
        let masked = Secrecy::by_key().mask(&FieldPath::field("options"), &v);
        assert_eq!(
            masked,
            json!({"configuration": {"db_password": SENSITIVE, "host": "db"}, "upstream": {"client_secret": SENSITIVE}})
        );
        let (b, a) = mask_pair(
            &FieldPath::field("options"),
            Some(&json!({"k": {"api_key": "old"}})),
            Some(&json!({"k": {"api_key": "new"}})),
            Secrecy::by_key(),
            Secrecy::by_key(),
        );
        assert_eq!(b, Some(json!({"k": {"api_key": SENSITIVE}})));
        assert_eq!(a, Some(json!({"k": {"api_key": SENSITIVE_CHANGED}})));
    }

    #[test]
    fn redactor_scrubs_plain_and_escaped_values() {
        let v = json!({"options": {"client_secret": "s3cr\"et-value", "client_id": "visible"}});
        let red = Redactor::from_values([(&v, Secrecy::by_key())]);
        let text = "a s3cr\"et-value b \"s3cr\\\"et-value\" visible";
        let scrubbed = red.scrub(text);
        assert!(!scrubbed.contains("et-value"), "{scrubbed}");
        assert!(scrubbed.contains("visible"));
    }

    #[test]
    fn every_json_form_of_a_secret_is_scrubbed() {
        let v = json!({"api_key": "ünï_t/k€n+3"});
        let red = Redactor::from_values([(&v, Secrecy::by_key())]);
        for text in [
            "raw ünï_t/k€n+3",
            r#"php "ünï_t\/k€n+3""#,
            r#"python "\u00fcn\u00ef_t/k\u20acn+3""#,
            r#"both "\u00fcn\u00ef_t\/k\u20acn+3""#,
        ] {
            let scrubbed = red.scrub(text);
            assert!(
                scrubbed.contains(SENSITIVE) && !scrubbed.contains("n+3"),
                "{text} -> {scrubbed}"
            );
        }
    }

    #[test]
    fn env_values_are_scrubbed_from_messages_only() {
        let mut env = BTreeMap::new();
        env.insert(FieldPath::field("name"), "${HOST}".to_string());
        let v = json!({"name": "shop.example.com"});
        let red = Redactor::from_values([(&v, Secrecy { from_env: &env })]);
        assert_eq!(red.scrub("at shop.example.com"), "at shop.example.com");
        assert_eq!(red.scrub_message("at shop.example.com"), "at (sensitive)");
    }

    /// The redactor of resources' fields finds what the redactor of their objects finds: by key
    /// at any depth (in arrays too), the settings named like secrets excepted, and values from
    /// the environment by path.
    #[test]
    fn from_fields_finds_what_from_values_finds() {
        let v = json!({
            "name": "shop-app",
            "client_secret": "top-secret-1",
            "refresh_token": {"rotation_type": "rotating-xyz"},
            "jwt_configuration": {"secret_encoded": "true-ish-value", "alg": "RS256"},
            "options": {"nested": [{"api_key": "key-in-array-2"}, "plain-text-3"], "password": {"deep": "deeper-4"}},
            "callbacks": ["https://from-env.example.com"],
        });
        let mut env = BTreeMap::new();
        env.insert(
            FieldPath::from_segments(["callbacks", "0"]),
            "${CB}".to_string(),
        );
        for secrecy in [Secrecy::by_key(), Secrecy { from_env: &env }] {
            let whole = Redactor::from_values([(&v, secrecy)]);
            let fields = Redactor::from_fields([(v.as_object().unwrap().iter(), secrecy)]);
            assert_eq!(fields.by_key, whole.by_key);
            assert_eq!(fields.from_env, whole.from_env);
        }
        let found = Redactor::from_fields([(v.as_object().unwrap().iter(), Secrecy::by_key())]);
        assert_eq!(found.by_key, ["key-in-array-2", "top-secret-1", "deeper-4"]);
        let env_found =
            Redactor::from_fields([(v.as_object().unwrap().iter(), Secrecy { from_env: &env })]);
        assert_eq!(env_found.from_env, ["https://from-env.example.com"]);
    }

    /// A value with no secret inside is shown as it is; one with a secret key at any depth (in
    /// an array too) is masked there, and settings named like secrets are not.
    #[test]
    fn mask_pair_masks_only_what_a_key_makes_secret() {
        let show = |path: &[&str], v: Value| {
            let path = FieldPath::from_segments(path.iter().copied());
            mask_pair(&path, None, Some(&v), Secrecy::by_key(), Secrecy::by_key()).1
        };
        let options = json!({"api_key": "k-1", "nested": [{"password": "p-2"}], "plain": "x"});
        assert_eq!(
            show(&["options"], options),
            Some(json!({"api_key": SENSITIVE, "nested": [{"password": SENSITIVE}], "plain": "x"}))
        );
        let rotation = json!({"rotation_type": "rotating"});
        assert_eq!(show(&["refresh_token"], rotation.clone()), Some(rotation));
        let jwt = json!({"secret_encoded": true, "alg": "RS256"});
        assert_eq!(show(&["jwt_configuration"], jwt.clone()), Some(jwt));
        assert_eq!(
            show(&["client_secret"], json!("s-3")),
            Some(json!(SENSITIVE))
        );
        let callbacks = json!(["https://a.example.com"]);
        assert_eq!(show(&["callbacks"], callbacks.clone()), Some(callbacks));
    }
}
