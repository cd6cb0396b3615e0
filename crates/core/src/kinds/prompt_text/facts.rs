//! The facts of the prompt text kind (see `crate::kind::Facts`).

use super::manifest::{LANGUAGES, PROMPTS};
use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "prompt_text",
    noun: "prompt text",
    plural: "prompt texts",
    section: "prompt_texts",
    about: "The custom text of a login prompt in one language, identified by `prompt` and `language` (v2 only), a map of screens to keys to texts compared key by key. Only the pairs declared are read and managed; never deleted (declare `custom_text: {}` to clear one).",
    rank: 20,
    identity: None,
    named: Named::Pair("prompt", "language"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    // A pair always exists, its text empty until set: it is only ever set.
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/prompts",
    address: Address::Pair("/custom-text"),
    id_field: None,
    update: "PUT",
    list: List::EachPair {
        firsts: || PROMPTS.to_vec(),
        seconds: || LANGUAGES.to_vec(),
        within: ("/api/v2/tenants/settings", "enabled_locales"),
        field: "custom_text",
    },
    find: Find::Item,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["prompt", "language"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    // An export reads which languages the tenant enables too: the tenant's settings' scope,
    // which an export asks for anyway.
    scopes: Some(Scopes::crud(
        "read:prompts",
        "update:prompts",
        "update:prompts",
        "update:prompts",
    )),
    system: None,
};

/// The schema of the manifest's PromptText, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::PromptText)
}
