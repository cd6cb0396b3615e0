//! `${VAR}` interpolation, done on parsed string values (never on the text, so a variable cannot
//! inject YAML). `$${` writes a literal `${`. Every string that took a variable's value is
//! remembered, with its template, as a secret: it is never displayed, and a saved plan records
//! the template instead of the value.

use serde_json::Value;

use crate::manifest::vars::{Vars, is_name};
use crate::path::{FieldPath, leaves_mut};

/// A string value that came (at least partly) from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretOrigin {
    /// Where the value is in its document.
    pub path: FieldPath,
    /// The string as written, e.g. `${GOOGLE_SECRET}`.
    pub template: String,
}

/// A problem with one reference, at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpError {
    pub pointer: String,
    pub message: String,
    /// The variable that is set nowhere (reported once per name, with every use).
    pub unset: Option<String>,
}

/// A value that came from `--var` / var files: shown, not secret.
#[derive(Debug, Clone, PartialEq)]
pub struct VarOrigin {
    pub path: FieldPath,
    /// Each variable used, with where it was set (`${CALLBACKS}` from `env/dev.yaml:3:12`).
    pub origins: Vec<String>,
}

/// Where `${NAME}`s are looked up: `--var`, var files, then the environment.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    pub vars: &'a Vars,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// The outcome of resolving one template string.
#[derive(Debug, PartialEq)]
pub enum Resolved {
    /// No variable: the string stands as written (escapes applied).
    Literal(String),
    /// At least one variable came from the environment: a secret.
    FromEnv(String),
    /// Only variables of `--var` and var files: shown. A template that is exactly one
    /// `${NAME}` takes the variable's value whole, of whatever type.
    FromVars(Value, Vec<String>),
}

/// Resolve one template. With `lenient`, unset variables stay as `${NAME}` instead of failing
/// (the offline `diff`, and `validate --allow-unset`).
pub fn resolve(
    template: &str,
    lookup: Lookup<'_>,
    lenient: bool,
) -> Result<Resolved, Vec<(String, Option<String>)>> {
    if !template.contains('$') {
        return Ok(Resolved::Literal(template.to_string()));
    }
    if let Some(var) = whole_reference(template).and_then(|n| lookup.vars.get(n)) {
        let name = whole_reference(template).unwrap_or_default();
        return Ok(Resolved::FromVars(
            var.value.clone(),
            vec![format!("`${{{name}}}` from {}", var.origin)],
        ));
    }
    let mut text = Expansion::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        text.out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            text.out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                text.errors.push((
                    "unterminated `${`: write `$${` for a literal `${`".to_string(),
                    None,
                ));
                break;
            };
            text.substitute(&after[..end], lookup, lenient);
            rest = &after[end + 1..];
        } else {
            text.out.push('$');
            rest = &tail[1..];
        }
    }
    text.finish(rest)
}

/// A template being expanded: the text so far, its problems, and where its values came from.
struct Expansion {
    out: String,
    errors: Vec<(String, Option<String>)>,
    /// A variable came from the environment: the result is a secret.
    used_env: bool,
    /// Each `--var` or var file variable used, with where it was set.
    origins: Vec<String>,
}

impl Expansion {
    /// An empty expansion with room for `capacity` bytes of text.
    fn with_capacity(capacity: usize) -> Self {
        Expansion {
            out: String::with_capacity(capacity),
            errors: Vec::new(),
            used_env: false,
            origins: Vec::new(),
        }
    }

    /// Append the value of `${name}`: a variable's (a string, number or boolean only, inside a
    /// text), else the environment's, else, when `lenient`, the reference as written.
    fn substitute(&mut self, name: &str, lookup: Lookup<'_>, lenient: bool) {
        if !is_name(name) {
            self.errors.push((
                format!(
                    "`${{{name}}}` is not a variable reference (names are letters, digits and `_`); write `$${{` for a literal `${{`"
                ),
                None,
            ));
        } else if let Some(var) = lookup.vars.get(name) {
            match &var.value {
                Value::String(s) => self.out.push_str(s),
                Value::Number(n) => self.out.push_str(&n.to_string()),
                Value::Bool(b) => self.out.push_str(&b.to_string()),
                other => self.errors.push((
                    format!(
                        "`${{{name}}}` holds {} (from {}), which cannot be part of a text; write the variable alone, as the whole value",
                        kind_of(other),
                        var.origin
                    ),
                    None,
                )),
            }
            self.origins
                .push(format!("`${{{name}}}` from {}", var.origin));
        } else {
            self.used_env = true;
            match (lookup.env)(name) {
                Some(v) => self.out.push_str(&v),
                None if lenient => self.out.push_str(&format!("${{{name}}}")),
                None => self.errors.push((
                    format!("variable `{name}` is not set"),
                    Some(name.to_string()),
                )),
            }
        }
    }

    /// The expanded template, `rest` (the text after the last `$`) appended: from the
    /// environment, from variables, or literal; or every problem found.
    fn finish(mut self, rest: &str) -> Result<Resolved, Vec<(String, Option<String>)>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        self.out.push_str(rest);
        Ok(if self.used_env {
            Resolved::FromEnv(self.out)
        } else if !self.origins.is_empty() {
            Resolved::FromVars(Value::String(self.out), self.origins)
        } else {
            Resolved::Literal(self.out)
        })
    }
}

/// The names a template refers to (`$${` escapes skipped).
pub fn names(template: &str) -> impl Iterator<Item = &str> {
    let mut rest = template;
    std::iter::from_fn(move || {
        loop {
            let i = rest.find('$')?;
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("$${") {
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let end = after.find('}')?;
                rest = &after[end + 1..];
                return Some(&after[..end]);
            } else {
                rest = &tail[1..];
            }
        }
    })
}

/// `NAME` when the template is exactly `${NAME}`.
fn whole_reference(template: &str) -> Option<&str> {
    template
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .filter(|n| is_name(n))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
        Value::Null => "null",
        _ => "a value",
    }
}

/// What interpolating a document found.
#[derive(Debug, Default)]
pub struct Interpolated {
    pub secrets: Vec<SecretOrigin>,
    pub from_vars: Vec<VarOrigin>,
    pub errors: Vec<InterpError>,
}

/// Resolve every string value in a document in place.
pub fn interpolate(value: &mut Value, lookup: Lookup<'_>, lenient: bool) -> Interpolated {
    let mut found = Interpolated::default();
    leaves_mut(value, &FieldPath::root(), &mut |path, leaf| {
        let Value::String(s) = leaf else { return };
        match resolve(s, lookup, lenient) {
            Ok(Resolved::Literal(v)) => *s = v,
            Ok(Resolved::FromEnv(v)) => found.secrets.push(SecretOrigin {
                path: path.clone(),
                template: std::mem::replace(s, v),
            }),
            Ok(Resolved::FromVars(v, origins)) => {
                *leaf = v;
                found.from_vars.push(VarOrigin {
                    path: path.clone(),
                    origins,
                });
            }
            Err(messages) => found
                .errors
                .extend(messages.into_iter().map(|(message, unset)| InterpError {
                    pointer: path.pointer(),
                    message,
                    unset,
                })),
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("shop.example.com".into()),
            "SECRET" => Some("s3cr3t".into()),
            _ => None,
        }
    }

    fn vars() -> Vars {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("v.yaml");
        std::fs::write(
            &f,
            "CALLBACKS: [https://a/cb]\nDOMAIN: dev.example.com\nPORT: 8080\n",
        )
        .unwrap();
        Vars::load(&[f], &[]).unwrap()
    }

    #[test]
    fn table() {
        let vars = vars();
        let lookup = Lookup {
            vars: &vars,
            env: &env,
        };
        let ok: &[(&str, Resolved)] = &[
            ("plain", Resolved::Literal("plain".into())),
            ("cost $5", Resolved::Literal("cost $5".into())),
            ("$${HOST}", Resolved::Literal("${HOST}".into())),
            ("$$${HOST}", Resolved::Literal("$${HOST}".into())),
            (
                "https://${HOST}/cb",
                Resolved::FromEnv("https://shop.example.com/cb".into()),
            ),
            (
                "${HOST}${SECRET}",
                Resolved::FromEnv("shop.example.coms3cr3t".into()),
            ),
            (
                "https://${DOMAIN}:${PORT}/${HOST}",
                Resolved::FromEnv("https://dev.example.com:8080/shop.example.com".into()),
            ),
        ];
        for (t, want) in ok {
            assert_eq!(&resolve(t, lookup, false).unwrap(), want, "{t}");
        }
        match resolve("${CALLBACKS}", lookup, false).unwrap() {
            Resolved::FromVars(v, origins) => {
                assert_eq!(v, json!(["https://a/cb"]));
                assert!(
                    origins[0].starts_with("`${CALLBACKS}` from "),
                    "{origins:?}"
                );
                assert!(origins[0].ends_with("v.yaml:1:12"), "{origins:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve("https://${DOMAIN}/cb", lookup, false).unwrap(),
            Resolved::FromVars(Value::String(s), _) if s == "https://dev.example.com/cb"
        ));
        let bad: &[(&str, &str)] = &[
            ("${MISSING}", "variable `MISSING` is not set"),
            ("${HOST", "unterminated"),
            ("${1X}", "not a variable reference"),
            ("${ HOST }", "not a variable reference"),
            ("x ${CALLBACKS}", "holds a list"),
        ];
        for (t, needle) in bad {
            let e = resolve(t, lookup, false).unwrap_err();
            assert!(e[0].0.contains(needle), "{t}: {e:?}");
        }
        assert_eq!(
            resolve("${MISSING}", lookup, true).unwrap(),
            Resolved::FromEnv("${MISSING}".into())
        );
    }

    #[test]
    fn every_missing_variable_is_reported() {
        let vars = Vars::default();
        let lookup = Lookup {
            vars: &vars,
            env: &env,
        };
        let mut doc = json!({"a": ["${A}", "${HOST}"], "b": {"c": "${B} and ${C}"}});
        let found = interpolate(&mut doc, lookup, false);
        assert_eq!(found.secrets.len(), 1);
        assert_eq!(found.secrets[0].path.pointer(), "/a/1");
        assert_eq!(found.secrets[0].template, "${HOST}");
        let errors: Vec<(&str, Option<&str>)> = found
            .errors
            .iter()
            .map(|e| (e.pointer.as_str(), e.unset.as_deref()))
            .collect();
        assert_eq!(
            errors,
            vec![
                ("/a/0", Some("A")),
                ("/b/c", Some("B")),
                ("/b/c", Some("C"))
            ]
        );
    }
}
