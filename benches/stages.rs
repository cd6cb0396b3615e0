//! `cargo bench --bench stages`: the pure stages at 10,000 resources (criterion): loading and
//! validating manifests, diffing, planning.

use std::fmt::Write as _;

use a0ctl::diff::{self, Options};
use a0ctl::live::Live;
use a0ctl::manifest::{self, LoadOptions};
use a0ctl::plan;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const N: usize = 10_000;

fn manifest_text(variant: u32) -> String {
    let third = N / 3;
    let mut m = String::from("connections:\n");
    for i in 0..N - 2 * third {
        writeln!(
            m,
            "  - name: conn-{i}\n    strategy: auth0\n    options: {{n: {i}, v: {variant}}}"
        )
        .unwrap();
    }
    m.push_str("clients:\n");
    for i in 0..third {
        writeln!(
            m,
            "  - name: app-{i}\n    callbacks: [https://app{i}.example.com/cb{variant}]"
        )
        .unwrap();
    }
    m.push_str("rules:\n");
    for i in 0..third {
        writeln!(
            m,
            "  - name: rule-{i}\n    order: {}\n    script: 'function (user, context, callback) {{ /* {variant} */ callback(null, user, context); }}'",
            i + 1
        )
        .unwrap();
    }
    m
}

fn stages(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.yaml");
    std::fs::write(&path, manifest_text(0)).unwrap();
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("tenant.yaml"), manifest_text(1)).unwrap();
    let vars = a0ctl::manifest::Vars::default();
    let options = LoadOptions {
        env: &|_| None,
        vars: &vars,
        lenient_env: false,
        ignore: &[],
    };
    let mut group = c.benchmark_group("10k resources");
    group.sample_size(10);

    group.bench_function("load and validate", |b| {
        b.iter(|| manifest::load(std::slice::from_ref(&path), &options).expect("valid"))
    });

    let desired = manifest::load(std::slice::from_ref(&path), &options)
        .unwrap()
        .take_resources();
    let changed = manifest::load(&[other], &options).unwrap().take_resources();
    let same_live = diff::live_from_resources(&desired);
    let changed_live = diff::live_from_resources(&changed);
    let empty = Live::default();
    group.bench_function("diff, no changes", |b| {
        b.iter(|| diff::diff(&desired, &same_live, &Options::default()).unwrap())
    });
    group.bench_function("diff, every resource changed", |b| {
        b.iter(|| diff::diff(&desired, &changed_live, &Options::default()).unwrap())
    });
    let creates = diff::diff(&desired, &empty, &Options::default()).unwrap();
    group.bench_function("plan, all creates", |b| {
        b.iter_batched(
            || creates.clone(),
            |c| plan::plan(c, &empty, &a0ctl::dialect::V1).expect("no cycle"),
            BatchSize::LargeInput,
        )
    });
    let updates = diff::diff(&desired, &changed_live, &Options::default()).unwrap();
    group.bench_function("plan, all updates", |b| {
        b.iter_batched(
            || updates.clone(),
            |c| plan::plan(c, &changed_live, &a0ctl::dialect::V1).expect("no cycle"),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
