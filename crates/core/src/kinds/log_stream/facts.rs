//! The facts of the log stream kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "log_stream",
    noun: "log stream",
    plural: "log streams",
    section: "log_streams",
    about: "Log streams, identified by `name` (v2 only); a changed `type` replaces one; the sink's secrets are write-only.",
    rank: 14,
    identity: Some("name"),
    named: Named::By("name"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/log-streams",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    list: List::Bare,
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &[],
        defaults: &[],
    },
    replaced_by: &["type"],
    // The type is set when the stream is made (another type is another stream).
    updates: Updates::AllBut(&["type"]),
    scopes: Some(Scopes::crud(
        "read:log_streams",
        "create:log_streams",
        "update:log_streams",
        "delete:log_streams",
    )),
    system: None,
};

/// The schema of the manifest's LogStream, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::LogStream)
}
