//! The facts of the email kind (see `crate::kind::Facts`).

use super::manifest::TemplateName;
use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "email",
    noun: "email template",
    plural: "email templates",
    section: "emails",
    about: "Email templates, identified by `template`.",
    rank: 3,
    identity: Some("template"),
    named: Named::By("template"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: false,
    v1: Some(&V1),
    v2: Some(&V2),
};

static V1: Wire = Wire {
    collection: "/api/emails",
    address: Address::Name,
    id_field: None,
    update: "PUT",
    list: List::EachNamed(|| TemplateName::V1.iter().map(|t| t.as_str()).collect()),
    find: Find::Item,
    fields: Fields::AllBut(&["template"]),
    replaced_by: &[],
    updates: Updates::All,
    scopes: None,
    system: None,
};

static V2: Wire = Wire {
    collection: "/api/v2/email-templates",
    address: Address::Name,
    id_field: None,
    update: "PATCH",
    list: List::EachNamed(|| TemplateName::V2.iter().map(|t| t.as_str()).collect()),
    find: Find::Item,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["template"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    // Templates cannot be deleted; an update is what a delete would need.
    scopes: Some(Scopes::crud(
        "read:email_templates",
        "create:email_templates",
        "update:email_templates",
        "update:email_templates",
    )),
    system: None,
};

/// The schema of the manifest's EmailTemplate, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::EmailTemplate)
}
