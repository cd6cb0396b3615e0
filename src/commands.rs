//! The commands that talk to a tenant, as plain functions over the pipeline's stages:
//! load → fetch → diff → plan → render, and for `apply`, the gates, the run and the check that
//! the tenant now matches. `cli` parses arguments into these calls.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::{Result, io};
use serde_json::Value;

use crate::api::Api;
use crate::apply::{self, Outcome};
use crate::diag::{Paint, Refused, hinted};
use crate::dialect::wire::List;
use crate::dialect::{Dialect, Target};
use crate::diff::{self, Action, Changes};
use crate::lease;
use crate::live::Live;
use crate::manifest::{self, LoadOptions, Vars};
use crate::model::{self, Kind, Resource};
use crate::plan::{self, Plan};
use crate::planfile;
use crate::read::{self, FetchOptions};
use crate::render::{self, Format};
use crate::scope::{Pattern, Scope};
use crate::secret::{self, Redactor};
use crate::tenant::{Tenant, TenantArgs};

/// What `plan` and `apply` share.
#[derive(Debug, Clone)]
pub struct PlanArgs {
    pub paths: Vec<PathBuf>,
    /// `plan --out`: also write a plan file.
    pub out: Option<PathBuf>,
    pub tenant: TenantArgs,
    pub allow_delete: bool,
    /// Plan replacements without the note that apply needs `--allow-replace`.
    pub allow_replace: bool,
    pub rotate_signing_keys: bool,
    pub format: Format,
    /// `--var` and `--var-file` values.
    pub vars: Vars,
    /// `--ignore` patterns, beside the manifests' own.
    pub ignore: Vec<Pattern>,
    /// `--target`s: plan (and apply) only these and what they need.
    pub targets: Vec<Pattern>,
}

/// Output settings.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub stdout: Paint,
    pub stderr: Paint,
}

/// Load the manifests into resources and what they manage (every problem reported at once).
pub fn load_resources(
    paths: &[PathBuf],
    vars: &Vars,
    ignore: &[Pattern],
) -> Result<(Vec<Resource>, Scope)> {
    let mut desired = manifest::load(paths, &LoadOptions::with(vars, ignore))?;
    print_warnings(&desired);
    let resources = desired.take_resources();
    let scope = desired.scope();
    drop_aside(desired);
    Ok((resources, scope))
}

/// A manifest's warnings, on stderr: valid, but probably not meant.
pub fn print_warnings(desired: &manifest::Desired) {
    for w in &desired.warnings {
        crate::diag::say(format_args!(
            "warning: {}",
            crate::diag::visible(&crate::secret::scrub_message(&w.to_string()))
        ));
    }
}

/// Everything one reconciliation computed.
pub struct Computed {
    pub live: Live,
    pub plan: Plan,
    pub redactor: Redactor,
    pub client_views: bool,
}

/// Fetch, diff and plan.
pub async fn compute(
    api: &Api,
    resources: &[Resource],
    options: &diff::Options,
    targets: &[Pattern],
) -> Result<Computed> {
    // Enabled clients are read only when a declared resource names clients.
    let mut client_views = resources.iter().any(|r| {
        r.kind
            .clients_field()
            .is_some_and(|f| r.fields.contains_key(f))
    });
    let options = &diff::Options {
        own_client: api.client_id().map(str::to_string),
        ..options.clone()
    };
    let kinds = &options.scope.kinds;
    check_scopes(
        api,
        a0ctl_core::kinds::read_with(kinds)
            .iter()
            .flat_map(|k| api.dialect().scopes("GET", *k, None)),
        "reading the tenant",
    )?;
    let templates = declared_named_items(api.dialect(), resources);
    let mut live = fetch(api, client_views, Some(kinds), Some(&templates)).await?;
    let mut changes = diff_or_explain(resources, &live, options)?;
    let replacing = changes
        .changes
        .iter()
        .any(|c| c.kind.clients_field().is_some() && c.action == Action::Replace);
    if replacing && !client_views {
        // A recreated connection must be enabled again for the clients it had.
        client_views = true;
        live = fetch(api, true, Some(kinds), Some(&templates)).await?;
        changes = diff_or_explain(resources, &live, options)?;
    }
    for t in targets {
        let named = |r: &Resource| t.matches(r.kind, &r.name);
        if !resources.iter().any(named) && !live.resources.iter().any(named) {
            return Err(hinted(
                format!("--target {t} names nothing in the manifests or the tenant"),
                "check the kind and the name (names are case-sensitive; `*` matches any run of characters)",
            ));
        }
    }
    let mut changes = diff::target(changes, targets);
    refuse_orphans(api, &changes, &live, kinds).await?;
    // Where the API has no scopes (v1), only the global client may write.
    let scopeless = api
        .dialect()
        .scopes("POST", Kind::clients(), None)
        .is_empty();
    if let (Some(mine), Some(global)) = (api.client_id(), live.global_client_id.as_deref())
        && mine != global
        && scopeless
        && changes.has_changes()
    {
        changes.notices.push(format!(
                "the credentials are client {mine}'s, not the tenant's global client's: the tenant will refuse this plan's writes (insufficient_scope); use the global client's credentials"
            ));
    }
    count_users(api, &mut changes).await?;
    let mut redactor = model::redactor(resources);
    redactor.merge(model::redactor(&live.resources));
    secret::learn(redactor.clone());
    let plan = plan_calls(changes, &live, api.dialect())?;
    Ok(Computed {
        live,
        plan,
        redactor,
        client_views,
    })
}

/// A plan that deletes (or replaces) what other resources of the tenant still name (an API its
/// grants or roles' permissions, a client its grants, an action the triggers that bind it) is
/// refused before anything is sent, naming them, unless the plan deletes them too or changes
/// them so that they no longer name it. Kinds the manifests do not manage are read for this only when such a
/// delete is planned.
async fn refuse_orphans(
    api: &Api,
    changes: &diff::Changes,
    live: &Live,
    kinds: &std::collections::BTreeSet<Kind>,
) -> Result<()> {
    let gone: std::collections::BTreeSet<Kind> = changes
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .map(|c| c.kind)
        .collect();
    if gone.is_empty() {
        return Ok(());
    }
    let unread: std::collections::BTreeSet<Kind> = api
        .dialect()
        .kinds()
        .iter()
        .copied()
        .filter(|k| !kinds.contains(k) && *k != Kind::clients())
        .filter(|k| k.references().iter().any(|r| gone.contains(&r.kind())))
        .collect();
    let unread_live = match unread.is_empty() {
        true => Live::default(),
        false => fetch(api, false, Some(&unread), None).await?,
    };
    let unread_referrers = unread_live
        .resources
        .iter()
        .filter(|r| unread.contains(&r.kind));
    let left = diff::left_referring(changes, live.resources.iter().chain(unread_referrers));
    if left.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = left
        .iter()
        .take(10)
        .map(|(who, what)| format!("{who} (names {what})"))
        .collect();
    let more = if left.len() > 10 {
        format!(", and {} more", left.len() - 10)
    } else {
        String::new()
    };
    Err(Refused {
        message: crate::diag::visible_line(&format!(
            "the plan deletes what other resources of the tenant still name (the tenant would delete them with it, take it from them, or refuse): {}{more}; nothing was changed",
            named.join(", ")
        ))
        .into_owned(),
        hint: "delete them in the same plan (declare their section and pass --allow-delete), or keep what they name, or change them to name it no more (a trigger that binds the action); a0ctl never deletes its own client's grants: remove those by hand".into(),
    }
    .into())
}

fn plan_calls(changes: Changes, live: &Live, dialect: &dyn Dialect) -> Result<Plan> {
    Ok(plan::plan(changes, live, dialect)?)
}

/// The items of kinds read one GET per known name (email templates) that the manifests
/// declare: the only ones a plan reads.
fn declared_named_items(
    d: &dyn Dialect,
    resources: &[Resource],
) -> std::collections::BTreeSet<String> {
    resources
        .iter()
        .filter(|r| {
            matches!(
                d.wire(r.kind).list,
                List::EachNamed(_) | List::PagesPerName(..) | List::EachPair { .. }
            )
        })
        .map(|r| r.name.clone())
        .collect()
}

async fn fetch(
    api: &Api,
    client_views: bool,
    kinds: Option<&std::collections::BTreeSet<Kind>>,
    templates: Option<&std::collections::BTreeSet<String>>,
) -> Result<Live> {
    let options = FetchOptions {
        client_views,
        kinds: kinds.map(a0ctl_core::kinds::read_with),
        templates: templates.cloned(),
    };
    read::fetch(api, options)
        .await
        .map_err(|e| e.doing("cannot read the tenant"))
}

/// The token's scopes cover `needs`, or one error lists every missing scope before anything
/// is sent (only when the token says what it carries: v2).
fn check_scopes<'a>(api: &Api, needs: impl Iterator<Item = &'a str>, what: &str) -> Result<()> {
    let Some(granted) = api.scopes() else {
        return Ok(());
    };
    let missing: std::collections::BTreeSet<&str> =
        needs.filter(|s| !granted.contains(*s)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<&str> = missing.into_iter().collect();
    Err(hinted(
        format!(
            "the token lacks {} {what} needs: {}; nothing was sent",
            if list.len() == 1 { "a scope" } else { "scopes" },
            list.join(", ")
        ),
        "grant them to the client (Dashboard → Applications → APIs → Auth0 Management API → Machine to Machine Applications), or use credentials that have them",
    ))
}

/// The token may send the plan's calls and hold the apply lease, or nothing is sent.
fn check_write_scopes(api: &Api, plan: &Plan) -> Result<()> {
    let d = api.dialect();
    // The lease is a connection: created, read (its marker is in its options), renewed, deleted.
    let lease = [
        ("POST", None),
        ("GET", None),
        ("PATCH", Some(serde_json::json!({"options": {}}))),
        ("DELETE", None),
    ];
    let lease_scopes: Vec<&'static str> = lease
        .iter()
        .flat_map(|(m, b)| d.scopes(m, Kind::lease_holder(), b.as_ref()))
        .collect();
    check_scopes(api, call_scopes(api, plan).chain(lease_scopes), "this plan")
}

/// The scopes a plan's calls need.
fn call_scopes<'a>(api: &'a Api, plan: &'a Plan) -> impl Iterator<Item = &'static str> + 'a {
    plan.calls.iter().flat_map(move |c| {
        let kind = c
            .resource
            .split_once('/')
            .and_then(|(k, _)| Kind::parse(k))
            .unwrap_or(Kind::lease_holder());
        api.dialect().scopes(&c.method, kind, c.body.as_ref())
    })
}

fn diff_or_explain(
    resources: &[Resource],
    live: &Live,
    options: &diff::Options,
) -> Result<Changes> {
    Ok(diff::diff(resources, live, options)?)
}

/// The most user pages read to count a connection's users (100,000 users): past it the note
/// says "at least", and a tenant that pages without end cannot hold the plan.
const MAX_USER_PAGES: usize = 1000;

/// A replacement or delete of a connection deletes its users: say how many.
async fn count_users(api: &Api, changes: &mut Changes) -> Result<()> {
    for c in changes.changes.iter_mut() {
        if !c.kind.holds_users() || !matches!(c.action, Action::Replace | Action::Delete) {
            continue;
        }
        let mut total = 0usize;
        let per_page = 100;
        let target = Target::with_id(c.kind, &c.name, c.live_id());
        if api
            .dialect()
            .connection_users(target, 0, per_page)
            .is_none()
        {
            c.notes.push("deletes its users".to_string());
            continue;
        }
        let mut more = true;
        for page in 0..MAX_USER_PAGES {
            let Some(path) = api.dialect().connection_users(target, page, per_page) else {
                break;
            };
            let users = api
                .get(&path)
                .await
                .map_err(|e| e.doing("cannot count the connection's users"))?;
            let n = users.as_array().map_or(0, Vec::len);
            total += n.min(per_page);
            if n < per_page {
                more = false;
                break;
            }
        }
        c.notes.push(match total {
            n if more => format!("deletes at least {n} users"),
            1 => "deletes its 1 user".to_string(),
            n => format!("deletes its {n} users"),
        });
    }
    Ok(())
}

fn diff_options(args: &PlanArgs, scope: Scope) -> diff::Options {
    diff::Options {
        allow_delete: args.allow_delete,
        rotate_signing_keys: args.rotate_signing_keys,
        scope,
        ..diff::Options::default()
    }
}

/// Write to stdout; a closed pipe (`| head`) ends the output quietly.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .or_else(|e| {
            // A closed pipe (`| head`) is not an error of ours.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(io("cannot write to stdout"))
}

/// Prints on stdout what `write` hands its sink, part by part, through one buffer; the first
/// failure to write stops the printing (a closed pipe, `| head`, is not an error of ours).
pub fn print_parts(write: impl FnOnce(&mut dyn FnMut(&str))) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut failed: Option<std::io::Error> = None;
    write(&mut |part: &str| {
        if failed.is_none()
            && let Err(e) = out.write_all(part.as_bytes())
        {
            failed = Some(e);
        }
    });
    match failed.map_or_else(|| out.flush(), Err) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).map_err(io("cannot write to stdout"))
        }
        _ => Ok(()),
    }
}

/// `a0ctl plan`.
pub async fn plan(
    args: PlanArgs,
    detailed_exitcode: bool,
    drift: bool,
    out: Out,
) -> Result<ExitCode> {
    let (resources, scope) = load_resources(&args.paths, &args.vars, &args.ignore)?;
    let tenant = Tenant::connect(&args.tenant, Some(scope.api)).await?;
    let result = plan_on(
        &tenant,
        &args,
        &resources,
        &diff_options(&args, scope),
        drift,
        out,
    )
    .await;
    tenant.close().await;
    drop_aside(resources);
    let changes = result?;
    Ok(if detailed_exitcode && changes {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn plan_on(
    tenant: &Tenant,
    args: &PlanArgs,
    resources: &[Resource],
    options: &diff::Options,
    drift: bool,
    out: Out,
) -> Result<bool> {
    let computed = compute(&tenant.api, resources, options, &args.targets).await?;
    let mut plan = computed.plan;
    note_gates(&mut plan, args.allow_replace);
    if let Some(path) = &args.out {
        let options = planfile::SavedOptions {
            allow_delete: args.allow_delete,
            allow_replace: args.allow_replace,
            rotate_signing_keys: args.rotate_signing_keys,
            scope: options.scope.clone(),
        };
        // argon2 is slow on purpose: hash on threads of its own, off the async workers.
        let text = tokio::task::block_in_place(|| {
            planfile::save(
                &plan,
                resources,
                &args.vars,
                &tenant.label,
                computed.client_views,
                options,
            )
        })?;
        // The file is data, not display: secrets are already references, so nothing is scrubbed.
        let text = match planfile::key_from_env() {
            Some(key) => planfile::sign(&text, &key)?,
            None => text,
        };
        planfile::write(path, &text)?;
        crate::diag::say(format_args!(
            "Saved the plan to {0}; apply it with `a0ctl apply --plan {0}{1}` (and the same tenant).",
            path.display(),
            if args.tenant.local { " --local" } else { "" }
        ));
    }
    let paint = if args.format == Format::Text {
        out.stdout
    } else {
        Paint(false)
    };
    // The bodies are what apply sends; a plan sends nothing, and its text takes their room.
    for call in plan.calls.iter_mut() {
        call.body = None;
    }
    let redactor = &computed.redactor;
    print_parts(|sink| {
        render::plan_to(
            &plan,
            &tenant.label,
            args.format,
            paint,
            drift,
            &mut |part| sink(&redactor.scrub(part)),
        )
    })?;
    let changes = plan.changes.has_changes();
    drop_aside((plan, computed.live, computed.redactor));
    Ok(changes)
}

/// Frees `value` on a thread of its own: a plan of 100,000 resources spends a twentieth of its
/// time freeing what it has printed, which the exit that follows does not need to wait for.
fn drop_aside<T: Send + 'static>(value: T) {
    // When no thread can be had, `spawn` drops the closure, and the value with it, here.
    let _ = std::thread::Builder::new()
        .name("a0ctl-free".into())
        .spawn(move || drop(value));
}

/// Mark what apply would refuse, so the plan says it before apply does.
fn note_gates(plan: &mut Plan, allow_replace: bool) {
    if allow_replace {
        return;
    }
    for c in plan.changes.changes.iter_mut() {
        if c.action == Action::Replace {
            c.notes.push("needs --allow-replace".into());
        }
    }
}

/// `a0ctl apply` options beyond the plan's.
#[derive(Debug, Clone)]
pub struct ApplyArgs {
    pub yes: bool,
    pub parallelism: usize,
    pub gates: Gates,
    /// How long to wait for another apply's lease (0: fail at once).
    pub lock_timeout: std::time::Duration,
}

/// The safety gates of `apply` (exit 3 when one refuses).
#[derive(Debug, Clone)]
pub struct Gates {
    /// Deletes of unmanaged resources are allowed.
    pub allow_delete: bool,
    /// Replacements (a connection's strategy changed) are allowed.
    pub allow_replace: bool,
    /// Past the deletion threshold anyway.
    pub force: bool,
    /// Largest share of a kind's existing resources a plan may delete or replace.
    pub threshold_percent: u32,
    /// The threshold applies to kinds with at least this many resources.
    pub threshold_min: usize,
}

/// `a0ctl apply`.
pub async fn apply(args: PlanArgs, apply_args: ApplyArgs, out: Out) -> Result<ExitCode> {
    let (resources, scope) = load_resources(&args.paths, &args.vars, &args.ignore)?;
    let tenant = Tenant::connect(&args.tenant, Some(scope.api)).await?;
    let options = diff_options(&args, scope);
    let result = apply_on(&tenant, &args, &apply_args, &resources, &options, out).await;
    tenant.close().await;
    result
}

async fn apply_on(
    tenant: &Tenant,
    args: &PlanArgs,
    apply_args: &ApplyArgs,
    resources: &[Resource],
    options: &diff::Options,
    out: Out,
) -> Result<ExitCode> {
    let mut computed = compute(&tenant.api, resources, options, &args.targets).await?;
    let mut confirmed = false;
    let lease = if computed.plan.calls.is_empty() {
        None
    } else {
        // Writes ahead: refuse what the gates refuse before touching anything, ask, then hold
        // the tenant and plan again under the lease.
        if let Err(e) = refuse_early(&computed.plan, resources, &computed.live, &apply_args.gates) {
            if args.format == Format::Text {
                let text = render::plan(&computed.plan, &tenant.label, Format::Text, out.stdout);
                print_stdout(&computed.redactor.scrub(&text))?;
            }
            return Err(e);
        }
        check_write_scopes(&tenant.api, &computed.plan)?;
        let shown = ask_before_lease(tenant, &computed, apply_args, args.format, out).await?;
        confirmed = shown.is_some();
        let lease = lease::acquire(&tenant.api, apply_args.lock_timeout).await?;
        let again = match compute(&tenant.api, resources, options, &args.targets).await {
            Ok(c) => c,
            Err(e) => {
                lease.release().await;
                return Err(e);
            }
        };
        if let Some(shown) = shown {
            let now = render::json_plan(&again.plan, &tenant.label);
            if confirmed_part(&now) != confirmed_part(&shown) {
                lease.release().await;
                return Err(changed_while_asked(&changed_since(&shown, &now)));
            }
        }
        computed = again;
        Some(lease)
    };
    let run = Execution {
        plan: &computed.plan,
        live: &computed.live,
        redactor: &computed.redactor,
        desired: resources,
        options,
        client_views: computed.client_views,
        only: None,
        confirmed,
    };
    let result = execute(tenant, run, apply_args, args.format, out).await;
    if let Some(lease) = lease {
        lease.release().await;
    }
    result
}

/// Show the plan and ask, before the lease is taken (an answer may take a while, and the
/// tenant is not held meanwhile): the plan as shown (its JSON form), or `None` under `--yes`.
/// `--format json` prints the plan only with the report, so it cannot ask: it needs `--yes`.
/// Another apply's live lease, which would refuse the answer, is named before asking.
async fn ask_before_lease(
    tenant: &Tenant,
    computed: &Computed,
    apply_args: &ApplyArgs,
    format: Format,
    out: Out,
) -> Result<Option<Value>> {
    if apply_args.yes {
        return Ok(None);
    }
    if format == Format::Json {
        return Err(hinted(
            "apply --format json needs --yes: it prints the plan only with the report, so there is nothing to review at a prompt; nothing was changed",
            "review the plan with `a0ctl plan` (or save it with `a0ctl plan --out FILE`), then run apply --format json --yes (or apply --plan FILE --format json --yes)",
        ));
    }
    lease::check_free(&tenant.api, apply_args.lock_timeout).await?;
    let text = render::plan(&computed.plan, &tenant.label, Format::Text, out.stdout);
    print_stdout(&computed.redactor.scrub(&text))?;
    confirm(false, &tenant.label)?;
    Ok(Some(render::json_plan(&computed.plan, &tenant.label)))
}

/// What of a plan the confirmation covers: its changes but the unmanaged ones (they send
/// nothing) and its calls.
fn confirmed_part(plan: &Value) -> (Vec<&Value>, &Value) {
    let changes = plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["action"] != "unmanaged")
        .collect();
    (changes, &plan["calls"])
}

/// The resources whose changes differ between the plan confirmed and the plan made again.
fn changed_since(shown: &Value, now: &Value) -> Vec<String> {
    let (before, _) = confirmed_part(shown);
    let (after, _) = confirmed_part(now);
    let key = |c: &Value| {
        format!(
            "{} \"{}\"",
            c["kind"].as_str().unwrap_or("?"),
            c["name"].as_str().unwrap_or("?")
        )
    };
    let mut names: Vec<String> = before
        .iter()
        .filter(|c| !after.contains(c))
        .chain(after.iter().filter(|c| !before.contains(c)))
        .map(|c| key(c))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The refusal of an apply whose plan, made again under the lease, is not the one confirmed
/// (`changed`: the resources whose changes differ, at most ten named).
fn changed_while_asked(changed: &[String]) -> crate::error::Error {
    let what = match changed.len() {
        0 => String::new(),
        n if n <= 10 => format!(" ({})", changed.join(", ")),
        n => format!(" ({}, and {} more)", changed[..10].join(", "), n - 10),
    };
    Refused {
        message: format!(
            "the tenant changed while you answered: the plan made again under the apply lease is not the one you confirmed{}; nothing was changed",
            crate::diag::visible_line(&what)
        ),
        hint: "run apply again to review the plan as it is now".into(),
    }
    .into()
}

/// The gates of a plan made from manifests: an empty manifest that would empty the tenant, and
/// [`gate`].
fn refuse_early(plan: &Plan, desired: &[Resource], live: &Live, gates: &Gates) -> Result<()> {
    if desired.is_empty() && !gates.force && plan.changes.count(Action::Delete) > 0 {
        let kinds: std::collections::BTreeSet<Kind> = plan
            .changes
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| c.kind)
            .collect();
        let kinds: Vec<&str> = kinds.iter().map(|k| k.plural()).collect();
        return Err(Refused {
            message: format!(
                "the manifests declare nothing, so this plan deletes every resource of the kinds they name ({}): nothing was changed",
                kinds.join(", ")
            ),
            hint: "check the paths given to apply; pass --force if emptying the tenant is what you want".into(),
        }
        .into());
    }
    gate(&plan.changes, live, gates)
}

/// What one apply runs: the plan, and what to check the tenant against afterwards.
struct Execution<'a> {
    plan: &'a Plan,
    live: &'a Live,
    redactor: &'a Redactor,
    desired: &'a [Resource],
    options: &'a diff::Options,
    client_views: bool,
    /// A saved plan: only its resources are checked afterwards.
    only: Option<&'a planfile::SavedPlan>,
    /// The plan was shown and confirmed before the lease was taken (and is unchanged since).
    confirmed: bool,
}

/// Show the plan, pass the gates, ask, run the calls, report, and check the tenant now matches.
async fn execute(
    tenant: &Tenant,
    run_: Execution<'_>,
    apply_args: &ApplyArgs,
    format: Format,
    out: Out,
) -> Result<ExitCode> {
    let Execution {
        plan,
        live,
        redactor,
        ..
    } = run_;
    let json = format == Format::Json;
    if !json && !run_.confirmed {
        let text = render::plan(plan, &tenant.label, Format::Text, out.stdout);
        print_stdout(&redactor.scrub(&text))?;
    }
    if plan.calls.is_empty() {
        if json {
            print_stdout(&redactor.scrub(&apply_json(plan, &tenant.label, None)))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if run_.only.is_none() {
        refuse_early(plan, run_.desired, live, &apply_args.gates)?;
    } else {
        gate(&plan.changes, live, &apply_args.gates)?;
    }
    if !run_.confirmed {
        confirm(apply_args.yes, &tenant.label)?;
    }
    let report = run(
        &tenant.api,
        &plan.calls,
        apply_args.parallelism,
        redactor,
        out,
    )
    .await;
    if json {
        print_stdout(&redactor.scrub_message(&apply_json(plan, &tenant.label, Some(&report))))?;
    } else {
        print_stdout(&redactor.scrub_message(&render::report(&report, out.stdout)))?;
    }
    incomplete(&report)?;
    verify(&tenant.api, &run_).await?;
    Ok(ExitCode::SUCCESS)
}

/// An apply that did not make every call: what failed, what was not attempted, and why it
/// stopped when its lease was lost.
fn incomplete(report: &apply::Report) -> Result<()> {
    if report.succeeded() {
        return Ok(());
    }
    let (why, hint) = if lease::may_write() {
        (
            "",
            "fix what failed and run apply again: it plans from the tenant as it is now",
        )
    } else {
        (
            "the apply lease was lost (taken over, or not renewed in time), so no call was started after that; ",
            "another apply may be changing the tenant: let it finish, then run apply again (it plans from the tenant as it is now)",
        )
    };
    Err(hinted(
        format!(
            "{why}apply incomplete: {} of {} calls failed, {} not attempted",
            report.count(Outcome::Failed),
            report.calls.len(),
            report.count(Outcome::NotAttempted)
        ),
        hint,
    ))
}

/// `a0ctl apply --plan PLANFILE`: exactly the saved plan, if the tenant is still as it was.
pub async fn apply_saved(
    path: PathBuf,
    tenant_args: TenantArgs,
    apply_args: ApplyArgs,
    format: Format,
    out: Out,
) -> Result<ExitCode> {
    let saved = planfile::read(&path, planfile::key_from_env().as_deref())?;
    let tenant = Tenant::connect(&tenant_args, Some(saved.options.scope.api)).await?;
    let result = apply_saved_on(&tenant, &saved, &apply_args, format, out).await;
    tenant.close().await;
    result
}

async fn apply_saved_on(
    tenant: &Tenant,
    saved: &planfile::SavedPlan,
    apply_args: &ApplyArgs,
    format: Format,
    out: Out,
) -> Result<ExitCode> {
    let env = |name: &str| std::env::var(name).ok();
    let desired = tokio::task::block_in_place(|| planfile::desired(saved, &env))?;
    let options = diff::Options {
        allow_delete: saved.options.allow_delete,
        rotate_signing_keys: saved.options.rotate_signing_keys,
        scope: saved.options.scope.clone(),
        ..diff::Options::default()
    };
    // Check the file before taking the lease (a refused file writes nothing), then again under it.
    let lease = if saved.calls.is_empty() {
        None
    } else {
        let (computed, plan) = saved_plan(tenant, saved, &desired, &options).await?;
        gate(&plan.changes, &computed.live, &apply_args.gates)?;
        check_write_scopes(&tenant.api, &plan)?;
        // Asked before the lease; under it, the plan must still be the saved one.
        let shown = Computed { plan, ..computed };
        ask_before_lease(tenant, &shown, apply_args, format, out).await?;
        Some(lease::acquire(&tenant.api, apply_args.lock_timeout).await?)
    };
    let result = apply_saved_held(tenant, saved, &desired, &options, apply_args, format, out).await;
    if let Some(lease) = lease {
        lease.release().await;
    }
    result
}

/// The saved plan's changes and calls recomputed from the tenant as it is, if they are exactly
/// what the file shows.
async fn saved_plan(
    tenant: &Tenant,
    saved: &planfile::SavedPlan,
    desired: &[Resource],
    options: &diff::Options,
) -> Result<(Computed, Plan)> {
    let computed = compute(&tenant.api, desired, options, &[]).await?;
    let changes = planfile::restrict(saved, computed.plan.changes.clone());
    let mut plan = plan_calls(changes, &computed.live, tenant.api.dialect())?;
    note_gates(&mut plan, saved.options.allow_replace);
    planfile::check_matches(saved, &tenant.label, &plan)?;
    Ok((computed, plan))
}

async fn apply_saved_held(
    tenant: &Tenant,
    saved: &planfile::SavedPlan,
    desired: &[Resource],
    options: &diff::Options,
    apply_args: &ApplyArgs,
    format: Format,
    out: Out,
) -> Result<ExitCode> {
    let (computed, plan) = saved_plan(tenant, saved, desired, options).await?;
    let run = Execution {
        plan: &plan,
        live: &computed.live,
        redactor: &computed.redactor,
        desired,
        options,
        client_views: computed.client_views,
        only: Some(saved),
        // Asked before the lease (`ask_before_lease`) when there are calls and no --yes.
        confirmed: !saved.calls.is_empty() && !apply_args.yes,
    };
    execute(tenant, run, apply_args, format, out).await
}

fn apply_json(plan: &Plan, tenant: &str, report: Option<&apply::Report>) -> String {
    let mut v = render::json_plan(plan, tenant);
    v["report"] = report.map_or(Value::Null, |r| serde_json::to_value(r).unwrap_or_default());
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// The gates that refuse a plan before anything is sent (exit 3): deletes and replacements
/// need `--allow-delete`; deleting or replacing more than the threshold of a kind's resources
/// needs `--force`.
pub fn gate(changes: &Changes, live: &Live, gates: &Gates) -> Result<()> {
    let removing = |c: &&crate::diff::Change| matches!(c.action, Action::Replace | Action::Delete);
    let refused: Vec<String> = changes
        .changes
        .iter()
        .filter(|c| match c.action {
            Action::Replace => !gates.allow_replace,
            Action::Delete => !gates.allow_delete,
            _ => false,
        })
        .map(|c| format!("{} {} \"{}\"", c.action.as_str(), c.kind, c.name))
        .collect();
    if !refused.is_empty() {
        let mut flags = Vec::new();
        if changes.changes.iter().any(|c| c.action == Action::Replace) && !gates.allow_replace {
            flags.push("--allow-replace");
        }
        if changes.changes.iter().any(|c| c.action == Action::Delete) && !gates.allow_delete {
            flags.push("--allow-delete");
        }
        let replaced = changes
            .changes
            .iter()
            .find(|c| c.action == Action::Replace && !gates.allow_replace);
        let why = match replaced {
            Some(c) if c.kind.holds_users() => {
                format!(
                    " (a replacement deletes the {} and its users)",
                    c.kind.noun()
                )
            }
            Some(c) => format!(
                " (a replacement deletes the {} and makes another, with a new id)",
                c.kind.noun()
            ),
            None => String::new(),
        };
        let shown = if refused.len() > 10 {
            format!(
                "{}, and {} more",
                refused[..10].join(", "),
                refused.len() - 10
            )
        } else {
            refused.join(", ")
        };
        return Err(Refused {
            message: format!(
                "refusing to {shown} without {}{why}: nothing was changed",
                flags.join(" and ")
            ),
            hint: format!(
                "review the plan, then run apply again with {}",
                flags.join(" ")
            ),
        }
        .into());
    }
    if gates.force {
        return Ok(());
    }
    // Kinds of many resources (not singletons) that may be deleted.
    let many = |k: &Kind| k.deletable() && !k.is_singleton();
    for kind in Kind::all().filter(many) {
        let existing = live.count(kind);
        let n = changes
            .changes
            .iter()
            .filter(|c| c.kind == kind)
            .filter(removing)
            .count();
        if existing >= gates.threshold_min && n * 100 > existing * gates.threshold_percent as usize
        {
            return Err(Refused {
                message: format!(
                    "deletion gate: the plan deletes or replaces {n} of the tenant's {existing} {} ({}%, more than {}%): nothing was changed",
                    kind.plural(),
                    n * 100 / existing.max(1),
                    gates.threshold_percent
                ),
                hint: "review the plan; pass --force to apply it anyway, or raise --delete-threshold".into(),
            }
            .into());
        }
    }
    Ok(())
}

/// On a terminal, ask; without one, `--yes` is required.
fn confirm(yes: bool, tenant: &str) -> Result<()> {
    ask(
        yes,
        "apply",
        "review the plan (a0ctl plan), then run apply with --yes",
        &format!("Apply these changes to {tenant}?"),
    )
}

/// Ask `question` on a terminal (only `yes` goes on); without one, `--yes` is required.
fn ask(yes: bool, command: &str, hint: &str, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(hinted(
            format!("{command} needs --yes when it cannot ask (no terminal): nothing was changed"),
            hint,
        ));
    }
    crate::diag::to_stderr(&format!("\n{question} Only 'yes' will be accepted: "));
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(io("cannot read the answer"))?;
    if read == 0 {
        // End of input (Ctrl-D): the error starts on a line of its own.
        crate::diag::say("");
        return Err(hinted(
            format!("{command} cancelled: no answer (end of input); nothing was changed"),
            "",
        ));
    }
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(hinted(
            format!("{command} cancelled: nothing was changed"),
            "",
        ))
    }
}

/// Run the plan with progress on stderr: a bar on a terminal, a line per call otherwise.
async fn run(
    api: &Api,
    calls: &[plan::Call],
    parallelism: usize,
    redactor: &Redactor,
    out: Out,
) -> apply::Report {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(calls.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} calls {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |c: &apply::CallReport| {
        let line = redactor.scrub_message(&render::progress_line(c));
        match &bar {
            Some(bar) => {
                bar.inc(1);
                if c.outcome != Outcome::Applied {
                    bar.println(out.stderr.red(&line));
                }
            }
            None => crate::diag::say(&line),
        }
    };
    let options = apply::Options {
        parallelism,
        // Nobody reads stderr any more (`2>&1 | head -1`), or the lease may no longer be ours:
        // stop starting calls, so that the run ends, reports on stdout if it can and releases
        // the lease.
        stop: || crate::diag::stderr_closed() || !lease::may_write(),
    };
    let report = apply::apply(api, calls, &options, &progress).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report
}

/// After an apply, the tenant must match: read it again and diff (for a saved plan, only the
/// resources it changes).
async fn verify(api: &Api, run: &Execution<'_>) -> Result<()> {
    let templates = declared_named_items(api.dialect(), run.desired);
    let live = fetch(
        api,
        run.client_views,
        Some(&run.options.scope.kinds),
        Some(&templates),
    )
    .await?;
    let options = diff::Options {
        rotate_signing_keys: false,
        own_client: api.client_id().map(str::to_string),
        ..run.options.clone()
    };
    let mut changes = diff_or_explain(run.desired, &live, &options)?;
    if let Some(saved) = run.only {
        changes = planfile::restrict(saved, changes);
    } else if !run.plan.changes.targets.is_empty() {
        // A partial apply checks what it planned.
        let planned: std::collections::BTreeSet<(Kind, String)> = run
            .plan
            .changes
            .changes
            .iter()
            .map(|c| (c.kind, c.name.clone()))
            .collect();
        changes
            .changes
            .retain(|c| planned.contains(&(c.kind, c.name.clone())));
    }
    let left: Vec<String> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Unmanaged)
        .map(|c| format!("{} {}", c.action.as_str(), c.key()))
        .collect();
    if left.is_empty() {
        return Ok(());
    }
    Err(hinted(
        format!("the tenant still differs after apply: {}", left.join(", ")),
        "someone may be changing the tenant at the same time; run plan to see the differences",
    ))
}

/// What an export wrote, kind by kind: `3 connections, 2 clients, 0 rules and 4 email
/// templates, the email provider` (a singleton only when the tenant has it).
fn exported_counts(
    live: &Live,
    d: &dyn Dialect,
    items: &std::collections::BTreeMap<String, usize>,
) -> String {
    let kinds: Vec<Kind> = Kind::all().filter(|k| d.kinds().contains(k)).collect();
    let counted: Vec<String> = kinds
        .iter()
        .filter(|k| !k.is_singleton())
        .map(|k| match items.get(k.section()).copied().unwrap_or(0) {
            1 => format!("1 {}", k.noun()),
            n => format!("{n} {}", k.plural()),
        })
        .collect();
    let mut text = match counted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    for k in kinds
        .iter()
        .filter(|k| k.is_singleton() && live.count(**k) > 0)
    {
        text.push_str(&format!(", the {}", k.as_str().replace('_', " ")));
    }
    text
}

/// `a0ctl export --out DIR`.
pub async fn export(
    tenant_args: TenantArgs,
    dir: PathBuf,
    force: bool,
    vars: &Vars,
) -> Result<ExitCode> {
    let tenant = Tenant::connect(&tenant_args, None).await?;
    let result = async {
        let d = tenant.api.dialect();
        check_scopes(
            &tenant.api,
            d.kinds().iter().flat_map(|k| d.scopes("GET", *k, None)),
            "export",
        )?;
        let live = fetch(&tenant.api, true, None, None).await?;
        let exported = crate::export::export(&live, d.version(), &dir, force, vars)?;
        for w in &exported.warnings {
            crate::diag::say(format_args!("warning: {w}"));
        }
        for r in &exported.removed {
            crate::diag::say(format_args!(
                "removed {}, which an earlier export wrote",
                r.display()
            ));
        }
        let mut text = format!(
            "Exported {} from {}{} to {}.\n",
            exported_counts(&live, d, &exported.items),
            tenant.label,
            match d.version() {
                crate::manifest::types::ApiVersion::V1 => "",
                crate::manifest::types::ApiVersion::V2 => " (v2)",
            },
            dir.display()
        );
        if !exported.variables.is_empty() {
            text.push_str("Secrets are not exported; set these variables before planning:\n");
            let width = exported
                .variables
                .keys()
                .map(String::len)
                .max()
                .unwrap_or(0);
            for (var, what) in &exported.variables {
                text.push_str(&format!("  {var:width$}  {what}\n"));
            }
        }
        print_stdout(&text)
    }
    .await;
    tenant.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

/// `a0ctl diff OLD NEW`: two manifest trees, no tenant; exit 2 when they differ.
pub fn diff_trees(
    (old, old_vars): (&[PathBuf], &Vars),
    (new, new_vars): (&[PathBuf], &Vars),
    allow_delete: bool,
    format: Format,
    out: Out,
) -> Result<ExitCode> {
    let env = |name: &str| std::env::var(name).ok();
    let options = |vars| LoadOptions {
        env: &env,
        vars,
        lenient_env: true,
        ignore: &[],
    };
    let mut old_set = manifest::load(old, &options(old_vars))?;
    let mut new_set = manifest::load(new, &options(new_vars))?;
    if old_set.api != new_set.api {
        return Err(hinted(
            format!(
                "the old tree is written for {} and the new one for {}: diff compares trees written for the same API",
                old_set.api, new_set.api
            ),
            "to move a tree to v2, export the tenant with `a0ctl export` (it writes v2) and diff against that",
        ));
    }
    let old_resources = old_set.take_resources();
    let new_resources = new_set.take_resources();
    let scope = new_set.scope();
    let live = diff::live_from_resources(&old_resources);
    let changes = diff::diff(
        &new_resources,
        &live,
        &diff::Options {
            allow_delete,
            compare_write_only: true,
            offline: true,
            scope,
            ..diff::Options::default()
        },
    )?;
    let mut redactor = model::redactor(&old_resources);
    redactor.merge(model::redactor(&new_resources));
    let shown = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (old_label, new_label) = (shown(old), shown(new));
    let label = format!("{old_label} -> {new_label}");
    let text = match format {
        Format::Text => render::text_with(
            &changes,
            &render::Heading {
                changes: format!("Changes from {old_label} to {new_label}:"),
                none: if changes.count(Action::Unmanaged) == 0 {
                    format!("No changes: {old_label} and {new_label} describe the same tenant.")
                } else {
                    format!(
                        "No changes from {old_label} to {new_label} but deletes: {new_label} leaves out what is listed below."
                    )
                },
                drift: false,
            },
            out.stdout,
        ),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&render::json_changes(&changes, &label))
                .unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Markdown => render::markdown(&changes, &label, "diff"),
    };
    print_stdout(&redactor.scrub(&text))?;
    Ok(if changes.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `a0ctl force-unlock ID`: break that apply lease, after a confirmation (or `--yes`).
pub async fn force_unlock(tenant_args: TenantArgs, id: String, yes: bool) -> Result<ExitCode> {
    let tenant = Tenant::connect(&tenant_args, None).await?;
    let d = tenant.api.dialect();
    let result = async {
        check_scopes(
            &tenant.api,
            ["GET", "DELETE"]
                .into_iter()
                .flat_map(|m| d.scopes(m, Kind::lease_holder(), None)),
            "force-unlock",
        )?;
        let label = tenant.label.clone();
        lease::force_unlock(&tenant.api, &id, |held| {
            ask(
                yes,
                "force-unlock",
                "make sure no apply is running, then run force-unlock with --yes",
                &format!(
                    "Break the apply lease {held} on {label}? An apply still running would then race the next."
                ),
            )
        })
        .await?;
        crate::diag::say(format_args!("Broke the apply lease {}.", crate::diag::visible_line(&id)));
        Ok(ExitCode::SUCCESS)
    }
    .await;
    tenant.close().await;
    result
}
