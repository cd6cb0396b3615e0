//! The MFA policies (v2): a singleton whose object on the wire is a bare array, read as
//! `{policies: [...]}` (a set) and written by one `PUT` of the array.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

use super::spec::{KindSpec, as_set, fields_of, item_schema};
use crate::diff::change::Change;
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

pub struct GuardianPolicies;

const POLICIES: &str = "policies";

impl KindSpec for GuardianPolicies {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::GuardianPolicies>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let p: manifest::GuardianPolicies = cx.typed(raw)?;
        Some(cx.resource(self.kind(), "policies", fields_of(&p, &[])))
    }

    fn sets(&self) -> &'static [&'static str] {
        &[POLICIES]
    }

    /// The tenant answers the bare array.
    fn read_tenant(&self, obj: &Value, r: &mut Resource) {
        if let Value::Array(items) = obj {
            r.fields_mut()
                .insert(POLICIES.into(), Value::Array(items.clone()));
        }
    }

    fn normalise(&self, r: &mut Resource) {
        if let Some(Value::Array(items)) = r.fields.get(POLICIES) {
            let mut sorted = items.clone();
            as_set(&mut sorted);
            r.fields_mut().insert(POLICIES.into(), Value::Array(sorted));
        }
    }

    /// One `PUT` of the array: the policies always exist.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            if let (Some(id), Some(d)) = (builder::always_there(b, c), &c.desired) {
                let policies = d.fields.get(POLICIES).cloned();
                b.call(id).body = policies.or(Some(Value::Array(Vec::new())));
            }
        }
    }

    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let Some(p) = live.of_kind(self.kind()).next() else {
            return;
        };
        let mut m = Map::new();
        w.rest(&mut m, p, &[]);
        let item = w.item(m, "MFA policies", "the");
        w.mapping("guardian_policies.yaml", "guardian_policies", &item);
    }
}
