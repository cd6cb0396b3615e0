//! A run's whole outcome as one text, for `insta::assert_snapshot!`:
//!
//! ```text
//! exit: 0
//! --- stdout ---
//! …
//! --- stderr ---
//! …
//! ```
//!
//! with what changes from run to run replaced by placeholders, as uv's test context filters its
//! snapshots: first the exact values a test knows ([`Filters::with`]; [`super::Env::filters`]
//! adds the tenant's address, global client and token), then generated ids, temporary
//! directories, loopback addresses, durations, ages and timestamps. The per-call progress lines an
//! apply prints on stderr finish in whatever order the calls do, so each run of them is sorted.

use std::process::Output;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// A generated value: only a match holding both a capital and a small letter is replaced, so a
/// hex digest or a long word of the same length is kept.
struct Rule {
    re: Regex,
    to: &'static str,
    random_only: bool,
}

fn rule(pattern: &str, to: &'static str) -> Rule {
    Rule {
        re: Regex::new(pattern).expect("filter pattern"),
        to,
        random_only: false,
    }
}

fn random(pattern: &str, to: &'static str) -> Rule {
    Rule {
        random_only: true,
        ..rule(pattern, to)
    }
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let tmp = std::env::temp_dir();
    let tmp = regex::escape(tmp.to_str().unwrap_or("/tmp").trim_end_matches('/'));
    vec![
        // tempfile's directories: `/tmp/.tmpAbC123`.
        rule(&format!(r"(?:/private)?{tmp}/\.tmp[A-Za-z0-9]+"), "[TEMP]"),
        rule(&regex::escape(env!("CARGO_MANIFEST_DIR")), "[REPO]"),
        // Emulators and hostile tenants on 127.0.0.1:0 (not `localhost:3000` in a manifest).
        rule(r"https?://127\.0\.0\.1:\d+", "[URL]"),
        // The emulator's ids: connections and rules; client secrets (64), tokens (48), client
        // ids and tickets (32).
        rule(r"\bcon_[A-Za-z0-9]{16}\b", "[CONNECTION_ID]"),
        rule(r"\brul_[A-Za-z0-9]{16}\b", "[RULE_ID]"),
        random(r"\b[A-Za-z0-9]{64}\b", "[SECRET]"),
        random(r"\b[A-Za-z0-9]{48}\b", "[TOKEN]"),
        random(r"\b[A-Za-z0-9]{32}\b", "[CLIENT_ID]"),
        // Durations: a call's `in 12 ms`, an apply's `in 0.3s`, a report's `"took_ms": 12`.
        rule(r"\bin \d+ ms\b", "in [TIME]"),
        rule(r"\bin \d+\.\d+s\b", "in [TIME]"),
        rule(r#""took_ms": ?\d+"#, r#""took_ms": [TIME]"#),
        // A lease's age and remaining time, in seconds.
        rule(r"\bsince \d+ s ago\b", "since [N] s ago"),
        rule(r"\bexpires in \d+ s\b", "expires in [N] s"),
        rule(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",
            "[TIMESTAMP]",
        ),
    ]
});

/// A call's progress line on stderr: `    ok POST /api/rules (rule/a) 200 in 3 ms`.
static PROGRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ *(?:ok|FAILED|skipped) [A-Z]+ /").expect("progress pattern"));

/// Placeholders for what changes from run to run; [`Filters::new`] holds the generic ones.
pub struct Filters {
    known: Vec<(String, String)>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters::new()
    }
}

impl Filters {
    pub fn new() -> Filters {
        Filters { known: Vec::new() }
    }

    /// Replace every occurrence of `value` by `placeholder` (before the generic filters; longer
    /// values first). An empty value is ignored.
    pub fn with(mut self, value: impl AsRef<str>, placeholder: &str) -> Filters {
        let value = value.as_ref();
        if !value.is_empty() {
            self.known
                .push((value.to_string(), placeholder.to_string()));
            self.known.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        }
        self
    }

    /// `text` with the known values, then the generic ones, replaced.
    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (value, placeholder) in &self.known {
            text = text.replace(value, placeholder);
        }
        for r in RULES.iter() {
            text =
                r.re.replace_all(&text, |c: &Captures| {
                    let m = &c[0];
                    let random = m.chars().any(|ch| ch.is_ascii_uppercase())
                        && m.chars().any(|ch| ch.is_ascii_lowercase());
                    if r.random_only && !random {
                        m.to_string()
                    } else {
                        r.to.to_string()
                    }
                })
                .into_owned();
        }
        text
    }

    /// The whole outcome of a run: its exit code, stdout and stderr, filtered, with each run of
    /// progress lines on stderr sorted.
    pub fn outcome(&self, o: &Output) -> String {
        let code = o
            .status
            .code()
            .map_or_else(|| "killed by a signal".to_string(), |c| c.to_string());
        let stdout = ended(self.apply(&String::from_utf8_lossy(&o.stdout)));
        let stderr = sort_progress(&ended(self.apply(&String::from_utf8_lossy(&o.stderr))));
        format!("exit: {code}\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}")
    }
}

/// The whole outcome of a run with the generic filters only (no tenant to name).
pub fn outcome(o: &Output) -> String {
    Filters::new().outcome(o)
}

/// A non-empty text ends with a newline (so the next section starts on its own line).
fn ended(mut text: String) -> String {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Each run of consecutive progress lines, sorted (calls in flight at once finish in any order).
fn sort_progress(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for line in text.split_inclusive('\n') {
        if PROGRESS.is_match(line) {
            run.push(line);
            continue;
        }
        run.sort_unstable();
        out.append(&mut run);
        out.push(line);
    }
    run.sort_unstable();
    out.append(&mut run);
    out.concat()
}
