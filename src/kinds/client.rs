//! Clients (applications): named by `name`, or pinned by `client_id` when names are shared.
//! `signingKey` (v1) is write-only. The global client is never one of them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Kind, KindSpec, Named, Pairing};
use crate::dialect::wire::{Absent, Address, Fields, Find, List, Scopes, Updates, Verb, Wire};
use crate::diff::{Action, Change};
use crate::export::{Map, Writer};
use crate::live::Live;
use crate::manifest::Desired;
use crate::manifest::types::ApiVersion;
use crate::model::{Resource, fields_of, resource};
use crate::plan::{Builder, Check};

pub struct Client;

impl KindSpec for Client {
    fn kind(&self) -> Kind {
        Kind::Client
    }

    fn name(&self) -> &'static str {
        "client"
    }

    fn plural(&self) -> &'static str {
        "clients"
    }

    fn section(&self) -> &'static str {
        "clients"
    }

    fn identity(&self) -> Option<&'static str> {
        // `name` is one of its fields.
        None
    }

    fn pairing(&self) -> Pairing {
        Pairing::Pinned
    }

    fn named(&self) -> Named {
        Named::By("name")
    }

    fn wire(&self, api: ApiVersion) -> Option<&'static Wire> {
        static V1: Wire = Wire {
            collection: "/api/clients",
            address: Address::Id,
            id_field: Some("clientID"),
            update: "PATCH",
            list: List::Bare,
            find: Find::Scan,
            fields: Fields::Listed(&[
                ("name", Absent::EmptyText),
                ("callbacks", Absent::EmptyList),
            ]),
            replaced_by: &[],
            updates: Updates::All,
            scopes: None,
        };
        static V2: Wire = Wire {
            collection: "/api/v2/clients",
            address: Address::Id,
            id_field: Some("client_id"),
            update: "PATCH",
            list: List::Pages("clients"),
            find: Find::Scan,
            fields: Fields::Schema {
                pointer: "/clients/0",
                skip: &["client_id"],
                defaults: &[],
            },
            replaced_by: &[],
            updates: Updates::All,
            // Private-key JWT credentials are created and changed under scopes of their own.
            scopes: Some(Scopes {
                extra: &[
                    (
                        Verb::Create,
                        Some("client_authentication_methods"),
                        "create:client_credentials",
                    ),
                    (
                        Verb::Update,
                        Some("client_authentication_methods"),
                        "update:client_credentials",
                    ),
                ],
                ..Scopes::crud(
                    "read:clients",
                    "create:clients",
                    "update:clients",
                    "delete:clients",
                )
            }),
        };
        match api {
            ApiVersion::V1 => Some(&V1),
            ApiVersion::V2 => Some(&V2),
        }
    }

    fn desired(&self, desired: &Desired) -> Vec<Resource> {
        desired
            .clients
            .iter()
            .map(|item| {
                let c = &item.value;
                let mut fields = fields_of(c, &["client_id"]);
                let mut r = resource(Kind::Client, &c.name, BTreeMap::new(), item);
                r.write_only.extend(fields.remove_entry("signingKey"));
                r.fields = fields.into();
                r.id = c.client_id.clone();
                r
            })
            .collect()
    }

    /// Creates (read back by name among clients the tenant did not have), updates, deletes.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], live: &Live) {
        let known: BTreeSet<String> = live.client_names.keys().cloned().collect();
        for c in changes {
            match (c.action, &c.desired, &c.live) {
                (Action::Create, Some(d), _) => {
                    let check = Check::Client {
                        name: c.name.clone(),
                        known: known.clone(),
                    };
                    b.create(Kind::Client, &c.name, crate::plan::create_body(d), check);
                }
                (Action::Update, Some(d), _) => {
                    b.update(c, d);
                }
                (Action::Delete, _, Some(l)) => {
                    b.delete(c, l);
                }
                _ => {}
            }
        }
    }

    /// Each pinned by client_id: a rename in the manifest then keeps the client (and its
    /// credentials) instead of creating another.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut clients: Vec<(&String, &String, Value)> = Vec::new();
        for c in live.of_kind(Kind::Client) {
            let id = c.id.as_ref().expect("live clients have ids");
            let mut m = Map::new();
            m.push("name", Value::String(c.name.clone()));
            m.push("client_id", Value::String(id.clone()));
            m.push(
                "callbacks",
                c.fields
                    .get("callbacks")
                    .cloned()
                    .unwrap_or(Value::Array(vec![])),
            );
            w.rest(&mut m, c, &[]);
            let item = w.item(m, &c.name, "client");
            clients.push((&c.name, id, item));
        }
        clients.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let items: Vec<Value> = clients.into_iter().map(|(_, _, v)| v).collect();
        w.section("clients.yaml", "clients", &items);
    }
}
