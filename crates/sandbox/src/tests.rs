use super::*;

fn rule(name: &str, script: &str) -> RuleScript {
    RuleScript {
        name: name.into(),
        script: script.into(),
    }
}

/// Generous, so a loaded machine never turns a passing run into a timeout.
fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(10),
        memory_bytes: 16 << 20,
    }
}

/// For the rules that run until they are stopped.
fn short() -> Limits {
    Limits {
        timeout: Duration::from_millis(300),
        ..limits()
    }
}

fn run_with(rules: &[RuleScript], limits: &Limits) -> Run {
    run_pipeline(
        rules,
        &json!({"user_id": "auth0|1", "email": "a@example.com"}),
        &default_context(),
        &json!({"NS": "https://example.com/"}),
        limits,
    )
}

fn run(rules: &[RuleScript]) -> Run {
    run_with(rules, &limits())
}

fn failure(run: &Run) -> &Failure {
    match &run.verdict {
        Verdict::Failed { failure, .. } => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_rule_adds_claims_and_the_next_one_sees_them() {
    let r = run(&[
        rule(
            "one",
            "function (user, context, callback) {\n  context.idToken[configuration.NS + 'a'] = 1;\n  user.seen = ['one'];\n  callback(null, user, context);\n}",
        ),
        rule(
            "two",
            "(user, context, callback) => { user.seen.push('two'); context.accessToken.n = Object.keys(context.idToken).length; callback(null, user, context); }",
        ),
    ]);
    let Verdict::Allowed { user, context, .. } = &r.verdict else {
        panic!("{r:?}")
    };
    assert_eq!(user["seen"], json!(["one", "two"]));
    assert_eq!(context["idToken"], json!({"https://example.com/a": 1}));
    assert_eq!(context["accessToken"], json!({"n": 1}));
    assert_eq!(r.ran, ["one", "two"]);
}

#[test]
fn a_denial_stops_the_pipeline() {
    let r = run(&[
        rule(
            "deny",
            "function (u, c, cb) { console.log('denying', u.email); cb(new UnauthorizedError('no entry')); }",
        ),
        rule("never", "function (u, c, cb) { throw new Error('ran'); }"),
    ]);
    assert_eq!(
        r.verdict,
        Verdict::Denied {
            rule: "deny".into(),
            error: RuleError {
                name: "UnauthorizedError".into(),
                message: "no entry".into()
            }
        }
    );
    assert_eq!(r.logs, ["denying a@example.com"]);
    assert_eq!(r.ran, ["deny"]);
}

#[test]
fn timers_and_promises_run_in_virtual_time() {
    let r = run(&[rule(
        "async",
        "async function (u, c, cb) { await new Promise(r => setTimeout(r, 200)); setTimeout(() => cb(null, u, c), 50); }",
    )]);
    assert!(matches!(r.verdict, Verdict::Allowed { .. }), "{r:?}");
    // A timer due after the timeout never fires.
    let r = run(&[rule(
        "late",
        "function (u, c, cb) { setTimeout(() => cb(null, u, c), 60000); }",
    )]);
    assert_eq!(
        failure(&r),
        &Failure::NoCallback {
            timer_pending: true
        }
    );
    let r = run(&[rule(
        "cleared",
        "function (u, c, cb) { const t = setTimeout(() => cb(null, u, c), 1); clearTimeout(t); }",
    )]);
    assert_eq!(
        failure(&r),
        &Failure::NoCallback {
            timer_pending: false
        }
    );
}

#[test]
fn a_thrown_error_is_located_in_the_script() {
    let r = run(&[rule(
        "boom",
        "function (user, context, callback) {\n  user.app_metadata.roles.push('x');\n  callback(null, user, context);\n}",
    )]);
    match failure(&r) {
        Failure::Threw { name, message, pos } => {
            assert_eq!(name, "TypeError");
            assert!(message.contains("roles"), "{message}");
            assert_eq!(pos.map(|p| p.line), Some(2), "{pos:?}");
        }
        other => panic!("{other:?}"),
    }
    // Inside a declaration, where QuickJS records no place of its own.
    let r = run(&[rule(
        "decl",
        "function (user, context, callback) {\n  'use strict';\n  const x = 1;\n  if (x) {\n    const roles = user.app_metadata.roles;\n  }\n}",
    )]);
    assert_eq!(
        failure(&r).pos(),
        Some(ScriptPos { line: 5, col: 5 }),
        "{r:?}"
    );
    // In a `.then` callback nobody handles, rather than "never called callback".
    let r = run(&[rule(
        "then",
        "function (u, c, cb) {\n  Promise.resolve(u).then(function (user) {\n    cb(null, user.profile.name, c);\n  });\n}",
    )]);
    match failure(&r) {
        Failure::Threw { name, pos, .. } => {
            assert_eq!(name, "TypeError");
            assert_eq!(pos.map(|p| p.line), Some(3), "{r:?}");
        }
        other => panic!("{other:?}"),
    }
    // A rejection handled later is not one.
    let r = run(&[rule(
        "handled",
        "async function (u, c, cb) { const p = Promise.reject(new Error('x')); await null; p.catch(() => cb(null, u, c)); }",
    )]);
    assert!(matches!(r.verdict, Verdict::Allowed { .. }), "{r:?}");
    // A forged stack is only a wrong place, never a crash.
    let r = run(&[rule(
        "forged",
        "function (u, c, cb) { throw {name: 'X', message: 'y', stack: 'at rule-1.js:4294967295:4294967295'}; }",
    )]);
    assert_eq!(
        failure(&r).pos(),
        Some(ScriptPos {
            line: 4294967294,
            col: 4294967295
        })
    );
    // In a promise continuation too.
    let r = run(&[rule(
        "later",
        "async function (u, c, cb) {\n  await null;\n  null.x;\n}",
    )]);
    assert_eq!(failure(&r).pos().map(|p| p.line), Some(3), "{r:?}");
}

#[test]
fn syntax_errors_and_non_functions_fail() {
    let r = run(&[rule("bad", "function (u, c, cb) {\n  var = 1;\n}")]);
    match failure(&r) {
        Failure::Syntax { pos, .. } => assert_eq!(pos.map(|p| p.line), Some(2)),
        other => panic!("{other:?}"),
    }
    let r = run(&[rule(
        "semicolon",
        "function named(u, c, cb) { cb(null, u, c); };\n",
    )]);
    assert!(matches!(r.verdict, Verdict::Allowed { .. }), "{r:?}");
    let r = run(&[rule("num", "42")]);
    assert_eq!(
        failure(&r),
        &Failure::NotAFunction {
            found: "a number".into()
        }
    );
}

#[test]
fn misbehaving_rules_fail_within_their_bounds() {
    let r = run(&[rule("nothing", "function (u, c, cb) {}")]);
    assert_eq!(
        failure(&r),
        &Failure::NoCallback {
            timer_pending: false
        }
    );
    let r = run(&[rule(
        "twice",
        "function (u, c, cb) { cb(null, u, c); cb(null, u, c); }",
    )]);
    assert_eq!(failure(&r), &Failure::DoubleCallback(2));
    let r = run_with(
        &[rule("spin", "function (u, c, cb) { for (;;) {} }")],
        &short(),
    );
    assert_eq!(failure(&r), &Failure::Timeout(short().timeout));
    let r = run_with(
        &[rule(
            "spin-in-catch",
            "function (u, c, cb) { for (;;) { try { for (;;) {} } catch (e) {} } }",
        )],
        &short(),
    );
    assert_eq!(failure(&r), &Failure::Timeout(short().timeout));
    for (name, script) in [
        (
            "microtasks",
            "function (u, c, cb) { const f = () => { Promise.resolve().then(f); }; f(); }",
        ),
        (
            "timers",
            "function (u, c, cb) { const f = () => setTimeout(f, 0); f(); }",
        ),
        (
            "regex",
            "function (u, c, cb) { /^(a+)+$/.test('a'.repeat(60) + 'b'); cb(null, u, c); }",
        ),
    ] {
        let r = run_with(&[rule(name, script)], &short());
        assert_eq!(failure(&r), &Failure::Timeout(short().timeout), "{name}");
    }
    let r = run(&[rule(
        "bomb",
        "function (u, c, cb) { const a = []; for (;;) a.push(new Array(100000).fill('x' + a.length)); }",
    )]);
    assert_eq!(failure(&r), &Failure::OutOfMemory(limits().memory_bytes));
    let r = run(&[rule(
        "string-bomb",
        "function (u, c, cb) { let s = 'x'; for (;;) s += s; }",
    )]);
    assert_eq!(failure(&r), &Failure::OutOfMemory(limits().memory_bytes));
    let r = run(&[rule(
        "recursion",
        "function (u, c, cb) { const f = n => f(n + 1) + 1; f(0); }",
    )]);
    assert!(
        matches!(failure(&r), Failure::Threw { message, .. } if message.contains("stack")),
        "{r:?}"
    );
}

#[test]
fn the_host_is_out_of_reach() {
    let r = run(&[rule(
        "snoop",
        r#"function (user, context, callback) {
  const tries = {};
  const attempt = (name, f) => { try { tries[name] = String(f()); } catch (e) { tries[name] = 'blocked: ' + e.message; } };
  attempt('fs', () => require('fs').readFileSync('/etc/passwd', 'utf8'));
  attempt('child_process', () => require('child_process'));
  attempt('process', () => process.env.HOME);
  attempt('std', () => std.getenv('HOME'));
  attempt('os', () => os.open('/etc/passwd'));
  attempt('scriptArgs', () => scriptArgs);
  import('os').then(() => { tries.import = 'loaded'; }, (e) => { tries.import = 'blocked: ' + e.message; })
    .then(() => { user.tries = tries; callback(null, user, context); });
}"#,
    )]);
    let Verdict::Allowed { user, .. } = &r.verdict else {
        panic!("{r:?}")
    };
    for (name, outcome) in user["tries"].as_object().unwrap() {
        let outcome = outcome.as_str().unwrap();
        assert!(outcome.starts_with("blocked: "), "{name}: {outcome}");
    }
    assert_eq!(user["tries"].as_object().unwrap().len(), 7);
    assert!(
        user["tries"]["fs"]
            .as_str()
            .unwrap()
            .contains("provides only 'util'")
    );
}

#[test]
fn util_format_is_the_one_stub() {
    let r = run(&[rule(
        "fmt",
        "function (u, c, cb) { u.s = require('util').format('%s has %d roles %j', 'ann', '2', {a: 1}); cb(null, u, c); }",
    )]);
    let Verdict::Allowed { user, .. } = &r.verdict else {
        panic!("{r:?}")
    };
    assert_eq!(user["s"], "ann has 2 roles {\"a\":1}");
}

#[test]
fn a_cyclic_result_is_reported() {
    let r = run(&[rule(
        "cycle",
        "function (u, c, cb) { u.self = u; cb(null, u, c); }",
    )]);
    assert!(matches!(failure(&r), Failure::BadResult(_)), "{r:?}");
}

#[test]
fn merge_overlays_objects() {
    let mut base = json!({"a": {"b": 1, "c": 2}, "d": [1]});
    merge(&mut base, &json!({"a": {"c": 3}, "d": [2, 3], "e": null}));
    assert_eq!(base, json!({"a": {"b": 1, "c": 3}, "d": [2, 3], "e": null}));
}

/// Each of these once ran for minutes or hours past a 1 s timeout: one long call inside the
/// engine (where the deadline is not polled), or a loop that catches the out-of-memory error.
#[test]
fn every_script_run_ends_by_its_deadline_whatever_the_script_does() {
    let limits = Limits {
        timeout: Duration::from_millis(500),
        ..limits()
    };
    for (name, body) in [
        (
            "indexOf",
            "Array.prototype.indexOf.call({length: 2**53-1}, 1);",
        ),
        (
            "includes",
            "Array.prototype.includes.call({length: 2**53-1}, 1);",
        ),
        ("join", "Array.prototype.join.call({length: 2**53-1});"),
        (
            "lastIndexOf",
            "const a = []; a.length = 2**32-1; a.lastIndexOf(1);",
        ),
        ("fill", "new Array(1e8).fill(1);"),
        ("from", "Array.from({length: 2**53-1});"),
        (
            "concat",
            "[].concat({length: 2**53-1, [Symbol.isConcatSpreadable]: true});",
        ),
        (
            "replaced Number",
            "Number = () => 0; Array.prototype.indexOf.call({length: 2**53-1}, 1);",
        ),
        (
            "catch oom",
            "for(;;){try{new Array(1e8).fill(1)}catch(e){}}",
        ),
        (
            "catch guard",
            "for(;;){try{Array.prototype.indexOf.call({length: 2**53-1}, 1)}catch(e){}}",
        ),
        (
            "catch oom near the cap",
            "for(;;){try{let a=[];for(let i=0;i<1e6;i++)a.push({i})}catch(e){}}",
        ),
    ] {
        let script = format!("function (u, c, cb) {{ {body} cb(null, u, c); }}");
        let started = Instant::now();
        let r = run_with(&[rule(name, &script)], &limits);
        let took = started.elapsed();
        assert!(
            took < limits.timeout + GRACE + Duration::from_secs(2),
            "{name}: took {took:?}"
        );
        match failure(&r) {
            Failure::Timeout(_) | Failure::OutOfMemory(_) => {}
            Failure::Threw {
                name: n, message, ..
            } if n == "RangeError" => {
                assert!(message.contains("sandbox's limit"), "{name}: {message}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn out_of_memory_is_named_as_such() {
    let limits = Limits {
        timeout: Duration::from_secs(10),
        memory_bytes: 16 << 20,
    };
    for (name, body) in [
        (
            "array",
            "const a = []; for (;;) a.push(new Array(100000).fill(1));",
        ),
        (
            "rethrown",
            "const a = []; try { for (;;) a.push('x'.repeat(1 << 16) + a.length); } catch (e) { throw e; }",
        ),
        ("strings", "let s = 'x'; for (;;) s += s;"),
        (
            "objects",
            "const a = []; for (;;) a.push({a: 1, b: [a.length]});",
        ),
    ] {
        let script = format!("function (u, c, cb) {{ {body} }}");
        let r = run_with(&[rule(name, &script)], &limits);
        assert_eq!(
            failure(&r),
            &Failure::OutOfMemory(limits.memory_bytes),
            "{name}"
        );
        assert!(
            failure(&r).to_string().contains("ran out of memory"),
            "{name}"
        );
    }
}

#[test]
fn a_script_that_throws_null_is_told_so_not_out_of_memory() {
    let r = run(&[rule("n", "function (u, c, cb) { throw null; }")]);
    match failure(&r) {
        Failure::Threw { message, .. } => assert_eq!(message, "null"),
        other => panic!("{other:?}"),
    }
}
