//! Variables that are not secrets: `--var NAME=VALUE` and `--var-file FILE` (a YAML or JSON
//! mapping of names to strings, numbers, booleans, lists or objects). `${NAME}` resolves from
//! `--var`, then the var files (a later file wins), then the environment; values from here are
//! shown in plans, values from the environment stay secret. A var file is read with the same
//! located YAML loader as manifests, so a value's problems name the var file's line.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::diag::{Diagnostic, InvalidManifests};
use crate::manifest::yaml::{self, Pos, Val};

/// Largest var file read.
const MAX_VAR_FILE_BYTES: u64 = 4 << 20;

/// One variable's value and where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    pub value: Value,
    /// `--var` or `env/dev.yaml:3:12`.
    pub origin: String,
}

/// The variables of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    values: BTreeMap<String, Var>,
    /// Where variables were looked for, for the message about an unset one.
    sources: Vec<String>,
    /// The var files, resolved, so a directory of manifests does not read them as manifests.
    files: Vec<PathBuf>,
}

impl Vars {
    /// Read var files (in order, a later one wins) and `--var NAME=VALUE`s (which win over
    /// files). Every problem is reported at once, located.
    pub fn load(files: &[PathBuf], vars: &[String]) -> Result<Vars, InvalidManifests> {
        let mut out = Vars::default();
        let mut diags = Vec::new();
        for path in files {
            out.read_file(path, &mut diags);
        }
        for assignment in vars {
            out.assign(assignment, &mut diags);
        }
        out.sources.dedup();
        if diags.is_empty() {
            Ok(out)
        } else {
            diags.sort();
            Err(InvalidManifests(diags))
        }
    }

    /// One var file's variables, each located at its value; its problems into `diags`.
    fn read_file(&mut self, path: &PathBuf, diags: &mut Vec<Diagnostic>) {
        let shown = path.display().to_string();
        self.sources.push(shown.clone());
        self.files
            .push(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()));
        let here = |pos: Pos, message: String| Diagnostic::new(shown.clone(), pos, message);
        let text = match crate::fsutil::read_bounded(path, MAX_VAR_FILE_BYTES)
            .and_then(|b| yaml::decode(&b).map(str::to_string).map_err(|e| e.message))
        {
            Ok(t) => t,
            Err(e) => {
                diags.push(here(Pos { line: 1, col: 1 }, format!("cannot read: {e}")));
                return;
            }
        };
        let root = match yaml::parse(&text) {
            Ok(Some(root)) => root,
            Ok(None) => return,
            Err(e) => {
                diags.push(here(e.pos, e.message));
                return;
            }
        };
        let Val::Map(entries) = &root.value else {
            diags.push(here(
                root.pos,
                "a var file is a mapping of names to values".to_string(),
            ));
            return;
        };
        for entry in entries {
            if !is_name(&entry.key) {
                diags.push(here(
                    entry.key_pos,
                    format!(
                        "`{}` is not a variable name (letters, digits and `_`, not starting with a digit)",
                        entry.key
                    ),
                ));
                continue;
            }
            let pos = entry.value.pos;
            self.values.insert(
                entry.key.clone(),
                Var {
                    value: entry.value.to_json(),
                    origin: format!("{shown}:{}:{}", pos.line, pos.col),
                },
            );
        }
    }

    /// One `--var NAME=VALUE`, a string; a malformed one into `diags`.
    fn assign(&mut self, assignment: &str, diags: &mut Vec<Diagnostic>) {
        self.sources.insert(0, "--var".into());
        match assignment.split_once('=') {
            Some((name, value)) if is_name(name) => {
                self.values.insert(
                    name.to_string(),
                    Var {
                        value: Value::String(value.to_string()),
                        origin: "--var".into(),
                    },
                );
            }
            _ => diags.push(Diagnostic::new(
                "--var",
                Pos::default(),
                format!("`{assignment}` is not NAME=VALUE with a variable name"),
            )),
        }
    }

    /// Whether `path` is one of the var files.
    pub fn is_var_file(&self, path: &std::path::Path) -> bool {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.files.contains(&path)
    }

    pub fn get(&self, name: &str) -> Option<&Var> {
        self.values.get(name)
    }

    /// A variable's value as text, when it is a string, number or boolean.
    pub fn text(&self, name: &str) -> Option<String> {
        match &self.get(name)?.value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Variables given as text (a saved plan's).
    pub fn from_strings(values: &BTreeMap<String, String>) -> Vars {
        Vars {
            values: values
                .iter()
                .map(|(k, v)| {
                    let var = Var {
                        value: Value::String(v.clone()),
                        origin: "the plan file".into(),
                    };
                    (k.clone(), var)
                })
                .collect(),
            sources: vec!["the plan file".into()],
            files: Vec::new(),
        }
    }

    /// Every variable with a string value, for export's re-templating.
    pub fn strings(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values
            .iter()
            .filter_map(|(k, v)| v.value.as_str().map(|s| (k.as_str(), s)))
    }

    /// `--var, env/dev.yaml and the environment`.
    pub fn looked_in(&self) -> String {
        let mut places = self.sources.clone();
        places.push("the environment".into());
        match places.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
            [] => String::new(),
        }
    }
}

/// A variable's name: letters, digits and `_`, not starting with a digit.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_then_vars_later_wins_with_origins() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.json");
        std::fs::write(
            &a,
            "HOST: a.example.com\nCALLBACKS:\n  - https://a/cb\nN: 3\n",
        )
        .unwrap();
        std::fs::write(&b, r#"{"HOST": "b.example.com"}"#).unwrap();
        let vars = Vars::load(&[a.clone(), b.clone()], &["N=7".into()]).unwrap();
        assert_eq!(vars.get("HOST").unwrap().value, json!("b.example.com"));
        assert_eq!(
            vars.get("HOST").unwrap().origin,
            format!("{}:1:10", b.display())
        );
        assert_eq!(
            vars.get("CALLBACKS").unwrap().value,
            json!(["https://a/cb"])
        );
        assert_eq!(vars.get("N").unwrap().value, json!("7"));
        assert_eq!(
            vars.looked_in(),
            format!(
                "--var, {}, {} and the environment",
                a.display(),
                b.display()
            )
        );
        let bad = Vars::load(&[], &["1X=y".into(), "nothing".into()]).unwrap_err();
        assert_eq!(bad.0.len(), 2);
    }
}
