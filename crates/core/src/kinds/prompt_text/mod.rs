//! Prompt texts (v2): the custom text of a login prompt in one language
//! (`/prompts/{prompt}/custom-text/{language}`), a map of screens to keys to texts. A pair always
//! exists (its text empty until set), so it is only ever set, by one `PUT` of the whole map;
//! the plan shows it key by key. The tenant has no listing of the pairs it holds: a plan reads
//! the declared pairs, an export each prompt in each language the tenant enables.

pub mod facts;
pub mod manifest;

use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

use super::spec::{KindSpec, fields_of, item_schema};
use crate::diff::change::{Action, Change};
use crate::export::writer::{Map, Writer};
use crate::kind::Kind;
use crate::live::Live;
use crate::manifest::item::ItemCx;
use crate::model::Resource;
use crate::plan::builder::{self, Builder};

pub struct PromptText;

/// The one field, as the manifests and the kind's resources name it.
const TEXT: &str = "custom_text";

impl KindSpec for PromptText {
    fn kind(&self) -> Kind {
        Kind::of(&facts::FACTS)
    }

    fn schema(&self, g: &mut SchemaGenerator) -> Schema {
        item_schema::<manifest::PromptText>(g)
    }

    fn load(&self, raw: &Value, cx: &mut ItemCx<'_>) -> Option<Resource> {
        let t: manifest::PromptText = cx.typed(raw)?;
        let name = format!("{}/{}", t.prompt.0, t.language.0);
        Some(cx.resource(self.kind(), &name, fields_of(&t, &["prompt", "language"])))
    }

    /// Replaced whole by each `PUT`: screen by screen, key by key.
    fn keyed(&self) -> &'static [(&'static str, usize)] {
        &[(TEXT, 2)]
    }

    /// One `PUT` of the whole text sets it, whether or not it was set before.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            match (c.action, &c.desired) {
                (Action::Create | Action::Update, Some(d)) => {
                    if let Some(id) = b.update(c, d) {
                        let text = d.fields.get(TEXT).cloned();
                        b.call(id).body =
                            Some(text.unwrap_or_else(|| Value::Object(Default::default())));
                    }
                }
                _ => builder::simple(b, c),
            }
        }
    }

    /// The pairs that hold some text, in one file.
    fn export(&self, w: &mut Writer<'_>, live: &Live) {
        let mut items = Vec::new();
        for t in live.of_kind(self.kind()) {
            let Some(text) = t.fields.get(TEXT).and_then(Value::as_object) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            // What the manifests could not declare is not written as if they could.
            let texts = |v: &Value| {
                v.as_object()
                    .is_some_and(|keys| keys.values().all(Value::is_string))
            };
            if !text.values().all(texts) {
                w.warn(format!(
                    "prompt text {} is left out: the tenant's text is not screens of keys and texts",
                    crate::diag::visible_line(&t.name)
                ));
                continue;
            }
            let Some((prompt, language)) = t.name.split_once('/') else {
                continue;
            };
            let mut m = Map::new();
            m.push("prompt", Value::String(prompt.to_string()));
            m.push("language", Value::String(language.to_string()));
            w.rest(&mut m, t, &[]);
            items.push(w.item(m, &t.name, "prompt text"));
        }
        w.section("prompt_texts.yaml", "prompt_texts", &items);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::types::ApiVersion;
    use crate::manifest::vars::Vars;
    use serde_json::json;

    /// A text the tenant holds that no manifest could declare (a key that is not a text) is
    /// left out of an export, with a warning, not written as a tree that fails to validate;
    /// an empty one is not written at all.
    #[test]
    fn an_export_writes_only_texts_a_manifest_could_declare() {
        let text = |name: &str, v: Value| {
            let mut r = Resource::new(Kind::of(&facts::FACTS), name);
            r.fields_mut().insert(TEXT.into(), v);
            r
        };
        let live = Live {
            resources: vec![
                text("login/en", json!({"login": {"title": "Hello"}})),
                text("login/fr", json!({"login": {"title": 5}})),
                text("signup/en", json!({})),
            ],
            ..Live::default()
        };
        let vars = Vars::default();
        let mut w = Writer::new(ApiVersion::V2, &vars);
        PromptText.export(&mut w, &live);
        let files = w.into_files();
        let written = &files.files["prompt_texts.yaml"];
        assert!(written.contains("title: Hello"), "{written}");
        assert!(!written.contains("language: fr"), "{written}");
        assert!(!written.contains("signup"), "{written}");
        assert_eq!(files.items["prompt_texts"], 1);
        assert_eq!(
            files.warnings,
            [
                "prompt text login/fr is left out: the tenant's text is not screens of keys and texts"
            ]
        );
    }
}
