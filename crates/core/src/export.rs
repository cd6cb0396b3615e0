//! `export`: the live tenant written as manifests a person would have written, one file per kind
//! (`connections.yaml`, `clients.yaml`, `rules.yaml`, `emails.yaml`), rule scripts in
//! `rules/<name>.js`, email bodies in `emails/<template>.html`, and the schema beside them for
//! the editor modeline. Deterministic: the same tenant gives byte-identical files. Secret
//! connection options become `${A0_…}` references; their values are never written. The global
//! client is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{Result, io};

pub mod writer;

pub use writer::{Files, Map, SCHEMA_FILE, Writer, unique_file_name, variable_name};

use crate::diag::hinted;
use crate::live::Live;
use crate::manifest::Vars;
use crate::manifest::types::ApiVersion;

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Exported {
    pub files: Vec<PathBuf>,
    /// Files an earlier export wrote that this one no longer does, removed.
    pub removed: Vec<PathBuf>,
    /// Environment variables the manifests refer to, with what each holds.
    pub variables: BTreeMap<String, String>,
    /// Things a reader should know (left out, ambiguous, …).
    pub warnings: Vec<String>,
    /// How many items each list section holds, by section (what was written, not read: a
    /// prompt's text that is empty is not).
    pub items: BTreeMap<String, usize>,
}

/// Write `live` into `dir` (which must be empty unless `force`).
pub fn export(
    live: &Live,
    api: ApiVersion,
    dir: &Path,
    force: bool,
    vars: &Vars,
) -> Result<Exported> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).map_err(io(format!("cannot read {}", dir.display())))?;
        if entries.next().is_some() && !force {
            return Err(hinted(
                format!("{} is not empty: refusing to overwrite it", dir.display()),
                "choose an empty directory, or pass --force to overwrite the files export writes",
            ));
        }
    }
    let files = render(live, api, vars)?;
    let mut out = Exported {
        variables: files.variables.clone(),
        warnings: files.warnings.clone(),
        items: files.items.clone(),
        ..Exported::default()
    };
    let earlier = written_before(dir);
    // Check every place first, so a refusal writes nothing.
    for rel in files.files.keys().map(String::as_str).chain([RECORD_FILE]) {
        refuse_links(dir, rel)?;
    }
    for (rel, text) in &files.files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io(format!("cannot create {}", parent.display())))?;
        }
        std::fs::write(&path, text).map_err(io(format!("cannot write {}", path.display())))?;
        out.files.push(path);
    }
    // Files an earlier export wrote that this one does not (a deleted rule's script) go; files
    // export never wrote stay.
    for rel in earlier.difference(&files.files.keys().cloned().collect()) {
        let path = dir.join(rel);
        if refuse_links(dir, rel).is_ok() && path.symlink_metadata().is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&path)
                .map_err(io(format!("cannot remove the stale {}", path.display())))?;
            out.removed.push(path);
        }
    }
    let mut list: String = files.files.keys().map(|k| format!("{k}\n")).collect();
    list.insert_str(0, "# Files a0ctl export wrote here; the next export --force removes those it no longer writes.\n");
    let record = dir.join(RECORD_FILE);
    std::fs::write(&record, list).map_err(io(format!("cannot write {}", record.display())))?;
    Ok(out)
}

/// Export writes and removes only inside `dir`: no part of `rel` below it may be a symbolic
/// link (one committed to the tree could point anywhere).
pub fn refuse_links(dir: &Path, rel: &str) -> Result<()> {
    let mut at = dir.to_path_buf();
    for part in Path::new(rel).components() {
        at.push(part);
        if at
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(hinted(
                format!(
                    "{} is a symbolic link: export writes only inside {}; nothing was written",
                    at.display(),
                    dir.display()
                ),
                "remove the link, or export to another directory",
            ));
        }
    }
    Ok(())
}

/// The list of files an export wrote, kept beside them.
pub const RECORD_FILE: &str = ".a0ctl-export";

/// What an earlier export recorded, keeping only plain relative paths inside the directory.
fn written_before(dir: &Path) -> BTreeSet<String> {
    let Ok(text) = crate::fsutil::read_bounded(&dir.join(RECORD_FILE), 1 << 20) else {
        return BTreeSet::new();
    };
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter(|l| {
            Path::new(l)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        })
        .map(str::to_string)
        .collect()
}

pub fn render(live: &Live, api: ApiVersion, vars: &Vars) -> Result<Files> {
    let mut w = Writer::new(api, vars);
    w.file(SCHEMA_FILE, &crate::schema::render());
    let dialect = crate::dialect::for_version(api);
    for spec in crate::kinds::ALL {
        if dialect.kinds().contains(&spec.kind()) {
            spec.export(&mut w, live);
        }
    }
    Ok(w.into_files())
}

#[cfg(test)]
mod tests {
    use super::writer::{list_item, scalar_text};
    use super::*;
    use crate::manifest::yaml;
    use crate::model::Kind;
    use crate::model::Resource;
    use serde_json::Value;

    #[test]
    fn every_exported_file_name_goes_through_the_one_sanitiser() {
        let mut live = Live::default();
        for (kind, name, field) in [
            (Kind::Email, "../../../tmp/evil", "body"),
            (Kind::Rule, "../../escape\u{1b}[2K", "script"),
            (Kind::Rule, "/etc/passwd", "script"),
        ] {
            let mut r = Resource::new(kind, name);
            r.fields_mut()
                .insert(field.into(), Value::String("x".into()));
            live.resources.push(r);
        }
        for api in [ApiVersion::V1, ApiVersion::V2] {
            let files = render(&live, api, &Vars::default()).unwrap();
            for rel in files.files.keys() {
                let path = Path::new(rel);
                assert!(
                    path.components()
                        .all(|c| matches!(c, std::path::Component::Normal(_))),
                    "{rel}"
                );
                assert!(!rel.contains(".."), "{rel}");
                assert!(!rel.chars().any(char::is_control), "{rel:?}");
            }
            assert!(
                files.files.contains_key("emails/tmp-evil.html"),
                "{:?}",
                files.files.keys()
            );
            assert_eq!(
                files
                    .warnings
                    .iter()
                    .filter(|w| w.contains("not a safe file name"))
                    .count(),
                3,
                "{:?}",
                files.warnings
            );
            assert!(
                files.warnings.iter().all(|w| !w.contains('\u{1b}')),
                "{:?}",
                files.warnings
            );
        }
    }

    #[test]
    fn scalars_round_trip() {
        for s in [
            "plain",
            "with space",
            "true",
            "1",
            "1.5",
            "null",
            "~",
            "",
            " lead",
            "a: b",
            "#x",
            "- x",
            "x #y",
            "multi\nline",
            "quote\"d",
            "${VAR}",
            "*",
            "yes",
            "https://x.example.com/cb",
            "0x1F",
            ".inf",
        ] {
            let text = format!("k: {}\n", scalar_text(s));
            let back = yaml::parse(&text).unwrap().unwrap().to_json();
            assert_eq!(back["k"], Value::String(s.to_string()), "{text}");
        }
        assert_eq!(scalar_text("plain"), "plain");
        assert_eq!(scalar_text("true"), "\"true\"");
    }

    #[test]
    fn names() {
        let mut used = BTreeSet::new();
        assert_eq!(
            unique_file_name("add country!", "rule", &mut used),
            "add-country"
        );
        assert_eq!(
            unique_file_name("Add Country", "rule", &mut used),
            "Add-Country-2"
        );
        assert_eq!(unique_file_name("../../etc", "rule", &mut used), "etc");
        assert_eq!(unique_file_name("日本", "rule", &mut used), "rule");
        assert_eq!(unique_file_name("CON", "rule", &mut used), "CON_");
        assert_eq!(unique_file_name("lpt1", "rule", &mut used), "lpt1_");
        assert_eq!(unique_file_name("console", "rule", &mut used), "console");
        assert_eq!(
            variable_name(&["A0", "google-oauth2", "client_secret"]),
            "A0_GOOGLE_OAUTH2_CLIENT_SECRET"
        );
    }

    #[test]
    fn nested_values_emit_as_block_yaml() {
        let v = serde_json::json!({"name": "x", "options": {"scope": ["a", "b"], "nested": {"k": 1}, "empty": {}}, "list": []});
        let text = format!("items:\n{}", list_item(&v, 1));
        let back = yaml::parse(&text).unwrap().unwrap().to_json();
        assert_eq!(back["items"][0], v);
    }
}
