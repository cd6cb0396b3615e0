//! The facts of the branding template kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

/// The templates a tenant may hold.
pub const NAMES: [&str; 1] = ["universal-login"];

pub static FACTS: Facts = Facts {
    name: "branding_template",
    noun: "branding template",
    plural: "branding templates",
    section: "branding_templates",
    about: "The page templates of the login pages, identified by `template` (`universal-login`; v2 only); the body a file, diffed line by line.",
    rank: 17,
    identity: None,
    named: Named::By("template"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/branding/templates",
    address: Address::Name,
    id_field: None,
    update: "PUT",
    list: List::EachNamed(|| NAMES.to_vec()),
    find: Find::Item,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["template"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:branding",
        "update:branding",
        "update:branding",
        "delete:branding",
    )),
    system: None,
};

/// The schema of the manifest's BrandingTemplate, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::BrandingTemplate)
}
