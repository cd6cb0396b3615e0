//! `diff`: the pure function `(desired, live) -> Changes`. Resources are matched by their natural
//! key (connection and rule name, client name or pinned `client_id`, email template) and compared
//! field by field with structural equality; `similar` only displays text (in `render`).
//!
//! Decisions made here: a changed connection `strategy` is a replacement; connection `options`
//! are the whole desired object (a live key missing from the manifest shows as removed);
//! `enabled_clients` compares client identities, not names; a rule without a desired order that
//! sits on an order another rule wants is moved after the last (shown as an `order` change);
//! resources in the tenant but not in the manifest are *unmanaged*, or deletes with
//! `--allow-delete` (email templates cannot be deleted and are never listed).

use foldhash::{HashMap, HashMapExt};
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::kind::{Named, Pairing};
use crate::live::Live;
use crate::model::{Kind, Resource};
use crate::path::FieldPath;

pub mod change;

pub use change::{Action, Change, Changes, ClientRef, FieldChange};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Resources not in the manifest become deletes.
    pub allow_delete: bool,
    /// Send every declared `signingKey` again (it cannot be compared).
    pub rotate_signing_keys: bool,
    /// Compare write-only fields too (offline, where both sides are manifests).
    pub compare_write_only: bool,
    /// Both sides are manifests (`a0ctl diff OLD NEW`): a client pinned in NEW but not in OLD
    /// is matched by name (pinning, or renaming with a pin, is the safe change it proposes).
    pub offline: bool,
    /// What this run manages (kinds with a section; nothing ignored), and the API.
    pub scope: crate::scope::Scope,
    /// The client whose credentials a0ctl uses: never changed or deleted.
    pub own_client: Option<String>,
}

pub use crate::error::reconcile::{At, DiffError};

fn at(r: &Resource) -> At {
    At(r.origin.clone())
}

/// Compare the desired resources with the tenant. Every kind is compared by its pairing
/// (`kind::Facts::pairing`), pinned kinds first since others refer to them.
pub fn diff(desired: &[Resource], live: &Live, options: &Options) -> Result<Changes, DiffError> {
    ambiguous_references(desired, live)?;
    if !options.offline {
        unknown_by_id(desired, live)?;
    }
    let paired = |kind: Kind| kind.pairing();
    // Ignored resources of ordered kinds still hold their orders.
    let ignored_ordered: Vec<Resource> = live
        .resources
        .iter()
        .filter(|r| {
            paired(r.kind) == Pairing::Ordered
                && options.scope.kinds.contains(&r.kind)
                && options.scope.ignored(r.kind, &r.name)
        })
        .cloned()
        .collect();
    // Kinds without a section and ignored resources are invisible from here on.
    let live = &keep_ignored_entries(options.scope.filter(live), desired, &options.scope);
    let mut out = Changes::default();
    let mut matched_live: BTreeSet<(Kind, String)> = BTreeSet::new();
    let mut refs: HashMap<String, ClientRef> = HashMap::new();
    let names_clients = desired.iter().any(|d| d.kind.clients_field().is_some());
    for kind in Kind::all().filter(|k| matches!(paired(*k), Pairing::Pinned(_))) {
        let pairs = match_pinned(kind, desired, live, options.offline)?;
        for l in pairs.iter().filter_map(|(_, l)| *l) {
            matched_live.insert((kind, l.id.clone().unwrap_or_default()));
        }
        for change in pinned_changes(&pairs, options)? {
            push(&mut out, change);
        }
        // Only what names clients by their manifest names reads them.
        if names_clients {
            refs.extend(client_refs(&pairs));
        }
    }
    let live_by_name: HashMap<(Kind, &str), &Resource> = live
        .resources
        .iter()
        .filter(|r| !matches!(paired(r.kind), Pairing::Pinned(_)))
        .map(|r| ((r.kind, r.name.as_str()), r))
        .collect();
    for kind in Kind::all() {
        let changes = match paired(kind) {
            // Compared above.
            Pairing::Pinned(_) => continue,
            Pairing::Name | Pairing::Renamed(_) => named_changes(
                kind,
                desired,
                live,
                &live_by_name,
                &refs,
                &mut matched_live,
                options,
            )?,
            Pairing::Ordered => {
                let ignored: Vec<Resource> = ignored_ordered
                    .iter()
                    .filter(|r| r.kind == kind)
                    .cloned()
                    .collect();
                ordered(kind, desired, live, &ignored, options, &mut matched_live)?
            }
        };
        for change in changes {
            push(&mut out, change);
        }
    }
    re_enable_replaced(&mut out, desired, live, options);
    out.changes
        .extend(not_in_manifests(live, &matched_live, options));
    out.changes.sort_by(|a, b| {
        (a.kind, &a.name, a.action, a.live_id()).cmp(&(b.kind, &b.name, b.action, b.live_id()))
    });
    hint_renames(&mut out);
    out.notices.extend(write_only_notices(desired, options));
    // What the tenant's resources are in that a0ctl reads and leaves to the service.
    out.notices.extend(
        live.resources
            .iter()
            .filter_map(|r| crate::kinds::spec(r.kind).report(r)),
    );
    Ok(out)
}

/// The change of each desired resource of a pinned kind paired with its live one; a change to
/// the client whose credentials a0ctl uses is an error.
fn pinned_changes(
    clients: &[(&Resource, Option<&Resource>)],
    options: &Options,
) -> Result<Vec<Option<Change>>, DiffError> {
    let compared: Vec<Option<Change>> = clients
        .iter()
        .map(|(d, l)| compare(d, *l, options))
        .collect();
    for ((d, _), change) in clients.iter().zip(&compared) {
        if let (Some(c), Some(own)) = (change, &options.own_client)
            && c.live_id() == Some(own.as_str())
        {
            return Err(DiffError::OwnClient {
                at: at(d),
                name: d.name.clone(),
                id: own.clone(),
            });
        }
    }
    Ok(compared)
}

/// The change of each desired resource of a kind paired by name, with the clients its fields
/// refer to folded in (`refs`: how its entries refer to clients); records the live resources
/// matched.
fn named_changes(
    kind: Kind,
    desired: &[Resource],
    live: &Live,
    live_by_name: &HashMap<(Kind, &str), &Resource>,
    refs: &HashMap<String, ClientRef>,
    matched_live: &mut BTreeSet<(Kind, String)>,
    options: &Options,
) -> Result<Vec<Option<Change>>, DiffError> {
    let refers_to_clients = kind.clients_field().is_some();
    let mut pairs: Vec<(&Resource, Option<&Resource>)> = desired
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| {
            (
                d,
                live_by_name
                    .get(&(kind, &*live.name_of_declared(d)))
                    .copied(),
            )
        })
        .collect();
    // A declared name the tenant holds more than once (a kind whose names the service lets
    // repeat: log streams) cannot be paired.
    let mut by_name: HashMap<&str, Vec<String>> = HashMap::new();
    for l in live.resources.iter().filter(|l| l.kind == kind) {
        by_name
            .entry(l.name.as_str())
            .or_default()
            .push(l.id.clone().unwrap_or_default());
    }
    for (d, l) in &pairs {
        if let Some(l) = l
            && let Some(ids) = by_name.get(l.name.as_str()).filter(|ids| ids.len() > 1)
        {
            return Err(DiffError::AmbiguousInTenant {
                at: at(d),
                noun: kind.noun(),
                name: l.name.clone(),
                ids: ids.clone(),
            });
        }
    }
    // Two declarations of one resource of the tenant (a grant by its client's name and by
    // its pin).
    let mut seen: HashMap<&str, &Resource> = HashMap::new();
    for (d, l) in &pairs {
        if let Some(l) = l
            && let Some(first) = seen.insert(l.name.as_str(), d)
        {
            return Err(DiffError::SameInTenant {
                at: at(d),
                noun: kind.noun(),
                first: first.name.clone(),
                second: d.name.clone(),
                tenant: l.name.clone(),
            });
        }
    }
    let renamed = match kind.pairing() {
        Pairing::Renamed(field) => renamed(&mut pairs, live, field),
        _ => BTreeSet::new(),
    };
    let mut compared: Vec<Option<Change>> = pairs
        .iter()
        .map(|(d, l)| match l {
            Some(l) if renamed.contains(d.name.as_str()) => Some(replaced_identity(d, l, options)),
            _ => compare(d, *l, options),
        })
        .collect();
    for ((d, l), change) in pairs.into_iter().zip(compared.iter_mut()) {
        if let Some(l) = l {
            matched_live.insert((kind, l.name.clone()));
        }
        if refers_to_clients {
            enabled_clients(change, d, l, live, refs, options.own_client.as_deref())?;
            if let (Some(c), Some(l)) = (change.as_mut(), l) {
                restore_enabled(c, d, l, live, matched_live, options);
            }
        }
    }
    Ok(compared)
}

/// Pairs each declared resource the tenant does not have by name with the one the tenant has
/// that no manifest names and whose `field` is the same, when each is the only one of its side
/// with that value (`Pairing::Renamed`). Returns the names of the declared resources paired so.
fn renamed<'a>(
    pairs: &mut [(&'a Resource, Option<&'a Resource>)],
    live: &'a Live,
    field: &str,
) -> BTreeSet<&'a str> {
    let Some(kind) = pairs.first().map(|(d, _)| d.kind) else {
        return BTreeSet::new();
    };
    let declared: BTreeSet<&str> = pairs.iter().map(|(d, _)| d.name.as_str()).collect();
    let value = |r: &Resource| r.fields.get(field).cloned();
    let unnamed: Vec<(&Resource, Value)> = live
        .of_kind(kind)
        .filter(|l| !declared.contains(l.name.as_str()))
        .filter_map(|l| Some((l, value(l)?)))
        .collect();
    let new: Vec<Value> = pairs
        .iter()
        .filter(|(_, l)| l.is_none())
        .filter_map(|(d, _)| value(d))
        .collect();
    let mut out = BTreeSet::new();
    for (d, l) in pairs.iter_mut().filter(|(_, l)| l.is_none()) {
        let Some(v) = value(d) else { continue };
        let mut twins = unnamed.iter().filter(|(_, u)| *u == v);
        if let (Some((twin, _)), None) = (twins.next(), twins.next())
            && new.iter().filter(|n| **n == v).count() == 1
        {
            *l = Some(twin);
            out.insert(d.name.as_str());
        }
    }
    out
}

/// The replacement of the tenant's `l` by the declared `d`, whose identity differs (its
/// `Named::By` field, shown first, forces it), with every other field compared as usual.
fn replaced_identity(d: &Resource, l: &Resource, options: &Options) -> Change {
    let mut change = compare(d, Some(l), options).unwrap_or_else(|| {
        let mut c = Change::new(d.kind, &d.name, Action::Update);
        c.desired = Some(Box::new(d.clone()));
        c.live = Some(Box::new(l.clone()));
        c
    });
    change.action = Action::Replace;
    if let Named::By(identity) = d.kind.named() {
        let (before, after) = (json!(l.name), json!(d.name));
        let mut f = FieldChange::new(
            FieldPath::field(identity),
            Some(&before),
            Some(&after),
            Some(l),
            Some(d),
        );
        f.forces_replacement = true;
        change.fields.insert(0, f);
    }
    change
}

/// What the tenant has and the manifest does not: unmanaged, or deletes with `--allow-delete`
/// (kinds that cannot be deleted, a0ctl's own client and what it holds are left out).
fn not_in_manifests(
    live: &Live,
    matched_live: &BTreeSet<(Kind, String)>,
    options: &Options,
) -> Vec<Change> {
    let mut out = Vec::new();
    for l in &live.resources {
        // What a0ctl's own client holds (its grants) is how a0ctl reaches the tenant: never
        // listed, never deleted, unless a manifest declares it.
        let own = l.kind.references().iter().any(|r| {
            matches!(r.kind().pairing(), Pairing::Pinned(_))
                && r.tenant_field.is_some()
                && l.refs
                    .get(r.field)
                    .is_some_and(|id| Some(id) == options.own_client.as_ref())
        });
        let key = match l.kind.pairing() {
            _ if !l.kind.deletable() || own => continue,
            // Never listed: a0ctl's own client is neither managed nor ever deleted.
            Pairing::Pinned(_) if l.id.is_some() && l.id == options.own_client => continue,
            Pairing::Pinned(_) => l.id.clone().unwrap_or_default(),
            Pairing::Name | Pairing::Ordered | Pairing::Renamed(_) => l.name.clone(),
        };
        if matched_live.contains(&(l.kind, key)) {
            continue;
        }
        let action = if options.allow_delete {
            Action::Delete
        } else {
            Action::Unmanaged
        };
        let mut change = Change::new(l.kind, &l.name, action);
        if action == Action::Delete {
            change.fields = l
                .fields
                .iter()
                .map(|(k, v)| FieldChange::new(FieldPath::field(k), Some(v), None, Some(l), None))
                .collect();
        }
        change.live = Some(Box::new(l.clone()));
        out.push(change);
    }
    out
}

/// The notices for write-only values the plan cannot see change (declared signing keys, the
/// email provider's credentials), unless they are sent again or compared.
fn write_only_notices(desired: &[Resource], options: &Options) -> Vec<String> {
    let mut notices = Vec::new();
    let signing: Vec<&str> = desired
        .iter()
        .filter(|d| d.write_only.contains_key("signingKey"))
        .map(|d| d.name.as_str())
        .collect();
    if !signing.is_empty() && !options.rotate_signing_keys && !options.compare_write_only {
        notices.push(format!(
            "signingKey is write-only (the API never returns it, so a change to it cannot be seen); pass --rotate-signing-keys to send it (declared by {})",
            signing.join(", ")
        ));
    }
    if !options.rotate_signing_keys && !options.compare_write_only {
        for d in desired {
            for field in d.write_only.keys() {
                if let Some(notice) = crate::kinds::spec(d.kind).unseen_notice(field)
                    && !notices.iter().any(|n| n == notice)
                {
                    notices.push(notice.to_string());
                }
            }
        }
    }
    notices
}

/// A client created while another with the same callbacks is left over (unmanaged or deleted)
/// is most likely a rename without a pinned `client_id`: the new client gets new credentials.
fn hint_renames(out: &mut Changes) {
    let callbacks = |r: Option<&Resource>| r.and_then(|r| r.fields.get("callbacks")).cloned();
    let leftovers: Vec<(String, String, Value)> = out
        .changes
        .iter()
        .filter(|c| {
            c.kind == Kind::clients() && matches!(c.action, Action::Unmanaged | Action::Delete)
        })
        .filter_map(|c| {
            let cb = callbacks(c.live.as_deref())
                .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))?;
            Some((c.name.clone(), c.live_id()?.to_string(), cb))
        })
        .collect();
    for c in out
        .changes
        .iter_mut()
        .filter(|c| c.kind == Kind::clients() && c.action == Action::Create)
    {
        let Some(cb) = callbacks(c.desired.as_deref()) else {
            continue;
        };
        if let Some((old, id, _)) = leftovers.iter().find(|(_, _, v)| *v == cb) {
            c.notes.push(format!(
                "looks like a rename of client \"{old}\" ({id}): pin `client_id: {id}` to rename it and keep its credentials"
            ));
        }
    }
}

fn push(out: &mut Changes, change: Option<Change>) {
    match change {
        Some(c) => out.changes.push(c),
        None => out.unchanged += 1,
    }
}

/// Pair every desired resource of a pinned kind with its live one (or none: a create).
fn match_pinned<'a>(
    kind: Kind,
    desired: &'a [Resource],
    live: &'a Live,
    offline: bool,
) -> Result<Vec<(&'a Resource, Option<&'a Resource>)>, DiffError> {
    let mut by_name: HashMap<&str, Vec<&Resource>> = HashMap::new();
    let mut by_id: HashMap<&str, &Resource> = HashMap::new();
    for l in live.of_kind(kind) {
        by_name.entry(l.name.as_str()).or_default().push(l);
        if let Some(id) = &l.id {
            by_id.insert(id.as_str(), l);
        }
    }
    let mut taken: HashMap<String, &Resource> = HashMap::new();
    let mut out = Vec::new();
    for d in desired.iter().filter(|d| d.kind == kind) {
        if let Some(pin) =
            d.id.as_ref()
                .filter(|p| live.global_client_id.as_ref() == Some(*p))
        {
            return Err(DiffError::PinnedGlobalClient {
                at: at(d),
                name: d.name.clone(),
                id: pin.clone(),
            });
        }
        let pinned =
            d.id.as_ref()
                .map(|pin| (pin, by_id.get(pin.as_str()).copied()));
        let found = match pinned {
            Some((_, Some(l))) => Some(l),
            Some((pin, None)) if !offline => {
                return Err(DiffError::PinnedClientMissing {
                    at: at(d),
                    name: d.name.clone(),
                    id: pin.clone(),
                });
            }
            _ => match by_name.get(d.name.as_str()).map(Vec::as_slice) {
                None | Some([]) => None,
                Some([one]) => Some(*one),
                Some(many) => {
                    let mut ids: Vec<String> = many.iter().filter_map(|r| r.id.clone()).collect();
                    ids.sort();
                    return Err(DiffError::DuplicateClient {
                        at: at(d),
                        name: d.name.clone(),
                        ids,
                    });
                }
            },
        };
        if let Some(l) = found {
            let id = l.id.clone().unwrap_or_default();
            if let Some(first) = taken.insert(id.clone(), d) {
                return Err(DiffError::ClientMatchedTwice {
                    at: at(d),
                    first: first.name.clone(),
                    second: d.name.clone(),
                    id,
                });
            }
        }
        out.push((d, found));
    }
    Ok(out)
}

/// How a connection's `enabled_clients` entry (a manifest client's name, or the key of its pin)
/// refers to a client.
fn client_refs(clients: &[(&Resource, Option<&Resource>)]) -> HashMap<String, ClientRef> {
    let mut refs = HashMap::new();
    for (d, l) in clients {
        let r = match l.and_then(|l| l.id.clone()) {
            Some(id) => ClientRef::Id(id),
            None => ClientRef::New(d.name.clone()),
        };
        if let Some(pin) = &d.id {
            refs.insert(crate::kind::pin_key(pin), r.clone());
        }
        refs.insert(d.name.clone(), r);
    }
    refs
}

/// An `enabled_clients` key as a person reads it.
fn shown_entry(key: &str) -> String {
    match key.strip_prefix(&crate::kind::pin_key("")) {
        Some(id) => format!("client_id {id}"),
        None => key.to_string(),
    }
}

/// Field-level comparison of one desired resource with its live counterpart.
fn compare(d: &Resource, l: Option<&Resource>, options: &Options) -> Option<Change> {
    let Some(l) = l else {
        let mut change = Change::new(d.kind, &d.name, Action::Create);
        change.fields.reserve(d.fields.len() + d.write_only.len());
        let created =
            |path: FieldPath, v: &Value| FieldChange::new(path, None, Some(v), None, Some(d));
        // A write-only value in full where the compared field holds part of it (an action's
        // secrets) is shown once.
        let compared = d
            .fields
            .iter()
            .filter(|(k, _)| !d.write_only.contains_key(*k));
        let keyed = crate::kinds::spec(d.kind).keyed();
        for (k, v) in compared.chain(d.write_only.iter()) {
            match keyed.iter().find(|(f, _)| *f == k) {
                // Key by key, as updates show them.
                Some((_, depth)) if v.as_object().is_some_and(|o| !o.is_empty()) => {
                    keyed_leaves(FieldPath::field(k), v, *depth, &mut |path, v| {
                        change.fields.push(created(path, v));
                    });
                }
                _ => change.fields.push(created(FieldPath::field(k), v)),
            }
        }
        change.desired = Some(Box::new(d.clone()));
        return Some(change);
    };
    let mut fields = Vec::new();
    let write_only = options.compare_write_only.then_some(&d.write_only);
    let clients_field = d.kind.clients_field();
    // Compared with its write-only values, a field that holds part of one (a log stream's sink
    // without its secrets, an action's secret names) is compared whole, once.
    let compared = d
        .fields
        .iter()
        .filter(|(k, _)| !(options.compare_write_only && d.write_only.contains_key(*k)));
    for (key, want) in compared.chain(write_only.into_iter().flatten()) {
        if Some(key.as_str()) == clients_field {
            continue;
        }
        if crate::kinds::spec(d.kind).held(l, key) {
            continue;
        }
        let have = l.fields.get(key);
        if crate::kinds::spec(d.kind).merged().contains(&key.as_str()) {
            let empty = serde_json::Map::new();
            let have_map = have.and_then(Value::as_object).unwrap_or(&empty);
            for (k, w) in want.as_object().unwrap_or(&empty) {
                let h = have_map.get(k);
                if h != Some(w) {
                    let path = FieldPath::from_segments([key.as_str(), k.as_str()]);
                    fields.push(FieldChange::new(path, h, Some(w), Some(l), Some(d)));
                }
            }
            continue;
        }
        if let Some((_, depth)) = crate::kinds::spec(d.kind)
            .keyed()
            .iter()
            .find(|(f, _)| f == key)
        {
            keyed_changes(
                FieldPath::field(key),
                Some(want),
                have,
                *depth,
                &mut |p, h, w| {
                    fields.push(FieldChange::new(p, h, w, Some(l), Some(d)));
                },
            );
            continue;
        }
        if have != Some(want) {
            let mut f = FieldChange::new(FieldPath::field(key), have, Some(want), Some(l), Some(d));
            f.forces_replacement = crate::dialect::for_version(options.scope.api)
                .replaced_by(d.kind)
                .contains(&key.as_str());
            fields.push(f);
        }
    }
    if !options.compare_write_only {
        let resent = write_only_resent(d, l, &fields, options);
        fields.extend(resent);
    }
    if fields.is_empty() {
        return None;
    }
    let replace = fields.iter().any(|f| f.forces_replacement);
    let mut change = Change::new(
        d.kind,
        &d.name,
        if replace {
            Action::Replace
        } else {
            Action::Update
        },
    );
    change.fields = fields;
    change.desired = Some(Box::new(d.clone()));
    change.live = Some(Box::new(l.clone()));
    Some(change)
}

/// The references of `kind` into its part (`KindSpec::part`: an organization's enabled
/// connections), as (the part's list field, the key of its entries that names, the kind named).
fn part_references(kind: Kind) -> Vec<(&'static str, &'static str, Kind)> {
    let Some(part) = crate::kinds::spec(kind).part() else {
        return Vec::new();
    };
    kind.references()
        .iter()
        .filter_map(|r| {
            let (list, key) = r.field.split_once("/*/")?;
            (list == part.field).then_some((list, key, r.kind()))
        })
        .collect()
}

/// A resource this plan replaces (a connection whose strategy changed) leaves the parts that
/// name it (an organization's enabled connections) with its delete, as the service does: a
/// declared owner that lists it is compared without it, so the new one is enabled again.
fn re_enable_replaced(out: &mut Changes, desired: &[Resource], live: &Live, options: &Options) {
    let replaced: BTreeSet<(Kind, String)> = out
        .changes
        .iter()
        .filter(|c| c.action == Action::Replace)
        .filter_map(|c| Some((c.kind, c.live.as_deref()?.name.clone())))
        .collect();
    if replaced.is_empty() {
        return;
    }
    // By kind and name, once: a tenant of many organizations is not scanned per organization.
    let changed: HashMap<(Kind, String), usize> = out
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.kind, c.name.clone()), i))
        .collect();
    let in_tenant: HashMap<(Kind, &str), &Resource> = live
        .resources
        .iter()
        .map(|r| ((r.kind, r.name.as_str()), r))
        .collect();
    for d in desired {
        let refs = part_references(d.kind);
        if refs.is_empty() {
            continue;
        }
        let existing = changed.get(&(d.kind, d.name.clone())).copied();
        let l = match existing {
            Some(i) if out.changes[i].action == Action::Update => out.changes[i].live.as_deref(),
            Some(_) => continue,
            None => in_tenant.get(&(d.kind, d.name.as_str())).copied(),
        };
        let Some(mut l) = l.cloned() else {
            continue;
        };
        let mut stripped = false;
        for (list, key, to) in refs {
            if let Some(Value::Array(items)) = l.fields_mut().get_mut(list) {
                let before = items.len();
                items.retain(|e| {
                    !e.get(key)
                        .and_then(Value::as_str)
                        .is_some_and(|n| replaced.contains(&(to, n.to_string())))
                });
                stripped |= items.len() != before;
            }
        }
        if !stripped {
            continue;
        }
        match (existing, compare(d, Some(&l), options)) {
            (Some(i), Some(c)) => out.changes[i] = c,
            (None, Some(c)) => {
                out.changes.push(c);
                out.unchanged = out.unchanged.saturating_sub(1);
            }
            _ => {}
        }
    }
}

/// An entry of a part changed by its difference (`KindSpec::part`: an organization's enabled
/// connections, a role's permissions) that names an ignored resource, and that the manifests'
/// same resource does not list, is taken out of the tenant's side: it is left as it is, never
/// removed.
fn keep_ignored_entries(mut live: Live, desired: &[Resource], scope: &crate::scope::Scope) -> Live {
    if scope.ignore.is_empty() {
        return live;
    }
    let declared_as: HashMap<(Kind, &str), &Resource> = desired
        .iter()
        .map(|d| ((d.kind, d.name.as_str()), d))
        .collect();
    for r in &mut live.resources {
        for (list, key, to) in part_references(r.kind) {
            let declared = declared_as
                .get(&(r.kind, r.name.as_str()))
                .and_then(|d| d.fields.get(list))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let named = |e: &Value| e.get(key).and_then(Value::as_str).map(str::to_string);
            let kept = |e: &Value| {
                named(e).is_some_and(|n| {
                    scope.ignored(to, &n) && !declared.iter().any(|d| named(d).as_ref() == Some(&n))
                })
            };
            if r.fields
                .get(list)
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(kept))
                && let Some(Value::Array(items)) = r.fields_mut().get_mut(list)
            {
                items.retain(|e| !kept(e));
            }
        }
    }
    live
}

/// The leaves of `value` at `path`, `depth` levels of keys deep (a keyed field's, as a create
/// shows them): an empty object, or anything but an object, is a leaf.
fn keyed_leaves(
    path: FieldPath,
    value: &Value,
    depth: usize,
    f: &mut dyn FnMut(FieldPath, &Value),
) {
    match value.as_object() {
        Some(map) if depth > 0 && !map.is_empty() => {
            for (k, v) in map {
                keyed_leaves(path.child(k), v, depth - 1, f);
            }
        }
        _ => f(path, value),
    }
}

/// What [`keyed_changes`] is told of each difference: its path, the tenant's value, the wanted.
type KeyedChange<'a> = dyn FnMut(FieldPath, Option<&Value>, Option<&Value>) + 'a;

/// Where `want` and `have` at `path` differ, `depth` levels of keys deep (`KindSpec::keyed`),
/// as `(path, have, want)`: a key on one side only is added or removed.
fn keyed_changes(
    path: FieldPath,
    want: Option<&Value>,
    have: Option<&Value>,
    depth: usize,
    f: &mut KeyedChange<'_>,
) {
    if want == have {
        return;
    }
    let object = |v: Option<&Value>| v.is_none_or(Value::is_object);
    if depth == 0 || !object(want) || !object(have) {
        f(path, have, want);
        return;
    }
    let empty = serde_json::Map::new();
    let want_map = want.and_then(Value::as_object).unwrap_or(&empty);
    let have_map = have.and_then(Value::as_object).unwrap_or(&empty);
    let keys: BTreeSet<&String> = want_map.keys().chain(have_map.keys()).collect();
    for k in keys {
        keyed_changes(
            path.child(k),
            want_map.get(k),
            have_map.get(k),
            depth - 1,
            f,
        );
    }
}

/// Write-only fields (a signing key, the provider's credentials) sent again: all of them when
/// asked (`--rotate-signing-keys`), else those that go with a changed field.
fn write_only_resent(
    d: &Resource,
    l: &Resource,
    changed: &[FieldChange],
    options: &Options,
) -> Vec<FieldChange> {
    let spec = crate::kinds::spec(d.kind);
    let along: BTreeSet<&str> = changed
        .iter()
        .flat_map(|f| spec.sent_with(f.path.top()).iter().copied())
        .collect();
    d.write_only
        .iter()
        .filter(|(key, _)| options.rotate_signing_keys || along.contains(key.as_str()))
        // Already a change (an action's secret names).
        .filter(|(key, _)| !changed.iter().any(|f| f.path.top() == key.as_str()))
        .map(|(key, value)| {
            FieldChange::new(FieldPath::field(key), None, Some(value), Some(l), Some(d))
        })
        .collect()
}

/// Fold a connection's `enabled_clients` into its change (creating an update if needed).
fn enabled_clients(
    change: &mut Option<Change>,
    d: &Resource,
    l: Option<&Resource>,
    live: &Live,
    refs: &HashMap<String, ClientRef>,
    own_client: Option<&str>,
) -> Result<(), DiffError> {
    let Some(field) = d.kind.clients_field() else {
        return Ok(());
    };
    let Some(names) = d.fields.get(field).and_then(Value::as_array) else {
        return Ok(());
    };
    let want = wanted_clients(d, names, refs)?;
    let mut have = enabled_now(l, live);
    // a0ctl's own client keeps its connections unless the manifest names it.
    if let Some(own) = own_client
        && !want.contains(&ClientRef::Id(own.to_string()))
    {
        have.remove(own);
    }
    let replacing = change.as_ref().is_some_and(|c| c.action == Action::Replace);
    let creating = l.is_none() || replacing;
    let (enable, disable) = status_changes(&want, &have, creating);
    if enable.is_empty() && disable.is_empty() && !creating {
        return Ok(());
    }
    let before_names = shown_before(&have, names, live);
    let after_names: BTreeSet<String> = names
        .iter()
        .filter_map(Value::as_str)
        .map(shown_entry)
        .collect();
    let change = change.get_or_insert_with(|| {
        let mut c = Change::new(d.kind, &d.name, Action::Update);
        c.desired = Some(Box::new(d.clone()));
        c.live = l.cloned().map(Box::new);
        c
    });
    if change.action == Action::Create {
        change.fields.retain(|f| f.path.top() != field);
    }
    if before_names != after_names || change.action == Action::Create {
        let (before, after) = (json!(before_names), json!(after_names));
        change.fields.push(FieldChange::new(
            FieldPath::field(field),
            l.map(|_| &before),
            Some(&after),
            l,
            Some(d),
        ));
    }
    change.enable = enable;
    change.disable = disable;
    Ok(())
}

/// The clients a connection's `enabled_clients` entries refer to; an entry naming no manifest
/// client is an error.
fn wanted_clients(
    d: &Resource,
    names: &[Value],
    refs: &HashMap<String, ClientRef>,
) -> Result<BTreeSet<ClientRef>, DiffError> {
    let mut want: BTreeSet<ClientRef> = BTreeSet::new();
    for n in names.iter().filter_map(Value::as_str) {
        let r = refs.get(n).ok_or_else(|| DiffError::UnknownClient {
            at: at(d),
            connection: d.name.clone(),
            client: n.to_string(),
        })?;
        want.insert(r.clone());
    }
    Ok(want)
}

/// The ids of the clients the live connection is enabled for now (none for a new connection).
fn enabled_now(l: Option<&Resource>, live: &Live) -> BTreeSet<String> {
    match l {
        None => BTreeSet::new(),
        Some(l) => live
            .enabled
            .as_ref()
            .and_then(|e| e.get(&l.name))
            .cloned()
            .unwrap_or_default(),
    }
}

/// The clients to enable and the client ids to disable so that the connection is enabled for
/// `want` rather than `have`; a new or recreated connection starts enabled for no one.
fn status_changes(
    want: &BTreeSet<ClientRef>,
    have: &BTreeSet<String>,
    creating: bool,
) -> (BTreeSet<ClientRef>, BTreeSet<String>) {
    let enable: BTreeSet<ClientRef> = want
        .iter()
        .filter(|r| creating || !matches!(r, ClientRef::Id(id) if have.contains(id)))
        .cloned()
        .collect();
    let disable: BTreeSet<String> = if creating {
        BTreeSet::new()
    } else {
        have.iter()
            .filter(|id| !want.contains(&ClientRef::Id((*id).clone())))
            .cloned()
            .collect()
    };
    (enable, disable)
}

/// The clients a connection is enabled for now, as a person reads them: as the manifest's
/// entry when it pins the client, else by the client's name (its id when it has none).
fn shown_before(have: &BTreeSet<String>, names: &[Value], live: &Live) -> BTreeSet<String> {
    let pinned_here = |id: &String| {
        names
            .iter()
            .any(|n| n.as_str() == Some(&crate::kind::pin_key(id)))
    };
    have.iter()
        .map(|id| {
            if pinned_here(id) {
                return shown_entry(&crate::kind::pin_key(id));
            }
            live.client_names
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.clone())
        })
        .collect()
}

/// A replaced connection whose enabled clients the manifest does not manage is enabled again
/// for the clients it had (those that remain after this plan).
fn restore_enabled(
    change: &mut Change,
    d: &Resource,
    l: &Resource,
    live: &Live,
    matched_live: &BTreeSet<(Kind, String)>,
    options: &Options,
) {
    if change.action != Action::Replace
        || d.kind
            .clients_field()
            .is_some_and(|f| d.fields.contains_key(f))
    {
        return;
    }
    let Some(had) = live.enabled.as_ref().and_then(|e| e.get(&l.name)) else {
        return;
    };
    change.enable = had
        .iter()
        .filter(|id| {
            !options.allow_delete || matched_live.contains(&(Kind::clients(), (*id).clone()))
        })
        .map(|id| ClientRef::Id(id.clone()))
        .collect();
    if !change.enable.is_empty() {
        change.notes.push(format!(
            "enabled again for the {} it had",
            crate::diag::plural(change.enable.len(), "client")
        ));
    }
}

/// Rules: compare, then keep orders unique (a rule without a desired order that sits where
/// another rule is going moves after the last).
fn ordered(
    kind: Kind,
    desired: &[Resource],
    live: &Live,
    ignored: &[Resource],
    options: &Options,
    matched_live: &mut BTreeSet<(Kind, String)>,
) -> Result<Vec<Option<Change>>, DiffError> {
    let live_rules: BTreeMap<&str, &Resource> =
        live.of_kind(kind).map(|r| (r.name.as_str(), r)).collect();
    let order_of = |r: &Resource| r.fields.get("order").and_then(Value::as_u64);
    let declared: BTreeSet<&str> = desired
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| d.name.as_str())
        .collect();
    // Orders the manifest asks for, and by whom.
    let targets: BTreeMap<u64, &Resource> = desired
        .iter()
        .filter(|d| d.kind == kind)
        .filter_map(|d| order_of(d).map(|o| (o, d)))
        .collect();
    // Unmanaged rules keep their orders unless they are deleted; ignored ones always do.
    let unmanaged = live
        .of_kind(kind)
        .filter(|_| !options.allow_delete)
        .chain(ignored);
    {
        for l in unmanaged {
            if declared.contains(l.name.as_str()) {
                continue;
            }
            if let Some(d) = order_of(l).and_then(|o| targets.get(&o)) {
                return Err(DiffError::OrderHeldByUnmanaged {
                    at: at(d),
                    rule: d.name.clone(),
                    order: order_of(l).unwrap_or_default(),
                    holder: l.name.clone(),
                });
            }
        }
    }
    let mut next_free = live
        .of_kind(kind)
        .chain(ignored)
        .filter_map(order_of)
        .chain(targets.keys().copied())
        .max()
        .map_or(1, |m| m + 1);
    let mut out = Vec::new();
    for d in desired.iter().filter(|d| d.kind == kind) {
        let l = live_rules.get(d.name.as_str()).copied();
        if let Some(l) = l {
            matched_live.insert((kind, l.name.clone()));
        }
        let mut d = d.clone();
        if let (None, Some(have)) = (order_of(&d), l.and_then(order_of)) {
            let displaced = targets.get(&have).is_some_and(|t| t.name != d.name);
            if displaced {
                d.fields_mut().insert("order".into(), json!(next_free));
                next_free += 1;
            }
        }
        out.push(compare(&d, l, options));
    }
    Ok(out)
}

/// Only the changes to resources the targets name, plus what they need that this plan creates
/// or moves (each such change says why it is there): clients a target connection is enabled
/// for and that this plan creates, and the other rules of a reorder a target rule takes part in.
/// Unmanaged resources are not listed in a partial plan.
pub fn target(changes: Changes, targets: &[crate::scope::Pattern]) -> Changes {
    if targets.is_empty() {
        return changes;
    }
    let named = |c: &Change| targets.iter().any(|t| t.matches(c.kind, &c.name));
    let order = |r: Option<&Resource>| {
        r.and_then(|r| r.fields.get("order"))
            .and_then(Value::as_u64)
    };
    let mut keep: BTreeMap<(Kind, String), Option<String>> = BTreeMap::new();
    // Orders a kept rule goes to: whoever holds one now must move (or be deleted) with it.
    let mut wanted: Vec<(u64, String)> = Vec::new();
    for c in changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Unmanaged && named(c))
    {
        keep.insert((c.kind, c.name.clone()), None);
        for r in &c.enable {
            if let ClientRef::New(name) = r {
                keep.entry((Kind::clients(), name.clone()))
                    .or_insert_with(|| Some(format!("included: {} is enabled for it", c.key())));
            }
        }
        if let Some(to) =
            order(c.desired.as_deref()).filter(|to| Some(*to) != order(c.live.as_deref()))
        {
            wanted.push((to, c.key()));
        }
    }
    // What a kept change names that the plan creates comes with it (a grant's new client, an
    // organization's new connection): the call names it by its id.
    let mut named_by: Vec<(Kind, String)> = keep.keys().cloned().collect();
    while let Some((kind, name)) = named_by.pop() {
        let Some(d) = changes
            .changes
            .iter()
            .find(|c| c.kind == kind && c.name == name)
            .and_then(|c| c.desired.as_deref())
        else {
            continue;
        };
        for reference in kind.references() {
            let to = reference.kind();
            for n in named_in(d, reference.field) {
                let created = changes.changes.iter().any(|o| {
                    o.kind == to
                        && o.name == n
                        && matches!(o.action, Action::Create | Action::Replace)
                });
                if created && !keep.contains_key(&(to, n.clone())) {
                    keep.insert(
                        (to, n.clone()),
                        Some(format!("included: {}/{name} names it", kind)),
                    );
                    named_by.push((to, n));
                }
            }
        }
    }
    while let Some((to, why)) = wanted.pop() {
        let holders: Vec<&Change> = changes
            .changes
            .iter()
            .filter(|o| {
                o.kind.pairing() == Pairing::Ordered
                    && matches!(o.action, Action::Update | Action::Delete)
                    && order(o.live.as_deref()) == Some(to)
                    && !keep.contains_key(&(o.kind, o.name.clone()))
            })
            .collect();
        for o in holders {
            keep.insert(
                (o.kind, o.name.clone()),
                Some(format!("included: rule orders move together with {why}")),
            );
            if let Some(next) =
                order(o.desired.as_deref()).filter(|n| Some(*n) != order(o.live.as_deref()))
            {
                wanted.push((next, why.clone()));
            }
        }
    }
    Changes {
        changes: changes
            .changes
            .into_iter()
            .filter_map(|mut c| {
                let why = keep.get(&(c.kind, c.name.clone()))?;
                if c.action == Action::Unmanaged {
                    return None;
                }
                c.notes.extend(why.clone());
                Some(c)
            })
            .collect(),
        unchanged: changes.unchanged,
        targets: targets.iter().map(ToString::to_string).collect(),
        notices: changes.notices,
    }
}

/// Clients of an offline comparison without a pinned id are identified by name, under this
/// prefix.
pub const OFFLINE_ID_PREFIX: &str = "name:";

/// The desired side of an offline comparison (`a0ctl diff OLD NEW`): OLD stands in for the
/// tenant. Clients are identified by pinned id or by name.
pub fn live_from_resources(resources: &[Resource]) -> Live {
    let mut live = Live::default();
    let mut enabled: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let id_of = |r: &Resource| {
        r.id.clone()
            .unwrap_or_else(|| format!("{OFFLINE_ID_PREFIX}{}", r.name))
    };
    let ids_by_name: HashMap<&str, String> = resources
        .iter()
        .filter(|r| r.kind == Kind::clients())
        .map(|r| (r.name.as_str(), id_of(r)))
        .collect();
    for r in resources {
        let mut l = r.clone();
        l.origin = None;
        // Both sides are manifests: write-only fields (a signing key, the provider's
        // credentials) can be compared.
        l.fields_mut().extend(r.write_only.clone());
        l.write_only.clear();
        if r.kind == Kind::clients() {
            l.id = Some(id_of(r));
            live.client_names.insert(id_of(r), r.name.clone());
        }
        let field = r.kind.clients_field();
        if let Some(field) = field
            && let Some(names) = l.fields_mut().remove(field)
        {
            let set = names
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|n| match n.strip_prefix(&crate::kind::pin_key("")) {
                    Some(pin) => pin.to_string(),
                    None => ids_by_name
                        .get(n)
                        .cloned()
                        .unwrap_or_else(|| format!("{OFFLINE_ID_PREFIX}{n}")),
                })
                .collect();
            enabled.insert(r.name.clone(), set);
        }
        live.resources.push(l);
    }
    live.enabled = Some(enabled);
    live
}

#[cfg(test)]
mod tests;

/// The tenant's resources (`referrers`) that still name, once the plan is carried out, what
/// `changes` delete or replace: by a reference the tenant holds (`Reference::tenant_field`: a
/// grant's API, which the service deletes with it) or one in their fields (a trigger's bound
/// actions, which the service refuses to delete; a role's permissions). A referrer the plan
/// deletes names nothing; one it changes names what its declaration names. Each as
/// (`kind/name` of the referrer, `kind/name` of what it names).
pub fn left_referring<'a>(
    changes: &Changes,
    referrers: impl IntoIterator<Item = &'a Resource>,
) -> Vec<(String, String)> {
    let gone: Vec<&Change> = changes
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .collect();
    let deleted: BTreeSet<(Kind, &str)> = changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| (c.kind, c.name.as_str()))
        .collect();
    // What a referrer this plan updates will name: its declaration.
    let after: HashMap<(Kind, &str), &Resource> = changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .filter_map(|c| Some(((c.kind, c.name.as_str()), c.desired.as_deref()?)))
        .collect();
    let mut out = Vec::new();
    for r in referrers {
        if deleted.contains(&(r.kind, r.name.as_str())) {
            continue;
        }
        let now = after.get(&(r.kind, r.name.as_str())).copied();
        for reference in r.kind.references() {
            let to = reference.kind();
            let pinned = matches!(to.pairing(), Pairing::Pinned(_));
            let values: Vec<String> = match reference.tenant_field {
                Some(_) => r.refs.get(reference.field).cloned().into_iter().collect(),
                None => named_in(now.unwrap_or(r), reference.field),
            };
            // A part (an organization's enabled connections) that its declaration lists is
            // enabled again for what replaces it (`re_enable_replaced`).
            let re_enabled = now.is_some()
                && part_references(r.kind)
                    .iter()
                    .any(|(list, key, _)| reference.field == format!("{list}/*/{key}"));
            for value in &values {
                if let Some(c) = gone.iter().find(|c| {
                    c.kind == to
                        && !(re_enabled && c.action == Action::Replace)
                        && if pinned {
                            c.live_id() == Some(value.as_str())
                        } else {
                            // A replacement's old name (an API whose identifier changed).
                            c.live.as_deref().is_some_and(|l| &l.name == value)
                        }
                }) {
                    out.push((format!("{}/{}", r.kind, r.name), c.key()));
                }
            }
        }
    }
    out
}

/// The names a reference field (`field`, or `list/*/field`) holds in a resource's fields.
fn named_in(r: &Resource, field: &str) -> Vec<String> {
    let texts = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    match field.split_once("/*/") {
        Some((list, rest)) => r
            .fields
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|item| texts(item.get(rest)))
            .collect(),
        None => texts(r.fields.get(field)),
    }
}

/// A declared resource that names a resource its calls name by id (`KindSpec::reads`: an
/// organization's enabled connection) which neither the manifests nor the tenant hold: an
/// error before anything is sent (there is no id to send).
fn unknown_by_id(desired: &[Resource], live: &Live) -> Result<(), DiffError> {
    for d in desired {
        let read = crate::kinds::spec(d.kind).reads();
        for r in d
            .kind
            .references()
            .iter()
            .filter(|r| read.contains(&r.kind()))
        {
            let to = r.kind();
            for name in named_in(d, r.field) {
                let declared = desired.iter().any(|x| x.kind == to && x.name == name);
                if !declared && !live.of_kind(to).any(|x| x.name == name) {
                    // A name from the environment is shown as its `${VAR}`.
                    let template = d.from_env.iter().find(|(p, _)| {
                        d.fields.get(p.top()).is_some_and(|top| {
                            p.strip_prefix(&FieldPath::field(p.top()))
                                .and_then(|rest| rest.get(top))
                                .and_then(Value::as_str)
                                == Some(name.as_str())
                        })
                    });
                    return Err(DiffError::UnknownReference {
                        at: at(d),
                        what: d.key(),
                        noun: to.noun(),
                        shown: crate::secret::shown_in_message(
                            &name,
                            template.map(|(_, t)| t.as_str()),
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A declared resource that names a client (`Reference::tenant_field`: a grant) by a name
/// several of the tenant's clients have cannot be told apart from the others' (the tenant
/// holds the grant by id): an error before anything is compared, never a guess.
fn ambiguous_references(desired: &[Resource], live: &Live) -> Result<(), DiffError> {
    for d in desired {
        for r in d.kind.references() {
            if r.tenant_field.is_none() || !matches!(r.kind().pairing(), Pairing::Pinned(_)) {
                continue;
            }
            let Some(name) = d.refs.get(r.field) else {
                continue;
            };
            let mut ids: Vec<String> = live
                .client_names
                .iter()
                .filter(|(_, n)| *n == name)
                .map(|(id, _)| id.clone())
                .collect();
            if ids.len() > 1 {
                ids.sort();
                return Err(DiffError::AmbiguousReference {
                    at: at(d),
                    what: format!("{}: its {}", d.key(), r.field),
                    name: name.clone(),
                    ids,
                });
            }
        }
    }
    Ok(())
}
