//! `render`: every human and machine form of a plan and a report, in one place. Text reads like
//! Terraform's (`+`, `~`, `-`, `-/+`, field-level before/after, unified diffs of scripts and
//! bodies via `similar`); JSON is the versioned contract of design §5; Markdown is a PR comment
//! that always fits GitHub's limit. Secrets render as `(sensitive)`, and a [`Redactor`] scrubs
//! every known secret value from anything printed, as a second line of defence.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::apply::{Outcome, Report};
use crate::diag::{Paint, visible, visible_line};
use crate::diff::{Action, Change, Changes, FieldChange};
use crate::model::Kind;
use crate::plan::Plan;

/// The output formats of `plan`, `apply` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// The JSON plan's version; bump on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// GitHub's limit on a comment's length.
pub const MARKDOWN_LIMIT: usize = 65_535;

/// The marker a CI step finds to update its one sticky comment.
pub const MARKDOWN_MARKER: &str = "<!-- a0ctl-plan -->";

use crate::secret::SENSITIVE;

/// Render a plan in a format.
pub fn plan(plan: &Plan, tenant: &str, format: Format, paint: Paint) -> String {
    match format {
        Format::Text => text(&plan.changes, tenant, paint),
        Format::Markdown => markdown(&plan.changes, tenant, "plan"),
        Format::Json => plan_json_text(plan, tenant),
    }
}

/// A drift report (`plan --drift`): the same plan, read the right way round for on-call: an
/// update says what the tenant has and what the manifests say.
pub fn drift(plan: &Plan, tenant: &str, format: Format, paint: Paint) -> String {
    match format {
        Format::Text => text_with(&plan.changes, &drift_heading(tenant), paint),
        Format::Markdown => markdown_with(&plan.changes, tenant, "drift report", true),
        Format::Json => plan_json_text(plan, tenant),
    }
}

/// [`plan`], or [`drift`] with `drift`, handed to `sink`: the text in parts as it is written
/// (see [`text_to`]), the other formats whole.
pub fn plan_to(
    plan: &Plan,
    tenant: &str,
    format: Format,
    paint: Paint,
    drift: bool,
    sink: &mut dyn FnMut(&str),
) {
    match (format, drift) {
        (Format::Text, false) => text_to(&plan.changes, &plan_heading(tenant), paint, sink),
        (Format::Text, true) => text_to(&plan.changes, &drift_heading(tenant), paint, sink),
        (_, false) => sink(&self::plan(plan, tenant, format, paint)),
        (_, true) => sink(&self::drift(plan, tenant, format, paint)),
    }
}

fn drift_heading(tenant: &str) -> Heading {
    Heading {
        changes: format!(
            "Drift: {tenant} differs from the manifests; a0ctl apply would change it back:"
        ),
        none: format!("No drift: {tenant} matches the manifests."),
        drift: true,
    }
}

fn plan_heading(tenant: &str) -> Heading {
    Heading {
        changes: format!("a0ctl will make these changes to {tenant}:"),
        none: format!("No changes: {tenant} matches the manifests."),
        drift: false,
    }
}

fn plan_json_text(plan: &Plan, tenant: &str) -> String {
    let mut s = serde_json::to_string_pretty(&json_plan(plan, tenant)).unwrap_or_default();
    s.push('\n');
    s
}

/// `{"create": n, "update": n, "replace": n, "delete": n, "unmanaged": n}`
pub fn summary(changes: &Changes) -> Value {
    json!({
        "create": changes.count(Action::Create),
        "update": changes.count(Action::Update),
        "replace": changes.count(Action::Replace),
        "delete": changes.count(Action::Delete),
        "unmanaged": changes.count(Action::Unmanaged),
    })
}

/// The JSON plan of design §5.
pub fn json_plan(plan: &Plan, tenant: &str) -> Value {
    let mut v = json_changes(&plan.changes, tenant);
    v["calls"] = serde_json::to_value(&plan.calls).unwrap_or_else(|_| json!([]));
    v
}

/// The JSON form without calls (for `diff`, where nothing is sent).
pub fn json_changes(changes: &Changes, tenant: &str) -> Value {
    let list: Vec<Value> = changes
        .changes
        .iter()
        .map(|c| {
            let mut v = json!({
                "kind": c.kind,
                "name": c.name,
                "action": c.action,
                "fields": c.fields.iter().map(json_field).collect::<Vec<_>>(),
            });
            if !c.notes.is_empty() {
                v["notes"] = json!(c.notes);
            }
            v
        })
        .collect();
    let mut v = json!({
        "format_version": FORMAT_VERSION,
        "tenant": tenant,
        "summary": summary(changes),
        "changes": list,
        "calls": [],
    });
    if !changes.targets.is_empty() {
        v["targets"] = json!(changes.targets);
    }
    if !changes.notices.is_empty() {
        v["notices"] = json!(changes.notices);
    }
    v
}

fn json_field(f: &FieldChange) -> Value {
    let hide = |v: &Option<Value>| match v {
        None => Value::Null,
        Some(_) if f.sensitive => json!(SENSITIVE),
        Some(v) => v.clone(),
    };
    json!({"path": f.path.to_string(), "before": hide(&f.before), "after": hide(&f.after)})
}

fn headline(c: &Change) -> &'static str {
    match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be deleted",
        Action::Unmanaged => "is not in the manifest",
    }
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "  +",
        Action::Update => "  ~",
        Action::Replace => "-/+",
        Action::Delete => "  -",
        Action::Unmanaged => "  ?",
    }
}

fn paint_symbol(sym: &str, paint: Paint) -> String {
    match sym.trim() {
        "+" => paint.green(sym),
        "-" => paint.red(sym),
        "~" => paint.yellow(sym),
        "-/+" => format!("{}{}", paint.red("-/"), paint.green("+")),
        _ => sym.to_string(),
    }
}

/// The text plan.
pub fn text(changes: &Changes, tenant: &str, paint: Paint) -> String {
    text_with(changes, &plan_heading(tenant), paint)
}

/// The first line of a text rendering, with and without changes.
pub struct Heading {
    pub changes: String,
    pub none: String,
    /// Word updates as drift: `tenant has X, manifests say Y`.
    pub drift: bool,
}

/// The text form under a heading of the caller's.
pub fn text_with(changes: &Changes, heading: &Heading, paint: Paint) -> String {
    let mut out = String::new();
    text_to(changes, heading, paint, &mut |part| out.push_str(part));
    out
}

/// [`text_with`], handed to `sink` a part at a time (a resource's block, or a few lines), in
/// order: a plan of 100,000 creates is printed as it is written, never held whole.
pub fn text_to(changes: &Changes, heading: &Heading, paint: Paint, sink: &mut dyn FnMut(&str)) {
    let mut out = String::new();
    let acting: Vec<&Change> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Unmanaged)
        .collect();
    if let Some(line) = partial_line(changes) {
        out.push_str(&format!("{line}\n\n"));
    }
    for notice in &changes.notices {
        out.push_str(&format!("Note: {}\n\n", visible_line(notice)));
    }
    if acting.is_empty() {
        out.push_str(&format!("{}\n\n", heading.none));
    } else {
        out.push_str(&format!("{}\n\n", heading.changes));
        for c in &acting {
            block_into(&mut out, c, paint, true, heading.drift);
            out.push('\n');
            // Parts of about 64 KiB: few calls of the sink, little held.
            if out.len() >= 1 << 16 {
                sink(&out);
                out.clear();
            }
        }
    }
    let unmanaged: Vec<&Change> = changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Unmanaged)
        .collect();
    if !unmanaged.is_empty() {
        out.push_str("Not in the manifests (would delete with --allow-delete):\n");
        for c in unmanaged {
            out.push_str(&format!(
                "  {} \"{}\"{}\n",
                c.kind,
                visible_line(&c.name),
                id_suffix(c)
            ));
            if out.len() >= 1 << 16 {
                sink(&out);
                out.clear();
            }
        }
        out.push('\n');
    }
    out.push_str(&paint.bold(&summary_line(changes)));
    out.push('\n');
    sink(&out);
}

/// What a partial plan (`--target`) says first.
fn partial_line(changes: &Changes) -> Option<String> {
    (!changes.targets.is_empty()).then(|| {
        format!(
            "Partial plan: only {} and what it needs (--target); the rest of the tenant is neither planned nor listed.",
            changes
                .targets
                .iter()
                .map(|t| visible_line(t).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// The id beside the name of a pinned kind (names repeat); not the stand-in ids of an offline
/// diff.
fn id_suffix(c: &Change) -> String {
    match c.live_id() {
        Some(id)
            if matches!(c.kind.pairing(), crate::kind::Pairing::Pinned(_))
                && !id.starts_with(crate::diff::OFFLINE_ID_PREFIX) =>
        {
            format!(" ({id})")
        }
        _ => String::new(),
    }
}

/// `Plan: 1 to create, 2 to update, 0 to replace, 0 to delete.`
pub fn summary_line(changes: &Changes) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        changes.count(Action::Create),
        changes.count(Action::Update),
        changes.count(Action::Replace),
        changes.count(Action::Delete)
    )
}

/// One resource's block: comment line, header, fields.
pub fn resource_block(c: &Change, paint: Paint) -> String {
    block(c, paint, true, false)
}

/// A resource's block; with `inline_diffs` false, multi-line fields say their diff follows.
fn block(c: &Change, paint: Paint, inline_diffs: bool, drift: bool) -> String {
    let mut out = String::new();
    block_into(&mut out, c, paint, inline_diffs, drift);
    out
}

/// [`block`], written at the end of `out` (a plan of 100,000 creates writes one buffer, not a
/// string per line).
fn block_into(out: &mut String, c: &Change, paint: Paint, inline_diffs: bool, drift: bool) {
    use std::fmt::Write as _;
    let mut comment = format!(
        "  # {} \"{}\"{} {}",
        c.kind,
        visible_line(&c.name),
        id_suffix(c),
        headline(c)
    );
    for note in &c.notes {
        let _ = write!(comment, " ({})", visible_line(note));
    }
    out.push_str(&paint.dim(&comment));
    out.push('\n');
    let sym = paint_symbol(symbol(c.action), paint);
    if c.action == Action::Delete {
        let _ = writeln!(out, "{sym} {} \"{}\"", c.kind, visible_line(&c.name));
        return;
    }
    let _ = writeln!(out, "{sym} {} \"{}\" {{", c.kind, visible_line(&c.name));
    // Each field's path, written once.
    let paths: Vec<String> = c.fields.iter().map(|f| f.path.to_string()).collect();
    let width = c
        .fields
        .iter()
        .zip(&paths)
        .filter(|(f, _)| !is_multiline(f))
        .map(|(_, p)| p.chars().count())
        .max()
        .unwrap_or(0);
    let sets = crate::kinds::spec(c.kind).sets();
    for (f, path) in c.fields.iter().zip(&paths) {
        if !inline_diffs && is_multiline(f) {
            let _ = writeln!(out, "      ~ {}: (diff below)", visible_line(path));
            continue;
        }
        if sets.contains(&path.as_str())
            && let Some(lines) = set_lines(f, path, paint)
        {
            out.push_str(&lines);
            continue;
        }
        field_lines_into(out, f, path, width, paint, drift);
    }
    out.push_str("    }\n");
}

/// A multi-line field's unified diff, lines unindented so a `diff` fence colours them.
fn unified(f: &FieldChange) -> String {
    let before = f.before.as_ref().and_then(Value::as_str).unwrap_or("");
    let after = f.after.as_ref().and_then(Value::as_str).unwrap_or("");
    let diff = similar::TextDiff::from_lines(before, after);
    let text = diff.unified_diff().context_radius(3).to_string();
    text.split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| format!("{}\n", visible_line(l)))
        .collect()
}

fn is_multiline(f: &FieldChange) -> bool {
    !f.sensitive
        && [&f.before, &f.after].iter().any(|v| {
            v.as_ref()
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains('\n'))
        })
}

fn show(v: &Value) -> String {
    crate::diag::visible_json(v)
}

/// A change of a field its kind holds as a set (`KindSpec::sets`: an API's scopes, a role's
/// permissions) as what it gains (`+`) and loses (`-`), one item a line, not both lists.
fn set_lines(f: &FieldChange, path: &str, paint: Paint) -> Option<String> {
    if f.sensitive {
        return None;
    }
    let (Some(Value::Array(before)), Some(Value::Array(after))) = (&f.before, &f.after) else {
        return None;
    };
    let path = visible(path);
    let mut out = format!("      {} {path}:\n", paint_symbol("~", paint));
    for a in after.iter().filter(|a| !before.contains(a)) {
        out.push_str(&format!("          {} {}\n", paint.green("+"), show(a)));
    }
    for b in before.iter().filter(|b| !after.contains(b)) {
        out.push_str(&format!("          {} {}\n", paint.red("-"), show(b)));
    }
    Some(out)
}

fn field_lines_into(
    out: &mut String,
    f: &FieldChange,
    path: &str,
    width: usize,
    paint: Paint,
    drift: bool,
) {
    use std::fmt::Write as _;
    let sym = match (&f.before, &f.after) {
        (None, Some(_)) => "+",
        (Some(_), None) => "-",
        _ => "~",
    };
    let psym = paint_symbol(sym, paint);
    let path = visible(path);
    let path = &*path;
    if f.sensitive {
        let what = match sym {
            "~" => "(sensitive, changed)",
            "-" => "(sensitive, removed)",
            _ => SENSITIVE,
        };
        let _ = writeln!(out, "      {psym} {path:width$} = {what}");
        return;
    }
    if is_multiline(f) {
        let before = f.before.as_ref().and_then(Value::as_str).unwrap_or("");
        let after = f.after.as_ref().and_then(Value::as_str).unwrap_or("");
        let _ = writeln!(out, "      {psym} {path}:");
        if before != after && before.replace("\r\n", "\n") == after.replace("\r\n", "\n") {
            let (from, to) = if before.contains("\r\n") {
                ("CRLF", "LF")
            } else {
                ("LF", "CRLF")
            };
            out.push_str(&format!(
                "          (only line endings change: {from} -> {to}; \\r marks a carriage return)\n"
            ));
        }
        let diff = similar::TextDiff::from_lines(before, after);
        let unified = diff.unified_diff().context_radius(3).to_string();
        // Split on `\n` alone: `lines()` would drop a `\r` and hide a line-ending change.
        for line in unified.split('\n').filter(|l| !l.is_empty()) {
            let line = &*visible_line(line);
            let coloured = if line.starts_with("@@") {
                paint.cyan(line)
            } else if line.starts_with('+') {
                paint.green(line)
            } else if line.starts_with('-') {
                paint.red(line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "          {coloured}");
        }
        return;
    }
    let extra = if f.forces_replacement {
        format!(" {}", paint.red("# forces replacement"))
    } else {
        String::new()
    };
    if drift {
        let (have, want) = (
            f.before.as_ref().map_or("nothing".into(), show),
            f.after.as_ref().map_or("nothing".into(), show),
        );
        let _ = writeln!(
            out,
            "      {psym} {path:width$}: tenant has {have}, manifests say {want}{extra}"
        );
        return;
    }
    let _ = match (&f.before, &f.after) {
        (None, Some(a)) => writeln!(out, "      {psym} {path:width$} = {}{extra}", show(a)),
        (Some(b), None) => writeln!(
            out,
            "      {psym} {path:width$} = {} -> null{extra}",
            show(b)
        ),
        (Some(b), Some(a)) => writeln!(
            out,
            "      {psym} {path:width$} = {} -> {}{extra}",
            show(b),
            show(a)
        ),
        (None, None) => Ok(()),
    };
}

/// The Markdown plan: marker, headline, the complete summary table, then one collapsible block
/// per resource, cut (with a note) before GitHub's comment limit.
pub fn markdown(changes: &Changes, tenant: &str, what: &str) -> String {
    markdown_with(changes, tenant, what, false)
}

/// The Markdown plan as `markdown` describes it; with `drift`, each update reads "tenant has X,
/// manifests say Y".
fn markdown_with(changes: &Changes, tenant: &str, what: &str, drift: bool) -> String {
    let mut out = markdown_head(changes, tenant, what);
    if changes.changes.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    let blocks: Vec<String> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Unmanaged)
        .map(|c| markdown_block(c, drift))
        .collect();
    let tail = markdown_unmanaged(changes);
    push_within_limit(&mut out, &blocks, &tail, what);
    out
}

/// The Markdown plan's head: marker, headline, summary, the partial plan's and the notices'
/// quotes, and the summary table, followed by a blank line.
fn markdown_head(changes: &Changes, tenant: &str, what: &str) -> String {
    let mut head = String::new();
    head.push_str(MARKDOWN_MARKER);
    head.push('\n');
    head.push_str(&format!("### a0ctl {what} for `{tenant}`\n\n"));
    head.push_str(&format!("**{}**\n\n", summary_line(changes)));
    if let Some(line) = partial_line(changes) {
        head.push_str(&format!("> {line}\n\n"));
    }
    for notice in &changes.notices {
        head.push_str(&format!(
            "> **Note:** {}\n\n",
            html_escape(&visible_line(notice))
        ));
    }
    head.push_str(&markdown_table(changes));
    head.push('\n');
    head
}

/// The summary table: per kind the plan touches, how many resources each action touches.
fn markdown_table(changes: &Changes) -> String {
    let mut table = String::new();
    table.push_str("| kind | create | update | replace | delete | unmanaged |\n");
    table.push_str("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    let mut counts: BTreeMap<Kind, [usize; 5]> = Kind::all().map(|k| (k, [0; 5])).collect();
    for c in &changes.changes {
        let i = match c.action {
            Action::Create => 0,
            Action::Update => 1,
            Action::Replace => 2,
            Action::Delete => 3,
            Action::Unmanaged => 4,
        };
        if let Some(row) = counts.get_mut(&c.kind) {
            row[i] += 1;
        }
    }
    for (kind, row) in &counts {
        // A kind the plan does not touch has no row (a tenant has some thirty kinds).
        if row.iter().all(|n| *n == 0) {
            continue;
        }
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            kind.plural(),
            row[0],
            row[1],
            row[2],
            row[3],
            row[4]
        ));
    }
    table
}

/// One changed resource as a collapsible block: its text block in a `diff` fence, then each
/// changed script or body in a `diff` fence of its own, so GitHub colours it.
fn markdown_block(c: &Change, drift: bool) -> String {
    let body = block(c, Paint(false), false, drift);
    let mut diffs = String::new();
    for f in c.fields.iter().filter(|f| is_multiline(f)) {
        let text = unified(f);
        let fence = fence_for(&text);
        diffs.push_str(&format!(
            "\n`{}`:\n\n{fence}diff\n{text}{fence}\n",
            visible_line(&f.path.to_string()).replace('`', "'")
        ));
    }
    let fence = fence_for(&body);
    format!(
        "<details><summary><code>{}</code> {} <code>{}</code> ({})</summary>\n\n{fence}diff\n{}{fence}\n{diffs}</details>\n",
        symbol(c.action).trim(),
        c.kind,
        html_escape(&visible_line(&c.name)),
        c.action.as_str(),
        body,
    )
}

/// A code fence that nothing in `content` can close (CommonMark: a closing fence is a run of the
/// opening's character at least as long): backticks, one longer than the longest run of
/// backticks in it, and never fewer than three. Tildes cannot close a backtick fence.
fn fence_for(content: &str) -> String {
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// The collapsible list of the tenant's resources the manifests do not declare; empty when
/// there are none.
fn markdown_unmanaged(changes: &Changes) -> String {
    let unmanaged: Vec<String> = changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Unmanaged)
        .map(|c| {
            format!(
                "- {} `{}`{}\n",
                c.kind,
                visible_line(&c.name).replace('`', "'"),
                id_suffix(c)
            )
        })
        .collect();
    let mut tail = String::new();
    if !unmanaged.is_empty() {
        tail.push_str("\n<details><summary>Not in the manifests (would delete with <code>--allow-delete</code>)</summary>\n\n");
        for u in &unmanaged {
            tail.push_str(u);
        }
        tail.push_str("\n</details>\n");
    }
    tail
}

/// Append the blocks that fit before GitHub's comment limit, then a note naming how many did
/// not, or, when all fit, the unmanaged list if it fits too.
fn push_within_limit(out: &mut String, blocks: &[String], tail: &str, what: &str) {
    let note_room = 300;
    let budget = MARKDOWN_LIMIT.saturating_sub(out.len() + note_room);
    let mut used = 0;
    let mut shown = 0;
    for block in blocks {
        if used + block.len() > budget {
            break;
        }
        out.push_str(block);
        used += block.len();
        shown += 1;
    }
    if shown < blocks.len() {
        out.push_str(&format!(
            "\n> {} more resource{} not shown here: GitHub comments hold {MARKDOWN_LIMIT} characters. Run `a0ctl {what}` (text or `--format json`) to see them all.\n",
            blocks.len() - shown,
            if blocks.len() - shown == 1 { "" } else { "s" }
        ));
    } else if out.len() + tail.len() <= MARKDOWN_LIMIT {
        out.push_str(tail);
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An apply's report as text: one line per failed or noted call, then the counts.
pub fn report(report: &Report, paint: Paint) -> String {
    let mut out = String::new();
    let applied = report.count(Outcome::Applied);
    let failed = report.count(Outcome::Failed);
    let skipped = report.count(Outcome::NotAttempted);
    for c in &report.calls {
        match c.outcome {
            Outcome::Failed => out.push_str(&format!(
                "{} {} {} ({}): {}\n",
                paint.red("failed:"),
                c.method,
                visible_line(&c.path),
                visible_line(&c.resource),
                visible(c.error.as_deref().unwrap_or("failed"))
            )),
            Outcome::NotAttempted => out.push_str(&format!(
                "{} {} {} ({})\n",
                paint.yellow("not attempted:"),
                c.method,
                visible_line(&c.path),
                visible_line(&c.resource)
            )),
            Outcome::Applied => {}
        }
    }
    let line = if failed == 0 && skipped == 0 {
        format!(
            "Apply complete: {applied} call{} in {:.1}s.",
            if applied == 1 { "" } else { "s" },
            report.took_ms as f64 / 1000.0
        )
    } else {
        format!(
            "Apply incomplete: {applied} applied, {failed} failed, {skipped} not attempted. Fix what failed and run apply again: it continues from the tenant as it is."
        )
    };
    out.push_str(&paint.bold(&line));
    out.push('\n');
    out
}

/// One progress line for a finished call (no terminal: CI logs).
pub fn progress_line(c: &crate::apply::CallReport) -> String {
    let status = c
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".into());
    let took = c.took_ms.unwrap_or(0);
    let mark = match c.outcome {
        Outcome::Applied => "ok",
        Outcome::Failed => "FAILED",
        Outcome::NotAttempted => "skipped",
    };
    let mut line = format!(
        "{mark:>6} {} {} ({}) {status} in {took} ms",
        c.method,
        visible_line(&c.path),
        visible_line(&c.resource)
    );
    if let Some(note) = &c.note {
        line.push_str(&format!(" [{}]", visible_line(note)));
    }
    if let Some(e) = &c.error {
        line.push_str(&format!(": {}", visible_line(e)));
    }
    line
}
