//! The seam every dialect implements: [`Dialect`], and the shapes its answers take ([`Target`],
//! [`Listing`], [`Enablement`], status calls), with the helpers the dialects share.

use serde_json::Value;

use super::wire::{self, Address, Fields, Find, List, Verb, Wire};
use crate::kind::{Kind, Named};
use crate::kinds::email::manifest::TemplateName;
use crate::manifest::types::ApiVersion;
use crate::model::Resource;

pub fn segment(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// Items per page when a listing pages (the most v2 allows).
pub const PAGE: usize = 100;

/// A resource as a path may name it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub kind: Kind,
    pub name: &'a str,
    /// The server's id; when `pending`, the placeholder of an id this plan creates.
    pub id: Option<&'a str>,
    pub pending: bool,
}

impl<'a> Target<'a> {
    pub fn named(kind: Kind, name: &'a str) -> Target<'a> {
        Target {
            kind,
            name,
            id: None,
            pending: false,
        }
    }

    pub fn with_id(kind: Kind, name: &'a str, id: Option<&'a str>) -> Target<'a> {
        Target {
            kind,
            name,
            id,
            pending: false,
        }
    }

    /// A resource this plan creates: `placeholder` stands for its id until the create answers.
    pub fn pending(kind: Kind, name: &'a str, placeholder: &'a str) -> Target<'a> {
        Target {
            kind,
            name,
            id: Some(placeholder),
            pending: true,
        }
    }

    pub fn of(r: &'a Resource) -> Target<'a> {
        Target::with_id(r.kind, &r.name, r.id.as_deref())
    }
}

/// How a kind's resources are read, all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// One GET answering a JSON array.
    Bare(String),
    /// Offset pages: `PATH?per_page=N&page=P&include_totals=true` answering `{KEY: [...],
    /// total}`.
    Pages {
        path: String,
        key: &'static str,
        per_page: usize,
    },
    /// Checkpoint pages: `PATH?take=N` then `&from=NEXT` answering `{KEY: [...], next?}`.
    Checkpoint {
        path: String,
        key: &'static str,
        take: usize,
    },
    /// One GET per item, 404 meaning absent.
    Each(Vec<String>),
}

/// How one resource is found by its name (a create's read-back, the lease).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByName {
    /// A GET of this path answers the object, or 404.
    Item(String),
    /// A GET of this path answers a list of the matching objects.
    Filter(String),
    /// Read the whole listing and look.
    Scan,
}

/// How a tenant tells which clients a connection is enabled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enablement {
    /// Each client's view of the connections (`status` per connection): one GET per client.
    ClientViews,
    /// The connection object's `enabled_clients`, else its `/clients` pages.
    OnConnection,
}

/// A change of a connection's status for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The client's id, or the placeholder of a client this plan creates (`pending`).
    pub client: String,
    pub pending: bool,
    pub status: bool,
}

/// One call that sets statuses.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusCall {
    pub method: &'static str,
    pub path: String,
    pub body: Value,
    /// The clients (ids or placeholders) it sets.
    pub clients: Vec<String>,
}

/// How one Management API version addresses, reads and changes resources.
pub trait Dialect: Send + Sync {
    fn version(&self) -> ApiVersion;
    /// `v1` or `v2`.
    fn name(&self) -> &'static str {
        self.version().as_str()
    }
    /// The kinds this API has: those that declare their facts for it.
    fn kinds(&self) -> &'static [Kind] {
        Kind::of_api(self.version())
    }
    /// The email templates this API has.
    fn templates(&self) -> &'static [TemplateName];
    /// The `audience` of a token request for the API at `base` (v1: none).
    fn audience(&self, base: &str) -> Option<String>;
    /// The machine-readable code of an error answer.
    fn error_code(&self, body: &Value) -> Option<String>;
    /// How this API addresses, reads and changes `kind` (the kind's own facts; a kind the API
    /// lacks has none, and reads as nothing).
    fn wire(&self, kind: Kind) -> &'static Wire {
        kind.wire(self.version()).unwrap_or(&wire::ABSENT)
    }
    /// Where a kind's resources are listed and created.
    fn collection(&self, kind: Kind) -> String {
        self.wire(kind).collection.to_string()
    }
    /// One resource.
    fn item(&self, t: Target<'_>) -> String {
        let collection = self.collection(t.kind);
        match self.wire(t.kind).address {
            Address::Id => format!("{collection}/{}", self.id_segment(t)),
            Address::Name => format!("{collection}/{}", segment(t.name)),
            Address::NameThen(suffix) => format!("{collection}/{}{suffix}", segment(t.name)),
            Address::Collection => collection,
            Address::Pair(between) => {
                let (first, second) = t.name.split_once('/').unwrap_or((t.name, ""));
                format!(
                    "{collection}/{}{between}/{}",
                    segment(first),
                    segment(second)
                )
            }
        }
    }
    /// The text that stands for the id of a resource this plan creates, until it is known.
    fn placeholder(&self, kind: Kind, name: &str) -> String {
        match self.id_field(kind) {
            "id" => format!("{{id of {kind} {name}}}"),
            field => format!("{{{field} of {name}}}"),
        }
    }
    /// The method that changes a resource in place.
    fn update_method(&self, kind: Kind) -> &'static str {
        self.wire(kind).update
    }
    /// The field of a created resource's answer that holds its id.
    fn id_field(&self, kind: Kind) -> &'static str {
        self.wire(kind).id_field.unwrap_or("id")
    }
    /// How to read all of a kind.
    fn listing(&self, kind: Kind) -> Listing {
        let w = self.wire(kind);
        let path = self.collection(kind);
        match w.list {
            List::Bare => Listing::Bare(path),
            List::Pages(key) => Listing::Pages {
                path,
                key,
                per_page: PAGE,
            },
            List::Checkpoint(key) => Listing::Checkpoint {
                path,
                key,
                take: PAGE,
            },
            List::EachNamed(names) | List::PagesPerName(names, _) => Listing::Each(
                names()
                    .into_iter()
                    .map(|n| self.item(Target::named(kind, n)))
                    .collect(),
            ),
            // Which pairs exist is read from the tenant first (`read::fetch`).
            List::EachPair { .. } => Listing::Each(Vec::new()),
            List::Itself => Listing::Each(vec![path]),
            List::Nothing => Listing::Each(Vec::new()),
        }
    }
    /// How to find one resource by its name.
    fn by_name(&self, kind: Kind, name: &str) -> ByName {
        match self.wire(kind).find {
            Find::Item => ByName::Item(self.item(Target::named(kind, name))),
            Find::Filter(field) => ByName::Filter(format!(
                "{}?{field}={}",
                self.collection(kind),
                segment(name)
            )),
            Find::Scan => ByName::Scan,
        }
    }
    /// The tenant's object as the fields a0ctl compares (server-owned fields dropped).
    fn read(&self, kind: Kind, obj: &Value) -> Resource {
        let w = self.wire(kind);
        let mut r = Resource::new(kind, name_of(kind, obj));
        if let Some(field) = w.id_field {
            r.id = Some(text(obj, field));
        }
        for reference in kind.references() {
            if let Some(at) = reference.tenant_field {
                r.refs.insert(reference.field.to_string(), text(obj, at));
            }
        }
        match w.fields {
            Fields::Listed(fields) => {
                for (key, absent) in fields {
                    let v = obj.get(*key).cloned().unwrap_or_else(|| absent.value());
                    r.fields_mut().insert((*key).to_string(), v);
                }
            }
            Fields::AllBut(skip) => copy_fields(obj, &mut r, skip),
            Fields::Manifest { defaults, .. } => {
                for field in compared(self.version(), kind) {
                    if let Some(v) = obj.get(field) {
                        r.fields_mut().insert(field.clone(), v.clone());
                    }
                }
                for (key, absent) in defaults {
                    r.fields_mut()
                        .entry((*key).to_string())
                        .or_insert_with(|| absent.value());
                }
            }
        }
        r
    }
    /// Fields whose change replaces the resource (DELETE, then POST).
    fn replaced_by(&self, kind: Kind) -> &'static [&'static str] {
        self.wire(kind).replaced_by
    }
    /// Whether an update sends this field (others change otherwise, or not at all).
    fn updatable(&self, kind: Kind, field: &str) -> bool {
        self.wire(kind).updates.sends(field)
    }
    /// How enabled clients are read.
    fn enablement(&self) -> Enablement;
    /// Where a connection's clients are listed (`Enablement::OnConnection`, when the connection
    /// object does not carry `enabled_clients`).
    fn connection_clients(&self, connection: Target<'_>) -> Option<Listing>;
    /// Where one client's view of the resources of `kind` (connections) is read
    /// (`Enablement::ClientViews`).
    fn client_view(&self, kind: Kind, client_id: &str) -> String;
    /// The calls that change a connection's status for clients.
    fn status_calls(&self, connection: Target<'_>, changes: &[StatusChange]) -> Vec<StatusCall>;
    /// One page of a connection's users, where the API lists them.
    fn connection_users(
        &self,
        connection: Target<'_>,
        page: usize,
        per_page: usize,
    ) -> Option<String>;
    /// The token scopes a call needs (an API without scopes: none).
    fn scopes(&self, method: &str, kind: Kind, body: Option<&Value>) -> Vec<&'static str> {
        self.wire(kind)
            .scopes
            .map_or_else(Vec::new, |s| s.of(Verb::of(method), body))
    }

    /// The id of `target` as a path segment (a placeholder stays as it is, to be filled).
    fn id_segment(&self, t: Target<'_>) -> String {
        id_or_placeholder(t.id.unwrap_or_default(), t.pending)
    }
}

pub(crate) fn id_or_placeholder(id: &str, pending: bool) -> String {
    if pending { id.to_string() } else { segment(id) }
}

pub fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A listed object's name as a resource name.
pub(crate) fn name_of(kind: Kind, obj: &Value) -> String {
    match kind.named() {
        Named::By(field) => text(obj, field),
        Named::Singleton(name) => name.to_string(),
        Named::Pair(first, second) => format!("{}/{}", text(obj, first), text(obj, second)),
        // Made once what it refers to is read (`read`).
        Named::Composed(_) => String::new(),
    }
}

/// The fields of `kind` that the API `api` compares, from its manifest type (`Fields::Manifest`):
/// the manifest's, minus `skip` and those of the other API; worked out once per kind.
fn compared(api: ApiVersion, kind: Kind) -> &'static [String] {
    type Table = Vec<((ApiVersion, Kind), Vec<String>)>;
    static COMPARED: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    let all = COMPARED.get_or_init(|| {
        let mut table = Vec::new();
        for api in ApiVersion::ALL {
            for k in Kind::all() {
                if let Some(Fields::Manifest { schema, skip, .. }) = k.wire(api).map(|w| w.fields) {
                    let fields = manifest_fields(&schema(), api)
                        .into_iter()
                        .filter(|f| !skip.contains(&f.as_str()))
                        .collect();
                    table.push(((api, k), fields));
                }
            }
        }
        table
    });
    all.iter()
        .find(|(key, _)| *key == (api, kind))
        .map_or(&[], |(_, fields)| fields.as_slice())
}

/// The properties of a manifest type's schema that the API `api` has (all but those whose
/// `x-api` names the other API), sorted.
pub fn manifest_fields(schema: &schemars::Schema, api: ApiVersion) -> Vec<String> {
    let mut fields: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, p)| {
            p.get("x-api")
                .and_then(Value::as_str)
                .is_none_or(|only| only == api.as_str())
        })
        .map(|(f, _)| f.clone())
        .collect();
    fields.sort();
    fields
}

/// Every field of `obj` but `skip` into `r`.
pub(crate) fn copy_fields(obj: &Value, r: &mut Resource, skip: &[&str]) {
    if let Some(obj) = obj.as_object() {
        for (k, v) in obj {
            if !skip.contains(&k.as_str()) {
                r.fields_mut().insert(k.clone(), v.clone());
            }
        }
    }
}
