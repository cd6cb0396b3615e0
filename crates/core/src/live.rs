//! `live`: the tenant as it is, as data: [`Live`], the resources the tenant holds (normalised by
//! the dialect: server-owned fields dropped, so that apply-then-plan is empty), and what a diff
//! needs beside them (the global client's id, client names, enabled clients). `read` reads it.

use std::collections::{BTreeMap, BTreeSet};

use crate::kind::Kind;
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
}
