//! `${VAR}` interpolation, done on parsed string values (never on the text, so a variable cannot
//! inject YAML). `$${` writes a literal `${`. Every string that took a variable's value is
//! remembered, with its template, as a secret: it is never displayed, and a saved plan records
//! the template instead of the value.

use serde_json::Value;

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
}

/// The outcome of resolving one template string.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// No `${`: the string stands as written (escapes applied).
    Literal(String),
    /// At least one variable was substituted.
    FromEnv(String),
}

/// Resolve one template. With `lenient`, unset variables stay as `${NAME}` instead of failing
/// (the offline `diff` compares templates when no secret is available).
pub fn resolve(
    template: &str,
    env: &dyn Fn(&str) -> Option<String>,
    lenient: bool,
) -> Result<Resolved, Vec<String>> {
    if !template.contains('$') {
        return Ok(Resolved::Literal(template.to_string()));
    }
    let mut out = String::with_capacity(template.len());
    let mut errors = Vec::new();
    let mut used_env = false;
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                errors.push("unterminated `${`: write `$${` for a literal `${`".to_string());
                break;
            };
            let name = &after[..end];
            if !is_var_name(name) {
                errors.push(format!(
                    "`${{{name}}}` is not a variable reference (names are letters, digits and `_`); write `$${{` for a literal `${{`"
                ));
            } else {
                used_env = true;
                match env(name) {
                    Some(v) => out.push_str(&v),
                    None if lenient => out.push_str(&format!("${{{name}}}")),
                    None => errors.push(format!("environment variable `{name}` is not set")),
                }
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.push_str(rest);
    Ok(if used_env {
        Resolved::FromEnv(out)
    } else {
        Resolved::Literal(out)
    })
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Resolve every string value in a document in place.
pub fn interpolate(
    value: &mut Value,
    env: &dyn Fn(&str) -> Option<String>,
    lenient: bool,
) -> (Vec<SecretOrigin>, Vec<InterpError>) {
    let mut secrets = Vec::new();
    let mut errors = Vec::new();
    leaves_mut(value, &FieldPath::root(), &mut |path, leaf| {
        let Value::String(s) = leaf else { return };
        match resolve(s, env, lenient) {
            Ok(Resolved::Literal(v)) => *s = v,
            Ok(Resolved::FromEnv(v)) => secrets.push(SecretOrigin {
                path: path.clone(),
                template: std::mem::replace(s, v),
            }),
            Err(messages) => errors.extend(messages.into_iter().map(|message| InterpError {
                pointer: path.pointer(),
                message,
            })),
        }
    });
    (secrets, errors)
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

    #[test]
    fn table() {
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
        ];
        for (t, want) in ok {
            assert_eq!(&resolve(t, &env, false).unwrap(), want, "{t}");
        }
        let bad: &[(&str, &str)] = &[
            ("${MISSING}", "`MISSING` is not set"),
            ("${HOST", "unterminated"),
            ("${1X}", "not a variable reference"),
            ("${ HOST }", "not a variable reference"),
        ];
        for (t, needle) in bad {
            let e = resolve(t, &env, false).unwrap_err();
            assert!(e[0].contains(needle), "{t}: {e:?}");
        }
        assert_eq!(
            resolve("${MISSING}", &env, true).unwrap(),
            Resolved::FromEnv("${MISSING}".into())
        );
    }

    #[test]
    fn every_missing_variable_is_reported() {
        let mut doc = json!({"a": ["${A}", "${HOST}"], "b": {"c": "${B} and ${C}"}});
        let (secrets, errors) = interpolate(&mut doc, &env, false);
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets[0].path.pointer(), "/a/1");
        assert_eq!(secrets[0].template, "${HOST}");
        let found: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.pointer.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("/a/0", "environment variable `A` is not set"),
                ("/b/c", "environment variable `B` is not set"),
                ("/b/c", "environment variable `C` is not set"),
            ]
        );
    }
}
