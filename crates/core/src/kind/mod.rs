//! Every kind a0ctl manages, as data: [`Kind::all`] lists each kind's [`Facts`] (declared by its
//! module, `kinds::NAME::facts`), and the questions about the set of kinds are answered here
//! (which one holds client references, which one the lease, which ones an API has). A kind's
//! behaviour (its desired form, its calls, its export) is `crate::kinds`'.

pub mod facts;

pub use facts::{Facts, Kind, Named, Pairing, Reference, Within, pin_key};

use crate::manifest::types::ApiVersion;

/// Every kind's facts, in rank order (`every_kind_is_registered_once`).
static ALL: [Kind; 21] = [
    Kind::of(&crate::kinds::connection::facts::FACTS),
    Kind::of(&crate::kinds::client::facts::FACTS),
    Kind::of(&crate::kinds::rule::facts::FACTS),
    Kind::of(&crate::kinds::email::facts::FACTS),
    Kind::of(&crate::kinds::provider::facts::FACTS),
    Kind::of(&crate::kinds::resource_server::facts::FACTS),
    Kind::of(&crate::kinds::client_grant::facts::FACTS),
    Kind::of(&crate::kinds::tenant::facts::FACTS),
    Kind::of(&crate::kinds::role::facts::FACTS),
    Kind::of(&crate::kinds::action::facts::FACTS),
    Kind::of(&crate::kinds::trigger::facts::FACTS),
    Kind::of(&crate::kinds::attack_protection::facts::FACTS),
    Kind::of(&crate::kinds::guardian_factor::facts::FACTS),
    Kind::of(&crate::kinds::guardian_policy::facts::FACTS),
    Kind::of(&crate::kinds::log_stream::facts::FACTS),
    Kind::of(&crate::kinds::custom_domain::facts::FACTS),
    Kind::of(&crate::kinds::branding::facts::FACTS),
    Kind::of(&crate::kinds::branding_template::facts::FACTS),
    Kind::of(&crate::kinds::prompts::facts::FACTS),
    Kind::of(&crate::kinds::organization::facts::FACTS),
    Kind::of(&crate::kinds::prompt_text::facts::FACTS),
];

// The kinds by name, for the kinds' own modules and for tests; the core names none of them.
#[allow(non_upper_case_globals)]
impl Kind {
    pub const Connection: Kind = Kind::of(&crate::kinds::connection::facts::FACTS);
    pub const Client: Kind = Kind::of(&crate::kinds::client::facts::FACTS);
    pub const Rule: Kind = Kind::of(&crate::kinds::rule::facts::FACTS);
    pub const Email: Kind = Kind::of(&crate::kinds::email::facts::FACTS);
    pub const EmailProvider: Kind = Kind::of(&crate::kinds::provider::facts::FACTS);
    pub const ResourceServer: Kind = Kind::of(&crate::kinds::resource_server::facts::FACTS);
    pub const ClientGrant: Kind = Kind::of(&crate::kinds::client_grant::facts::FACTS);
    pub const Tenant: Kind = Kind::of(&crate::kinds::tenant::facts::FACTS);
    pub const Role: Kind = Kind::of(&crate::kinds::role::facts::FACTS);
    pub const Action: Kind = Kind::of(&crate::kinds::action::facts::FACTS);
    pub const Trigger: Kind = Kind::of(&crate::kinds::trigger::facts::FACTS);
    pub const AttackProtection: Kind = Kind::of(&crate::kinds::attack_protection::facts::FACTS);
}

impl Kind {
    /// Every kind, in display order.
    pub fn all() -> impl Iterator<Item = Kind> {
        ALL.iter().copied()
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::all().find(|k| k.as_str() == s)
    }

    pub fn of_section(section: &str) -> Option<Kind> {
        Kind::all().find(|k| k.section() == section)
    }

    /// The kinds the API `api` has: those that declare their wire facts for it.
    pub fn of_api(api: ApiVersion) -> &'static [Kind] {
        static KINDS: std::sync::LazyLock<Vec<Vec<Kind>>> = std::sync::LazyLock::new(|| {
            ApiVersion::ALL
                .iter()
                .map(|api| Kind::all().filter(|k| k.wire(*api).is_some()).collect())
                .collect()
        });
        let at = ApiVersion::ALL.iter().position(|a| *a == api);
        at.map_or(&[], |i| KINDS[i].as_slice())
    }

    /// The kind whose resources other kinds name by name or by pin (a connection's enabled
    /// clients): the one pinned kind.
    pub fn clients() -> Kind {
        static CLIENTS: std::sync::LazyLock<Kind> = std::sync::LazyLock::new(|| {
            Kind::all()
                .find(|k| matches!(k.pairing(), Pairing::Pinned(_)))
                .expect("one kind is pinned (every_kind_is_registered_once)")
        });
        *CLIENTS
    }

    /// The kind of the apply lease's marker (`Facts::holds_the_lease`).
    pub fn lease_holder() -> Kind {
        static HOLDER: std::sync::LazyLock<Kind> = std::sync::LazyLock::new(|| {
            Kind::all()
                .find(|k| k.facts().holds_the_lease)
                .expect("one kind holds the lease (every_kind_is_registered_once)")
        });
        *HOLDER
    }
}

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Kind::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = Kind::all().map(Kind::as_str).collect();
            serde::de::Error::custom(format!(
                "unknown kind `{name}`: one of {}",
                names.join(", ")
            ))
        })
    }
}
