//! The facts of the trigger kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing, Reference, Within};

pub static FACTS: Facts = Facts {
    name: "trigger",
    noun: "trigger",
    plural: "triggers",
    section: "triggers",
    about: "The actions bound to each trigger, in the order they run, identified by `trigger` (v2 only). Only the triggers named here are managed.",
    rank: 10,
    identity: None,
    named: Named::By("trigger"),
    pairing: Pairing::Name,
    references: &[Reference {
        field: "bindings/*/action",
        to: &crate::kinds::action::facts::FACTS,
        tenant_field: None,
        allows: None,
        // A trigger binds only actions that support it.
        within: Some(Within {
            field: "trigger",
            list: "supported_triggers",
            key: "id",
            outer: true,
        }),
    }],
    holds_users: false,
    holds_the_lease: false,
    // A trigger is the service's; `bindings: []` unbinds its actions.
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

/// The triggers whose bindings a tenant keeps: those of the spec that bind a list of actions
/// (`custom-phone-provider`, `custom-email-provider` and `custom-token-exchange` are bound by
/// their own resources, and cannot list bindings).
/// The trigger that runs at login, where rules ran.
pub const LOGIN: &str = "post-login";

pub const TRIGGERS: [&str; 7] = [
    "post-login",
    "credentials-exchange",
    "pre-user-registration",
    "post-user-registration",
    "post-change-password",
    "send-phone-message",
    "password-reset-post-challenge",
];

/// The triggers bound by resources of their own: an action may support them, a manifest's
/// `triggers` cannot list their bindings.
pub const ENTITY_BOUND: [&str; 3] = [
    "custom-phone-provider",
    "custom-email-provider",
    "custom-token-exchange",
];

/// Why `id` is not a trigger a manifest may name (`bindable`: in `triggers`, else in an
/// action's `supported_triggers`), with the closest known id; `None` when it is one.
pub fn unknown(id: &str, bindable: bool) -> Option<String> {
    let known: Vec<&str> = if bindable {
        TRIGGERS.to_vec()
    } else {
        TRIGGERS
            .iter()
            .chain(ENTITY_BOUND.iter())
            .copied()
            .collect()
    };
    if known.contains(&id) {
        return None;
    }
    if bindable && ENTITY_BOUND.contains(&id) {
        return Some(format!(
            "trigger `{id}` is bound by its own resource, not through `triggers`"
        ));
    }
    let closest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(id, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Some(match closest {
        Some((_, k)) => format!("unknown trigger `{id}` (did you mean `{k}`?)"),
        None => format!(
            "unknown trigger `{id}` (the triggers are {})",
            known.join(", ")
        ),
    })
}

static V2: Wire = Wire {
    collection: "/api/v2/actions/triggers",
    address: Address::NameThen("/bindings"),
    id_field: None,
    update: "PATCH",
    list: List::PagesPerName(|| TRIGGERS.to_vec(), "bindings"),
    find: Find::Item,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["trigger"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    // Bindings are read with `read:actions` and changed with `update:actions`.
    scopes: Some(Scopes::crud(
        "read:actions",
        "update:actions",
        "update:actions",
        "update:actions",
    )),
    system: None,
};

/// The schema of the manifest's Trigger, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Trigger)
}
