//! Table tests of the diff: matching, field-level changes, replacements, enabled clients,
//! unmanaged resources and rule-order displacement.

use super::*;
use crate::path::FieldPath;
use serde_json::json;

fn res(kind: Kind, name: &str, fields: Value) -> Resource {
    let mut r = Resource::new(kind, name);
    if let Value::Object(m) = fields {
        r.fields = std::sync::Arc::new(m.into_iter().collect());
    }
    r
}

fn live_res(kind: Kind, name: &str, id: &str, fields: Value) -> Resource {
    let mut r = res(kind, name, fields);
    r.id = Some(id.to_string());
    r
}

fn live_of(resources: Vec<Resource>) -> Live {
    let mut live = Live::default();
    for r in &resources {
        if r.kind == Kind::Client {
            live.client_names
                .insert(r.id.clone().unwrap_or_default(), r.name.clone());
        }
    }
    live.resources = resources;
    live
}

fn summary(c: &Changes) -> Vec<(String, Action, Vec<String>)> {
    c.changes
        .iter()
        .map(|c| {
            (
                c.key(),
                c.action,
                c.fields.iter().map(|f| f.path.to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn table() {
    struct Case {
        name: &'static str,
        desired: Vec<Resource>,
        live: Vec<Resource>,
        allow_delete: bool,
        want: Vec<(&'static str, Action, Vec<&'static str>)>,
        unchanged: usize,
    }
    let conn = |name: &str, strategy: &str, options: Value| {
        res(
            Kind::Connection,
            name,
            json!({"strategy": strategy, "options": options}),
        )
    };
    let lconn = |name: &str, strategy: &str, options: Value| {
        live_res(
            Kind::Connection,
            name,
            &format!("con_{name}"),
            json!({"strategy": strategy, "options": options}),
        )
    };
    let client =
        |name: &str, cb: Value| res(Kind::Client, name, json!({"name": name, "callbacks": cb}));
    let lclient = |name: &str, id: &str, cb: Value| {
        live_res(
            Kind::Client,
            name,
            id,
            json!({"name": name, "callbacks": cb}),
        )
    };
    let rule = |name: &str, order: Option<u64>, script: &str| {
        let mut f = json!({"status": true, "script": script});
        if let Some(o) = order {
            f["order"] = json!(o);
        }
        res(Kind::Rule, name, f)
    };
    let lrule = |name: &str, order: u64, script: &str| {
        live_res(
            Kind::Rule,
            name,
            &format!("rul_{name}"),
            json!({"status": true, "script": script, "order": order}),
        )
    };
    let cases = vec![
        Case {
            name: "identical resources need nothing",
            desired: vec![
                conn("db", "auth0", json!({"a": 1})),
                client("A", json!(["x"])),
                rule("r", Some(1), "s"),
            ],
            live: vec![
                lconn("db", "auth0", json!({"a": 1})),
                lclient("A", "id1", json!(["x"])),
                lrule("r", 1, "s"),
            ],
            allow_delete: false,
            want: vec![],
            unchanged: 3,
        },
        Case {
            name: "missing resources are created with all their fields",
            desired: vec![conn("db", "auth0", json!({})), client("A", json!([]))],
            live: vec![],
            allow_delete: false,
            want: vec![
                ("connection/db", Action::Create, vec!["options", "strategy"]),
                ("client/A", Action::Create, vec!["callbacks", "name"]),
            ],
            unchanged: 0,
        },
        Case {
            name: "options compare key by key; a live-only key shows as removed",
            desired: vec![conn("db", "auth0", json!({"a": 2, "c": true}))],
            live: vec![lconn("db", "auth0", json!({"a": 1, "b": "old", "c": true}))],
            allow_delete: false,
            want: vec![(
                "connection/db",
                Action::Update,
                vec!["options.a", "options.b"],
            )],
            unchanged: 0,
        },
        Case {
            name: "a strategy change replaces",
            desired: vec![conn("social", "github", json!({}))],
            live: vec![lconn("social", "google-oauth2", json!({}))],
            allow_delete: false,
            want: vec![("connection/social", Action::Replace, vec!["strategy"])],
            unchanged: 0,
        },
        Case {
            name: "resources absent from the manifest are unmanaged",
            desired: vec![],
            live: vec![
                lconn("db", "auth0", json!({})),
                lclient("Old", "id9", json!([])),
                lrule("r", 1, "s"),
            ],
            allow_delete: false,
            want: vec![
                ("connection/db", Action::Unmanaged, vec![]),
                ("client/Old", Action::Unmanaged, vec![]),
                ("rule/r", Action::Unmanaged, vec![]),
            ],
            unchanged: 0,
        },
        Case {
            name: "with --allow-delete they are deletes",
            desired: vec![],
            live: vec![lclient("Old", "id9", json!([]))],
            allow_delete: true,
            want: vec![("client/Old", Action::Delete, vec!["callbacks", "name"])],
            unchanged: 0,
        },
        Case {
            name: "email templates are never deleted nor listed",
            desired: vec![],
            live: vec![res(Kind::Email, "verify_email", json!({"subject": "x"}))],
            allow_delete: true,
            want: vec![],
            unchanged: 0,
        },
        Case {
            name: "absent optional fields are not compared",
            desired: vec![res(Kind::Email, "verify_email", json!({"subject": "new"}))],
            live: vec![res(
                Kind::Email,
                "verify_email",
                json!({"subject": "old", "from": "x@y", "body": "b"}),
            )],
            allow_delete: false,
            want: vec![("email/verify_email", Action::Update, vec!["subject"])],
            unchanged: 0,
        },
        Case {
            name: "a rule without an order standing where another rule goes moves after the last",
            desired: vec![rule("a", None, "s"), rule("b", Some(1), "s")],
            live: vec![lrule("a", 1, "s"), lrule("b", 2, "s")],
            allow_delete: false,
            want: vec![
                ("rule/a", Action::Update, vec!["order"]),
                ("rule/b", Action::Update, vec!["order"]),
            ],
            unchanged: 0,
        },
        Case {
            name: "script and order changes are one update",
            desired: vec![rule("a", Some(2), "new")],
            live: vec![lrule("a", 1, "old")],
            allow_delete: false,
            want: vec![("rule/a", Action::Update, vec!["order", "script"])],
            unchanged: 0,
        },
    ];
    for case in cases {
        let got = diff(
            &case.desired,
            &live_of(case.live),
            &Options {
                allow_delete: case.allow_delete,
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let want: Vec<(String, Action, Vec<String>)> = case
            .want
            .into_iter()
            .map(|(k, a, f)| {
                (
                    k.to_string(),
                    a,
                    f.into_iter().map(str::to_string).collect(),
                )
            })
            .collect();
        assert_eq!(summary(&got), want, "{}", case.name);
        assert_eq!(got.unchanged, case.unchanged, "{}", case.name);
    }
}

#[test]
fn field_values_are_before_and_after() {
    let mut d = res(
        Kind::Connection,
        "db",
        json!({"strategy": "auth0", "options": {"a": 2}}),
    );
    d.from_env.insert(
        FieldPath::from_segments(["options", "token"]),
        "${T}".into(),
    );
    let l = live_res(
        Kind::Connection,
        "db",
        "c1",
        json!({"strategy": "auth0", "options": {"a": 1, "client_secret": "old"}}),
    );
    let got = diff(&[d], &live_of(vec![l]), &Options::default()).unwrap();
    let f = &got.changes[0].fields;
    assert_eq!(f[0].path.to_string(), "options.a");
    assert_eq!(
        (f[0].before.clone(), f[0].after.clone()),
        (Some(json!(1)), Some(json!(2)))
    );
    assert!(!f[0].sensitive);
    assert_eq!(f[1].path.to_string(), "options.client_secret");
    assert_eq!(f[1].after, None);
    assert!(f[1].sensitive, "secret by its key's name");
}

#[test]
fn duplicate_client_names_need_a_pin() {
    let d = res(Kind::Client, "App", json!({"name": "App"}));
    let live = live_of(vec![
        live_res(Kind::Client, "App", "id2", json!({"name": "App"})),
        live_res(Kind::Client, "App", "id1", json!({"name": "App"})),
    ]);
    let err = diff(std::slice::from_ref(&d), &live, &Options::default()).unwrap_err();
    assert!(matches!(&err, DiffError::DuplicateClient { ids, .. } if ids == &["id1", "id2"]));
    assert!(err.hint().contains("client_id"));
    // Pinned, it matches the one client and leaves the other unmanaged.
    let mut pinned = d.clone();
    pinned.id = Some("id2".into());
    let got = diff(&[pinned], &live, &Options::default()).unwrap();
    assert_eq!(got.unchanged, 1);
    assert_eq!(
        summary(&got),
        vec![("client/App".to_string(), Action::Unmanaged, vec![])]
    );
    assert_eq!(got.changes[0].live_id(), Some("id1"));
    // A pin that matches nothing is an error.
    let mut missing = d;
    missing.id = Some("nope".into());
    assert!(matches!(
        diff(&[missing], &live, &Options::default()),
        Err(DiffError::PinnedClientMissing { .. })
    ));
}

#[test]
fn a_grant_by_pin_pairs_with_the_tenant_s_and_one_declared_twice_is_an_error() {
    let grant = |name: &str, client: &str| {
        let mut g = res(Kind::ClientGrant, name, json!({"scope": ["read"]}));
        g.refs.insert("client".into(), client.into());
        g.refs.insert("audience".into(), "https://api".into());
        g
    };
    let client = res(Kind::Client, "Worker", json!({"name": "Worker"}));
    let mut live_grant = live_res(
        Kind::ClientGrant,
        "Worker -> https://api",
        "g1",
        json!({"scope": ["read"]}),
    );
    live_grant.refs.insert("client".into(), "X".into());
    let live = live_of(vec![
        live_res(Kind::Client, "Worker", "X", json!({"name": "Worker"})),
        live_grant,
    ]);
    let by_pin = grant("client_id X -> https://api", &crate::kind::pin_key("X"));
    let got = diff(
        &[client.clone(), by_pin.clone()],
        &live,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(summary(&got), vec![]);
    assert_eq!(got.unchanged, 2);
    let by_name = grant("Worker -> https://api", "Worker");
    let err = diff(&[client, by_pin, by_name], &live, &Options::default()).unwrap_err();
    assert!(
        matches!(&err, DiffError::SameInTenant { tenant, .. } if tenant == "Worker -> https://api"),
        "{err}"
    );
}

#[test]
fn enabled_clients_compare_identities() {
    let mut d = res(
        Kind::Connection,
        "db",
        json!({"strategy": "auth0", "options": {}, "enabled_clients": ["A", "New"]}),
    );
    d.origin = None;
    let desired = vec![
        d,
        res(Kind::Client, "A", json!({"name": "A"})),
        res(Kind::Client, "New", json!({"name": "New"})),
        res(Kind::Client, "B", json!({"name": "B"})),
    ];
    let mut live = live_of(vec![
        live_res(
            Kind::Connection,
            "db",
            "con1",
            json!({"strategy": "auth0", "options": {}}),
        ),
        live_res(Kind::Client, "A", "idA", json!({"name": "A"})),
        live_res(Kind::Client, "B", "idB", json!({"name": "B"})),
    ]);
    live.enabled = Some(
        [("db".to_string(), ["idB".to_string()].into_iter().collect())]
            .into_iter()
            .collect(),
    );
    let got = diff(&desired, &live, &Options::default()).unwrap();
    let conn = got
        .changes
        .iter()
        .find(|c| c.kind == Kind::Connection)
        .unwrap();
    assert_eq!(conn.action, Action::Update);
    assert_eq!(
        conn.enable,
        [ClientRef::Id("idA".into()), ClientRef::New("New".into())]
            .into_iter()
            .collect()
    );
    assert_eq!(conn.disable, ["idB".to_string()].into_iter().collect());
    assert_eq!(conn.fields[0].before, Some(json!(["B"])));
    assert_eq!(conn.fields[0].after, Some(json!(["A", "New"])));

    let unknown = vec![res(
        Kind::Connection,
        "db",
        json!({"strategy": "auth0", "options": {}, "enabled_clients": ["Ghost"]}),
    )];
    assert!(matches!(
        diff(&unknown, &live, &Options::default()),
        Err(DiffError::UnknownClient { .. })
    ));
}

#[test]
fn orders_held_by_unmanaged_rules_are_refused_unless_deleted() {
    let mut r = res(
        Kind::Rule,
        "new",
        json!({"status": true, "script": "s", "order": 3}),
    );
    r.origin = None;
    let live = live_of(vec![live_res(
        Kind::Rule,
        "other",
        "r1",
        json!({"status": true, "script": "s", "order": 3}),
    )]);
    let err = diff(std::slice::from_ref(&r), &live, &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule `new` wants order 3, which unmanaged rule `other` holds"
    );
    let ok = diff(
        &[r],
        &live,
        &Options {
            allow_delete: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(ok.count(Action::Delete), 1);
    assert_eq!(ok.count(Action::Create), 1);
}

#[test]
fn offline_comparison_treats_the_old_tree_as_the_tenant() {
    let old = vec![
        res(Kind::Client, "A", json!({"name": "A", "callbacks": ["x"]})),
        res(Kind::Rule, "gone", json!({"status": true, "script": "s"})),
    ];
    let new = vec![res(
        Kind::Client,
        "A",
        json!({"name": "A", "callbacks": ["y"]}),
    )];
    let got = diff(&new, &live_from_resources(&old), &Options::default()).unwrap();
    assert_eq!(
        summary(&got),
        vec![
            (
                "client/A".to_string(),
                Action::Update,
                vec!["callbacks".to_string()]
            ),
            ("rule/gone".to_string(), Action::Unmanaged, vec![]),
        ]
    );
    assert!(
        diff(&old, &live_from_resources(&old), &Options::default())
            .unwrap()
            .changes
            .is_empty()
    );
}

/// A declared resource of any kind is compared with the tenant's: created when absent, left
/// alone when equal, and never reported as "not in the manifests" (whatever its pairing).
#[test]
fn every_kind_is_compared_by_its_pairing_never_left_unmanaged() {
    for kind in Kind::all() {
        let name = match kind.named() {
            crate::kind::Named::Singleton(n) => n,
            crate::kind::Named::By(_) => "x",
            crate::kind::Named::Composed(_) => "x -> y",
            crate::kind::Named::Pair(..) => "x/y",
        };
        let fields = json!({"name": name, "order": 1});
        let d = res(kind, name, fields.clone());
        let options = Options::default();
        let changes = diff(std::slice::from_ref(&d), &Live::default(), &options).unwrap();
        assert!(
            changes
                .changes
                .iter()
                .any(|c| c.kind == kind && c.name == name && c.action == Action::Create),
            "{kind}: {:?}",
            summary(&changes)
        );
        let live = live_of(vec![live_res(kind, name, "id_1", fields)]);
        let changes = diff(&[d], &live, &options).unwrap();
        assert!(
            changes.changes.iter().all(|c| c.kind != kind),
            "{kind}: {:?}",
            summary(&changes)
        );
        assert_eq!(changes.unchanged, 1, "{kind}");
    }
}
