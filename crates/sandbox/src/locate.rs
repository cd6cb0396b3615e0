//! Precise error positions. QuickJS records a source position only at calls, `new`, binary
//! operators, `throw` and expression statements, so an error inside `const roles =
//! user.app_metadata.roles;` would otherwise be reported at the last such place (often the
//! function's first line). Before a script runs, a marker `0;` (an expression statement, which
//! records its place and compiles to nothing else) is put before every other kind of statement,
//! on the same line; a position QuickJS reports is then mapped back through the markers.
//!
//! The script is parsed with oxc on a thread of its own with a large stack, and only when it is
//! small (rules are a few KiB), so no script can overflow a stack here.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use oxc_allocator::Allocator;
use oxc_ast::ast::Statement;
use oxc_ast_visit::Visit;
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};

use super::ScriptPos;

const MARK: &str = "0;";
/// Larger scripts run as written (positions may then be coarser).
const MAX_INSTRUMENTED_BYTES: usize = 32 << 10;
const PARSER_STACK_BYTES: usize = 256 << 20;

/// A script with markers, and where they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrumented {
    pub text: String,
    /// `(line, column)` (1-based, in `text`) where each marker starts, in order.
    marks: Vec<(u32, u32)>,
}

impl Instrumented {
    /// The script as written, when it cannot be instrumented.
    fn plain(script: &str) -> Instrumented {
        Instrumented {
            text: script.to_string(),
            marks: Vec::new(),
        }
    }

    /// A position in `text` as a position in the script as written.
    pub fn original(&self, p: ScriptPos) -> ScriptPos {
        let len = MARK.chars().count() as u32;
        let mut shift = 0;
        for &(line, col) in self.marks.iter().filter(|(l, _)| *l == p.line) {
            if p.col < col {
                break;
            }
            if p.col < col.saturating_add(len) {
                // Inside a marker: the statement that follows it.
                return ScriptPos {
                    line,
                    col: col.saturating_sub(shift).max(1),
                };
            }
            shift += len;
        }
        ScriptPos {
            line: p.line,
            col: p.col.saturating_sub(shift).max(1),
        }
    }
}

/// Scripts already instrumented: a test suite or an emulator runs the same few rules again and
/// again. Cleared when it holds too many.
static CACHE: LazyLock<Mutex<HashMap<String, Arc<Instrumented>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
const MAX_CACHED: usize = 512;

/// Put markers before the statements of `script` (a function expression or a program).
pub fn instrument(script: &str) -> Arc<Instrumented> {
    let cached = CACHE
        .lock()
        .ok()
        .and_then(|cache| cache.get(script).cloned());
    if let Some(hit) = cached {
        return hit;
    }
    let done = Arc::new(instrument_uncached(script));
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(script.to_string(), done.clone());
    }
    done
}

fn instrument_uncached(script: &str) -> Instrumented {
    if script.len() > MAX_INSTRUMENTED_BYTES || too_deep(script) {
        return Instrumented::plain(script);
    }
    let owned = script.to_string();
    let parsed = std::thread::Builder::new()
        .name("rule-locate".into())
        .stack_size(PARSER_STACK_BYTES)
        .spawn(move || statement_starts(&owned))
        .ok()
        .and_then(|h| h.join().ok())
        .flatten();
    match parsed {
        Some(offsets) => insert(script, &offsets),
        None => Instrumented::plain(script),
    }
}

/// Byte offsets of the statements that need a marker, sorted; `None` when it does not parse.
fn statement_starts(script: &str) -> Option<Vec<usize>> {
    let allocator = Allocator::default();
    let mut starts = Starts(Vec::new());
    match Parser::new(&allocator, script, SourceType::script()).parse_expression() {
        Ok(expr) => starts.visit_expression(&expr),
        Err(_) => {
            let program = Parser::new(&allocator, script, SourceType::script()).parse();
            if program.panicked || !program.diagnostics.is_empty() {
                return None;
            }
            starts.visit_program(&program.program);
        }
    }
    let mut offsets = starts.0;
    offsets.sort_unstable();
    offsets.dedup();
    Some(offsets)
}

struct Starts(Vec<usize>);

impl<'a> Visit<'a> for Starts {
    fn visit_statements(&mut self, it: &oxc_allocator::Vec<'a, Statement<'a>>) {
        for s in it {
            // These record their own place; declarations are hoisted anyway.
            let located = matches!(
                s,
                Statement::ExpressionStatement(_)
                    | Statement::ThrowStatement(_)
                    | Statement::FunctionDeclaration(_)
                    | Statement::EmptyStatement(_)
            );
            if !located {
                self.0.push(s.span().start as usize);
            }
        }
        oxc_ast_visit::walk::walk_statements(self, it);
    }
}

fn insert(script: &str, offsets: &[usize]) -> Instrumented {
    let mut text = String::with_capacity(script.len() + offsets.len() * MARK.len());
    let mut marks = Vec::with_capacity(offsets.len());
    let (mut line, mut col) = (1u32, 1u32);
    let mut next = offsets.iter().peekable();
    for (i, c) in script.char_indices() {
        while let Some(&&o) = next.peek().filter(|&&&o| o <= i) {
            if o == i {
                marks.push((line, col));
                text.push_str(MARK);
                col += MARK.chars().count() as u32;
            }
            next.next();
        }
        text.push(c);
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    Instrumented { text, marks }
}

/// Brackets nested past what any rule needs (the parser and the visitor recurse).
fn too_deep(script: &str) -> bool {
    let mut depth = 0usize;
    for b in script.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > 256 {
                    return true;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_go_before_declarations_and_map_back() {
        let script = "function (user, context, callback) {\n  'use strict';\n  const roles = user.app_metadata.roles;\n  if (roles) { callback(null, user, context); }\n}";
        let i = instrument(script);
        assert_eq!(
            i.text,
            "function (user, context, callback) {\n  'use strict';\n  0;const roles = user.app_metadata.roles;\n  0;if (roles) { callback(null, user, context); }\n}"
        );
        // Inside the marker: the declaration's start; after it: shifted back.
        assert_eq!(
            i.original(ScriptPos { line: 3, col: 4 }),
            ScriptPos { line: 3, col: 3 }
        );
        assert_eq!(
            i.original(ScriptPos { line: 4, col: 20 }),
            ScriptPos { line: 4, col: 18 }
        );
        assert_eq!(
            i.original(ScriptPos { line: 1, col: 5 }),
            ScriptPos { line: 1, col: 5 }
        );
    }

    #[test]
    fn what_cannot_be_parsed_or_is_too_big_runs_as_written() {
        for script in [
            "function (u) { var = 1; }".to_string(),
            format!("function (u, c, cb) {{ {} }}", "[".repeat(1000)),
            format!(
                "function (u, c, cb) {{ const x = {}1; }}",
                "1+".repeat(40_000)
            ),
        ] {
            let i = instrument(&script);
            assert_eq!(i.text, script);
            assert_eq!(
                i.original(ScriptPos { line: 1, col: 7 }),
                ScriptPos { line: 1, col: 7 }
            );
        }
    }
}
