//! Diagnostics and error rendering, in one place: located manifest problems print as
//! `file:line:column: message`; every other failure prints as `error: …`, `  caused by: …`,
//! `hint: …`, readable without colour and coloured only on a terminal without `NO_COLOR`.

use std::borrow::Cow;
use std::io::IsTerminal;

use crate::error::Problem;

pub use crate::error::{Diagnostic, Hinted, InvalidManifests, Refused, plural};

/// Build an error with a hint.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> crate::error::Error {
    Hinted {
        message: message.into(),
        hint: hint.into(),
    }
    .into()
}

/// Whether to colour output written to stderr (`stderr = true`) or stdout.
pub fn color_enabled(stderr: bool) -> bool {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    }
}

/// ANSI styles, or nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn red(self, s: &str) -> String {
        self.wrap("31", s)
    }
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub fn cyan(self, s: &str) -> String {
        self.wrap("36", s)
    }
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
}

static STDERR_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Write `text` on stderr. A stderr that cannot be written (a closed pipe: `2>&1 | head -1`) is
/// remembered, never a panic: [`stderr_closed`] tells a long run to stop starting work.
pub fn to_stderr(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    if err
        .write_all(text.as_bytes())
        .and_then(|()| err.flush())
        .is_err()
    {
        STDERR_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A line on stderr, through [`to_stderr`].
pub fn say(line: impl std::fmt::Display) {
    to_stderr(&format!("{line}\n"));
}

/// Whether a write to stderr has failed: whoever reads our output has gone.
pub fn stderr_closed() -> bool {
    STDERR_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Controls, and the format characters that reorder or break a line as it is displayed
/// (bidirectional marks, overrides and isolates, line and paragraph separators).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// A value written as JSON for display, with every invisible character (`\u202e`, …) written as
/// a JSON escape: what it reads as is still the value, and nothing in it reorders the line.
pub fn visible_json(v: &serde_json::Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    if !text.chars().any(invisible) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if invisible(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn escaped(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let hidden = |c: char| invisible(c) && !keep(c);
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text from a manifest or a tenant, shown on one line: every control character (`\r`, `\n`,
/// ESC, NUL, …) written as an escape, so a name cannot move the cursor, erase a line or fake
/// one.
pub fn visible_line(s: &str) -> Cow<'_, str> {
    escaped(s, |_| false)
}

/// Multi-line text (a message, a script's lines): control characters other than newlines and
/// tabs written as escapes.
pub fn visible(s: &str) -> Cow<'_, str> {
    escaped(s, |c| c == '\n' || c == '\t')
}

/// The boundary error types a chain may hold, as problems (their hints and exit codes).
fn as_problem<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a dyn Problem> {
    use crate::error::call::CallError;
    use crate::error::reconcile::{CycleError, DiffError};
    if let Some(p) = e.downcast_ref::<crate::error::Error>() {
        return Some(p);
    }
    if let Some(p) = e.downcast_ref::<Hinted>() {
        return Some(p);
    }
    if let Some(p) = e.downcast_ref::<Refused>() {
        return Some(p);
    }
    if let Some(p) = e.downcast_ref::<CallError>() {
        return Some(p);
    }
    if let Some(p) = e.downcast_ref::<DiffError>() {
        return Some(p);
    }
    if let Some(p) = e.downcast_ref::<CycleError>() {
        return Some(p);
    }
    e.downcast_ref::<InvalidManifests>()
        .map(|p| p as &dyn Problem)
}

fn chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

/// Render a top-level error: located diagnostics first, then `error:`, causes and hints. Every
/// message is scrubbed of the secrets this process knows and shown with control characters
/// escaped.
pub fn render_error(err: &(dyn std::error::Error + 'static), paint: Paint) -> String {
    let redactor = crate::secret::redactor();
    let clean = |t: &str| visible(&redactor.scrub_message(t)).into_owned();
    let mut out = String::new();
    let manifests = chain(err).find_map(|e| {
        e.downcast_ref::<InvalidManifests>().or_else(|| {
            match e.downcast_ref::<crate::error::Error>() {
                Some(crate::error::Error::Manifests(m)) => Some(m),
                _ => None,
            }
        })
    });
    if let Some(InvalidManifests(diags)) = manifests {
        for d in diags {
            out.push_str(&clean(&format!("{d}\n")));
        }
    }
    out.push_str(&format!(
        "{} {}\n",
        paint.red(&paint.bold("error:")),
        clean(&err.to_string())
    ));
    let mut hints: Vec<String> = Vec::new();
    for hint in chain(err).filter_map(|e| as_problem(e)?.hint()) {
        if !hints.contains(&hint) {
            hints.push(hint);
        }
    }
    let mut seen = err.to_string();
    for cause in chain(err).skip(1) {
        let text = cause.to_string();
        if seen.contains(&text) {
            continue;
        }
        out.push_str(&format!("  caused by: {}\n", clean(&text)));
        seen.push_str(&text);
    }
    for hint in hints {
        out.push_str(&format!("{} {}\n", paint.cyan("hint:"), clean(&hint)));
    }
    out
}

/// The exit code an error maps to: 3 for a refusal by a safety gate, 1 otherwise.
pub fn exit_code(err: &(dyn std::error::Error + 'static)) -> u8 {
    chain(err)
        .filter_map(as_problem)
        .map(|p| p.exit_code())
        .max()
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(visible_line("a\rb\x1b[2K\0\n"), "a\\rb\\u{1b}[2K\\u{0}\\n");
        assert_eq!(visible("line\r\nnext\tx"), "line\\r\nnext\tx");
        assert!(matches!(visible_line("plain"), Cow::Borrowed(_)));
        assert_eq!(visible("a\u{202e}b\u{2028}c"), "a\\u{202e}b\\u{2028}c");
    }

    #[test]
    fn errors_render_with_causes_and_hints() {
        let err = crate::error::Error::Emulator {
            doing: "cannot reach the tenant".into(),
            source: Box::new(Hinted {
                message: "token request refused".into(),
                hint: "check AUTH0_CLIENT_SECRET".into(),
            }),
        };
        assert_eq!(
            render_error(&err, Paint(false)),
            "error: cannot reach the tenant\n  caused by: token request refused\nhint: check AUTH0_CLIENT_SECRET\n"
        );
        assert_eq!(exit_code(&err), 1);
        let refused: crate::error::Error = Refused {
            message: "stale plan".into(),
            hint: "plan again".into(),
        }
        .into();
        assert_eq!(exit_code(&refused), 3);
        // Through anyhow, as the cli holds it.
        let wrapped = anyhow::Error::from(refused);
        assert_eq!(exit_code(wrapped.as_ref()), 3);
    }
}
