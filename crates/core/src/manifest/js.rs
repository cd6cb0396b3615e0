//! Rule scripts parsed as JavaScript (oxc) before anything is sent: a rule that would break every
//! login is caught by `validate`, at its line and column inside the script.
//!
//! Auth0 rules are written as a bare function expression (`function (user, context, callback)
//! {…}`), which is not a valid *program*, so a script passes if it parses either as a program or
//! as a single expression; when both fail, the error that got further is the one reported.

use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;

use super::yaml::{Pos, pos_of_offset};

/// Deepest bracket nesting accepted before parsing: the parser recurses, and a hostile script
/// must not be able to overflow the stack.
const MAX_BRACKET_DEPTH: usize = 512;

/// A syntax error inside a script, at a 1-based line and column of the script text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub pos: Pos,
    pub message: String,
}

/// Scripts longer than this are parsed on a thread with a large stack: the parser recurses on
/// what brackets do not count (`!!!…x`, `a = a = …`), at most once a character, and a short
/// script cannot go deep enough to overflow the caller's stack.
const INLINE_PARSE_BYTES: usize = 2 << 10;
const PARSER_STACK_BYTES: usize = 256 << 20;

/// Check one script's syntax.
pub fn check(source: &str) -> Result<(), ScriptError> {
    if source.len() <= INLINE_PARSE_BYTES {
        return check_here(source);
    }
    let owned = source.to_string();
    std::thread::Builder::new()
        .name("script-check".into())
        .stack_size(PARSER_STACK_BYTES)
        .spawn(move || check_here(&owned))
        .ok()
        .and_then(|h| h.join().ok())
        .unwrap_or_else(|| {
            Err(ScriptError {
                pos: Pos { line: 1, col: 1 },
                message: "the script could not be parsed (nested too deeply)".into(),
            })
        })
}

fn check_here(source: &str) -> Result<(), ScriptError> {
    if source.trim().is_empty() {
        return Err(ScriptError {
            pos: Pos { line: 1, col: 1 },
            message: "nothing to run (the script is empty)".to_string(),
        });
    }
    if let Some(offset) = too_deep(source) {
        return Err(ScriptError {
            pos: pos_of_offset(source, offset),
            message: format!("brackets nested deeper than {MAX_BRACKET_DEPTH} levels"),
        });
    }
    let allocator = Allocator::default();
    let program = Parser::new(&allocator, source, SourceType::script()).parse();
    if program.diagnostics.is_empty() && !program.panicked {
        return Ok(());
    }
    let program_error = first_error(source, program.diagnostics.errors());
    drop(program);
    let expression_error =
        match Parser::new(&allocator, source, SourceType::script()).parse_expression() {
            Ok(_) => return Ok(()),
            Err(diagnostics) => first_error(source, diagnostics.errors()),
        };
    let (offset, message) = match (program_error, expression_error) {
        (Some(p), Some(e)) => {
            if e.0 > p.0 {
                e
            } else {
                p
            }
        }
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => (0, "invalid JavaScript".to_string()),
    };
    Err(ScriptError {
        pos: pos_of_offset(source, offset),
        message,
    })
}

fn first_error<'a>(
    source: &str,
    errors: impl Iterator<Item = &'a oxc_diagnostics::OxcDiagnostic>,
) -> Option<(usize, String)> {
    errors
        .map(|d| {
            let offset = d.labels.first().map_or(0, |l| l.offset() as usize);
            let mut message = d.message.to_string();
            if let Some(help) = &d.help {
                message.push_str(&format!(" ({help})"));
            }
            (offset.min(source.len()), message)
        })
        .min_by_key(|(offset, _)| *offset)
}

/// Offset where bracket nesting first exceeds the limit (strings and comments included: a
/// conservative over-estimate is fine at this depth).
fn too_deep(source: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in source.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nesting that no bracket counts (a run of `!`, chained assignments) is parsed, not a
    /// crash of the stack (it aborted `validate` before).
    #[test]
    fn nesting_without_brackets_is_checked_not_a_crash() {
        let bangs = format!(
            "function (user, context, callback) {{ var x = {}true; callback(null, user, context); }}",
            "!".repeat(200_000)
        );
        assert_eq!(check(&bangs), Ok(()));
        let chain = format!("var x; {}1;", "x = ".repeat(50_000));
        assert_eq!(check(&chain), Ok(()));
    }

    #[test]
    fn rule_shapes_parse() {
        for ok in [
            "function (user, context, callback) {\n  callback(null, user, context);\n}\n",
            "function addCountry(user, context, callback) { callback(null, user, context); }",
            "async function (user, context, callback) { await 1; callback(null, user, context); }",
            "(user, context, callback) => callback(null, user, context)",
            "function (u, c, cb) { const s = `${u.name}`; cb(null, u, c); }",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn errors_point_inside_the_script() {
        let e = check("function (user, context, callback) {\n  var x = ;\n  callback(null, user, context);\n}\n")
            .unwrap_err();
        assert_eq!(e.pos, Pos { line: 2, col: 11 }, "{e:?}");
        let e = check("function named(user) {\n  if (user {\n}\n").unwrap_err();
        assert_eq!(e.pos.line, 2, "{e:?}");
        assert!(check("   ").unwrap_err().message.contains("empty"));
    }

    #[test]
    fn hostile_nesting_is_refused_without_recursion() {
        let deep = "(".repeat(100_000);
        let e = check(&deep).unwrap_err();
        assert!(e.message.contains("nested deeper"));
    }
}
