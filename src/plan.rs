//! `plan`: the pure function `Changes -> Plan`, the ordered calls `apply` sends. One call per
//! changed resource carrying only the changed fields; rule reorders in the fewest PUTs (each
//! rule that moves once, plus one temporary move per cycle of orders, deletes first) so the API
//! never answers 409; a strategy change as DELETE then POST; enabled clients as per-client status
//! PUTs after the clients they name exist. Each call lists the calls it must wait for (`after`);
//! calls with nothing to wait for may run concurrently.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::api::segment;
use crate::dialect::{Dialect, Target};
use crate::diff::{Action, Change, Changes, ClientRef};
use crate::live::Live;
use crate::model::{Kind, Resource};

/// The ordered calls and the changes they carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub changes: Changes,
    pub calls: Vec<Call>,
}

/// One API call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub id: usize,
    pub method: String,
    /// The path; `{clientID of NAME}` stands for the id of a client this plan creates.
    pub path: String,
    /// The resource it changes, e.g. `rule/add-country`.
    pub resource: String,
    /// Calls that must succeed before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The request body, with secret values in clear: never serialised (a saved plan rebuilds
    /// its calls from its changes, see `planfile`).
    #[serde(skip)]
    pub body: Option<Value>,
    /// A create whose answer may be lost, and how to see whether it took effect.
    #[serde(skip)]
    pub check: Option<Check>,
    /// The client (by manifest name) whose new id fills the path's placeholder.
    #[serde(skip)]
    pub needs_client: Option<String>,
    /// This call creates the client of that name: its answer's `clientID` fills placeholders.
    #[serde(skip)]
    pub creates_client: Option<String>,
}

/// How to tell whether a create whose answer was lost took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Connection(String),
    Rule(String),
    Email(String),
    /// A client of this name that was not in the tenant when the plan was made.
    Client {
        name: String,
        known: BTreeSet<String>,
    },
}

/// Placeholder for a client created by the plan.
pub fn client_placeholder(name: &str) -> String {
    format!("{{clientID of {name}}}")
}

struct Builder<'d> {
    calls: Vec<Call>,
    dialect: &'d dyn Dialect,
}

impl Builder<'_> {
    fn add(&mut self, method: &str, path: String, resource: String) -> usize {
        let id = self.calls.len();
        self.calls.push(Call {
            id,
            method: method.to_string(),
            path,
            resource,
            after: Vec::new(),
            note: None,
            body: None,
            check: None,
            needs_client: None,
            creates_client: None,
        });
        id
    }

    fn call(&mut self, id: usize) -> &mut Call {
        &mut self.calls[id]
    }

    fn body(&mut self, id: usize, body: Value) {
        self.calls[id].body = Some(body);
    }
}

/// The planner could not order its own calls: a defect of a0ctl, reported instead of sending
/// a plan that would drop calls.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a0ctl planned calls that wait for each other ({}): nothing was sent", calls.join(", "))]
pub struct CycleError {
    pub calls: Vec<String>,
}

impl CycleError {
    pub fn hint(&self) -> &'static str {
        "this is a defect of a0ctl: please report it with the manifests' shape; try applying fewer changes at once"
    }
}

/// Plan the calls for a set of changes against the tenant they were computed from, addressed
/// as `dialect` addresses them.
pub fn plan(changes: Changes, live: &Live, dialect: &dyn Dialect) -> Result<Plan, CycleError> {
    let mut b = Builder {
        calls: Vec::new(),
        dialect,
    };
    let by_kind = |kind: Kind| changes.changes.iter().filter(move |c| c.kind == kind);
    // Clients first: connections wait for the clients they are enabled for.
    let client_created = plan_clients(&mut b, by_kind(Kind::Client), live);
    let deleted_clients: BTreeSet<String> = by_kind(Kind::Client)
        .filter(|c| c.action == Action::Delete)
        .filter_map(|c| c.live_id().map(str::to_string))
        .collect();
    for c in by_kind(Kind::Connection) {
        plan_connection(&mut b, c, &client_created, &deleted_clients);
    }
    plan_rules(&mut b, by_kind(Kind::Rule), live);
    for c in by_kind(Kind::Email) {
        plan_email(&mut b, c);
    }
    Ok(Plan {
        calls: topological(b.calls)?,
        changes,
    })
}

/// Client creates, updates and deletes; returns the call that creates each new client, by name.
fn plan_clients<'a>(
    b: &mut Builder<'_>,
    changes: impl Iterator<Item = &'a Change>,
    live: &Live,
) -> HashMap<String, usize> {
    let mut created = HashMap::new();
    let known_client_ids: BTreeSet<String> = live.client_names.keys().cloned().collect();
    for c in changes {
        let resource = c.key();
        let item = || {
            b.dialect.item(Target {
                kind: Kind::Client,
                name: &c.name,
                id: c.live_id(),
            })
        };
        match c.action {
            Action::Create => {
                let d = c.desired.as_ref().expect("a create has a desired side");
                let id = b.add("POST", b.dialect.collection(Kind::Client), resource);
                let mut body = Map::new();
                for (k, v) in d.fields.iter().chain(d.write_only.iter()) {
                    body.insert(k.clone(), v.clone());
                }
                b.body(id, Value::Object(body));
                let call = b.call(id);
                call.check = Some(Check::Client {
                    name: c.name.clone(),
                    known: known_client_ids.clone(),
                });
                call.creates_client = Some(c.name.clone());
                created.insert(c.name.clone(), id);
            }
            Action::Update => {
                let d = c.desired.as_ref().expect("an update has a desired side");
                let path = item();
                let id = b.add(b.dialect.update_method(Kind::Client), path, resource);
                b.body(id, changed_fields(c, d));
            }
            Action::Delete => {
                let path = item();
                b.add("DELETE", path, resource);
            }
            Action::Replace | Action::Unmanaged => {}
        }
    }
    created
}

/// One connection: its create (after the delete, for a replacement), update or delete, then a
/// status call per client it is enabled or disabled for.
fn plan_connection(
    b: &mut Builder<'_>,
    c: &Change,
    client_created: &HashMap<String, usize>,
    deleted_clients: &BTreeSet<String>,
) {
    let resource = c.key();
    let target = Target::named(Kind::Connection, &c.name);
    let path = b.dialect.item(target);
    let mut created = None;
    match c.action {
        Action::Create | Action::Replace => {
            let d = c.desired.as_ref().expect("a create has a desired side");
            let deleted = (c.action == Action::Replace)
                .then(|| b.add("DELETE", path.clone(), resource.clone()));
            let id = b.add(
                "POST",
                b.dialect.collection(Kind::Connection),
                resource.clone(),
            );
            let body = json!({
                "name": c.name,
                "strategy": d.fields.get("strategy").cloned().unwrap_or(Value::Null),
                "options": d.fields.get("options").cloned().unwrap_or_else(|| json!({})),
            });
            b.body(id, body);
            let call = b.call(id);
            call.check = Some(Check::Connection(c.name.clone()));
            if let Some(del) = deleted {
                call.after.push(del);
                call.note =
                    Some("replacement: the old connection and its users are deleted first".into());
            }
            created = Some(id);
        }
        Action::Update => {
            let d = c.desired.as_ref().expect("an update has a desired side");
            if c.fields.iter().any(|f| f.path.top() == "options") {
                let method = b.dialect.update_method(Kind::Connection);
                let id = b.add(method, path.clone(), resource.clone());
                let options = d
                    .fields
                    .get("options")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                b.body(id, json!({ "options": options }));
            }
        }
        Action::Delete => {
            b.add("DELETE", path.clone(), resource.clone());
        }
        Action::Unmanaged => {}
    }
    for r in &c.enable {
        let (query, needs, wait) = match r {
            ClientRef::Id(id) => (segment(id), None, None),
            ClientRef::New(name) => (
                client_placeholder(name),
                Some(name.clone()),
                client_created.get(name).copied(),
            ),
        };
        let id = b.add(
            "PUT",
            b.dialect.client_status(target, &query),
            resource.clone(),
        );
        b.calls[id].body = Some(json!({"status": true}));
        b.calls[id].needs_client = needs;
        b.calls[id].after.extend(created.into_iter().chain(wait));
    }
    for client in c.disable.iter().filter(|id| !deleted_clients.contains(*id)) {
        let path = b.dialect.client_status(target, &segment(client));
        let id = b.add("PUT", path, resource.clone());
        b.calls[id].body = Some(json!({"status": false}));
    }
}

/// An email template's create or update (templates cannot be deleted).
fn plan_email(b: &mut Builder<'_>, c: &Change) {
    let resource = c.key();
    let Some(d) = &c.desired else {
        return;
    };
    match c.action {
        Action::Create => {
            let id = b.add("POST", b.dialect.collection(Kind::Email), resource);
            let mut body = Map::new();
            body.insert("template".into(), json!(c.name));
            for (k, v) in &d.fields {
                body.insert(k.clone(), v.clone());
            }
            b.body(id, Value::Object(body));
            b.call(id).check = Some(Check::Email(c.name.clone()));
        }
        Action::Update => {
            let path = b.dialect.item(Target::named(Kind::Email, &c.name));
            let id = b.add(b.dialect.update_method(Kind::Email), path, resource);
            b.body(id, changed_fields(c, d));
        }
        _ => {}
    }
}

/// The body of an update: the changed top-level fields, with their whole desired values.
fn changed_fields(c: &Change, d: &Resource) -> Value {
    let mut body = Map::new();
    for f in &c.fields {
        let top = f.path.top();
        if let Some(v) = d.fields.get(top).or_else(|| d.write_only.get(top)) {
            body.insert(top.to_string(), v.clone());
        }
    }
    Value::Object(body)
}

/// Rules: deletes free their orders; each moving rule is one PUT; a cycle of orders takes one
/// temporary move to an order nobody holds; new rules without an order get one after the last.
fn plan_rules<'a>(b: &mut Builder<'_>, changes: impl Iterator<Item = &'a Change>, live: &Live) {
    let order = |r: Option<&Resource>| {
        r.and_then(|r| r.fields.get("order"))
            .and_then(Value::as_u64)
    };
    let changes: Vec<&Change> = changes.collect();
    // Who holds each order now.
    let holder: BTreeMap<u64, String> = live
        .of_kind(Kind::Rule)
        .filter_map(|r| order(Some(r)).map(|o| (o, r.name.clone())))
        .collect();
    let mut fresh = live
        .of_kind(Kind::Rule)
        .filter_map(|r| order(Some(r)))
        .chain(changes.iter().filter_map(|c| order(c.desired.as_ref())))
        .max()
        .map_or(1, |m| m + 1);

    // A move takes a rule from its live order to its desired one.
    let moves: BTreeMap<String, (u64, u64)> = changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .filter_map(|c| {
            let from = order(c.live.as_ref())?;
            let to = order(c.desired.as_ref())?;
            (from != to).then(|| (c.name.clone(), (from, to)))
        })
        .collect();

    // Cycles of moves: each rule's target is held by another moving rule, back to the start.
    let mut temp_for: BTreeSet<String> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for start in moves.keys() {
        if seen.contains(start) {
            continue;
        }
        let mut path: Vec<String> = Vec::new();
        let mut cur = start.clone();
        loop {
            if seen.contains(&cur) {
                if let Some(pos) = path.iter().position(|n| *n == cur) {
                    // A cycle: break it at its smallest name, for a deterministic plan.
                    let breaker = path[pos..].iter().min().cloned().unwrap_or_default();
                    temp_for.insert(breaker);
                }
                break;
            }
            seen.insert(cur.clone());
            path.push(cur.clone());
            let Some((_, to)) = moves.get(&cur) else {
                break;
            };
            match holder.get(to) {
                Some(next) if moves.contains_key(next) => cur = next.clone(),
                _ => break,
            }
        }
    }

    // The call that frees each currently held order.
    let mut frees: BTreeMap<u64, usize> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.action == Action::Delete) {
        let path = b.dialect.item(Target::named(Kind::Rule, &c.name));
        let id = b.add("DELETE", path, c.key());
        if let Some(o) = order(c.live.as_ref()) {
            frees.insert(o, id);
        }
    }
    let mut temp_calls: BTreeMap<String, usize> = BTreeMap::new();
    for name in &temp_for {
        let (from, _) = moves[name];
        let path = b.dialect.item(Target::named(Kind::Rule, name));
        let id = b.add(
            b.dialect.update_method(Kind::Rule),
            path,
            format!("rule/{name}"),
        );
        b.calls[id].body = Some(json!({"order": fresh}));
        b.calls[id].note = Some(format!(
            "temporary order {fresh}, to break a cycle of orders"
        ));
        fresh += 1;
        frees.insert(from, id);
        temp_calls.insert(name.clone(), id);
    }
    // Final moves and other updates; a mover frees its old order with its own call.
    let mut update_calls: Vec<(usize, Option<u64>)> = Vec::new();
    for c in changes.iter().filter(|c| c.action == Action::Update) {
        let d = c.desired.as_ref().expect("an update has a desired side");
        let path = b.dialect.item(Target::named(Kind::Rule, &c.name));
        let id = b.add(b.dialect.update_method(Kind::Rule), path, c.key());
        b.body(id, changed_fields(c, d));
        let target = moves.get(&c.name).map(|(_, to)| *to);
        if let Some((from, _)) = moves.get(&c.name) {
            if let Some(t) = temp_calls.get(&c.name) {
                b.calls[id].after.push(*t);
            } else {
                frees.insert(*from, id);
            }
        }
        update_calls.push((id, target));
    }
    for c in changes.iter().filter(|c| c.action == Action::Create) {
        let d = c.desired.as_ref().expect("a create has a desired side");
        let mut body = Map::new();
        body.insert("name".into(), json!(c.name));
        for (k, v) in &d.fields {
            body.insert(k.clone(), v.clone());
        }
        let target = match order(Some(d)) {
            Some(o) => o,
            None => {
                // "After the last", chosen here so it cannot race a temporary move.
                let o = fresh;
                fresh += 1;
                body.insert("order".into(), json!(o));
                o
            }
        };
        let id = b.add("POST", b.dialect.collection(Kind::Rule), c.key());
        b.body(id, Value::Object(body));
        b.calls[id].check = Some(Check::Rule(c.name.clone()));
        update_calls.push((id, Some(target)));
    }
    // Whoever goes to an order waits for the call that frees it.
    for (id, target) in update_calls {
        let Some(target) = target else { continue };
        if holder.contains_key(&target)
            && let Some(free) = frees.get(&target).filter(|f| **f != id)
        {
            b.calls[id].after.push(*free);
        }
    }
}

/// Order calls so that every call comes after those it waits for, keeping the planned order
/// where there is a choice; renumber ids to positions. A cycle is an error, never dropped calls.
pub fn topological(calls: Vec<Call>) -> Result<Vec<Call>, CycleError> {
    let n = calls.len();
    let mut indegree = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for c in &calls {
        for &a in &c.after {
            indegree[c.id] += 1;
            dependents[a].push(c.id);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|i| indegree[*i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &d in &dependents[i] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    if order.len() != n {
        let placed: BTreeSet<usize> = order.iter().copied().collect();
        return Err(CycleError {
            calls: calls
                .iter()
                .filter(|c| !placed.contains(&c.id))
                .map(|c| format!("{} {}", c.method, c.path))
                .collect(),
        });
    }
    let position: HashMap<usize, usize> = order.iter().enumerate().map(|(p, i)| (*i, p)).collect();
    let mut by_id: BTreeMap<usize, Call> = calls.into_iter().map(|c| (c.id, c)).collect();
    Ok(order
        .iter()
        .map(|i| {
            let mut c = by_id.remove(i).expect("each call once");
            c.id = position[i];
            c.after = c.after.iter().map(|a| position[a]).collect();
            c.after.sort_unstable();
            c.after.dedup();
            c
        })
        .collect())
}

#[cfg(test)]
mod tests;
