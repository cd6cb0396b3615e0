//! What the pure stages fail with: the diff ([`DiffError`], located at the manifest) and the
//! planner ([`CycleError`]).

use std::fmt;

use crate::manifest::yaml::Origin;

/// A manifest that cannot be reconciled with this tenant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error(
        "{at}client `{name}` is ambiguous: the tenant holds {} clients of that name ({})",
        ids.len(),
        ids.join(", ")
    )]
    DuplicateClient {
        at: At,
        name: String,
        ids: Vec<String>,
    },
    #[error("{at}client `{name}` pins client_id `{id}`, which the tenant does not have")]
    PinnedClientMissing { at: At, name: String, id: String },
    #[error(
        "{at}client `{name}` pins client_id `{id}`, the tenant's global client, which a0ctl never manages"
    )]
    PinnedGlobalClient { at: At, name: String, id: String },
    #[error("{at}clients `{first}` and `{second}` both match the tenant's client `{id}`")]
    ClientMatchedTwice {
        at: At,
        first: String,
        second: String,
        id: String,
    },
    #[error(
        "{at}connection `{connection}` enables client `{client}`, which the manifest does not declare"
    )]
    UnknownClient {
        at: At,
        connection: String,
        client: String,
    },
    #[error(
        "{at}client `{name}` is the client whose credentials a0ctl uses ({id}): a0ctl never changes it"
    )]
    OwnClient { at: At, name: String, id: String },
    #[error(
        "{at}{what} `{name}` is the name of {} clients of the tenant ({}); it must name one",
        ids.len(),
        ids.join(", ")
    )]
    AmbiguousReference {
        at: At,
        /// `client_grant/NAME: its client`.
        what: String,
        name: String,
        ids: Vec<String>,
    },
    #[error("{at}{noun} `{second}` and `{first}` are both the tenant's {noun} `{tenant}`")]
    SameInTenant {
        at: At,
        noun: &'static str,
        first: String,
        second: String,
        tenant: String,
    },
    #[error(
        "{at}{noun} `{name}` is ambiguous: the tenant holds {} of that name ({})",
        ids.len(),
        ids.join(", ")
    )]
    AmbiguousInTenant {
        at: At,
        noun: &'static str,
        name: String,
        ids: Vec<String>,
    },
    #[error("{at}{what} names {noun} {shown}, which neither the manifests nor the tenant have")]
    UnknownReference {
        at: At,
        /// `organization/NAME`.
        what: String,
        noun: &'static str,
        /// The name in backticks, or its `${VAR}` when it came from the environment.
        shown: String,
    },
    #[error("{at}rule `{rule}` wants order {order}, which unmanaged rule `{holder}` holds")]
    OrderHeldByUnmanaged {
        at: At,
        rule: String,
        order: u64,
        holder: String,
    },
}

impl DiffError {
    pub fn hint(&self) -> &'static str {
        match self {
            DiffError::DuplicateClient { .. } | DiffError::ClientMatchedTwice { .. } => {
                "pin the client with `client_id: <clientID>` in the manifest"
            }
            DiffError::PinnedClientMissing { .. } => {
                "remove client_id to create the client, or pin an existing clientID"
            }
            DiffError::PinnedGlobalClient { .. } => {
                "remove this client from the manifest: the global client holds the credentials a0ctl uses"
            }
            DiffError::UnknownClient { .. } => "declare the client under `clients:`",
            DiffError::OwnClient { .. } => {
                "leave this client out of the manifests (or change it by hand), or run a0ctl with other credentials"
            }
            DiffError::AmbiguousReference { .. } => {
                "pin the client (`client_id: <clientID>` under clients, `{client_id: <clientID>}` here), or rename the tenant's other clients of that name"
            }
            DiffError::SameInTenant { .. } => "keep one of the two declarations",
            DiffError::AmbiguousInTenant { .. } => {
                "rename or delete all but one of the tenant's resources of that name (a0ctl pairs by name)"
            }
            DiffError::UnknownReference { .. } => {
                "declare it in the manifests (or create it in the tenant), or name one the tenant has (names are case-sensitive)"
            }
            DiffError::OrderHeldByUnmanaged { .. } => {
                "choose another order, declare the other rule in the manifest, or pass --allow-delete to delete it"
            }
        }
    }
}

/// A manifest location prefix for error messages (`file:line:col: `), or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct At(pub Option<Origin>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(o) => write!(f, "{o}: "),
            None => Ok(()),
        }
    }
}

/// The planner could not order its own calls: a defect of a0ctl, reported instead of sending
/// a plan that would drop calls.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a0ctl planned calls that wait for each other ({}): nothing was sent", calls.join(", "))]
pub struct CycleError {
    pub calls: Vec<String>,
}

impl CycleError {
    pub fn hint(&self) -> &'static str {
        "this is a defect of a0ctl: please report it with the manifests' shape; try applying fewer changes at once"
    }
}
