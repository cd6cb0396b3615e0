//! What the diff finds, as data: a [`Change`] per resource that needs something, and what it
//! needs ([`Action`], [`FieldChange`]s, enabled clients by [`ClientRef`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::kind::Kind;
use crate::model::Resource;
use crate::path::FieldPath;
use crate::secret::{self, Secrecy};

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    Unmanaged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Unmanaged => "unmanaged",
        }
    }
}

/// One changed field, ready for display: `None` means absent, and secret values are already
/// masked (the values to send live in the change's `desired` resource, never here).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub path: FieldPath,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The whole value is secret: never displayed, not even masked.
    pub sensitive: bool,
    /// This change alone forces a replacement.
    pub forces_replacement: bool,
}

impl FieldChange {
    /// A changed field between a live and a desired resource, with secrets masked by either
    /// side's secrecy.
    pub fn new(
        path: FieldPath,
        before: Option<&Value>,
        after: Option<&Value>,
        live: Option<&Resource>,
        desired: Option<&Resource>,
    ) -> FieldChange {
        let by_key = Secrecy::by_key();
        let ls = live.map_or(by_key, Resource::secrecy);
        let ds = desired.map_or(by_key, Resource::secrecy);
        // By key once; then by either side's values from the environment.
        let sensitive = by_key.is_secret(&path) || ls.env_covers(&path) || ds.env_covers(&path);
        let (before, after) = if sensitive {
            let marker = |v: Option<&Value>| v.map(|_| json!(secret::SENSITIVE));
            (marker(before), marker(after))
        } else {
            secret::mask_pair(&path, before, after, ls, ds)
        };
        FieldChange {
            path,
            before,
            after,
            sensitive,
            forces_replacement: false,
        }
    }
}

/// What a resource needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: Kind,
    pub name: String,
    pub action: Action,
    pub fields: Vec<FieldChange>,
    /// The manifest's resource (create, update, replace); boxed, as the tenant's: a plan holds
    /// a change per resource, moved when sorted, and a box is a word.
    pub desired: Option<Box<Resource>>,
    /// The tenant's resource (update, replace, delete, unmanaged).
    pub live: Option<Box<Resource>>,
    /// For connections: desired enabled clients by identity (see [`ClientRef`]).
    pub enable: BTreeSet<ClientRef>,
    /// For connections: clients to disable (by live clientID).
    pub disable: BTreeSet<String>,
    /// Facts a reviewer needs (users deleted by a replacement, …).
    pub notes: Vec<String>,
}

impl Change {
    pub fn new(kind: Kind, name: &str, action: Action) -> Change {
        Change {
            kind,
            name: name.to_string(),
            action,
            fields: Vec::new(),
            desired: None,
            live: None,
            enable: BTreeSet::new(),
            disable: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    /// `rule/add-country`
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// The server id of the live side.
    pub fn live_id(&self) -> Option<&str> {
        self.live.as_ref().and_then(|l| l.id.as_deref())
    }
}

/// A client as a connection's enabled-clients entry refers to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientRef {
    /// An existing client.
    Id(String),
    /// A client this plan creates, by name.
    New(String),
}

/// Every change, in a stable order (kind, then name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub changes: Vec<Change>,
    /// Resources the manifest declares that need nothing.
    pub unchanged: usize,
    /// `--target`s: only these (and what they need) are planned.
    pub targets: Vec<String>,
    /// What a reviewer should know before reading the changes.
    pub notices: Vec<String>,
}

impl Changes {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// Whether anything would change (unmanaged resources are not changes).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unmanaged)
    }
}
