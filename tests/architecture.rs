//! Architecture rules. The crates split the house by concern and the compiler holds the split:
//! the pure core (`a0ctl-core`) depends on no runtime, HTTP client, database or server; the
//! emulator (`a0ctl-emulator`) and the rules sandbox (`a0ctl-sandbox`) depend on no client crate
//! (read off `cargo tree`). Read off the source text: the client side's files (core, client and
//! the binary's crate) import in no circle, the core names no kind, only the dialect builds call
//! paths, and the emulator's modules form no cycle. The helpers are small on purpose:
//! [`imports`] lists what one file names after a prefix, [`paths_after`] the whole paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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
    paths_after(source, prefix)
        .into_iter()
        .filter_map(|p| p.into_iter().next())
        .filter(|s| s != "self")
        .collect()
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The workspace's root (the `a0ctl` crate's directory).
fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The packages `package` depends on to build (not its tests' nor its build scripts'), by name,
/// as Cargo resolves them.
fn dependencies_of(package: &str) -> BTreeSet<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "-p", package, "--manifest-path"])
        .arg(workspace().join("Cargo.toml"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_string)
        .collect()
}

/// The crates of the client side (they may depend on the core and on each other, downwards).
const CLIENT_CRATES: [&str; 3] = ["a0ctl-core", "a0ctl-client", "a0ctl"];

#[test]
fn emulator_stands_alone() {
    let deps = dependencies_of("a0ctl-emulator");
    assert!(
        deps.contains("rusqlite") && deps.contains("a0ctl-sandbox"),
        "{deps:?}"
    );
    let wrong: Vec<&str> = CLIENT_CRATES
        .into_iter()
        .filter(|c| deps.contains(*c))
        .collect();
    assert!(
        wrong.is_empty(),
        "the emulator must not depend on the client side: {wrong:?}"
    );
}

/// The rules sandbox is shared by both sides (`a0ctl test` and the emulator's logins), so it
/// depends on neither: on no other crate of the workspace.
#[test]
fn rules_runtime_is_neutral() {
    let deps = dependencies_of("a0ctl-sandbox");
    assert!(deps.contains("rquickjs"), "{deps:?}");
    let ours: Vec<&String> = deps.iter().filter(|d| d.starts_with("a0ctl")).collect();
    assert!(ours.is_empty(), "the sandbox depends on {ours:?}");
}

/// The pure stages (the core crate, and the shared concepts it holds) do no I/O of their own:
/// nothing they build on is an async runtime, an HTTP client, a database or a server.
#[test]
fn pure_stages_stay_pure() {
    const IO_CRATES: [&str; 7] = [
        "tokio", "mio", "reqwest", "hyper", "rusqlite", "axum", "rquickjs",
    ];
    let deps = dependencies_of("a0ctl-core");
    assert!(
        deps.contains("serde_json") && deps.contains("jsonschema"),
        "{deps:?}"
    );
    let wrong: Vec<&str> = IO_CRATES
        .into_iter()
        .filter(|c| deps.contains(*c))
        .collect();
    assert!(wrong.is_empty(), "the pure core builds on {wrong:?}");
    let client = dependencies_of("a0ctl-client");
    assert!(
        client.contains("a0ctl-core") && client.contains("reqwest"),
        "{client:?}"
    );
    assert!(!client.contains("a0ctl-emulator"), "{client:?}");
}

/// The graph of a crate's top-level modules: for each file but the root (`lib.rs`, which wires
/// the others together and holds their shared helpers), the sibling modules it names through
/// `super::x` or `crate::x`. Re-exports through the root are not followed: import from the module.
fn sibling_graph(sources: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(name, source)| {
            let mut found = imports(source, "super::");
            found.extend(imports(source, "crate::"));
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
    let src = workspace().join("crates/emulator/src");
    let sources: BTreeMap<String, String> = rust_files(&src)
        .into_iter()
        .filter(|p| p.parent() == Some(src.as_path()))
        .filter(|p| !p.ends_with("lib.rs"))
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
        use crate::search;
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
        ["api", "diag", "render", "search"].map(String::from).into()
    );

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

/// Every path a0ctl sends is built by the API dialect (`src/dialect.rs`): no other client-side
/// file spells one, so a new dialect is one module, not an edit of every stage.
#[test]
fn call_paths_are_built_by_the_dialect() {
    let mut wrong = Vec::new();
    for (root, _) in client_side_roots() {
        for path in rust_files(&root) {
            if path.ends_with("tests.rs") {
                continue;
            }
            // A kind's facts declare its collection on each API (`wire::Wire::collection`).
            if path.ends_with("facts.rs")
                && path
                    .parent()
                    .is_some_and(|d| d.parent().is_some_and(|k| k.ends_with("kinds")))
            {
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
    assert!(workspace().join("crates/core/src/dialect/mod.rs").exists());
    assert!(
        wrong.is_empty(),
        "these files build API paths outside the dialect:\n{}",
        wrong.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The client side's files form no import circle.
//
// The graph: a node per file of a client-side crate (tests and `#[cfg(test)]` code left out); an
// edge from a file to every file it names a path into (`crate::a::b::C` names the deepest of
// `a/b.rs`, `a/b/mod.rs`, `a.rs`, `a/mod.rs` that exists; `super::` and `self::` are resolved
// from the file's own module; a module root's bare `child::` names its child). A module's root
// may use its children (it composes them); a child that named its root back would close a circle,
// so children import their siblings, never their root.

/// The module path of a file under `root` (`a/b.rs` and `a/b/mod.rs` are `["a", "b"]`; the
/// crate root `lib.rs` or `main.rs` is `[]`).
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file
        .strip_prefix(root)
        .expect("a file under its crate root");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file that holds module `path` (or its deepest ancestor that has a file of its own).
fn file_of(root: &Path, path: &[String]) -> Option<PathBuf> {
    for len in (0..=path.len()).rev() {
        let dir: PathBuf = path[..len].iter().collect();
        let candidates = if len == 0 {
            vec![root.join("lib.rs"), root.join("main.rs")]
        } else {
            vec![
                root.join(&dir).with_extension("rs"),
                root.join(&dir).join("mod.rs"),
            ]
        };
        if let Some(found) = candidates.into_iter().find(|c| c.exists()) {
            return Some(found);
        }
    }
    None
}

/// Every path `source` spells after `prefix`, as its segments, groups expanded:
/// `crate::{a::{self, B}, c}` gives `[a, self]`, `[a, B]`, `[c]`.
fn paths_after(source: &str, prefix: &str) -> Vec<Vec<String>> {
    fn path_at(text: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
        let mut segs = base;
        let mut i = 0;
        loop {
            let rest = &text[i..];
            let trimmed = rest.trim_start();
            i += rest.len() - trimmed.len();
            if let Some(group) = trimmed.strip_prefix('{') {
                i += 1;
                let mut consumed = 0;
                loop {
                    let g = &group[consumed..];
                    let t = g.trim_start();
                    consumed += g.len() - t.len();
                    if t.starts_with('}') || t.is_empty() {
                        consumed += 1;
                        break;
                    }
                    consumed += path_at(&group[consumed..], segs.clone(), out);
                    let g = &group[consumed..];
                    let t = g.trim_start();
                    consumed += g.len() - t.len();
                    if t.starts_with(',') {
                        consumed += 1;
                    }
                }
                return i + consumed;
            }
            let ident = identifier(trimmed);
            if ident.is_empty() {
                if !segs.is_empty() {
                    out.push(segs);
                }
                return i;
            }
            i += ident.len();
            segs.push(ident);
            if text[i..].starts_with("::") {
                i += 2;
            } else {
                out.push(segs);
                // `a::b as c`: the alias names nothing.
                let rest = &text[i..];
                if let Some(alias) = rest.trim_start().strip_prefix("as ") {
                    let name = identifier(alias.trim_start());
                    let skipped = rest.len() - alias.trim_start().len() + name.len();
                    return i + skipped;
                }
                return i;
            }
        }
    }
    let text = code(source);
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(prefix) {
        let start = at + found;
        let before = text[..start].chars().next_back();
        at = start + prefix.len();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        at += path_at(&text[at..], Vec::new(), &mut out);
    }
    out
}

/// The code of a file that the build of the crate (not its tests) sees.
fn built_code(path: &Path) -> String {
    let text = read(path);
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
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
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
}

/// The file graph of the crate at `root`, but the files under `skip` (module names).
fn file_graph(root: &Path, skip: &[&str]) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let files: Vec<PathBuf> = rust_files(root)
        .into_iter()
        .filter(|f| !f.ends_with("tests.rs"))
        .filter(|f| {
            let m = module_of(root, f);
            !m.first().is_some_and(|top| skip.contains(&top.as_str()))
        })
        .collect();
    files
        .iter()
        .map(|file| {
            let source = built_code(file);
            let here = module_of(root, file);
            let is_root = file.ends_with("mod.rs") || file.ends_with("lib.rs");
            // `super::` of `a/b.rs` (module a::b) is module `a`.
            let parent: Vec<String> = here[..here.len().saturating_sub(1)].to_vec();
            let mut named: Vec<Vec<String>> = paths_after(&source, "crate::");
            for p in paths_after(&source, "super::") {
                named.push(parent.iter().cloned().chain(p).collect());
            }
            for p in paths_after(&source, "self::") {
                named.push(here.iter().cloned().chain(p).collect());
            }
            if is_root
                || file
                    .parent()
                    .is_some_and(|d| d.join(file.file_stem().unwrap()).is_dir())
            {
                // A module root's children, named bare (`use types::X`).
                let dir = if is_root {
                    file.parent().unwrap().to_path_buf()
                } else {
                    file.with_extension("")
                };
                for child in rust_files(&dir)
                    .iter()
                    .filter(|c| c.parent() == Some(dir.as_path()) || c.ends_with("mod.rs"))
                    .filter_map(|c| module_of(root, c).last().cloned())
                {
                    for p in paths_after(&source, &format!("{child}::")) {
                        named.push(
                            here.iter()
                                .cloned()
                                .chain(std::iter::once(child.clone()))
                                .chain(p)
                                .collect(),
                        );
                    }
                }
            }
            let targets = named
                .iter()
                .filter_map(|p| file_of(root, p))
                .filter(|t| t != file && files.contains(t))
                .collect();
            (file.clone(), targets)
        })
        .collect()
}

/// A cycle of a file graph, if there is one.
fn file_cycle(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<String>> {
    let named: BTreeMap<String, BTreeSet<String>> = graph
        .iter()
        .map(|(k, v)| {
            (
                k.display().to_string(),
                v.iter().map(|p| p.display().to_string()).collect(),
            )
        })
        .collect();
    find_cycle(&named)
}

/// The client-side crates' source roots, and the modules of each that are not client side.
fn client_side_roots() -> Vec<(PathBuf, Vec<&'static str>)> {
    ["crates/core/src", "crates/client/src", "src"]
        .into_iter()
        .map(|dir| (workspace().join(dir), Vec::new()))
        .collect()
}

#[test]
fn the_client_side_has_no_import_circle() {
    let mut seen = 0;
    for (root, skip) in client_side_roots() {
        let graph = file_graph(&root, &skip);
        seen += graph.len();
        if let Some(cycle) = file_cycle(&graph) {
            panic!(
                "the client side imports in a circle:\n{}",
                cycle.join("\n  -> ")
            );
        }
        if !root.ends_with("core/src") {
            continue;
        }
        // The graph sees what the code names: the kinds' modules name the plan's builder, which
        // names the dialect; the registry names each kind's facts.
        let edge = |from: &str, to: &str| {
            graph
                .get(&root.join(from))
                .is_some_and(|t| t.contains(&root.join(to)))
        };
        assert!(edge("kinds/client/mod.rs", "plan/builder.rs"), "{graph:#?}");
        assert!(edge("kind/mod.rs", "kinds/client/facts.rs"), "{graph:#?}");
        assert!(edge("plan/builder.rs", "dialect/mod.rs"), "{graph:#?}");
        assert!(edge("manifest/mod.rs", "manifest/types.rs"), "{graph:#?}");
    }
    assert!(seen > 50, "{seen} files");
}

/// The graph's reading of paths, in the shapes the code uses, and a circle it must see.
#[test]
fn the_file_graph_reads_paths_and_finds_circles() {
    assert_eq!(
        paths_after(
            "use crate::{a::{self, B}, c};\nfn f() { crate::d::e(); }",
            "crate::"
        ),
        vec![
            vec!["a".to_string(), "self".into()],
            vec!["a".into(), "B".into()],
            vec!["c".into()],
            vec!["d".into(), "e".into()],
        ]
    );
    let dir = std::env::temp_dir().join(format!("a0ctl-arch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("lib.rs", "pub mod a;\npub mod b;\n");
    write("a/mod.rs", "mod x;\npub use x::X;\n");
    write("a/x.rs", "use crate::b::B;\npub struct X;\n");
    write(
        "b.rs",
        "pub struct B;\n#[cfg(test)]\nmod t { use crate::a::X; }\n",
    );
    let acyclic = file_graph(&dir, &[]);
    assert!(acyclic[&dir.join("a/mod.rs")].contains(&dir.join("a/x.rs")));
    assert_eq!(file_cycle(&acyclic), None, "{acyclic:#?}");
    // b names a's root, whose child names b: a circle through a module's root.
    write("b.rs", "pub struct B;\nfn f() -> crate::a::X { todo!() }\n");
    let cyclic = file_graph(&dir, &[]);
    let cycle = file_cycle(&cyclic).expect("a circle");
    assert!(cycle.iter().any(|f| f.ends_with("a/x.rs")), "{cycle:?}");
    // A child that names its root back.
    write("b.rs", "pub struct B;\n");
    write("a/x.rs", "use super::X as Y;\npub struct X;\n");
    assert!(file_cycle(&file_graph(&dir, &[])).is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The core names no kind: outside the kinds' own modules (and tests), no `Kind::Variant`.
#[test]
fn the_core_names_no_kind() {
    let mut wrong = Vec::new();
    for (root, skip) in client_side_roots() {
        for file in rust_files(&root) {
            let m = module_of(&root, &file);
            let top = m.first().map(String::as_str).unwrap_or_default();
            if skip.contains(&top) || top == "kinds" || file.ends_with("tests.rs") {
                continue;
            }
            let text = code(&built_code(&file));
            for (i, _) in text.match_indices("Kind::") {
                let before = text[..i].chars().next_back();
                let after = text[i + 6..].chars().next();
                let is_kind = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                if is_kind && after.is_some_and(|c| c.is_ascii_uppercase()) {
                    wrong.push(format!(
                        "{}: {}",
                        file.display(),
                        &text[i..(i + 24).min(text.len())]
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the core names kinds:\n{}",
        wrong.join("\n")
    );
}

/// Outside the kinds' modules and the dialects (which speak the wire), no code on the client
/// side reads a section or a reference field by its name: they are the kinds' facts
/// (`Facts::section`, `Reference::field`), which the loader, the diff and the plan ask for.
#[test]
fn the_core_reads_no_section_by_name() {
    // A section or a reference field where it is read, written, compared or matched by name
    // (the name alone, `tenant` or `client`, is also a plain word of messages).
    let mut names: Vec<String> = Vec::new();
    for k in a0ctl::kind::Kind::all() {
        let fields = k.references().iter().map(|r| r.field);
        for name in std::iter::once(k.section()).chain(fields) {
            for op in ["get", "contains_key", "remove", "insert", "entry"] {
                names.push(format!("{op}(\"{name}\""));
            }
            names.push(format!("!= \"{name}\""));
            names.push(format!("== \"{name}\""));
            names.push(format!("\"{name}\" =>"));
            names.push(format!("\"{name}\" |"));
        }
    }
    let mut wrong = Vec::new();
    for (root, _) in client_side_roots() {
        for file in rust_files(&root) {
            let m = module_of(&root, &file);
            let top = m.first().map(String::as_str).unwrap_or_default();
            if ["kinds", "dialect"].contains(&top) || file.ends_with("tests.rs") {
                continue;
            }
            let text = code(&built_code(&file));
            for name in &names {
                if text.contains(name.as_str()) {
                    wrong.push(format!("{}: {name}", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the core reads sections by name:\n{}",
        wrong.join("\n")
    );
}

/// Every crate of the workspace is on one side of these rules: the client side
/// ([`CLIENT_CRATES`], whose files `the_client_side_has_no_import_circle` reads), the emulator,
/// or the rules sandbox; a new crate must be placed here.
#[test]
fn every_module_is_covered() {
    let crates: BTreeSet<String> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        crates,
        ["client", "core", "emulator", "sandbox"]
            .map(String::from)
            .into()
    );
    let roots: Vec<PathBuf> = client_side_roots().into_iter().map(|(r, _)| r).collect();
    for krate in ["client", "core"] {
        assert!(roots.contains(&workspace().join(format!("crates/{krate}/src"))));
    }
    assert!(roots.contains(&workspace().join("src")));
}
