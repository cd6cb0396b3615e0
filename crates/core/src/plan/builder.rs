//! The calls of a plan as the kinds build them: [`Builder`] (each kind's `KindSpec::plan` adds
//! its calls), the shapes every kind shares ([`simple`], [`create_body`]) and the calls that span
//! kinds, named as such ([`enabled_clients`], [`rule_orders`]).

use foldhash::{HashMap, HashMapExt};
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use crate::dialect::Target;
use crate::dialect::{Dialect, StatusChange};
use crate::diff::change::{Action, Change, ClientRef};
use crate::kind::Kind;
use crate::live::Live;
use crate::model::Resource;

/// One API call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub id: usize,
    pub method: String,
    /// The path; a placeholder such as `{clientID of NAME}` stands for the id of a resource this
    /// plan creates.
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
    /// Placeholders in the path or body that the answers of earlier creates fill.
    #[serde(skip)]
    pub needs: Vec<String>,
    /// This call creates a resource whose id fills a placeholder.
    #[serde(skip)]
    pub creates: Option<Creates>,
    /// What the tenant must say before this call is sent (an action's draft built), and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
}

/// A call that waits, bounded, for the tenant: before it is sent, `GET path` is read again until
/// its `field` reads `ready` (`failed` stops it, with the service's message); after it, until
/// `then`'s field holds `then`'s value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    pub path: String,
    pub field: String,
    pub ready: String,
    pub failed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<(String, Value)>,
}

/// The placeholder a create fills, and the field of its answer that holds the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creates {
    pub placeholder: String,
    pub id_field: &'static str,
}

/// How to tell whether a create whose answer was lost took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// A resource of this kind and name.
    Named(Kind, String),
    /// A client of this name that was not in the tenant when the plan was made (`known`: the
    /// ids the tenant had then, one set shared by every create of the plan).
    Client {
        name: String,
        known: std::sync::Arc<BTreeSet<String>>,
    },
}

/// The calls of a plan as they are built, kind by kind (`KindSpec::plan`).
pub struct Builder<'d> {
    calls: Vec<Call>,
    pub dialect: &'d dyn Dialect,
    /// The create call of each resource this plan creates, by kind and name.
    created: HashMap<(Kind, String), usize>,
    /// The update and the delete call of each resource this plan changes so, by kind and name.
    updated: HashMap<(Kind, String), usize>,
    deleted: HashMap<(Kind, String), usize>,
    /// The clients this plan deletes (no connection needs disabling for them).
    deleted_clients: BTreeSet<String>,
}

impl<'d> Builder<'d> {
    /// A builder of calls addressed as `dialect` addresses them, for a plan that deletes
    /// `deleted_clients`, with room for `capacity` calls.
    pub fn new(
        dialect: &'d dyn Dialect,
        deleted_clients: BTreeSet<String>,
        capacity: usize,
    ) -> Self {
        Builder {
            calls: Vec::with_capacity(capacity),
            dialect,
            created: HashMap::new(),
            updated: HashMap::new(),
            deleted: HashMap::new(),
            deleted_clients,
        }
    }

    /// The calls built, in the order they were added.
    pub fn into_calls(self) -> Vec<Call> {
        self.calls
    }

    pub fn add(&mut self, method: &str, path: String, resource: String) -> usize {
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
            needs: Vec::new(),
            creates: None,
            wait: None,
        });
        id
    }

    pub fn call(&mut self, id: usize) -> &mut Call {
        &mut self.calls[id]
    }

    /// The calls so far that change or delete a resource of `kind` already in the tenant
    /// (every call of the kind but its creates).
    pub fn changing(&self, kind: Kind) -> Vec<usize> {
        let prefix = format!("{kind}/");
        self.calls
            .iter()
            .filter(|c| c.method != "POST" && c.resource.starts_with(&prefix))
            .map(|c| c.id)
            .collect()
    }

    fn body(&mut self, id: usize, body: Value) {
        self.calls[id].body = Some(body);
    }

    /// The DELETE of the tenant's resource `l`.
    pub fn delete(&mut self, c: &Change, l: &Resource) -> usize {
        let path = self.dialect.item(Target::of(l));
        // Under the tenant's name (a replacement's old identity may differ from the new).
        let id = self.add("DELETE", path, format!("{}/{}", c.kind, l.name));
        self.deleted.insert((c.kind, l.name.clone()), id);
        id
    }

    /// This call waits for the create or the update of `kind/name`, where this plan makes one
    /// (a grant after the API that gains the scope it grants).
    pub fn waits_for_change(&mut self, id: usize, kind: Kind, name: &str) {
        let key = (kind, name.to_string());
        for call in [self.created.get(&key), self.updated.get(&key)]
            .into_iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
        {
            self.calls[id].after.push(call);
        }
    }

    /// The update (when `update`) and the delete of `kind/name`, where this plan makes them,
    /// wait for this call (a grant's delete before its API's).
    pub fn precedes(&mut self, id: usize, kind: Kind, name: &str, update: bool) {
        let key = (kind, name.to_string());
        let mut later: Vec<usize> = self.deleted.get(&key).copied().into_iter().collect();
        if update {
            later.extend(self.updated.get(&key).copied());
        }
        for call in later {
            self.calls[call].after.push(id);
        }
    }

    /// A POST that creates `kind/name`, read back by `check` when its answer is lost; later
    /// calls may use its placeholder.
    pub fn create(&mut self, kind: Kind, name: &str, body: Value, check: Check) -> usize {
        let resource = format!("{kind}/{name}");
        let id = self.add("POST", self.dialect.collection(kind), resource);
        self.body(id, body);
        let creates = Creates {
            placeholder: self.dialect.placeholder(kind, name),
            id_field: self.dialect.id_field(kind),
        };
        let call = self.call(id);
        call.check = Some(check);
        call.creates = Some(creates);
        self.created.insert((kind, name.to_string()), id);
        id
    }

    /// Whether this plan creates `kind/name` (a replacement's new one too): its id is a
    /// placeholder until then.
    pub fn creates(&self, kind: Kind, name: &str) -> bool {
        self.created.contains_key(&(kind, name.to_string()))
    }

    /// This call completes the change of `kind/name` (an action's deploy, after its draft's
    /// create or update): what waits for that change waits for it.
    pub fn completes(&mut self, id: usize, kind: Kind, name: &str) {
        self.updated.insert((kind, name.to_string()), id);
    }

    /// This call uses the id of `kind/name`, which this plan creates: wait for it.
    pub fn needs(&mut self, id: usize, kind: Kind, name: &str) {
        let placeholder = self.dialect.placeholder(kind, name);
        if let Some(&create) = self.created.get(&(kind, name.to_string())) {
            self.calls[id].after.push(create);
        }
        // Only a placeholder the call spells needs filling (v1 names a new connection by name).
        let call = &self.calls[id];
        let mut spelled = call.path.contains(&placeholder);
        if let Some(body) = &call.body {
            crate::path::leaves(body, &crate::path::FieldPath::root(), &mut |_, leaf| {
                spelled |= leaf.as_str() == Some(placeholder.as_str());
            });
        }
        if spelled {
            self.calls[id].needs.push(placeholder);
        }
    }

    /// The update of a changed resource: its changed fields that the API updates in place.
    pub fn update(&mut self, c: &Change, d: &Resource) -> Option<usize> {
        let body = changed_fields(c, d, self.dialect);
        if body.as_object().is_some_and(Map::is_empty) {
            return None;
        }
        let path = self
            .dialect
            .item(Target::with_id(c.kind, &c.name, c.live_id()));
        let id = self.add(self.dialect.update_method(c.kind), path, c.key());
        self.body(id, body);
        self.updated.insert((c.kind, c.name.clone()), id);
        Some(id)
    }
}

/// The body of a create: the name (as the kind names its identity, if it is not a field) and
/// every declared field but those naming clients (set by their own calls), write-only ones
/// included.
pub fn create_body(d: &Resource) -> Value {
    let mut body = Map::new();
    if let Some(key) = d.kind.identity() {
        body.insert(key.into(), json!(d.name));
    }
    let clients_field = d.kind.clients_field();
    for (k, v) in d.fields.iter().chain(d.write_only.iter()) {
        if Some(k.as_str()) != clients_field {
            body.insert(k.clone(), v.clone());
        }
    }
    Value::Object(body)
}

/// Enabled clients, across kinds: the calls that set a connection's status for the clients it
/// is enabled or disabled for, after the clients they name (and the connection, when `created`)
/// exist.
pub fn enabled_clients(b: &mut Builder<'_>, c: &Change, created: bool) {
    let mut statuses: Vec<StatusChange> = Vec::new();
    let mut new_clients: Vec<&str> = Vec::new();
    for r in &c.enable {
        statuses.push(match r {
            ClientRef::Id(id) => StatusChange {
                client: id.clone(),
                pending: false,
                status: true,
            },
            ClientRef::New(name) => {
                new_clients.push(name);
                StatusChange {
                    client: b.dialect.placeholder(Kind::clients(), name),
                    pending: true,
                    status: true,
                }
            }
        });
    }
    statuses.extend(
        c.disable
            .iter()
            .filter(|id| !b.deleted_clients.contains(*id))
            .map(|id| StatusChange {
                client: id.clone(),
                pending: false,
                status: false,
            }),
    );
    let placeholder = b.dialect.placeholder(c.kind, &c.name);
    let target = if created {
        Target::pending(c.kind, &c.name, &placeholder)
    } else {
        Target::with_id(c.kind, &c.name, c.live_id())
    };
    for call in b.dialect.status_calls(target, &statuses) {
        let id = b.add(call.method, call.path, c.key());
        b.calls[id].body = Some(call.body);
        if created {
            b.needs(id, c.kind, &c.name);
        }
        for name in &new_clients {
            if call
                .clients
                .contains(&b.dialect.placeholder(Kind::clients(), name))
            {
                b.needs(id, Kind::clients(), name);
            }
        }
    }
}

/// A resource that always exists (the tenant's settings, an attack protection): a create is the
/// update of every declared key, a delete nothing. The update's call, if one is needed.
pub fn always_there(b: &mut Builder<'_>, c: &Change) -> Option<usize> {
    match (c.action, &c.desired) {
        (Action::Create | Action::Update, Some(d)) => b.update(c, d),
        _ => None,
    }
}

/// A resource whose kind keeps a listing of its own under it (`KindSpec::part`: a role's
/// permissions, an organization's connections), as this plan creates or updates it: the
/// listing's calls go to `path` and wait for the resource's create or update.
pub struct PartOwner {
    /// The create or update of the resource, if this plan makes one.
    made: Option<usize>,
    /// Whether this plan creates it (the tenant's listing is then empty).
    pub created: bool,
    /// The listing's path (`/roles/{id}/permissions`).
    pub path: String,
}

/// The create (without the part's `field`) or the update of the resource of `c`, for a kind
/// with a part (its `field`, listed at `suffix` below the resource); `None` when `c` neither
/// creates nor updates it, or its desired resource does not declare the part (not managed).
pub fn part_owner(
    b: &mut Builder<'_>,
    c: &Change,
    (field, suffix): (&str, &str),
) -> Option<PartOwner> {
    let d = c.desired.as_deref()?;
    let (made, created) = match c.action {
        Action::Create => {
            let mut body = create_body(d);
            if let Some(o) = body.as_object_mut() {
                o.remove(field);
            }
            let check = Check::Named(c.kind, c.name.clone());
            (Some(b.create(c.kind, &c.name, body, check)), true)
        }
        Action::Update => (b.update(c, d), false),
        _ => return None,
    };
    if !d.fields.contains_key(field) {
        return None;
    }
    let placeholder = b.dialect.placeholder(c.kind, &c.name);
    let target = if created {
        Target::pending(c.kind, &c.name, &placeholder)
    } else {
        Target::with_id(c.kind, &c.name, c.live_id())
    };
    let path = format!("{}{suffix}", b.dialect.item(target));
    Some(PartOwner {
        made,
        created,
        path,
    })
}

impl PartOwner {
    /// A call of the listing (`method path`, with `body`), after the resource's create or update.
    pub fn call(
        &self,
        b: &mut Builder<'_>,
        c: &Change,
        method: &str,
        path: String,
        body: Option<Value>,
    ) -> usize {
        let id = b.add(method, path, c.key());
        b.call(id).body = body;
        if self.created {
            b.needs(id, c.kind, &c.name);
        } else if let Some(made) = self.made {
            b.call(id).after.push(made);
        }
        id
    }
}

/// A kind whose calls are the create, update or delete of one object (email templates, the
/// provider).
pub fn simple(b: &mut Builder<'_>, c: &Change) {
    match (c.action, &c.desired, &c.live) {
        (Action::Create, Some(d), _) => {
            let check = Check::Named(c.kind, c.name.clone());
            b.create(c.kind, &c.name, create_body(d), check);
        }
        (Action::Update, Some(d), _) => {
            b.update(c, d);
        }
        (Action::Delete, _, Some(l)) => {
            b.delete(c, l);
        }
        // The old one goes first (what the service keeps unique, the new one may reuse).
        (Action::Replace, Some(d), Some(l)) => {
            let deleted = b.delete(c, l);
            let check = Check::Named(c.kind, c.name.clone());
            let id = b.create(c.kind, &c.name, create_body(d), check);
            let call = b.call(id);
            call.after.push(deleted);
            call.note = Some(format!(
                "replacement: the old {} is deleted first",
                c.kind.noun()
            ));
        }
        _ => {}
    }
}

/// The body of an update: the changed top-level fields the API updates in place, with their
/// whole desired values.
fn changed_fields(c: &Change, d: &Resource, dialect: &dyn Dialect) -> Value {
    let mut body = Map::new();
    for f in &c.fields {
        let top = f.path.top();
        if !dialect.updatable(c.kind, top) {
            continue;
        }
        // A write-only value sent in full where the compared field holds only part of it (an
        // action's secrets: names compared, values sent).
        if let Some(v) = d.write_only.get(top).or_else(|| d.fields.get(top)) {
            body.insert(top.to_string(), v.clone());
        }
    }
    Value::Object(body)
}

/// A rule's order, if it has one.
fn order_of(r: Option<&Resource>) -> Option<u64> {
    r.and_then(|r| r.fields.get("order"))
        .and_then(Value::as_u64)
}

/// Rule orders, across rules: deletes free their orders; each moving rule is one update; a
/// cycle of orders takes one temporary move to an order nobody holds; new rules without an
/// order get one after the last.
pub fn rule_orders(b: &mut Builder<'_>, kind: Kind, changes: &[&Change], live: &Live) {
    let mut orders = RuleOrders::new(kind, changes, live);
    let breakers = orders.cycle_breakers();
    let deleted = orders.deletes(b, changes);
    let temporary = orders.temporary_moves(b, &breakers, live);
    orders.updates(b, changes, &temporary);
    orders.creates(b, changes, &deleted);
    orders.wait_for_freed_orders(b);
}

/// What planning rule orders keeps track of, from the first call it adds to the last.
struct RuleOrders {
    /// The ordered kind (rules).
    kind: Kind,
    /// Who holds each order now.
    holder: BTreeMap<u64, String>,
    /// The next order nobody holds or wants.
    fresh: u64,
    /// A move takes a rule from its live order to its desired one.
    moves: BTreeMap<String, (u64, u64)>,
    /// The call that frees each currently held order.
    frees: BTreeMap<u64, usize>,
    /// The updates and creates of rules, each with the order it takes its rule to, if any.
    arrivals: Vec<(usize, Option<u64>)>,
}

impl RuleOrders {
    /// The orders held now, the first free one, and the rules that move.
    fn new(kind: Kind, changes: &[&Change], live: &Live) -> Self {
        let holder: BTreeMap<u64, String> = live
            .of_kind(kind)
            .filter_map(|r| order_of(Some(r)).map(|o| (o, r.name.clone())))
            .collect();
        let fresh = live
            .of_kind(kind)
            .filter_map(|r| order_of(Some(r)))
            .chain(
                changes
                    .iter()
                    .filter_map(|c| order_of(c.desired.as_deref())),
            )
            .max()
            .map_or(1, |m| m + 1);
        let moves: BTreeMap<String, (u64, u64)> = changes
            .iter()
            .filter(|c| c.action == Action::Update)
            .filter_map(|c| {
                let from = order_of(c.live.as_deref())?;
                let to = order_of(c.desired.as_deref())?;
                (from != to).then(|| (c.name.clone(), (from, to)))
            })
            .collect();
        RuleOrders {
            kind,
            holder,
            fresh,
            moves,
            frees: BTreeMap::new(),
            arrivals: Vec::new(),
        }
    }

    /// The rule that breaks each cycle of moves (each rule's target is held by another moving
    /// rule, back to the start): the cycle's smallest name, for a deterministic plan.
    fn cycle_breakers(&self) -> BTreeSet<String> {
        let mut breakers: BTreeSet<String> = BTreeSet::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for start in self.moves.keys() {
            if seen.contains(start) {
                continue;
            }
            let mut path: Vec<String> = Vec::new();
            let mut cur = start.clone();
            loop {
                if seen.contains(&cur) {
                    if let Some(pos) = path.iter().position(|n| *n == cur) {
                        let breaker = path[pos..].iter().min().cloned().unwrap_or_default();
                        breakers.insert(breaker);
                    }
                    break;
                }
                seen.insert(cur.clone());
                path.push(cur.clone());
                let Some((_, to)) = self.moves.get(&cur) else {
                    break;
                };
                match self.holder.get(to) {
                    Some(next) if self.moves.contains_key(next) => cur = next.clone(),
                    _ => break,
                }
            }
        }
        breakers
    }

    /// The deletes, each freeing its rule's order; a replacement (v2: a new `stage`) deletes
    /// first too. Returns the delete call of each rule by name.
    fn deletes<'c>(
        &mut self,
        b: &mut Builder<'_>,
        changes: &[&'c Change],
    ) -> BTreeMap<&'c str, usize> {
        let mut deleted: BTreeMap<&str, usize> = BTreeMap::new();
        for c in changes
            .iter()
            .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        {
            let live_rule = c.live.as_deref().expect("a delete has a live side");
            let id = b.add("DELETE", b.dialect.item(Target::of(live_rule)), c.key());
            if let Some(o) = order_of(c.live.as_deref()) {
                self.frees.insert(o, id);
            }
            deleted.insert(&c.name, id);
        }
        deleted
    }

    /// One move to an order nobody holds for each rule that breaks a cycle, freeing its old
    /// order. Returns the temporary move of each such rule by name.
    fn temporary_moves(
        &mut self,
        b: &mut Builder<'_>,
        breakers: &BTreeSet<String>,
        live: &Live,
    ) -> BTreeMap<String, usize> {
        let live_id = |name: &str| {
            live.of_kind(self.kind)
                .find(|r| r.name == name)
                .and_then(|r| r.id.clone())
        };
        let mut temporary: BTreeMap<String, usize> = BTreeMap::new();
        for name in breakers {
            let (from, _) = self.moves[name];
            let id_of = live_id(name);
            let path = b
                .dialect
                .item(Target::with_id(self.kind, name, id_of.as_deref()));
            let id = b.add(
                b.dialect.update_method(self.kind),
                path,
                format!("{}/{name}", self.kind),
            );
            let fresh = self.fresh;
            b.calls[id].body = Some(json!({"order": fresh}));
            b.calls[id].note = Some(format!(
                "temporary order {fresh}, to break a cycle of orders"
            ));
            self.fresh += 1;
            self.frees.insert(from, id);
            temporary.insert(name.clone(), id);
        }
        temporary
    }

    /// Final moves and other updates; a mover frees its old order with its own call, unless a
    /// temporary move freed it already (then it waits for that move).
    fn updates(
        &mut self,
        b: &mut Builder<'_>,
        changes: &[&Change],
        temporary: &BTreeMap<String, usize>,
    ) {
        for c in changes.iter().filter(|c| c.action == Action::Update) {
            let d = c.desired.as_deref().expect("an update has a desired side");
            let Some(id) = b.update(c, d) else { continue };
            let target = self.moves.get(&c.name).map(|(_, to)| *to);
            if let Some((from, _)) = self.moves.get(&c.name) {
                if let Some(t) = temporary.get(&c.name) {
                    b.calls[id].after.push(*t);
                } else {
                    self.frees.insert(*from, id);
                }
            }
            self.arrivals.push((id, target));
        }
    }

    /// The creates (a replacement's after its delete); a new rule without an order gets one
    /// after the last, chosen here so it cannot race a temporary move.
    fn creates(
        &mut self,
        b: &mut Builder<'_>,
        changes: &[&Change],
        deleted: &BTreeMap<&str, usize>,
    ) {
        for c in changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Replace))
        {
            let d = c.desired.as_deref().expect("a create has a desired side");
            let Value::Object(mut body) = create_body(d) else {
                continue;
            };
            let target = match (order_of(Some(d)), order_of(c.live.as_deref())) {
                (Some(o), _) => o,
                // A replacement keeps its place when the manifest does not say.
                (None, Some(o)) if c.action == Action::Replace => {
                    body.insert("order".into(), json!(o));
                    o
                }
                (None, _) => {
                    let o = self.fresh;
                    self.fresh += 1;
                    body.insert("order".into(), json!(o));
                    o
                }
            };
            let check = Check::Named(self.kind, c.name.clone());
            let id = b.create(self.kind, &c.name, Value::Object(body), check);
            if let Some(del) = deleted.get(c.name.as_str()) {
                let call = b.call(id);
                call.after.push(*del);
                call.note = Some("replacement: the old rule is deleted first".into());
            }
            self.arrivals.push((id, Some(target)));
        }
    }

    /// Whoever goes to an order held now waits for the call that frees it.
    fn wait_for_freed_orders(&self, b: &mut Builder<'_>) {
        for &(id, target) in &self.arrivals {
            let Some(target) = target else { continue };
            if self.holder.contains_key(&target)
                && let Some(free) = self.frees.get(&target).filter(|f| **f != id)
            {
                b.calls[id].after.push(*free);
            }
        }
    }
}
