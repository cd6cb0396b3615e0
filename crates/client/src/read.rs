//! `read`: the tenant as it is ([`Live`]), read with the dialect's listings (v1: one call per kind, plus
//! the four template GETs, 404 = absent, plus one connection view per client only when enabled
//! clients are managed; v2: ⌈N/100⌉ pages per kind, a GET per template and the provider) and
//! normalised by the dialect into [`Resource`]s: server-owned fields (ids, secrets, `global`, `tenant`, …) are
//! dropped so that apply-then-plan is empty. The global client is recorded but never part of the
//! managed set.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use serde_json::Value;

use crate::api::{Api, CallError, ErrorKind};
use a0ctl_core::dialect::wire::List;
use a0ctl_core::dialect::{ByName, Enablement, Listing, Target, text};
use a0ctl_core::live::Live;
use a0ctl_core::model::{Kind, Resource};

/// What to read beyond the lists.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Read which clients each connection is enabled for.
    pub client_views: bool,
    /// The kinds to read (clients are always read); `None`: every kind.
    pub kinds: Option<BTreeSet<Kind>>,
    /// The email templates to read (the tenant's others are never a plan's business: templates
    /// cannot be deleted); `None`: every template the API has.
    pub templates: Option<BTreeSet<String>>,
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

/// Read the tenant: every kind the dialect has (clients always; the others when `options`
/// asks for them), each listing as few requests as its paging allows.
pub async fn fetch(api: &Api, options: FetchOptions) -> Result<Live, CallError> {
    let d = api.dialect();
    let lists = read_lists(api, &options).await;
    let mut live = Live::default();
    let mut clients_of = ConnectionClients::default();
    for list in lists {
        let (kind, objects) = list?;
        for obj in &objects {
            let mut r = d.read(kind, obj);
            usable(&r, &d.collection(kind), d.wire(kind).id_field)?;
            let spec = a0ctl_core::kinds::spec(kind);
            spec.read_tenant(obj, &mut r);
            spec.normalise(&mut r);
            let system = d
                .wire(kind)
                .system
                .is_some_and(|field| obj.get(field).and_then(Value::as_bool) == Some(true));
            record(&mut live, &mut clients_of, kind, system, obj, r);
        }
    }
    read_parts(api, &mut live).await?;
    live.compose_names();
    // The global client is never part of a connection's managed clients (v1's client views
    // leave it out too).
    if let Some(global) = &live.global_client_id {
        for set in clients_of.listed.values_mut() {
            set.remove(global);
        }
    }
    if options.client_views {
        live.enabled = Some(enabled_clients(api, &live, clients_of).await?);
    }
    live.resources
        .sort_by(|a, b| (a.kind, &a.name, &a.id).cmp(&(b.kind, &b.name, &b.id)));
    Ok(live)
}

/// How many resources' parts are read at once.
const PARTS_AT_ONCE: usize = 8;

/// The fields the tenant lists under each resource (`KindSpec::part`: a role's permissions):
/// one listing per resource, a few at a time, each item in the manifest's shape.
async fn read_parts(api: &Api, live: &mut Live) -> Result<(), CallError> {
    let d = api.dialect();
    let wanted: Vec<(usize, Listing, a0ctl_core::kinds::spec::Part)> = live
        .resources
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let part = a0ctl_core::kinds::spec(r.kind).part()?;
            let listing = Listing::Pages {
                path: format!("{}{}", d.item(Target::of(r)), part.suffix),
                key: part.key,
                per_page: 100,
            };
            Some((i, listing, part))
        })
        .collect();
    let read: Vec<Result<(usize, Value), CallError>> = futures::stream::iter(wanted)
        .map(|(i, listing, part)| async move {
            let items = read_all(api, &listing).await?;
            Ok((i, Value::Array(items.iter().map(part.read).collect())))
        })
        .buffer_unordered(PARTS_AT_ONCE)
        .collect()
        .await;
    for result in read {
        let (i, items) = result?;
        let r = &mut live.resources[i];
        if let Some(part) = a0ctl_core::kinds::spec(r.kind).part() {
            r.fields_mut().insert(part.field.to_string(), items);
            a0ctl_core::kinds::spec(r.kind).normalise(r);
        }
    }
    Ok(())
}

/// Every listing `options` asks for (only the named email templates, when it names them), read
/// concurrently, each with its kind.
async fn read_lists(
    api: &Api,
    options: &FetchOptions,
) -> Vec<Result<(Kind, Vec<Value>), CallError>> {
    let d = api.dialect();
    let kinds: Vec<Kind> = d
        .kinds()
        .iter()
        .copied()
        // The clients are always read: other kinds refer to them.
        .filter(|k| *k == Kind::clients() || options.kinds.as_ref().is_none_or(|ks| ks.contains(k)))
        .collect();
    futures::future::join_all(kinds.iter().map(|k| {
        // Of a kind read by name, the names the manifests declare (when `options` says), among
        // the kind's own; all of a kind whose undeclared items may be deleted.
        let named = |all: fn() -> Vec<&'static str>| -> Vec<String> {
            let all = all();
            match &options.templates {
                Some(names) if !k.deletable() => names
                    .iter()
                    .filter(|n| all.contains(&n.as_str()))
                    .cloned()
                    .collect(),
                _ => all.into_iter().map(str::to_string).collect(),
            }
        };
        async move {
            match d.wire(*k).list {
                List::PagesPerName(all, key) => read_per_name(api, *k, &named(all), key)
                    .await
                    .map(|v| (*k, v)),
                List::EachNamed(all) => {
                    read_each_named(api, *k, &named(all)).await.map(|v| (*k, v))
                }
                List::EachPair {
                    firsts,
                    seconds,
                    within,
                    field,
                } => {
                    let valid = |a: &str, b: &str| firsts().contains(&a) && seconds().contains(&b);
                    let pairs = match &options.templates {
                        Some(names) if !k.deletable() => Ok(names
                            .iter()
                            .filter(|n| n.split_once('/').is_some_and(|(a, b)| valid(a, b)))
                            .cloned()
                            .collect()),
                        _ => pairs_within(api, firsts, seconds, within).await,
                    };
                    match pairs {
                        Ok(pairs) => read_each_pair(api, *k, &pairs, field)
                            .await
                            .map(|v| (*k, v)),
                        Err(e) => Err(e),
                    }
                }
                _ => read_all(api, &d.listing(*k)).await.map(|v| (*k, v)),
            }
        }
    }))
    .await
}

/// One GET per name, all at once, each answer named as it was read (an attack protection's
/// object does not carry its name); a 404 is an absent item.
async fn read_each_named(api: &Api, kind: Kind, names: &[String]) -> Result<Vec<Value>, CallError> {
    let d = api.dialect();
    let identity = match kind.named() {
        a0ctl_core::kind::Named::By(field) => field,
        _ => "name",
    };
    let found = futures::future::join_all(names.iter().map(|name| {
        let path = d.item(Target::named(kind, name));
        async move {
            match api.get(&path).await {
                Ok(Value::Object(mut obj)) => {
                    obj.entry(identity)
                        .or_insert_with(|| Value::String(name.clone()));
                    Ok(Some(Value::Object(obj)))
                }
                Ok(_) => Err(malformed(&path, "expected a JSON object")),
                Err(e) if e.status() == Some(404) => Ok(None),
                Err(e) => Err(e),
            }
        }
    }))
    .await;
    found.into_iter().filter_map(Result::transpose).collect()
}

/// Each of `firsts` with each of `seconds` that the tenant's object at `within.0` lists in its
/// field `within.1` (a prompt with each language the tenant enables), as `first/second`.
async fn pairs_within(
    api: &Api,
    firsts: fn() -> Vec<&'static str>,
    seconds: fn() -> Vec<&'static str>,
    (path, field): (&'static str, &'static str),
) -> Result<Vec<String>, CallError> {
    let obj = api.get(path).await?;
    let Some(listed) = obj.get(field) else {
        return Ok(Vec::new());
    };
    let Some(listed) = listed.as_array() else {
        return Err(malformed(path, &format!("`{field}` is not a list")));
    };
    let known = seconds();
    // Each known language once, however often (or oddly) the tenant lists it.
    let chosen: Vec<&str> = known
        .iter()
        .copied()
        .filter(|s| listed.iter().any(|l| l.as_str() == Some(*s)))
        .collect();
    Ok(firsts()
        .into_iter()
        .flat_map(|a| chosen.iter().map(move |b| format!("{a}/{b}")))
        .collect())
}

/// One GET per pair `first/second`, a few at a time, each answer read as the object
/// `{FIRST: first, SECOND: second, field: answer}` (the kind's `Named::Pair` fields); a pair
/// the tenant answers 404 or 400 for (a prompt it does not have) is absent.
async fn read_each_pair(
    api: &Api,
    kind: Kind,
    pairs: &[String],
    field: &'static str,
) -> Result<Vec<Value>, CallError> {
    let d = api.dialect();
    let a0ctl_core::kind::Named::Pair(first, second) = kind.named() else {
        return Ok(Vec::new());
    };
    read_names(kind, pairs, "not on this tenant", |name| {
        let path = d.item(Target::named(kind, name));
        async move {
            let (a, b) = name.split_once('/').unwrap_or((name, ""));
            match api.get(&path).await? {
                answer @ Value::Object(_) => {
                    let mut obj = serde_json::Map::new();
                    obj.insert(first.to_string(), Value::String(a.to_string()));
                    obj.insert(second.to_string(), Value::String(b.to_string()));
                    obj.insert(field.to_string(), answer);
                    Ok(Value::Object(obj))
                }
                _ => Err(malformed(&path, "expected a JSON object")),
            }
        }
    })
    .await
}

/// Each of `names` read by `read`, a few at a time; a name the tenant answers 404 or 400 for
/// is absent (logged with `why`).
async fn read_names<'n, F, Fut>(
    kind: Kind,
    names: &'n [String],
    why: &str,
    read: F,
) -> Result<Vec<Value>, CallError>
where
    F: Fn(&'n String) -> Fut,
    Fut: std::future::Future<Output = Result<Value, CallError>>,
{
    let read: Vec<Result<Option<Value>, CallError>> = futures::stream::iter(names)
        .map(|name| {
            let answer = read(name);
            async move {
                match answer.await {
                    Ok(v) => Ok(Some(v)),
                    Err(e) if matches!(e.status(), Some(400 | 404)) => {
                        tracing::info!("{kind} {name}: {why} ({e})");
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            }
        })
        .buffer_unordered(PARTS_AT_ONCE)
        .collect()
        .await;
    read.into_iter().filter_map(Result::transpose).collect()
}

/// The offset pages of `key` under each of `names` (a trigger's bindings), each read as one
/// object `{IDENTITY: name, key: [every item]}`, a few names at a time; a name the tenant
/// answers 404 or 400 for (a trigger it does not have, or one that binds no list) is absent.
async fn read_per_name(
    api: &Api,
    kind: Kind,
    names: &[String],
    key: &'static str,
) -> Result<Vec<Value>, CallError> {
    let d = api.dialect();
    let identity = match kind.named() {
        a0ctl_core::kind::Named::By(field) => field,
        _ => "name",
    };
    read_names(kind, names, "no bindings to list", |name| {
        let path = d.item(Target::named(kind, name));
        async move {
            let items = read_pages(api, &path, key, 100).await?;
            let mut obj = serde_json::Map::new();
            obj.insert(identity.to_string(), Value::String(name.clone()));
            obj.insert(key.to_string(), Value::Array(items));
            Ok(Value::Object(obj))
        }
    })
    .await
}

/// The enabled clients the connections' listings carried, and the connections listed without
/// them.
#[derive(Default)]
struct ConnectionClients {
    /// Connection name → the clientIDs its listing says it is enabled for.
    listed: BTreeMap<String, BTreeSet<String>>,
    /// The kind, name and id of each connection listed without its enabled clients.
    unlisted: Vec<(Kind, String, String)>,
}

/// One listed object, as the dialect read it, into `live`: the global client only as its id,
/// the tenant's other own objects (`system`: the Management API) and the lease's marker not at
/// all, and a client's name or a connection's enabled clients noted.
fn record(
    live: &mut Live,
    clients_of: &mut ConnectionClients,
    kind: Kind,
    system: bool,
    obj: &Value,
    r: Resource,
) {
    if kind == Kind::lease_holder() && r.name == a0ctl_core::model::LOCK_NAME {
        return;
    }
    if kind == Kind::clients() {
        let id = r.id.clone().unwrap_or_default();
        if system {
            live.global_client_id = Some(id);
            return;
        }
        live.client_names.insert(id, r.name.clone());
    }
    // The tenant's own objects (the Management API) are never managed.
    if system {
        return;
    }
    if let Some(field) = kind.clients_field() {
        match obj.get(field).and_then(Value::as_array) {
            Some(ids) => {
                clients_of.listed.insert(
                    r.name.clone(),
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                );
            }
            None => {
                clients_of
                    .unlisted
                    .push((kind, r.name.clone(), r.id.clone().unwrap_or_default()))
            }
        }
    }
    live.resources.push(r);
}

/// Which clients each connection is enabled for, as the dialect reads it: each client's view
/// of the connections, or the connections' own lists, read for those listed without them.
async fn enabled_clients(
    api: &Api,
    live: &Live,
    clients_of: ConnectionClients,
) -> Result<BTreeMap<String, BTreeSet<String>>, CallError> {
    let d = api.dialect();
    match d.enablement() {
        Enablement::ClientViews => fetch_views(api, live).await,
        Enablement::OnConnection => {
            let mut on_connection = clients_of.listed;
            for (kind, name, id) in clients_of.unlisted {
                let target = Target::with_id(kind, &name, Some(&id));
                let Some(listing) = d.connection_clients(target) else {
                    continue;
                };
                let clients = read_all(api, &listing).await?;
                on_connection.insert(
                    name,
                    clients
                        .iter()
                        .map(|c| text(c, d.id_field(Kind::clients())))
                        .collect(),
                );
            }
            Ok(on_connection)
        }
    }
}

/// A listed resource a0ctl can address: one with ids (clients, connections, rules) has a
/// non-empty string id that cannot be taken for a plan's placeholder (`{…}`), and every one a
/// name.
fn usable(r: &Resource, path: &str, id_field: Option<&str>) -> Result<(), CallError> {
    // A name made of references (`Named::Composed`) is made once the tenant is read: what it
    // refers to must be there.
    let composed = matches!(r.kind.named(), a0ctl_core::kind::Named::Composed(_));
    let unnamed = if composed {
        r.refs.values().any(String::is_empty)
    } else {
        r.name.is_empty()
    };
    if unnamed {
        return Err(malformed(path, &format!("a {} without a name", r.kind)));
    }
    let needs_id = id_field.is_some();
    match r.id.as_deref() {
        Some(id) if id.is_empty() || id.contains(['{', '}']) => Err(malformed(
            path,
            &format!("{} `{}` has an id a0ctl cannot use", r.kind, r.name),
        )),
        None if needs_id => Err(malformed(
            path,
            &format!("{} `{}` has no id", r.kind, r.name),
        )),
        _ => Ok(()),
    }
}

/// Most pages a listing may take (a tenant that pages on forever is refused, not followed).
const MAX_PAGES: usize = 2_000;

fn with_query(path: &str, query: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{query}")
}

/// Every object of a listing, in the order the tenant lists them.
pub async fn read_all(api: &Api, listing: &Listing) -> Result<Vec<Value>, CallError> {
    match listing {
        Listing::Bare(path) => Ok(array(&api.get(path).await?, path)?.clone()),
        Listing::Each(paths) => read_each(api, paths).await,
        Listing::Pages {
            path,
            key,
            per_page,
        } => read_pages(api, path, key, *per_page).await,
        Listing::Checkpoint { path, key, take } => read_checkpoints(api, path, key, *take).await,
    }
}

/// One GET per path, all at once; a 404 is an absent item.
async fn read_each(api: &Api, paths: &[String]) -> Result<Vec<Value>, CallError> {
    let found = futures::future::join_all(paths.iter().map(|p| async move {
        match api.get(p).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }))
    .await;
    found.into_iter().filter_map(Result::transpose).collect()
}

/// Offset pages: the first says how many items there are, the rest are read four at a time;
/// a read that ends short of the announced total is refused (it would plan creates of what the
/// tenant has). Without a total, pages are read until a short one.
async fn read_pages(
    api: &Api,
    path: &str,
    key: &str,
    per_page: usize,
) -> Result<Vec<Value>, CallError> {
    let page = |n: usize| {
        let p = with_query(
            path,
            &format!("per_page={per_page}&page={n}&include_totals=true"),
        );
        async move {
            let v = api.get(&p).await?;
            let items = array(v.get(key).unwrap_or(&Value::Null), &p)?.clone();
            Ok::<_, CallError>((items, v.get("total").and_then(Value::as_u64)))
        }
    };
    let (mut out, total) = page(0).await?;
    let Some(total) = total.map(|t| t as usize) else {
        let mut n = 1;
        let mut last = out.len();
        while last == per_page && n < MAX_PAGES {
            let (items, _) = page(n).await?;
            last = items.len();
            out.extend(items);
            n += 1;
        }
        return Ok(out);
    };
    let pages = total.div_ceil(per_page.max(1));
    if pages > MAX_PAGES {
        return Err(malformed(
            path,
            &format!("the tenant says it has {total} items"),
        ));
    }
    let mut rest = futures::stream::iter(1..pages).map(page).buffered(4);
    while out.len() < total
        && let Some(r) = rest.next().await
    {
        let (items, _) = r?;
        if items.is_empty() {
            break;
        }
        out.extend(items);
    }
    if out.len() != total {
        let read = out.len();
        return Err(malformed(
            path,
            &format!("the tenant listed {read} items but says it has {total}"),
        ));
    }
    Ok(out)
}

/// Checkpoint pages, `next` after `next`, refusing pages that loop back.
async fn read_checkpoints(
    api: &Api,
    path: &str,
    key: &str,
    take: usize,
) -> Result<Vec<Value>, CallError> {
    let mut out = Vec::new();
    let mut from: Option<String> = None;
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for _ in 0..MAX_PAGES {
        let query = match &from {
            None => format!("take={take}"),
            Some(f) => format!("take={take}&from={}", a0ctl_core::dialect::segment(f)),
        };
        let p = with_query(path, &query);
        let v = api.get(&p).await?;
        out.extend(
            array(v.get(key).unwrap_or(&Value::Null), &p)?
                .iter()
                .cloned(),
        );
        match v.get("next").and_then(Value::as_str) {
            Some(next) if !seen.insert(next.to_string()) => {
                return Err(malformed(path, &format!("the pages loop back to `{next}`")));
            }
            Some(next) => from = Some(next.to_string()),
            None => return Ok(out),
        }
    }
    Err(malformed(path, &format!("more than {MAX_PAGES} pages")))
}

/// One resource found by its name, if the tenant has it.
pub async fn find(api: &Api, kind: Kind, name: &str) -> Result<Option<Value>, CallError> {
    let d = api.dialect();
    let named = |v: &&Value| d.read(kind, v).name == name;
    match d.by_name(kind, name) {
        ByName::Item(path) => match api.get(&path).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        },
        ByName::Filter(path) => {
            let v = api.get(&path).await?;
            Ok(array(&v, &path)?.iter().find(named).cloned())
        }
        ByName::Scan => Ok(read_all(api, &d.listing(kind))
            .await?
            .iter()
            .find(named)
            .cloned()),
    }
}

/// Each non-global client's view of the connections: which are enabled for it.
async fn fetch_views(
    api: &Api,
    live: &Live,
) -> Result<BTreeMap<String, BTreeSet<String>>, CallError> {
    let mut enabled: BTreeMap<String, BTreeSet<String>> = live
        .resources
        .iter()
        .filter(|r| r.kind.clients_field().is_some())
        .map(|c| (c.name.clone(), BTreeSet::new()))
        .collect();
    let referring: Vec<Kind> = Kind::all()
        .filter(|k| k.clients_field().is_some())
        .collect();
    let asks = referring
        .iter()
        .flat_map(|k| live.client_names.keys().map(move |id| (*k, id.clone())));
    let views: Vec<Result<(String, Value), CallError>> = futures::stream::iter(asks)
        .map(|(kind, id)| async move {
            let path = api.dialect().client_view(kind, &id);
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
