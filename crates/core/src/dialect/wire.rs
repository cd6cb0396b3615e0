//! What one kind is on the wire of one API, as data: each kind's module declares a [`Wire`]
//! per API it has (`kind::Facts::v1`, `v2`), and the dialects read it, so that no dialect names a
//! kind. A kind an API lacks has no `Wire` for it; a kind that declares none for any API fails
//! `every_kind_declares_its_wire_facts`.

use serde_json::Value;

/// How one kind's resources are addressed, read and changed by one API.
#[derive(Debug)]
pub struct Wire {
    /// Where the kind's resources are listed and created (`/api/v2/clients`).
    pub collection: &'static str,
    /// How one resource's path is made.
    pub address: Address,
    /// The field of the tenant's object that holds its id, for kinds addressed by id (and
    /// created with one): `client_id`, `id`.
    pub id_field: Option<&'static str>,
    /// The method that changes a resource in place.
    pub update: &'static str,
    /// How all of the kind is read.
    pub list: List,
    /// How one resource is found by its name (a create's read-back, the lease).
    pub find: Find,
    /// The fields a0ctl compares, as the tenant's object carries them.
    pub fields: Fields,
    /// Fields whose change replaces the resource (DELETE, then POST).
    pub replaced_by: &'static [&'static str],
    /// Which fields an update sends (the others change otherwise, or not at all).
    pub updates: Updates,
    /// The token scopes its calls need, where the API has scopes.
    pub scopes: Option<Scopes>,
    /// A field whose `true` marks the tenant's own object, which a0ctl never manages, changes
    /// or deletes (the global client, the Management API's resource server).
    pub system: Option<&'static str>,
}

/// How a path names one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// `COLLECTION/{id}` (a placeholder until a create answers).
    Id,
    /// `COLLECTION/{name}`.
    Name,
    /// `COLLECTION/{name}SUFFIX` (a trigger's bindings: `/actions/triggers/{id}/bindings`).
    NameThen(&'static str),
    /// The collection's path is the one object (a singleton).
    Collection,
    /// `COLLECTION/{first}BETWEEN/{second}`, of a name `first/second` (a prompt's custom text
    /// in one language: `/prompts/login/custom-text/en`).
    Pair(&'static str),
}

/// How a kind is listed.
#[derive(Debug, Clone, Copy)]
pub enum List {
    /// One GET answering a JSON array.
    Bare,
    /// Offset pages answering `{KEY: [...], total}`.
    Pages(&'static str),
    /// Checkpoint pages answering `{KEY: [...], next?}`.
    Checkpoint(&'static str),
    /// One GET per name this function gives (email templates), 404 meaning absent.
    EachNamed(fn() -> Vec<&'static str>),
    /// Offset pages of `KEY` under each name this function gives (a trigger's bindings), read
    /// as one object `{IDENTITY: name, KEY: [every item]}`; 404 meaning absent.
    PagesPerName(fn() -> Vec<&'static str>, &'static str),
    /// One GET per pair of names `first/second` (`Address::Pair`), each answer the value of
    /// `field` of an object that names its pair by the kind's `Named::Pair` fields. A plan
    /// reads the pairs the manifests declare; an export, each of `firsts` with each of the
    /// `seconds` that the strings of `within`'s field list (the tenant's enabled languages).
    EachPair {
        firsts: fn() -> Vec<&'static str>,
        seconds: fn() -> Vec<&'static str>,
        within: (&'static str, &'static str),
        field: &'static str,
    },
    /// One GET of the collection's path (a singleton), 404 meaning absent.
    Itself,
    /// Nothing to read (a kind the API lacks).
    Nothing,
}

/// How one resource is found by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// A GET of its path answers it, or 404.
    Item,
    /// `COLLECTION?FIELD=NAME` answers the matching objects.
    Filter(&'static str),
    /// Read the whole listing and look.
    Scan,
}

/// Which fields of the tenant's object a0ctl compares.
#[derive(Debug, Clone, Copy)]
pub enum Fields {
    /// These, each with the value that stands for its absence.
    Listed(&'static [(&'static str, Absent)]),
    /// Every field but these.
    AllBut(&'static [&'static str]),
    /// The fields of the kind's manifest type (its `schema`'s properties) but `skip`, the other
    /// API's (marked `x-api`) and the write-only ones; `defaults` stand in for absent fields.
    Manifest {
        schema: fn() -> schemars::Schema,
        skip: &'static [&'static str],
        defaults: &'static [(&'static str, Absent)],
    },
}

/// What an absent field reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    Null,
    EmptyText,
    EmptyList,
    EmptyObject,
}

impl Absent {
    pub fn value(self) -> Value {
        match self {
            Absent::Null => Value::Null,
            Absent::EmptyText => Value::String(String::new()),
            Absent::EmptyList => Value::Array(Vec::new()),
            Absent::EmptyObject => Value::Object(serde_json::Map::new()),
        }
    }
}

/// The fields an update sends.
#[derive(Debug, Clone, Copy)]
pub enum Updates {
    All,
    Only(&'static [&'static str]),
    AllBut(&'static [&'static str]),
}

impl Updates {
    pub fn sends(self, field: &str) -> bool {
        match self {
            Updates::All => true,
            Updates::Only(fields) => fields.contains(&field),
            Updates::AllBut(fields) => !fields.contains(&field),
        }
    }
}

/// A call's verb, as scopes name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Read,
    Create,
    Update,
    Delete,
}

impl Verb {
    pub fn of(method: &str) -> Verb {
        match method {
            "GET" => Verb::Read,
            "POST" => Verb::Create,
            "DELETE" => Verb::Delete,
            _ => Verb::Update,
        }
    }
}

/// The scopes of a kind's calls.
#[derive(Debug, Clone, Copy)]
pub struct Scopes {
    pub read: &'static str,
    pub create: &'static str,
    pub update: &'static str,
    pub delete: &'static str,
    /// A scope more for a verb, when the body carries the field (`None`: always).
    pub extra: &'static [(Verb, Option<&'static str>, &'static str)],
}

impl Scopes {
    /// `read:NOUN`, `create:NOUN`, `update:NOUN`, `delete:NOUN`.
    pub const fn crud(
        read: &'static str,
        create: &'static str,
        update: &'static str,
        delete: &'static str,
    ) -> Scopes {
        Scopes {
            read,
            create,
            update,
            delete,
            extra: &[],
        }
    }

    /// The scopes a call with this verb and body needs.
    pub fn of(&self, verb: Verb, body: Option<&Value>) -> Vec<&'static str> {
        let mut out = vec![match verb {
            Verb::Read => self.read,
            Verb::Create => self.create,
            Verb::Update => self.update,
            Verb::Delete => self.delete,
        }];
        for (v, field, scope) in self.extra {
            if *v == verb && field.is_none_or(|f| body.is_some_and(|b| b.get(f).is_some())) {
                out.push(scope);
            }
        }
        out
    }
}

/// The facts of a kind an API lacks: nothing is listed, found or compared.
pub static ABSENT: Wire = Wire {
    collection: "",
    address: Address::Collection,
    id_field: None,
    update: "PATCH",
    list: List::Nothing,
    find: Find::Scan,
    fields: Fields::AllBut(&[]),
    replaced_by: &[],
    updates: Updates::All,
    scopes: None,
    system: None,
};
