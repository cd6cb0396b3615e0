//! The facts of the provider kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

/// The one email provider's name as a resource (`email_provider/default`).
pub const PROVIDER_NAME: &str = "default";

pub static FACTS: Facts = Facts {
    name: "email_provider",
    noun: "email provider",
    plural: "email providers",
    section: "email_provider",
    about: "The email provider that sends the templates (v2 only). Absent: not managed.",
    rank: 4,
    identity: None,
    named: Named::Singleton(PROVIDER_NAME),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/emails/provider",
    address: Address::Collection,
    id_field: None,
    update: "PATCH",
    list: List::Itself,
    find: Find::Item,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["credentials"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:email_provider",
        "create:email_provider",
        "update:email_provider",
        "delete:email_provider",
    )),
    system: None,
};

/// The schema of the manifest's EmailProvider, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::EmailProvider)
}
