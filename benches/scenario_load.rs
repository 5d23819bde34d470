//! Scenario loading throughput: how long `validate` takes on a large valid
//! flow and on a large flow where every command is wrong (the error path
//! builds a diagnostic with a suggestion per command).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn flow(steps: usize, bad: bool) -> String {
    let mut s = String::from("appId: com.example.app\nname: bench\n---\n");
    for i in 0..steps {
        if bad {
            writeln!(s, "- tapOn:\n    txet: \"Button {i}\"").expect("string write");
        } else {
            writeln!(
                s,
                "- tapOn:\n    text: \"Button {i}|Knopf {i}\"\n    optional: true\n- idle: 500ms\n- mark: m-{i}"
            )
            .expect("string write");
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let env = BTreeMap::new();
    let path = Path::new("bench.yaml");
    let mut group = c.benchmark_group("scenario_load");
    for (name, bad) in [("valid_3000_steps", false), ("invalid_3000_steps", true)] {
        let src = flow(if bad { 3000 } else { 1000 }, bad);
        group.throughput(Throughput::Bytes(src.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let r = consentry::scenario::load_str(path, &src, &env);
                assert_eq!(r.is_ok(), !bad);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
