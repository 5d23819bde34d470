#!/usr/bin/env bash
# Fuzzes every Android parser (fuzz/fuzz_targets/*.rs) with cargo-fuzz and
# libFuzzer for SECONDS each (default 20), one target after the other.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      # make fuzz [FUZZ_SECONDS=60]
#
# - installs cargo-fuzz once (`cargo install cargo-fuzz --locked`);
# - uses the nightly toolchain when rustup has one, else the stable one with
#   RUSTC_BOOTSTRAP=1 (libFuzzer needs -Z flags); FUZZ_TOOLCHAIN=stable or
#   nightly forces the choice;
# - seeds fuzz/corpus/TARGET (git-ignored) at run time from the real
#   captures of the target's kind in ../shared/real-captures (or
#   $CONSENTRY_CAPTURES), cut into pieces of 64 lines so that inputs stay
#   small, plus the hand-written seeds in fuzz/seeds/TARGET; the corpus
#   grows across runs;
# - a crash or a broken invariant leaves the input in fuzz/artifacts/TARGET
#   and the script exits 1 after running the other targets. Reproduce with
#   `RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`
#   from fuzz/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-20}
[ $# -gt 0 ] && shift
all=(logcat appops appops_get package activity_focus window_focus exit_info
    uiautomator getprop pm_list wm_size quote)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
captures=${CONSENTRY_CAPTURES:-$root/../shared/real-captures}
target_dir=${FUZZ_TARGET_DIR:-$root/fuzz/target}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
    if command -v rustup >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1; then
        toolchain=nightly
    else
        toolchain=stable
    fi
fi
fuzz() {
    if [ "$toolchain" = nightly ]; then
        cargo +nightly fuzz "$@"
    else
        # Stable rustc accepts the -Z flags cargo-fuzz passes when told it
        # is bootstrapping itself.
        RUSTC_BOOTSTRAP=1 cargo fuzz "$@"
    fi
}
echo "fuzz: $toolchain toolchain ($(if [ "$toolchain" = nightly ]; then rustc +nightly --version; else rustc --version; fi))" >&2

# Which captures seed which target.
seeds_of() {
    case $1 in
        logcat) echo logcat/*.txt ;;
        appops) echo dumpsys/dumpsys_appops_*.txt ;;
        appops_get) echo dumpsys/appops_get_*.txt ;;
        package) echo dumpsys/dumpsys_package_*.txt ;;
        activity_focus) echo dumpsys/dumpsys_activity_activities_*.txt ;;
        window_focus) echo dumpsys/dumpsys_window_*.txt ;;
        uiautomator) echo uiautomator/*.xml ;;
        getprop) echo dumpsys/getprop_*.txt ;;
        pm_list) echo dumpsys/pm_list_packages_*.txt ;;
        *) ;;
    esac
}

cd "$root/fuzz"
for t in "${targets[@]}"; do
    corpus=$root/fuzz/corpus/$t
    mkdir -p "$corpus"
    if [ -d "$captures" ]; then
        for rel in $(cd "$captures" && seeds_of "$t"); do
            [ -f "$captures/$rel" ] || continue
            name=$(basename "$rel")
            if [ "${rel##*.}" = xml ]; then
                cp "$captures/$rel" "$corpus/capture-$name"
            else
                split -l 64 -d -a 3 "$captures/$rel" "$corpus/capture-$name-"
            fi
        done
    else
        echo "fuzz: no captures at $captures; seeding from fuzz/seeds only" >&2
    fi
    if [ -d "$root/fuzz/seeds/$t" ]; then
        cp "$root/fuzz/seeds/$t"/* "$corpus/"
    fi
done

fuzz build --debug-assertions --target-dir "$target_dir"

failed=()
for t in "${targets[@]}"; do
    echo "fuzz: $t for ${seconds}s ($(find "$root/fuzz/corpus/$t" -type f | wc -l) corpus files)" >&2
    if ! fuzz run --debug-assertions --target-dir "$target_dir" "$t" "$root/fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -max_len=32768 -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 2> "$root/fuzz/artifacts-$t.log.tmp"; then
        failed+=("$t")
    fi
    mkdir -p "$root/fuzz/artifacts"
    mv "$root/fuzz/artifacts-$t.log.tmp" "$root/fuzz/artifacts/$t.log"
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' \
        "$root/fuzz/artifacts/$t.log" | sed "s/^/fuzz: $t: /" >&2 || true
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/TARGET, logs in fuzz/artifacts/TARGET.log)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no failure" >&2
