//! Plan tests: call shapes and order, and a property test that any permutation of rule orders
//! (with creates and deletes) is planned in changed + cycles calls and never collides, whatever
//! order the dependencies allow the calls to run in.

use super::*;
use crate::diff::{self, Options};
use crate::model::Resource;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn rule(name: &str, order: Option<u64>) -> Resource {
    let mut r = Resource::new(Kind::Rule, name);
    r.fields_mut().insert("status".into(), json!(true));
    r.fields_mut().insert("script".into(), json!("s"));
    if let Some(o) = order {
        r.fields_mut().insert("order".into(), json!(o));
    }
    r
}

fn live_rules(rules: &[(&str, u64)]) -> Live {
    let mut live = Live::default();
    for (name, order) in rules {
        let mut r = rule(name, Some(*order));
        r.id = Some(format!("rul_{name}"));
        live.resources.push(r);
    }
    live
}

fn plan_for(desired: &[Resource], live: &Live, allow_delete: bool) -> Plan {
    let changes = diff::diff(
        desired,
        live,
        &Options {
            allow_delete,
            ..Options::default()
        },
    )
    .expect("diff");
    plan(changes, live, &crate::dialect::V1).expect("no cycle")
}

/// Apply rule calls to a model of the tenant, in `order`; error on any collision.
fn simulate(live: &Live, calls: &[Call], order: &[usize]) -> Result<BTreeMap<String, u64>, String> {
    let mut rules: BTreeMap<String, u64> = live
        .of_kind(Kind::Rule)
        .map(|r| (r.name.clone(), r.fields["order"].as_u64().unwrap()))
        .collect();
    for &i in order {
        let c = &calls[i];
        let held = |rules: &BTreeMap<String, u64>, o: u64, me: &str| {
            rules.iter().any(|(n, x)| *x == o && n != me)
        };
        match (c.method.as_str(), c.path.as_str()) {
            ("DELETE", p) if p.starts_with("/api/rules/") => {
                rules.remove(&p["/api/rules/".len()..]);
            }
            ("PUT", p) if p.starts_with("/api/rules/") => {
                let name = &p["/api/rules/".len()..];
                if let Some(o) = c
                    .body
                    .as_ref()
                    .and_then(|b| b.get("order"))
                    .and_then(Value::as_u64)
                {
                    if held(&rules, o, name) {
                        return Err(format!("409: {name} -> {o} in {:?}", rules));
                    }
                    rules.insert(name.to_string(), o);
                }
            }
            ("POST", "/api/rules") => {
                let body = c.body.as_ref().unwrap();
                let name = body["name"].as_str().unwrap().to_string();
                let o = body["order"]
                    .as_u64()
                    .expect("creates carry an explicit order");
                if held(&rules, o, &name) {
                    return Err(format!("409: new {name} -> {o}"));
                }
                rules.insert(name, o);
            }
            other => return Err(format!("unexpected call {other:?}")),
        }
    }
    Ok(rules)
}

/// Cycles among moving rules, counted independently of the planner.
fn cycles(moves: &BTreeMap<String, (u64, u64)>) -> usize {
    let holder: BTreeMap<u64, &String> = moves.iter().map(|(n, (from, _))| (*from, n)).collect();
    let mut seen = BTreeSet::new();
    let mut count = 0;
    for start in moves.keys() {
        if seen.contains(start) {
            continue;
        }
        let mut cur = start;
        let mut path = Vec::new();
        loop {
            if !seen.insert(cur) {
                if path.contains(&cur) {
                    count += 1;
                }
                break;
            }
            path.push(cur);
            match holder.get(&moves[cur].1) {
                Some(next) => cur = next,
                None => break,
            }
        }
    }
    count
}

#[test]
fn a_rotation_of_k_rules_takes_k_plus_one_calls() {
    let live = live_rules(&[("a", 1), ("b", 2), ("c", 3), ("d", 4)]);
    let desired = vec![
        rule("a", Some(2)),
        rule("b", Some(3)),
        rule("c", Some(4)),
        rule("d", Some(1)),
    ];
    let p = plan_for(&desired, &live, false);
    assert_eq!(p.calls.len(), 5);
    let order: Vec<usize> = (0..p.calls.len()).collect();
    let end = simulate(&live, &p.calls, &order).unwrap();
    assert_eq!(end["a"], 2);
    assert_eq!(end["d"], 1);
    assert!(
        p.calls[0]
            .note
            .as_deref()
            .unwrap()
            .starts_with("temporary order 5")
    );
}

#[test]
fn a_swap_with_a_delete_and_a_create() {
    let live = live_rules(&[("a", 1), ("b", 2), ("gone", 3)]);
    let desired = vec![
        rule("a", Some(2)),
        rule("b", Some(1)),
        rule("new", Some(3)),
        rule("tail", None),
    ];
    let p = plan_for(&desired, &live, true);
    // delete + temp + 2 moves + 2 creates
    assert_eq!(p.calls.len(), 6, "{:#?}", p.calls);
    let post_new = p
        .calls
        .iter()
        .find(|c| c.body.as_ref().is_some_and(|b| b["name"] == "new"))
        .unwrap();
    let delete = p.calls.iter().find(|c| c.method == "DELETE").unwrap();
    assert_eq!(
        post_new.after,
        vec![delete.id],
        "the create waits for the delete that frees order 3"
    );
    let tail = p
        .calls
        .iter()
        .find(|c| c.body.as_ref().is_some_and(|b| b["name"] == "tail"))
        .unwrap();
    assert_eq!(
        tail.body.as_ref().unwrap()["order"],
        json!(5),
        "after the last, above the temporary order"
    );
}

#[test]
fn calls_carry_only_changed_fields_and_wait_for_clients() {
    let mut conn = Resource::new(Kind::Connection, "db");
    conn.fields_mut().insert("strategy".into(), json!("auth0"));
    conn.fields_mut().insert("options".into(), json!({"a": 1}));
    conn.fields_mut()
        .insert("enabled_clients".into(), json!(["New"]));
    let mut client = Resource::new(Kind::Client, "New");
    client.fields_mut().insert("name".into(), json!("New"));
    let mut existing = Resource::new(Kind::Client, "Old");
    existing.fields_mut().insert("name".into(), json!("Old"));
    existing
        .fields_mut()
        .insert("callbacks".into(), json!(["https://new"]));
    let mut live = Live::default();
    let mut lold = existing.clone();
    lold.id = Some("idOld".into());
    lold.fields_mut()
        .insert("callbacks".into(), json!(["https://old"]));
    live.client_names.insert("idOld".into(), "Old".into());
    live.resources.push(lold);
    live.enabled = Some(BTreeMap::new());
    let p = plan_for(&[conn, client, existing], &live, false);
    let shapes: Vec<(String, String, Vec<usize>)> = p
        .calls
        .iter()
        .map(|c| (c.method.clone(), c.path.clone(), c.after.clone()))
        .collect();
    assert_eq!(
        shapes,
        vec![
            ("POST".into(), "/api/clients".into(), vec![]),
            ("PATCH".into(), "/api/clients/idOld".into(), vec![]),
            ("POST".into(), "/api/connections".into(), vec![]),
            (
                "PUT".into(),
                "/api/connections/db?client={clientID of New}".into(),
                vec![0, 2]
            ),
        ]
    );
    assert_eq!(p.calls[1].body, Some(json!({"callbacks": ["https://new"]})));
    assert!(
        p.calls[3].needs.contains(&"{clientID of New}".to_string()),
        "{:?}",
        p.calls[3].needs
    );
}

#[test]
fn topological_refuses_a_cycle_instead_of_dropping_calls() {
    let call = |id: usize, after: Vec<usize>| Call {
        id,
        method: "PUT".into(),
        path: format!("/api/rules/r{id}"),
        resource: format!("rule/r{id}"),
        after,
        note: None,
        body: None,
        check: None,
        needs: Vec::new(),
        creates: None,
        wait: None,
    };
    let err = topological(vec![call(0, vec![]), call(1, vec![2]), call(2, vec![1])])
        .expect_err("a cycle");
    assert_eq!(err.calls, vec!["PUT /api/rules/r1", "PUT /api/rules/r2"]);
    assert!(err.to_string().contains("nothing was sent"), "{err}");
    let ok = topological(vec![call(0, vec![1]), call(1, vec![])]).expect("a chain");
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[0].path, "/api/rules/r1");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn any_permutation_is_planned_without_collision(
        n in 1usize..12,
        seed in any::<u64>(),
        deletes in 0usize..3,
        creates in 0usize..3,
        schedule_seed in any::<u64>(),
    ) {
        use rand::{Rng, SeedableRng, seq::SliceRandom};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let names: Vec<String> = (0..n).map(|i| format!("r{i:02}")).collect();
        // Live orders: a sparse random set.
        let mut slots: Vec<u64> = (1..=(2 * n as u64 + 4)).collect();
        slots.shuffle(&mut rng);
        let live_orders: Vec<u64> = slots[..n].to_vec();
        let live = live_rules(&names.iter().map(String::as_str).zip(live_orders.iter().copied()).collect::<Vec<_>>());
        // Some rules are deleted; the rest get a permutation of (some of) the freed and held orders.
        let deletes = deletes.min(n.saturating_sub(1));
        let kept: Vec<&String> = names.iter().skip(deletes).collect();
        let mut targets: Vec<u64> = live_orders.clone();
        targets.shuffle(&mut rng);
        let mut desired: Vec<Resource> = kept
            .iter()
            .zip(targets.iter())
            .map(|(name, o)| rule(name, Some(*o)))
            .collect();
        let used: BTreeSet<u64> = desired.iter().filter_map(|r| r.fields["order"].as_u64()).collect();
        let free: Vec<u64> = live_orders.iter().copied().filter(|o| !used.contains(o)).collect();
        for i in 0..creates {
            let order = if rng.random_bool(0.5) { free.get(i).copied() } else { None };
            desired.push(rule(&format!("new{i}"), order));
        }
        let p = plan_for(&desired, &live, true);

        // Changed + cycles calls.
        let live_order: BTreeMap<&str, u64> = names.iter().map(String::as_str).zip(live_orders.iter().copied()).collect();
        let moves: BTreeMap<String, (u64, u64)> = desired
            .iter()
            .filter_map(|r| {
                let from = *live_order.get(r.name.as_str())?;
                let to = r.fields.get("order")?.as_u64()?;
                (from != to).then(|| (r.name.clone(), (from, to)))
            })
            .collect();
        let expected = deletes + creates + moves.len() + cycles(&moves);
        prop_assert_eq!(p.calls.len(), expected);

        // The planned order, and random orders the dependencies allow, never collide.
        let in_order: Vec<usize> = (0..p.calls.len()).collect();
        let end = simulate(&live, &p.calls, &in_order).map_err(TestCaseError::fail)?;
        for r in &desired {
            if let Some(o) = r.fields.get("order").and_then(Value::as_u64) {
                prop_assert_eq!(end[&r.name], o);
            }
        }
        let mut sched = rand::rngs::StdRng::seed_from_u64(schedule_seed);
        for _ in 0..5 {
            let mut done: BTreeSet<usize> = BTreeSet::new();
            let mut order = Vec::new();
            while done.len() < p.calls.len() {
                let ready: Vec<usize> = p.calls.iter()
                    .filter(|c| !done.contains(&c.id) && c.after.iter().all(|a| done.contains(a)))
                    .map(|c| c.id)
                    .collect();
                prop_assert!(!ready.is_empty(), "dependency cycle");
                let pick = ready[sched.random_range(0..ready.len())];
                done.insert(pick);
                order.push(pick);
            }
            simulate(&live, &p.calls, &order).map_err(TestCaseError::fail)?;
        }
    }
}

/// A create's check names the clients the tenant had, so a lost answer is not mistaken for one
/// of them; all the creates of a plan share that one set (a copy each made a plan of N creates
/// in a tenant of M clients hold N × M ids).
#[test]
fn client_creates_share_one_set_of_the_tenant_s_clients() {
    let mut live = Live::default();
    for i in 0..50 {
        let mut c = Resource::new(Kind::Client, format!("old-{i}"));
        c.id = Some(format!("id{i}"));
        live.client_names
            .insert(format!("id{i}"), format!("old-{i}"));
        live.resources.push(c);
    }
    let new: Vec<Resource> = (0..3)
        .map(|i| Resource::new(Kind::Client, format!("new-{i}")))
        .collect();
    let desired: Vec<Resource> = live.resources.iter().cloned().chain(new).collect();
    let p = plan_for(&desired, &live, false);
    let known: Vec<&std::sync::Arc<BTreeSet<String>>> = p
        .calls
        .iter()
        .filter_map(|c| match &c.check {
            Some(builder::Check::Client { known, .. }) => Some(known),
            _ => None,
        })
        .collect();
    assert_eq!(known.len(), 3, "one check per create");
    assert_eq!(known[0].len(), 50, "the tenant's clients");
    assert!(known.iter().all(|k| std::sync::Arc::ptr_eq(k, known[0])));
}
