//! `live`: the tenant as it is, read with list calls (one per kind, plus the four template GETs,
//! 404 = absent, plus one connection view per client only when enabled clients are managed) and
//! normalised into [`Resource`]s: server-owned fields (ids, secrets, `global`, `tenant`, …) are
//! dropped so that apply-then-plan is empty. The global client is recorded but never part of the
//! managed set.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::api::{Api, CallError, ErrorKind};
use crate::dialect::Target;
use crate::manifest::types::TemplateName;
use crate::model::{Kind, Resource};

/// What to read beyond the lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchOptions {
    /// Read each client's view of the connections, to know their enabled clients.
    pub client_views: bool,
}

/// The tenant, normalised.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Every managed-kind resource except the global client, by kind then name.
    pub resources: Vec<Resource>,
    /// The global client's id, if the tenant listed it.
    pub global_client_id: Option<String>,
    /// clientID → name, for every non-global client.
    pub client_names: BTreeMap<String, String>,
    /// Connection name → the clientIDs it is enabled for (when client views were read).
    pub enabled: Option<BTreeMap<String, BTreeSet<String>>>,
}

impl Live {
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Resource> {
        self.resources.iter().filter(move |r| r.kind == kind)
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.of_kind(kind).count()
    }
}

fn malformed(path: &str, what: &str) -> CallError {
    CallError {
        method: reqwest::Method::GET,
        path: path.to_string(),
        kind: ErrorKind::Other(format!("unexpected answer: {what}")),
    }
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, CallError> {
    v.as_array()
        .ok_or_else(|| malformed(path, "expected a JSON array"))
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Read the tenant.
pub async fn fetch(api: &Api, options: FetchOptions) -> Result<Live, CallError> {
    let d = api.dialect();
    let emails = futures::future::join_all(TemplateName::ALL.iter().map(|t| async move {
        match api
            .get(&d.item(Target::named(Kind::Email, t.as_str())))
            .await
        {
            Ok(v) => Ok(Some((*t, v))),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }));
    let (connections_path, clients_path, rules_path) = (
        d.collection(Kind::Connection),
        d.collection(Kind::Client),
        d.collection(Kind::Rule),
    );
    let (connections, clients, rules, emails) = futures::join!(
        api.get(&connections_path),
        api.get(&clients_path),
        api.get(&rules_path),
        emails
    );
    let (connections, clients, rules) = (connections?, clients?, rules?);
    let mut live = Live::default();

    for c in array(&clients, &clients_path)? {
        let id = text(c, "clientID");
        let name = text(c, "name");
        if c.get("global").and_then(Value::as_bool) == Some(true) {
            live.global_client_id = Some(id);
            continue;
        }
        let mut r = Resource::new(Kind::Client, &name);
        r.id = Some(id.clone());
        r.fields.insert("name".into(), json!(name));
        r.fields.insert(
            "callbacks".into(),
            c.get("callbacks").cloned().unwrap_or_else(|| json!([])),
        );
        live.client_names.insert(id, name);
        live.resources.push(r);
    }
    for c in array(&connections, &connections_path)? {
        let name = text(c, "name");
        if name == crate::lease::LOCK_NAME {
            continue;
        }
        let mut r = Resource::new(Kind::Connection, &name);
        r.id = Some(text(c, "id"));
        r.fields
            .insert("strategy".into(), json!(text(c, "strategy")));
        r.fields.insert(
            "options".into(),
            c.get("options").cloned().unwrap_or_else(|| json!({})),
        );
        live.resources.push(r);
    }
    for rule in array(&rules, &rules_path)? {
        let mut r = Resource::new(Kind::Rule, text(rule, "name"));
        r.id = Some(text(rule, "id"));
        for key in ["status", "script", "order"] {
            r.fields
                .insert(key.into(), rule.get(key).cloned().unwrap_or(Value::Null));
        }
        live.resources.push(r);
    }
    for found in emails {
        let Some((template, body)) = found? else {
            continue;
        };
        let mut r = Resource::new(Kind::Email, template.as_str());
        if let Some(obj) = body.as_object() {
            for (k, v) in obj {
                if k != "template" {
                    r.fields.insert(k.clone(), v.clone());
                }
            }
        }
        live.resources.push(r);
    }
    if options.client_views {
        live.enabled = Some(fetch_views(api, &live).await?);
    }
    live.resources
        .sort_by(|a, b| (a.kind, &a.name, &a.id).cmp(&(b.kind, &b.name, &b.id)));
    Ok(live)
}

/// Each non-global client's view of the connections: which are enabled for it.
async fn fetch_views(
    api: &Api,
    live: &Live,
) -> Result<BTreeMap<String, BTreeSet<String>>, CallError> {
    let mut enabled: BTreeMap<String, BTreeSet<String>> = live
        .of_kind(Kind::Connection)
        .map(|c| (c.name.clone(), BTreeSet::new()))
        .collect();
    let views: Vec<Result<(String, Value), CallError>> =
        futures::stream::iter(live.client_names.keys().cloned())
            .map(|id| async move {
                let path = api.dialect().client_view(&id);
                api.get(&path).await.map(|v| (id, v))
            })
            .buffer_unordered(8)
            .collect()
            .await;
    for view in views {
        let (client, connections) = view?;
        for c in array(&connections, "a client's view of the connections")? {
            if c.get("status").and_then(Value::as_bool) == Some(true)
                && let Some(set) = enabled.get_mut(&text(c, "name"))
            {
                set.insert(client.clone());
            }
        }
    }
    Ok(enabled)
}
