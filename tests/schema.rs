//! The checked-in schema is what the code generates, and the examples point editors at it.

use std::path::Path;

#[test]
fn checked_in_schema_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let on_disk =
        std::fs::read_to_string(root.join(a0ctl::schema::CHECKED_IN_PATH)).unwrap_or_default();
    assert!(
        on_disk == a0ctl::schema::render(),
        "schema/manifest.schema.json is stale: refresh it with\n    cargo run -- schema --out schema/manifest.schema.json"
    );
}

#[test]
fn example_manifests_carry_the_schema_modeline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    let mut todo = vec![root];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // Workflows and var files are not manifests.
                if !path.ends_with("github") && !path.ends_with("env") {
                    todo.push(path);
                }
                continue;
            }
            // Rule tests (`*.test.yaml`) are not manifests; the schema does not describe them.
            let rule_test = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"));
            if !rule_test
                && matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                )
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let first = text.lines().next().unwrap_or_default();
                assert!(
                    first.starts_with("# yaml-language-server: $schema=")
                        && first.ends_with("schema/manifest.schema.json"),
                    "{} lacks the modeline",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 4);
}
