//! `cargo bench --bench ruletests`: `a0ctl test`'s throughput. A tree of 10 rules and 1,000 cases
//! (every tenth runs the whole pipeline of 10, the others one rule each) is loaded once, then
//! every case runs in a fresh sandbox, as `a0ctl test` does; the median of 5 runs is printed as
//! cases per second.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use a0ctl::rules_runtime::{self, Limits};
use a0ctl::ruletest;

const RULES: usize = 10;
const CASES: usize = 1_000;
const RUNS: usize = 5;

fn write_tree(dir: &std::path::Path) {
    let mut rules = String::from("rules:\n");
    for i in 0..RULES {
        // A realistic rule: reads metadata, adds namespaced claims, may deny.
        writeln!(
            rules,
            "  - name: rule-{i}\n    order: {}\n    script: |\n      function (user, context, callback) {{\n        const roles = (user.app_metadata && user.app_metadata.roles) || [];\n        if (roles.indexOf('banned-{i}') !== -1) {{\n          return callback(new UnauthorizedError('banned by rule {i}'));\n        }}\n        context.idToken[configuration.NS + 'r{i}'] = roles.filter(function (r) {{ return r.length > 2; }});\n        context.accessToken[configuration.NS + 'client'] = context.clientName;\n        user.user_metadata = Object.assign({{}}, user.user_metadata, {{ seen{i}: true }});\n        callback(null, user, context);\n      }}",
            i + 1
        )
        .unwrap();
    }
    std::fs::write(dir.join("rules.yaml"), rules).unwrap();
    let mut tests = String::from("rule_tests:\n");
    for c in 0..CASES {
        let i = c % RULES;
        let rule = if c % 10 == 9 {
            "pipeline".to_string()
        } else {
            format!("rule-{i}")
        };
        let banned = c % 7 == 0;
        let roles = if banned {
            format!("[admin, banned-{i}]")
        } else {
            "[admin, ops]".to_string()
        };
        let expect = if banned {
            format!("error: {{message: banned by rule {i}}}")
        } else if rule == "pipeline" {
            "idToken: {\"https://example.com/r0\": [admin, ops], \"https://example.com/r9\": [admin, ops]}".to_string()
        } else {
            format!("idToken: {{\"https://example.com/r{i}\": [admin, ops]}}")
        };
        writeln!(
            tests,
            "  - name: case {c}\n    rule: {rule}\n    configuration: {{NS: \"https://example.com/\"}}\n    user: {{user_id: \"auth0|{c}\", email: u{c}@example.com, app_metadata: {{roles: {roles}}}}}\n    context: {{clientID: abc, clientName: Storefront}}\n    expect: {{{expect}}}"
        )
        .unwrap();
    }
    std::fs::write(dir.join("bench.test.yaml"), tests).unwrap();
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path());
    let suite = ruletest::load(&[dir.path().to_path_buf()], &Default::default())
        .unwrap_or_else(|e| panic!("{:?}", e.0));
    assert_eq!(suite.cases.len(), CASES);
    let limits = Limits::default();
    let mut times: Vec<Duration> = Vec::new();
    for run in 0..RUNS {
        let start = Instant::now();
        let mut failed = 0;
        for case in &suite.cases {
            if !ruletest::run_case(&suite, case, &limits)
                .mismatches
                .is_empty()
            {
                failed += 1;
            }
        }
        let took = start.elapsed();
        assert_eq!(failed, 0, "every benchmark case passes");
        println!(
            "run {}: {CASES} cases in {:.3} s ({:.0} cases/s)",
            run + 1,
            took.as_secs_f64(),
            CASES as f64 / took.as_secs_f64()
        );
        times.push(took);
    }
    times.sort();
    let median = times[RUNS / 2];
    // The fixed cost of a case: a sandbox started and torn down with no rule to run.
    let start = Instant::now();
    for _ in 0..CASES {
        let run = rules_runtime::run_pipeline(
            &[],
            &serde_json::json!({}),
            &rules_runtime::default_context(),
            &serde_json::json!({}),
            &limits,
        );
        assert!(matches!(
            run.verdict,
            rules_runtime::Verdict::Allowed { .. }
        ));
    }
    let empty = start.elapsed();
    println!(
        "sandbox alone: {:.3} ms a case; median: {CASES} cases over {RULES} rules in {:.3} s: {:.0} cases/s",
        empty.as_secs_f64() * 1000.0 / CASES as f64,
        median.as_secs_f64(),
        CASES as f64 / median.as_secs_f64()
    );
}
