//! The desired state as data: what the manifests declare ([`Desired`]), each item with where it
//! came from ([`Item`]) and which of its values came from the environment ([`Secret`]).

use std::collections::{BTreeMap, BTreeSet};

use super::types::{ApiVersion, Client, Connection, EmailProvider, EmailTemplate, Rule};
use super::yaml::Origin;
use crate::error::Diagnostic;
use crate::kind::Kind;
use crate::path::FieldPath;
use crate::scope::{Pattern, Scope};

/// A value of a resource that came from the environment: never displayed; saved plans keep
/// the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// Field path inside the resource, e.g. `["options", "client_secret"]`.
    pub path: FieldPath,
    /// The string as written, e.g. `${GOOGLE_SECRET}`.
    pub template: String,
}

/// One declared resource with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<T> {
    pub value: T,
    pub origin: Origin,
    pub secrets: Vec<Secret>,
    /// Fields read from `{file: …}`: field name → the path as written.
    pub files: BTreeMap<String, String>,
}

/// The desired state: every resource the manifests declare, with `{file: …}` resolved into the
/// text and `${VAR}` into values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desired {
    /// The API the manifests are written for (all agree).
    pub api: ApiVersion,
    pub connections: Vec<Item<Connection>>,
    pub clients: Vec<Item<Client>>,
    pub rules: Vec<Item<Rule>>,
    pub emails: Vec<Item<EmailTemplate>>,
    pub email_provider: Option<Item<EmailProvider>>,
    /// Kinds with a section (even empty) in some manifest: the kinds this tree manages.
    pub sections: BTreeSet<Kind>,
    /// `ignore:` patterns of every manifest, and `--ignore`s.
    pub ignore: Vec<Pattern>,
    /// Things that are valid but probably not meant, located.
    pub warnings: Vec<Diagnostic>,
}

impl Desired {
    /// What this tree manages.
    pub fn scope(&self) -> Scope {
        Scope {
            api: self.api,
            kinds: self.sections.clone(),
            ignore: self.ignore.clone(),
        }
    }

    /// `2 connections, 3 clients, 4 rules, 4 emails` (and `, an email provider` when declared).
    pub fn summary(&self) -> String {
        use crate::error::plural;
        let mut s = format!(
            "{}, {}, {}, {}",
            plural(self.connections.len(), "connection"),
            plural(self.clients.len(), "client"),
            plural(self.rules.len(), "rule"),
            plural(self.emails.len(), "email template"),
        );
        if self.email_provider.is_some() {
            s.push_str(", an email provider");
        }
        s
    }
}
