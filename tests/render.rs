//! Snapshots of the text and Markdown renderings of one plan that has every kind of change,
//! computed by the real diff and planner from fixed inputs.

use a0ctl::diag::Paint;
use a0ctl::diff::{self, Options};
use a0ctl::live::Live;
use a0ctl::model::{Kind, Resource};
use a0ctl::plan::{self, Plan};
use a0ctl::render::{self, Format};
use serde_json::{Value, json};

fn res(kind: Kind, name: &str, id: Option<&str>, fields: Value) -> Resource {
    let mut r = Resource::new(kind, name);
    r.id = id.map(str::to_string);
    if let Value::Object(m) = fields {
        r.fields = std::sync::Arc::new(m.into_iter().collect());
    }
    r
}

fn scenario() -> Plan {
    let old_script = "function (user, context, callback) {\n  user.country = 'FR';\n  callback(null, user, context);\n}\n";
    let new_script = "function (user, context, callback) {\n  user.country = context.request.geoip.country_name;\n  callback(null, user, context);\n}\n";
    let mut google = res(
        Kind::Connection,
        "google",
        None,
        json!({"strategy": "google-oauth2", "options": {"client_id": "abc", "client_secret": "s3cr3t-new-value"}}),
    );
    google.from_env.insert(
        a0ctl::path::FieldPath::from_segments(["options", "client_secret"]),
        "${GOOGLE_SECRET}".into(),
    );
    let desired = vec![
        google,
        res(
            Kind::Connection,
            "social",
            None,
            json!({"strategy": "github", "options": {}}),
        ),
        res(
            Kind::Client,
            "Storefront",
            None,
            json!({"name": "Storefront", "callbacks": ["https://shop.example.com/cb"]}),
        ),
        res(
            Kind::Client,
            "Admin",
            None,
            json!({"name": "Admin", "callbacks": ["https://admin.example.com/cb"]}),
        ),
        res(
            Kind::Rule,
            "add-country",
            None,
            json!({"status": true, "order": 2, "script": new_script}),
        ),
        res(
            Kind::Rule,
            "deny",
            None,
            json!({"status": true, "order": 1, "script": "function (u, c, cb) { cb(null, u, c); }"}),
        ),
        res(
            Kind::Email,
            "verify_email",
            None,
            json!({"subject": "Verify your email", "disabled": false}),
        ),
    ];
    let mut live = Live {
        resources: vec![
            res(
                Kind::Connection,
                "google",
                Some("con_1"),
                json!({"strategy": "google-oauth2", "options": {"client_id": "abc", "client_secret": "s3cr3t-old-value", "hd": "example.com"}}),
            ),
            res(
                Kind::Connection,
                "social",
                Some("con_2"),
                json!({"strategy": "twitter", "options": {}}),
            ),
            res(
                Kind::Client,
                "Admin",
                Some("cid_admin"),
                json!({"name": "Admin", "callbacks": ["https://old.example.com/cb"]}),
            ),
            res(
                Kind::Client,
                "Legacy",
                Some("cid_legacy"),
                json!({"name": "Legacy", "callbacks": []}),
            ),
            res(
                Kind::Rule,
                "add-country",
                Some("rul_1"),
                json!({"status": true, "order": 1, "script": old_script}),
            ),
            res(
                Kind::Rule,
                "deny",
                Some("rul_2"),
                json!({"status": false, "order": 2, "script": "function (u, c, cb) { cb(null, u, c); }"}),
            ),
            res(
                Kind::Email,
                "verify_email",
                None,
                json!({"subject": "Please verify", "disabled": false, "from": ""}),
            ),
        ],
        ..Live::default()
    };
    live.client_names = [
        ("cid_admin".into(), "Admin".into()),
        ("cid_legacy".into(), "Legacy".into()),
    ]
    .into_iter()
    .collect();
    let changes = diff::diff(&desired, &live, &Options::default()).expect("diff");
    plan::plan(changes, &live, &a0ctl::dialect::V1).expect("no cycle")
}

#[test]
fn text_plan() {
    let plan = scenario();
    let text = render::plan(
        &plan,
        "https://example.auth0.com",
        Format::Text,
        Paint(false),
    );
    assert!(!text.contains("s3cr3t"), "secrets never render");
    insta::assert_snapshot!(text);
}

#[test]
fn markdown_plan() {
    let plan = scenario();
    let md = render::plan(
        &plan,
        "https://example.auth0.com",
        Format::Markdown,
        Paint(false),
    );
    assert!(md.starts_with(render::MARKDOWN_MARKER));
    assert!(!md.contains("s3cr3t"));
    insta::assert_snapshot!(md);
}

#[test]
fn json_plan() {
    let plan = scenario();
    let v: Value = serde_json::from_str(&render::plan(
        &plan,
        "https://example.auth0.com",
        Format::Json,
        Paint(false),
    ))
    .unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(
        v["summary"],
        json!({"create": 1, "update": 5, "replace": 1, "delete": 0, "unmanaged": 1})
    );
    let secret = v["changes"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "options.client_secret")
        .unwrap()
        .clone();
    assert_eq!(
        secret,
        json!({"path": "options.client_secret", "before": "(sensitive)", "after": "(sensitive)"})
    );
    insta::assert_json_snapshot!(v);
}

/// Where a CommonMark fence opened by `open` (a run of one character) is closed: the first later
/// line that, after at most three spaces, is a run of that character at least as long, and
/// nothing but blanks after it.
fn closes(open: &str, line: &str) -> bool {
    let c = open.chars().next().unwrap();
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let run = rest.len() - rest.trim_start_matches(c).len();
    indent <= 3 && run >= open.len() && rest[run..].trim().is_empty()
}

#[test]
fn no_content_closes_a_markdown_fence() {
    // A script that holds a backtick fence, a tilde fence, a longer backtick run and HTML.
    let hostile = "function (u, c, cb) {\n  // ```js\n ~~~~\n<img src=x onerror=alert(1)>\n   ``````\n~~~~~~~~~~\n  cb(null, u, c);\n}\n";
    let desired = vec![res(
        Kind::Rule,
        "hostile",
        None,
        json!({"status": true, "order": 1, "script": hostile}),
    )];
    let live = Live {
        resources: vec![res(
            Kind::Rule,
            "hostile",
            Some("rul_1"),
            json!({"status": true, "order": 1, "script": "function (u, c, cb) { cb(null, u, c); }"}),
        )],
        ..Live::default()
    };
    let changes = diff::diff(&desired, &live, &Options::default()).expect("diff");
    let plan = plan::plan(changes, &live, &a0ctl::dialect::V1).expect("no cycle");
    let md = render::plan(
        &plan,
        "https://example.auth0.com",
        Format::Markdown,
        Paint(false),
    );
    // Walk the document as CommonMark does: every line of the script must fall inside a fence,
    // and every fence must close where the renderer meant it to (before `</details>`).
    let mut open: Option<String> = None;
    let mut fenced_html = 0;
    for line in md.lines() {
        match &open {
            Some(fence) if closes(fence, line) => open = None,
            Some(_) => fenced_html += usize::from(line.contains("<img")),
            None => {
                assert!(!line.contains("<img"), "HTML outside a fence:\n{md}");
                let trimmed = line.trim_start_matches(' ');
                let c = trimmed.chars().next().unwrap_or(' ');
                let run = trimmed.len() - trimmed.trim_start_matches(c).len();
                if (c == '`' || c == '~') && run >= 3 {
                    open = Some(trimmed[..run].to_string());
                }
            }
        }
    }
    assert_eq!(open, None, "a fence left open:\n{md}");
    assert!(fenced_html >= 1, "the script is shown:\n{md}");
}

#[test]
fn bidi_characters_in_values_are_escaped_in_text_and_markdown() {
    let url = "https://shop.example.com/\u{202e}lmth.exe";
    let desired = vec![res(
        Kind::Client,
        "Shop",
        None,
        json!({"name": "Shop", "callbacks": [url], "description": "a\u{2066}b\u{2028}c"}),
    )];
    let live = Live {
        resources: vec![res(
            Kind::Client,
            "Shop",
            Some("cid_shop"),
            json!({"name": "Shop", "callbacks": ["https://shop.example.com/cb"]}),
        )],
        client_names: [("cid_shop".into(), "Shop".into())].into_iter().collect(),
        ..Live::default()
    };
    let changes = diff::diff(&desired, &live, &Options::default()).expect("diff");
    let plan = plan::plan(changes, &live, &a0ctl::dialect::V1).expect("no cycle");
    for format in [Format::Text, Format::Markdown] {
        let out = render::plan(&plan, "https://example.auth0.com", format, Paint(false));
        for raw in ['\u{202e}', '\u{2066}', '\u{2028}'] {
            assert!(!out.contains(raw), "{format:?} shows {raw:?} raw:\n{out}");
        }
        assert!(out.contains("\\u202elmth.exe"), "{format:?}:\n{out}");
        assert!(out.contains("a\\u2066b\\u2028c"), "{format:?}:\n{out}");
    }
}
