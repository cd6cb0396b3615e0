//! What a run manages. A kind with no section in any manifest is not managed at all (its
//! resources are neither listed as unmanaged nor deleted, even with `--allow-delete`);
//! `rules: []` manages rules as empty. Resources matching an `ignore:` pattern (or `--ignore`)
//! are left alone: invisible to the diff, never listed, never deleted, never disabled on a
//! connection. `--target` narrows a plan to named resources (see `diff::target`).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::live::Live;
use crate::model::Kind;

/// `KIND` or `KIND/NAME`, where `*` in NAME matches any run of characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pattern {
    pub kind: Kind,
    pub name: Option<String>,
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let (kind, name) = match text.split_once('/') {
            Some((k, n)) => (k, Some(n)),
            None => (text, None),
        };
        let kind = Kind::parse(kind).ok_or_else(|| {
            let kinds: Vec<&str> = Kind::all().map(Kind::as_str).collect();
            format!(
                "`{text}` does not start with a kind ({}): write KIND or KIND/NAME",
                kinds.join(", ")
            )
        })?;
        if name == Some("") {
            return Err(format!(
                "`{text}` has an empty name: write `{kind}` for every {kind}"
            ));
        }
        Ok(Pattern {
            kind,
            name: name.map(str::to_string),
        })
    }

    pub fn matches(&self, kind: Kind, name: &str) -> bool {
        self.kind == kind && self.name.as_deref().is_none_or(|p| glob(p, name))
    }
}

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Pattern::parse(&s)
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.to_string()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{}/{n}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// `*` matches any run of characters (none included); everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// What a run manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    /// The API the manifests are written for.
    #[serde(default, skip_serializing_if = "is_v1")]
    pub api: crate::manifest::types::ApiVersion,
    /// Kinds with a section in some manifest.
    pub kinds: BTreeSet<Kind>,
    /// Resources left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<Pattern>,
}

fn is_v1(api: &crate::manifest::types::ApiVersion) -> bool {
    *api == crate::manifest::types::ApiVersion::V1
}

impl Default for Scope {
    /// Every kind, nothing ignored.
    fn default() -> Scope {
        Scope {
            api: Default::default(),
            kinds: Kind::all().collect(),
            ignore: Vec::new(),
        }
    }
}

impl Scope {
    /// Whether a resource of the tenant is a0ctl's to manage.
    pub fn manages(&self, kind: Kind, name: &str) -> bool {
        self.kinds.contains(&kind) && !self.ignored(kind, name)
    }

    pub fn ignored(&self, kind: Kind, name: &str) -> bool {
        self.ignore.iter().any(|p| p.matches(kind, name))
    }

    /// The tenant as this run sees it: only what it manages. An ignored client is also taken
    /// out of connections' enabled clients, so it is never disabled.
    pub fn filter(&self, live: &Live) -> Live {
        let mut out = live.clone();
        out.resources.retain(|r| self.manages(r.kind, &r.name));
        let ignored_clients: BTreeSet<String> = live
            .client_names
            .iter()
            .filter(|(_, name)| self.ignored(Kind::clients(), name))
            .map(|(id, _)| id.clone())
            .collect();
        out.client_names
            .retain(|id, _| !ignored_clients.contains(id));
        if let Some(enabled) = out.enabled.as_mut() {
            for ids in enabled.values_mut() {
                ids.retain(|id| !ignored_clients.contains(id));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("Legacy *", "Legacy Portal", true),
            ("Legacy *", "Legacy ", true),
            ("Legacy *", "New Legacy x", false),
            ("partner-*", "partner-acme", true),
            ("*-prod", "api-prod", true),
            ("*-prod", "api-dev", false),
            ("a*b*c", "a-x-b-y-c", true),
            ("a*b*c", "a-c-b", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*", "", true),
        ] {
            assert_eq!(glob(p, t), want, "{p} ~ {t}");
        }
    }

    #[test]
    fn patterns() {
        let p = Pattern::parse("client/Legacy *").unwrap();
        assert!(p.matches(Kind::Client, "Legacy Portal"));
        assert!(!p.matches(Kind::Rule, "Legacy Portal"));
        assert!(
            Pattern::parse("rule")
                .unwrap()
                .matches(Kind::Rule, "anything")
        );
        assert!(
            Pattern::parse("clients/x")
                .unwrap_err()
                .contains("does not start with a kind")
        );
        assert!(Pattern::parse("rule/").unwrap_err().contains("empty name"));
        assert_eq!(p.to_string(), "client/Legacy *");
    }
}
