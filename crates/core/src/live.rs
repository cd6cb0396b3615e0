//! `live`: the tenant as it is, as data: [`Live`], the resources the tenant holds (normalised by
//! the dialect: server-owned fields dropped, so that apply-then-plan is empty), and what a diff
//! needs beside them (the global client's id, client names, enabled clients). `read` reads it.

use std::collections::{BTreeMap, BTreeSet};

use crate::kind::{Kind, Named, Pairing};
use crate::model::Resource;

/// The tenant, normalised.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Every managed-kind resource except the global client, by kind then name.
    pub resources: Vec<Resource>,
    /// The global client's id, if the tenant listed it.
    pub global_client_id: Option<String>,
    /// clientID → name, for every non-global client.
    pub client_names: BTreeMap<String, String>,
    /// Connection name → the clientIDs it is enabled for (when client views were read).
    pub enabled: Option<BTreeMap<String, BTreeSet<String>>>,
}

impl Live {
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.of_kind(kind).count()
    }

    /// The id of the one client named `name`, if exactly one has that name.
    pub fn client_id_of(&self, name: &str) -> Option<&str> {
        let mut ids = self
            .client_names
            .iter()
            .filter(|(_, n)| n.as_str() == name)
            .map(|(id, _)| id.as_str());
        let first = ids.next()?;
        ids.next().is_none().then_some(first)
    }

    /// Name each resource of a kind named by its references (`Named::Composed`), once the
    /// tenant is read: each part the name of what it refers to (a client by its name, or
    /// `client_id ID` when no client or several have it), or the field's own value.
    pub fn compose_names(&mut self) {
        let names = std::mem::take(&mut self.resources)
            .into_iter()
            .map(|mut r| {
                if let Named::Composed(fields) = r.kind.named() {
                    let parts: Vec<String> = fields.iter().map(|f| self.part(&r, f)).collect();
                    r.name = parts.join(" -> ");
                }
                r
            })
            .collect();
        self.resources = names;
    }

    fn part(&self, r: &Resource, field: &str) -> String {
        let reference = r.kind.references().iter().find(|x| x.field == field);
        match (reference, r.refs.get(field)) {
            (Some(x), Some(id)) if matches!(x.kind().pairing(), Pairing::Pinned(_)) => {
                self.client_part(id)
            }
            (_, Some(value)) => value.clone(),
            (None, None) | (Some(_), None) => r
                .fields
                .get(field)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// A client as part of a name: its name when it is the only client with it, else
    /// `client_id ID`.
    fn client_part(&self, id: &str) -> String {
        match self.client_names.get(id) {
            Some(name) if self.client_id_of(name) == Some(id) => name.clone(),
            _ => format!("client_id {id}"),
        }
    }

    /// The name under which the tenant holds the declared `d`: its own, but for a kind named by
    /// its references whose declaration pins a client (`{client_id: …}`, `kind::pin_key`), whose
    /// part is what `compose_names` makes of that client.
    pub fn name_of_declared<'a>(&self, d: &'a Resource) -> std::borrow::Cow<'a, str> {
        let Named::Composed(fields) = d.kind.named() else {
            return d.name.as_str().into();
        };
        let pin = crate::kind::pin_key("");
        if !d.refs.values().any(|v| v.starts_with(&pin)) {
            return d.name.as_str().into();
        }
        let parts: Vec<String> = fields
            .iter()
            .map(|f| match d.refs.get(*f) {
                Some(v) => match v.strip_prefix(&pin) {
                    Some(id) => self.client_part(id),
                    None => v.clone(),
                },
                None => String::new(),
            })
            .collect();
        parts.join(" -> ").into()
    }
}
