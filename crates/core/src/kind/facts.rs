//! What a kind is, as data: its [`Facts`] (names, identity, pairing, references, and per API its
//! [`Wire`]). A [`Kind`] is a handle on one kind's facts, so that whatever holds a kind can ask
//! it any fact without a registry; `crate::kind` lists every kind's facts, `crate::kinds` their
//! behaviour.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::dialect::wire::Wire;
use crate::manifest::types::ApiVersion;

/// Everything that is true of one kind and needs no code: each kind's module declares one
/// (`kinds::NAME::facts::FACTS`), with every field spelled out, so a kind that lacks a fact
/// does not compile.
#[derive(Debug)]
pub struct Facts {
    /// The word plans use (`connection`, `email_provider`).
    pub name: &'static str,
    /// What one is called in messages (`connection`, `email template`).
    pub noun: &'static str,
    /// `connections`, `email templates`.
    pub plural: &'static str,
    /// The manifest section that declares it.
    pub section: &'static str,
    /// What the section holds, for the schema (and so for editors).
    pub about: &'static str,
    /// Where plans and summaries list it among the kinds (unique; `every_kind_is_registered_once`).
    pub rank: u8,
    /// The field a create's body names the resource by (`name`, `template`), if it is not one
    /// of the compared fields already.
    pub identity: Option<&'static str>,
    /// What names a resource of this kind in the tenant's object, or a singleton's one name.
    pub named: Named,
    /// How the diff pairs declared resources with the tenant's.
    pub pairing: Pairing,
    /// Its fields that refer to resources of other kinds.
    pub references: &'static [Reference],
    /// Whether deleting or replacing one of its resources deletes users (connections): the plan
    /// says how many, where the API can count them.
    pub holds_users: bool,
    /// Whether a0ctl's apply lease is a resource of this kind (exactly one kind: the one every
    /// API lets a0ctl create, find by name, change and delete with no side effect).
    pub holds_the_lease: bool,
    /// Whether the tenant's resources of this kind that no manifest declares may be deleted
    /// (with `--allow-delete`); email templates cannot be.
    pub deletable: bool,
    /// How Management API v1 addresses, reads and changes it; `None`: v1 lacks the kind.
    pub v1: Option<&'static Wire>,
    /// The same for v2.
    pub v2: Option<&'static Wire>,
}

/// What names a resource in the tenant's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// This field of the object (`name`, `template`).
    By(&'static str),
    /// A singleton: its one name (`default`).
    Singleton(&'static str),
    /// These manifest fields, joined by ` -> ` (a client grant: `client`, `audience`). The
    /// tenant's object names them by its references (`Reference::tenant_field`), so its name
    /// is made once the resources it refers to are read (`read`).
    Composed(&'static [&'static str]),
    /// Two fields of the object, joined by `/` (a prompt's custom text in one language:
    /// `login/en`); the tenant's answer carries neither, so the reader names it by the pair it
    /// read (`List::EachPair`).
    Pair(&'static str, &'static str),
}

/// How declared resources are paired with the tenant's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// By name.
    Name,
    /// By a pinned id (the manifest's field named here), else by name (names may be shared):
    /// the tenant's resources are told apart by id. Other kinds refer to these by name or by
    /// pin (a connection's enabled clients).
    Pinned(&'static str),
    /// By name, and each holds an `order` that no two share: the tenant's orders are kept for
    /// what the manifests do not place.
    Ordered,
    /// By name (an identity the service never changes: an API's `identifier`); a declared one
    /// the tenant does not have pairs with the one it has that no manifest names and whose
    /// field named here is the same (its `name`): the identity changed, which replaces it
    /// (DELETE, then POST, under `--allow-replace`).
    Renamed(&'static str),
}

/// A field that refers to resources of another kind by their identity: a list of names (or,
/// for a pinned kind, `{PIN: id}` entries for resources whose names are shared). The manifests'
/// references are checked across files (`manifest`), and the calls that carry out a kind's
/// changes wait for what they refer to (`kinds::plan_order`).
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    /// The manifest field that holds the references: one name, or a list of them.
    pub field: &'static str,
    /// The kind they name.
    pub to: &'static Facts,
    /// The field of the tenant's object that holds the one resource it refers to (a grant's
    /// `client_id`): its id for a pinned kind, else its name. `None`: read otherwise.
    pub tenant_field: Option<&'static str>,
    /// Names that need no declaration (the Management API's audience), if any.
    pub allows: Option<fn(&str) -> bool>,
    /// What the reference also names inside what it names, checked offline where the named
    /// resource declares it: this item's field (one value or a list), and the named resource's
    /// list and the key of its items that must hold each value (a grant's `scope` in its API's
    /// `scopes[].value`).
    pub within: Option<Within>,
}

/// See [`Reference::within`].
#[derive(Debug, Clone, Copy)]
pub struct Within {
    pub field: &'static str,
    pub list: &'static str,
    pub key: &'static str,
    /// `field` is the item's own, not the list entry's, for a reference at `list/*/field` (a
    /// trigger's id, for each action its bindings name); a problem is then shown at the entry.
    pub outer: bool,
}

impl Reference {
    /// The kind this names.
    pub fn kind(&self) -> Kind {
        Kind(self.to)
    }
}

/// One kind: a handle on its [`Facts`]. Kinds compare, sort and hash by their rank.
#[derive(Clone, Copy)]
pub struct Kind(&'static Facts);

impl Kind {
    /// The kind these facts describe.
    pub const fn of(facts: &'static Facts) -> Kind {
        Kind(facts)
    }

    pub fn facts(self) -> &'static Facts {
        self.0
    }

    pub fn as_str(self) -> &'static str {
        self.0.name
    }

    /// What one is called in messages (`email template`).
    pub fn noun(self) -> &'static str {
        self.0.noun
    }

    pub fn plural(self) -> &'static str {
        self.0.plural
    }

    /// The manifest section that declares this kind.
    pub fn section(self) -> &'static str {
        self.0.section
    }

    /// How the API `api` addresses, reads and changes this kind; `None` when it lacks the kind.
    pub fn wire(self, api: ApiVersion) -> Option<&'static Wire> {
        match api {
            ApiVersion::V1 => self.0.v1,
            ApiVersion::V2 => self.0.v2,
        }
    }

    /// The field a create's body names the resource by, if it is not a compared field.
    pub fn identity(self) -> Option<&'static str> {
        self.0.identity
    }

    /// Whether deleting or replacing one of its resources deletes users.
    pub fn holds_users(self) -> bool {
        self.0.holds_users
    }

    /// Whether the tenant's undeclared resources of this kind may be deleted.
    pub fn deletable(self) -> bool {
        self.0.deletable
    }

    pub fn named(self) -> Named {
        self.0.named
    }

    pub fn pairing(self) -> Pairing {
        self.0.pairing
    }

    /// Its fields that refer to resources of other kinds.
    pub fn references(self) -> &'static [Reference] {
        self.0.references
    }

    /// The field of this kind that lists clients (the pinned kind) whose status the tenant
    /// keeps apart from the object (a connection's enabled clients), if it has one; a field
    /// the tenant's object holds itself (`Reference::tenant_field`) is not one.
    pub fn clients_field(self) -> Option<&'static str> {
        self.0
            .references
            .iter()
            .find(|r| matches!(r.to.pairing, Pairing::Pinned(_)) && r.tenant_field.is_none())
            .map(|r| r.field)
    }

    /// Whether the tenant has at most one of this kind (`Named::Singleton`).
    pub fn is_singleton(self) -> bool {
        matches!(self.0.named, Named::Singleton(_))
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        self.0.rank == other.0.rank
    }
}

impl Eq for Kind {}

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Kind) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Kind {
    fn cmp(&self, other: &Kind) -> Ordering {
        self.0.rank.cmp(&other.0.rank)
    }
}

impl Hash for Kind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.rank.hash(state);
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name)
    }
}

/// The key by which a pinned resource is named among references to its kind (a connection's
/// enabled clients hold names, and these for pinned clients; no name starts with NUL).
pub fn pin_key(id: &str) -> String {
    format!("\u{0}id:{id}")
}
