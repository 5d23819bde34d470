//! Logcat parsing throughput on the real captures in
//! `../shared/real-captures/logcat` (read in place, never copied here):
//! each file on its own, then each `-v` format's files concatenated and
//! repeated to about 8 MB, so that the MB/s figure is not dominated by
//! per-call costs. `cargo bench --bench logcat_parse` prints MB/s
//! (criterion's `thrpt`, in MiB/s). Goal: at least 50 MB/s on threadtime.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use consentry::android::logcat;

const TARGET_BYTES: usize = 8 * 1024 * 1024;

/// The `-v` format a capture was taken with, from its file name.
fn format_of(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.contains("brief") {
        "brief"
    } else if name.contains("-v_uid") {
        "threadtime+uid"
    } else if name.contains("threadtime") {
        "threadtime"
    } else {
        "other"
    }
}

fn captures() -> Vec<(PathBuf, String)> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/real-captures/logcat"
    ));
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!(
            "logcat_parse: no captures at {}; nothing to measure",
            dir.display()
        );
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect()
}

fn bench(c: &mut Criterion) {
    let files = captures();

    let mut group = c.benchmark_group("logcat_parse/file");
    for (path, text) in &files {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new(format_of(path), stem),
            text.as_str(),
            |b, t| b.iter(|| logcat::parse(black_box(t))),
        );
    }
    group.finish();

    let mut formats: Vec<&str> = files.iter().map(|(p, _)| format_of(p)).collect();
    formats.sort_unstable();
    formats.dedup();
    let mut group = c.benchmark_group("logcat_parse/8MB");
    group.sample_size(10);
    for format in formats {
        let one: String = files
            .iter()
            .filter(|(p, _)| format_of(p) == format)
            .map(|(_, t)| t.as_str())
            .collect();
        if one.is_empty() {
            continue;
        }
        let big = one.repeat(TARGET_BYTES.div_ceil(one.len()));
        group.throughput(Throughput::Bytes(big.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(format), big.as_str(), |b, t| {
            b.iter(|| logcat::parse(black_box(t)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
