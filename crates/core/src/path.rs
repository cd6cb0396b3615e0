//! Field paths: where a value sits inside a resource, as a list of segments (object keys and
//! array indices). Never a dotted string: connection option keys may themselves hold `.` or `/`
//! (`api.key`, `a/b`), so every stage that names a place in a value (diff, plan bodies, the plan
//! file, export, `${VAR}` interpolation, secrecy) uses this one type.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A path of segments from a resource's root. `options` → `api.key` is
/// `["options", "api.key"]`, shown as `options["api.key"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldPath(Vec<String>);

impl FieldPath {
    /// The resource itself (no segment).
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// A top-level field.
    pub fn field(name: impl Into<String>) -> FieldPath {
        FieldPath(vec![name.into()])
    }

    pub fn from_segments<S: Into<String>>(segments: impl IntoIterator<Item = S>) -> FieldPath {
        FieldPath(segments.into_iter().map(Into::into).collect())
    }

    /// This path with one more segment.
    pub fn child(&self, segment: impl Into<String>) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(segment.into());
        FieldPath(segments)
    }

    pub fn segments(&self) -> &[String] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The top-level field's name (`""` for the root).
    pub fn top(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// The last segment (`""` for the root).
    pub fn last(&self) -> &str {
        self.0.last().map_or("", String::as_str)
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The path below `prefix`, if it is under it.
    pub fn strip_prefix(&self, prefix: &FieldPath) -> Option<FieldPath> {
        self.0
            .strip_prefix(prefix.0.as_slice())
            .map(|rest| FieldPath(rest.to_vec()))
    }

    /// The RFC 6901 JSON pointer (`/options/api.key`, `/a~1b` for the key `a/b`).
    pub fn pointer(&self) -> String {
        self.0
            .iter()
            .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
            .collect()
    }

    /// Parse an RFC 6901 JSON pointer.
    pub fn from_pointer(pointer: &str) -> Option<FieldPath> {
        if pointer.is_empty() {
            return Some(FieldPath::root());
        }
        let rest = pointer.strip_prefix('/')?;
        Some(FieldPath(
            rest.split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect(),
        ))
    }

    /// The value at this path inside `value` (array segments are indices).
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(value, |v, s| match v {
            Value::Object(map) => map.get(s),
            Value::Array(items) => items.get(s.parse::<usize>().ok()?),
            _ => None,
        })
    }

    /// The value at this path inside `value`, mutably.
    pub fn get_mut<'a>(&self, value: &'a mut Value) -> Option<&'a mut Value> {
        self.0.iter().try_fold(value, |v, s| match v {
            Value::Object(map) => map.get_mut(s),
            Value::Array(items) => items.get_mut(s.parse::<usize>().ok()?),
            _ => None,
        })
    }
}

/// Segments that read well bare are joined with `.`; others are quoted: `options["api.key"]`.
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            match (plain, i) {
                (true, 0) => f.write_str(s)?,
                (true, _) => write!(f, ".{s}")?,
                (false, _) => write!(f, "[{}]", serde_json::to_string(s).unwrap_or_default())?,
            }
        }
        Ok(())
    }
}

/// Every leaf (string, number, boolean, null, empty array or object) of a value with its path,
/// depth first, in the value's order.
pub fn leaves<'a>(value: &'a Value, at: &FieldPath, f: &mut dyn FnMut(&FieldPath, &'a Value)) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaves(v, &at.child(k.as_str()), f);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, &at.child(i.to_string()), f);
            }
        }
        _ => f(at, value),
    }
}

/// The same walk, with each leaf mutable.
pub fn leaves_mut(value: &mut Value, at: &FieldPath, f: &mut dyn FnMut(&FieldPath, &mut Value)) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map.iter_mut() {
                leaves_mut(v, &at.child(k.as_str()), f);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter_mut().enumerate() {
                leaves_mut(v, &at.child(i.to_string()), f);
            }
        }
        _ => f(at, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_round_trip_keys_with_dots_and_slashes() {
        let p = FieldPath::from_segments(["options", "api.key", "a/b~c"]);
        assert_eq!(p.pointer(), "/options/api.key/a~1b~0c");
        assert_eq!(FieldPath::from_pointer(&p.pointer()), Some(p.clone()));
        assert_eq!(p.to_string(), r#"options["api.key"]["a/b~c"]"#);
        let v = json!({"options": {"api.key": {"a/b~c": 1}}});
        assert_eq!(p.get(&v), Some(&json!(1)));
        assert_eq!(
            FieldPath::from_segments(["callbacks", "1"]).to_string(),
            "callbacks.1"
        );
    }

    #[test]
    fn leaves_visit_every_leaf_with_its_path() {
        let v = json!({"a": [1, {"b.c": "x"}], "d": {}});
        let mut seen = Vec::new();
        leaves(&v, &FieldPath::root(), &mut |p, v| {
            seen.push((p.pointer(), v.clone()))
        });
        assert_eq!(
            seen,
            vec![
                ("/a/0".to_string(), json!(1)),
                ("/a/1/b.c".to_string(), json!("x")),
                ("/d".to_string(), json!({})),
            ]
        );
    }
}
