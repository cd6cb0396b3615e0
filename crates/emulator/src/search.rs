//! The v1 search syntax shared by users and logs: free text (a case-insensitive "starts with"),
//! and `field:value` terms, where an unquoted value is a case-insensitive "starts with" (or an
//! exact boolean/number) and a quoted one (`family_name:"johnson"`) a case-insensitive exact
//! match. Terms are joined with AND.

use serde_json::Value;

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// `None` for free text.
    pub field: Option<String>,
    pub value: String,
    pub quoted: bool,
}

/// Split a query into terms; consecutive free words form one phrase.
pub(crate) fn parse(query: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut free: Vec<String> = Vec::new();
    let chars: Vec<char> = query.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        // Read one token, honouring double quotes.
        let mut token = String::new();
        let mut quoted = false;
        let mut field: Option<String> = None;
        while i < chars.len() && !chars[i].is_whitespace() {
            let c = chars[i];
            if c == ':' && field.is_none() && !token.is_empty() && is_field(&token) {
                field = Some(std::mem::take(&mut token));
                i += 1;
                continue;
            }
            if c == '"' {
                quoted = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    token.push(chars[i]);
                    i += 1;
                }
                i += 1;
                continue;
            }
            token.push(c);
            i += 1;
        }
        match field {
            Some(f) => terms.push(Term {
                field: Some(f),
                value: token,
                quoted,
            }),
            None if quoted => terms.push(Term {
                field: None,
                value: token,
                quoted: true,
            }),
            None => free.push(token),
        }
    }
    if !free.is_empty() {
        terms.push(Term {
            field: None,
            value: free.join(" "),
            quoted: false,
        });
    }
    terms
}

fn is_field(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Whether a value matches a term's value.
pub(crate) fn matches(value: Option<&Value>, term: &Term) -> bool {
    let want = term.value.to_lowercase();
    match value {
        Some(Value::String(s)) => {
            let s = s.to_lowercase();
            if term.quoted {
                s == want
            } else {
                s.starts_with(&want)
            }
        }
        Some(Value::Bool(b)) => b.to_string() == want,
        Some(Value::Number(n)) => n.to_string() == want,
        Some(Value::Array(items)) => items.iter().any(|v| matches(Some(v), term)),
        _ => false,
    }
}

/// The value at a dotted path (`app_metadata.plan`) of an object.
pub(crate) fn lookup<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(object, |v, seg| v.get(seg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn terms() {
        assert_eq!(
            parse(r#"john doe email_verified:true family_name:"van der berg""#),
            vec![
                Term {
                    field: Some("email_verified".into()),
                    value: "true".into(),
                    quoted: false
                },
                Term {
                    field: Some("family_name".into()),
                    value: "van der berg".into(),
                    quoted: true
                },
                Term {
                    field: None,
                    value: "john doe".into(),
                    quoted: false
                },
            ]
        );
        assert_eq!(
            parse("user:\"John@contoso.com\""),
            vec![Term {
                field: Some("user".into()),
                value: "John@contoso.com".into(),
                quoted: true
            }]
        );
        assert!(parse("  ").is_empty());
    }

    #[test]
    fn matching() {
        let user = json!({"name": "Johnson", "loginsCount": 1, "email_verified": true, "m": {"plan": "gold"}});
        let t = |q: &str| parse(q).remove(0);
        assert!(matches(user.get("name"), &t("name:john")));
        assert!(!matches(user.get("name"), &t("name:\"john\"")));
        assert!(matches(user.get("name"), &t("name:\"JOHNSON\"")));
        assert!(matches(user.get("loginsCount"), &t("loginsCount:1")));
        assert!(matches(
            user.get("email_verified"),
            &t("email_verified:true")
        ));
        assert!(matches(lookup(&user, "m.plan"), &t("m.plan:gold")));
    }
}
