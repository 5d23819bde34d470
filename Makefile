# consentry — see README.md. On a fresh machine: `make demo`, then `make test`.
CARGO ?= cargo
BIN := target/release/consentry

.PHONY: setup build demo test lint fmt bench bench-adb bench-vision bench-run bench-suite bench-batch fuzz schema clean

## setup: install adb, fonts and Rust components (idempotent)
setup:
	./scripts/setup.sh

build:
	$(CARGO) build --release --locked

## demo: install what is needed and run the main job against the built-in
## simulated device (until the engine lands: validate the examples, drive the
## device through adb, show what the parsers read).
demo: setup build
	./scripts/demo.sh

## test: format check, clippy with warnings as errors, every test
test: setup lint
	$(CARGO) test --locked --all-targets
	$(CARGO) test --locked --doc

## lint: rustfmt and clippy
lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

## bench: criterion benchmarks (adb_shell needs Debian's adb: setup installs it)
bench: setup
	$(CARGO) bench --locked

## bench-adb: shell round trip through the adb server: consentry, adb_client, adb CLI
bench-adb: setup
	$(CARGO) bench --locked --bench adb_shell

## bench-vision: the vision criterion benchmarks, then the side-by-side
## comparison with OpenCV (installs opencv-python-headless in a virtualenv)
bench-vision:
	$(CARGO) bench --locked --bench vision
	./scripts/compare_opencv.sh

## bench-run: consentry run against a hand-written adbutils loop on the
## simulator with realistic latency (installs adbutils in a virtualenv)
bench-run: setup
	./scripts/compare_adbutils.sh

## bench-suite: the built-in suite (both passes) on one fixture app with
## realistic device costs: wall time, UI dumps, screenshots
bench-suite: setup build
	./scripts/bench_suite.sh

## bench-batch: batch throughput over 1, 2, 4 and 8 simulated devices with
## realistic device costs: apps per minute, scaling efficiency, peak RSS
## (about 17 minutes on 2 cores; the tables go to target/bench-batch.txt)
bench-batch: setup build
	./scripts/bench_batch.sh

## fuzz: every Android parser under cargo-fuzz (libFuzzer) for FUZZ_SECONDS
## each, seeded from ../shared/real-captures; installs cargo-fuzz once and
## uses stable with RUSTC_BOOTSTRAP=1 when there is no nightly toolchain
FUZZ_SECONDS ?= 20
fuzz:
	./scripts/fuzz.sh $(FUZZ_SECONDS)

## schema: regenerate schemas/*.schema.json after changing src/scenario/raw.rs, src/evidence,
## src/verdict, src/batch/apps.rs or src/report
schema:
	$(CARGO) run --quiet --locked -- schema > schemas/scenario.schema.json
	$(CARGO) run --quiet --locked -- schema evidence > schemas/evidence.schema.json
	$(CARGO) run --quiet --locked -- schema verdict > schemas/verdict.schema.json
	$(CARGO) run --quiet --locked -- schema apps > schemas/apps.schema.json
	$(CARGO) run --quiet --locked -- schema report > schemas/report.schema.json

clean:
	$(CARGO) clean
