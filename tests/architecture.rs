//! Architecture rules read off the source text: the emulator stands alone (it imports nothing
//! from the client side of the crate), and its modules form no cycle. The helpers are small on
//! purpose: [`imports`] lists what one file names after a prefix (`crate::`, `super::`), and
//! [`module_files`] the files of one top-level module, so a rule about another module's imports is
//! a few lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's modules on the client side of the pipeline (everything but `emulator`).
const CLIENT_SIDE: [&str; 21] = [
    "manifest", "model", "diff", "plan", "api", "live", "apply", "planfile", "render", "export",
    "commands", "tenant", "cli", "schema", "diag", "ruletest", "path", "secret", "fsutil", "lease",
    "scope",
];

/// Source text without `//` comments (doc comments included), so prose is not code.
fn code(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            // `"http://…"` in a string is not a comment: only cut where no quote is open.
            Some(i) if line[..i].matches('"').count() % 2 == 0 => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment of everything `source` names after `prefix`: `crate::model::Resource`
/// gives `model`; `use super::{logs::{self, Entry}, store}` gives `logs` and `store`.
fn imports(source: &str, prefix: &str) -> BTreeSet<String> {
    let text = code(source);
    let mut found = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(prefix) {
        // `prefix` must start a path: not the tail of another identifier (`my_crate::`).
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            found.extend(group_heads(group));
        } else {
            found.insert(identifier(rest));
        }
    }
    found.retain(|s| !s.is_empty() && s != "self");
    found
}

/// The first segment of each item of a `{…}` group (the text after its `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if at_item_start && !c.is_whitespace() => {
                heads.push(identifier(&group[i..]));
                at_item_start = false;
            }
            _ => {}
        }
    }
    heads
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every `.rs` file of the top-level module `name`: `src/name.rs` and everything under
/// `src/name/`.
fn module_files(name: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let file = src.join(format!("{name}.rs"));
    if file.exists() {
        files.push(file);
    }
    walk(&src.join(name), &mut files);
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The crate's top-level modules each file of module `name` imports (`crate::x`, and for
/// `src/name/mod.rs` also `super::x`, which is the crate root there).
fn crate_imports_of(name: &str) -> BTreeMap<PathBuf, BTreeSet<String>> {
    module_files(name)
        .into_iter()
        .map(|path| {
            let source = read(&path);
            let mut found = imports(&source, "crate::");
            if path.ends_with(format!("{name}/mod.rs")) {
                found.extend(imports(&source, "super::"));
            }
            (path, found)
        })
        .collect()
}

/// Client-side modules named by any of these files.
fn client_side_imports(files: &BTreeMap<PathBuf, BTreeSet<String>>) -> Vec<String> {
    files
        .iter()
        .flat_map(|(path, found)| {
            found
                .iter()
                .filter(|m| CLIENT_SIDE.contains(&m.as_str()))
                .map(move |m| format!("{} uses crate::{m}", path.display()))
        })
        .collect()
}

#[test]
fn emulator_stands_alone() {
    let files = crate_imports_of("emulator");
    assert!(files.len() > 10, "{files:?}");
    let wrong = client_side_imports(&files);
    assert!(
        wrong.is_empty(),
        "the emulator must not depend on the client side:\n{}",
        wrong.join("\n")
    );
}

/// The graph of a directory module: for each file but `mod.rs` (the root that wires the others
/// together and holds their shared helpers), the sibling modules it names through `super::x` or
/// `crate::emulator::x`. Re-exports through `mod.rs` are not followed: import from the module.
fn sibling_graph(sources: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(name, source)| {
            let mut found = imports(source, "super::");
            found.extend(imports(source, "crate::emulator::"));
            found.retain(|m| names.contains(m) && m != name);
            (name.clone(), found)
        })
        .collect()
}

/// A cycle of the graph, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn emulator_has_no_module_cycle() {
    let sources: BTreeMap<String, String> = module_files("emulator")
        .into_iter()
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("emulator")))
        .filter(|p| !p.ends_with("mod.rs"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            (name, read(&p))
        })
        .collect();
    let graph = sibling_graph(&sources);
    assert!(
        graph.contains_key("users") && graph.contains_key("store"),
        "{graph:?}"
    );
    assert!(graph["users"].contains("store"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the emulator's modules form a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

/// The helpers see what the rules are about, in the shapes the code uses.
#[test]
fn the_helpers_find_imports_and_cycles() {
    let source = r#"
        //! Mentions crate::model in prose only.
        use super::caller::Caller;
        use super::logs::{self, Entry};
        use super::{ApiError, clients, store::Store};
        use crate::emulator::search;
        fn f() { let _ = crate::diag::hinted("x", "http://a//b"); super::users::find(); }
        use crate::{api::{self, Api}, render};
    "#;
    assert_eq!(
        imports(source, "super::"),
        ["ApiError", "caller", "clients", "logs", "store", "users"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        imports(source, "crate::"),
        ["api", "diag", "emulator", "render"]
            .map(String::from)
            .into()
    );
    let files = BTreeMap::from([(PathBuf::from("x.rs"), imports(source, "crate::"))]);
    assert_eq!(client_side_imports(&files).len(), 3);

    // The shape of the cycles the emulator had: users <-> connections, users <-> logs.
    let old = BTreeMap::from([
        (
            "users".to_string(),
            "use super::connections::{Category, category};\nuse super::logs::{self, Entry};"
                .to_string(),
        ),
        (
            "connections".to_string(),
            "fn d() { super::users::delete_where(tx, \"connection = ?1\", &name)?; }".to_string(),
        ),
        (
            "logs".to_string(),
            "fn f() { super::users::require_user(&app, &id)?; }".to_string(),
        ),
    ]);
    let cycle = find_cycle(&sibling_graph(&old)).expect("a cycle");
    assert!(cycle.contains(&"users".to_string()), "{cycle:?}");
    let acyclic = BTreeMap::from([
        ("users".to_string(), "use super::logs;".to_string()),
        ("logs".to_string(), "use super::search;".to_string()),
        ("search".to_string(), String::new()),
    ]);
    assert_eq!(find_cycle(&sibling_graph(&acyclic)), None);
}

/// The rules sandbox is shared by both sides (`a0ctl test` and the emulator's logins), so it
/// depends on neither: it names nothing else of the crate.
#[test]
fn rules_runtime_is_neutral() {
    let files = crate_imports_of("rules_runtime");
    assert!(files.len() >= 2, "{files:?}");
    let wrong: Vec<String> = files
        .iter()
        .flat_map(|(path, found)| {
            found
                .iter()
                .map(move |m| format!("{} uses crate::{m}", path.display()))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "rules_runtime must import nothing from the crate:\n{}",
        wrong.join("\n")
    );
}

/// The pure stages (and the shared concepts they use) do no I/O of their own: they name no
/// async runtime, HTTP client, database or server crate.
#[test]
fn pure_stages_stay_pure() {
    const IO_CRATES: [&str; 5] = ["tokio", "reqwest", "rusqlite", "axum", "hyper"];
    let mut wrong = Vec::new();
    for module in [
        "manifest", "model", "diff", "plan", "render", "path", "secret", "scope", "dialect",
    ] {
        let files = module_files(module);
        assert!(!files.is_empty(), "{module} has no files");
        for path in files {
            let text = code(&read(&path));
            for krate in IO_CRATES {
                let named = text.match_indices(&format!("{krate}::")).any(|(i, _)| {
                    text[..i]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                });
                if named {
                    wrong.push(format!("{} uses {krate}", path.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "pure stages do I/O:\n{}",
        wrong.join("\n")
    );
}

/// Every path a0ctl sends is built by the API dialect (`src/dialect.rs`): no other client-side
/// file spells one, so a new dialect is one module, not an edit of every stage.
#[test]
fn call_paths_are_built_by_the_dialect() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for module in CLIENT_SIDE {
        for path in module_files(module) {
            if path.ends_with("tests.rs") {
                continue;
            }
            let text = code(&read(&path));
            // Unit tests may spell paths; the code above them may not.
            let body = text.split("#[cfg(test)]").next().unwrap_or_default();
            if body.contains("\"/api/") {
                wrong.push(path.display().to_string());
            }
        }
    }
    assert!(src.join("dialect/mod.rs").exists());
    assert!(
        wrong.is_empty(),
        "these files build API paths outside the dialect:\n{}",
        wrong.join("\n")
    );
}
