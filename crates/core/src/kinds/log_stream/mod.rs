//! Log streams (v2): identified by `name`, addressed by id; a changed `type` replaces one. The
//! sink is compared by the keys its type takes (the service's own, such as an EventBridge
//! partner event source, are not the manifests'), its secret values left out: they are
//! write-only, sent in full with the sink when it is created or changes (or with
//! `--rotate-signing-keys`). Filters are a set, each `type: category` as the service writes
//! them; absent and `[]` both mean every event. A stream the service suspended keeps its
//! status: a plan reports it and does not resume it.

pub mod facts;
pub mod manifest;

use std::collections::BTreeMap;

use schemars::{Schema, SchemaGenerator};
use serde_json::{Map as JsonMap, Value, json};

use super::spec::{KindSpec, as_set, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::path::FieldPath;
use crate::plan::builder::{self, Builder};
use crate::secret::Secrecy;

pub struct LogStream;

/// The status the service gives a stream whose destination keeps failing.
const SUSPENDED: &str = "suspended";

/// Whether the sink's `key` holds a secret (one judgement, the house's).
fn secret_key(key: &str) -> bool {
    Secrecy::by_key().is_secret(&FieldPath::from_segments(["sink", key]))
}

/// The sink as it is compared: the keys its type takes, secret values left out (custom
/// headers by their names).
fn compared_sink(stream_type: &str, sink: &JsonMap<String, Value>) -> JsonMap<String, Value> {
    let keys = manifest::sink_keys(stream_type).map_or(&[][..], |(k, _)| k);
    let mut out = JsonMap::new();
    for (k, v) in sink {
        if !keys.contains(&k.as_str()) || secret_key(k) {
            continue;
        }
        let v = match (k.as_str(), v) {
            ("httpCustomHeaders", Value::Array(headers)) => {
                let mut names: Vec<Value> = headers
                    .iter()
                    .map(|h| json!({"header": h.get("header").cloned().unwrap_or(Value::Null)}))
                    .collect();
                as_set(&mut names);
                Value::Array(names)
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    out
}

impl KindSpec for LogStream {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::LogStream>(g)
    }

    fn sets(&self) -> &'static [&'static str] {
        &["filters"]
    }

    /// The sink takes its type's keys, and those the type requires.
    fn check(&self, raw: &Value, cx: &mut ItemCx<'_>) {
        let Some(t) = raw.get("type").and_then(Value::as_str) else {
            return;
        };
        let (Some((keys, required)), Some(sink)) = (
            manifest::sink_keys(t),
            raw.get("sink").and_then(Value::as_object),
        ) else {
            return;
        };
        for k in sink.keys().filter(|k| !keys.contains(&k.as_str())) {
            cx.problem(
                &format!("sink/{k}"),
                format!(
                    "a {t} log stream's sink takes no `{k}` (it takes {})",
                    keys.join(", ")
                ),
            );
        }
        for k in required.iter().filter(|k| !sink.contains_key(**k)) {
            cx.problem("sink", format!("a {t} log stream's sink needs `{k}`"));
        }
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let s: manifest::LogStream = cx.typed(raw)?;
        let mut fields = fields_of(&s, &["name"]);
        let mut r = cx.resource(self.kind(), &s.name, BTreeMap::new());
        if let Some(sink) = fields.get("sink").cloned() {
            r.write_only.insert("sink".into(), sink);
        }
        fields.entry("filters".into()).or_insert_with(|| json!([]));
        r.fields = fields.into();
        Some(r)
    }

    /// The sink as compared; filters sorted, each with its type; no filters as `[]`.
    fn normalise(&self, r: &mut Resource) {
        let t = r
            .fields
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(Value::Object(sink)) = r.fields.get("sink") {
            let sink = compared_sink(&t, sink);
            r.fields_mut().insert("sink".into(), Value::Object(sink));
        }
        let filters = match r.fields.get("filters") {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        let mut filters: Vec<Value> = filters
            .into_iter()
            .map(|f| {
                json!({
                    "type": f.get("type").and_then(Value::as_str).unwrap_or("category"),
                    "name": f.get("name").cloned().unwrap_or(Value::Null),
                })
            })
            .collect();
        as_set(&mut filters);
        r.fields_mut()
            .insert("filters".into(), Value::Array(filters));
    }

    /// As every kind, but a sink's update also clears the keys the tenant's sink has and the
    /// manifest's no longer does (the service merges a sink key by key): `null` for each. A
    /// secret key left out is not cleared (the tenant never says whether it has one).
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            let sink_changed = c.fields.iter().any(|f| f.path.top() == "sink");
            match (c.action, &c.desired, &c.live) {
                (Action::Update, Some(d), Some(l)) if sink_changed => {
                    let Some(id) = b.update(c, d) else {
                        continue;
                    };
                    let had = l.fields.get("sink").and_then(Value::as_object);
                    let call = b.call(id);
                    if let (Some(Value::Object(body)), Some(had)) = (call.body.as_mut(), had)
                        && let Some(Value::Object(sink)) = body.get_mut("sink")
                    {
                        for k in had.keys() {
                            sink.entry(k.clone()).or_insert(Value::Null);
                        }
                    }
                }
                _ => builder::simple(b, c),
            }
        }
    }

    /// A suspended stream's status is the service's.
    fn held(&self, live: &Resource, field: &str) -> bool {
        field == "status" && live.fields.get("status").and_then(Value::as_str) == Some(SUSPENDED)
    }

    fn report(&self, live: &Resource) -> Option<String> {
        (live.fields.get("status").and_then(Value::as_str) == Some(SUSPENDED)).then(|| {
            format!(
                "log stream `{}` is suspended by the service (its destination kept failing); a0ctl does not resume it: fix the destination, then set it active in the dashboard or with the Management API",
                live.name
            )
        })
    }

    fn unseen_notice(&self, field: &str) -> Option<&'static str> {
        (field == "sink").then_some(
            "a log stream's sink secrets are write-only (the tenant never returns them, so a changed one cannot be seen); they are sent when the stream is created or its sink changes; pass --rotate-signing-keys to send them again",
        )
    }

    /// Every stream, the secret keys its sink's type requires written as variables (the
    /// tenant never returns them).
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for s in live.of_kind(self.kind()) {
            let mut m = Map::new();
            m.push("name", Value::String(s.name.clone()));
            let t = s
                .fields
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            m.push("type", Value::String(t.to_string()));
            let mut sink = Map::new();
            let read = s.fields.get("sink").and_then(Value::as_object);
            let (keys, required) = manifest::sink_keys(t).unwrap_or_default();
            for k in keys {
                match read.and_then(|r| r.get(*k)) {
                    // Each header's value is secret: written as a variable.
                    Some(Value::Array(headers)) if *k == "httpCustomHeaders" => {
                        let headers = headers
                            .iter()
                            .map(|h| json!({"header": h.get("header"), "value": ""}))
                            .collect();
                        sink.push(k, Value::Array(headers));
                    }
                    Some(v) => sink.push(k, v.clone()),
                    // Any value: a secret the type requires is written as a variable (an
                    // optional one, which the tenant may or may not hold, is left out).
                    None if secret_key(k) && required.contains(k) => {
                        sink.push(k, Value::String(String::new()))
                    }
                    _ => {}
                }
            }
            m.push("sink", sink.into_value());
            // A suspended stream's status is the service's: not written.
            let skip: &[&str] = if self.held(s, "status") {
                &["type", "sink", "status"]
            } else {
                &["type", "sink"]
            };
            w.rest(&mut m, s, skip);
            items.push(w.item(m, &s.name, "log stream"));
        }
        w.section("log_streams.yaml", "log_streams", &items);
    }
}
