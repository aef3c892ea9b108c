# opsbench recipes. `just` lists them; every recipe is plain cargo underneath (see README).

export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", env_var("HOME") + "/.cache/opsbench/target")

default:
    @just --list

# the test suite (the README's test command)
test:
    cargo test --release

# formatting, lints, tests and docs: what a change must pass
check:
    cargo fmt --check
    cargo clippy --release --all-targets -- -D warnings
    cargo test --release
    cargo doc --release --no-deps

# generate ~90 days of telemetry, load it and write out/report.html
demo:
    cargo run --release -- demo

# rewrite the expected outputs of the fixtures from the current code (review the diff!)
fixtures:
    OPSBENCH_BLESS=1 cargo test --release --test it each_dataset_fixture

# the benchmark suite: generated lakes (default 10 M CCU rows; `just bench 10000000 100000000`),
# `opsbench run` and each stage timed beside DuckDB over the same lake, DuckDB as an oracle
bench *ROWS:
    bash benches/bench.sh {{ROWS}}

# ingest throughput alone (10 M CCU rows), with time and peak memory
# the nightly run against a full rebuild: 366 days generated, the last held back, then
# `run` with the new day timed beside `run` into a fresh lake; the tables must be identical
bench-nightly ROWS="40000000":
    bash benches/nightly.sh {{ROWS}}

bench-ingest:
    cargo build --release
    rm -rf /tmp/opsbench-bench-ingest && mkdir -p /tmp/opsbench-bench-ingest
    "$CARGO_TARGET_DIR/release/opsbench" --out /tmp/opsbench-bench-ingest/exports generate --rows 10000000 --days 90 --end 2026-10-31
    /usr/bin/time -v "$CARGO_TARGET_DIR/release/opsbench" --lake /tmp/opsbench-bench-ingest/lake ingest ccu /tmp/opsbench-bench-ingest/exports/ccu/*.csv

# the forecast backtest on the shared real series (prints the table) and the 20-region × 365-day timing
bench-forecast:
    cargo test --release --lib forecast::bench_tests -- --nocapture
    cargo test --release --lib forecast::region_tests::speed -- --ignored --nocapture
