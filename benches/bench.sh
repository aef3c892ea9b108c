#!/usr/bin/env bash
# The benchmark suite (issue 6): for each size, generate a lake with `opsbench generate`, then
# time, one after the other: `opsbench run` end to end, `run` again over the loaded lake,
# the `metrics` and `forecast` stages alone (with the per-day aggregates and month copies `run`
# kept, then without them), and the DuckDB scripts of benches/duckdb/ over the same lake (in a venv made here);
# DuckDB also checks opsbench's figures (benches/duckdb_oracle.py). Prints a table of wall
# time, CPU time and peak RSS (/usr/bin/time) with the ratio opsbench / DuckDB.
#
# usage: benches/bench.sh [ROWS ...]      default: 10000000 (CCU rows; the rest scale with it)
# BENCH_DIR (default /tmp/opsbench-bench) holds the data; it is rebuilt each time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/opsbench/target}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000000)
dir="${BENCH_DIR:-/tmp/opsbench-bench}"
as_of="2026-11-01T00:00:00Z"
cargo build --release -q
bin="$CARGO_TARGET_DIR/release/opsbench"
venv="$dir/venv"
mkdir -p "$dir"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q duckdb polars
measure() { # name, command...: appends "name wall cpu rss_mb" to $dir/times
    local name="$1"; shift
    /usr/bin/time -f "%e %U %S %M" -o "$dir/t.$name" "$@" > "$dir/log.$name" 2>&1 || {
        echo "$name failed; see $dir/log.$name" >&2; return 1; }
    read -r wall user sys rss < "$dir/t.$name"
    awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
        'BEGIN { printf "%s %s %.2f %d\n", n, w, u + s, r / 1024 }' >> "$dir/times"
}
printf "machine: %s, %s cores, %s GB\n" "$(uname -m)" "$(nproc)" "$(free -g | awk '/Mem:/ {print $2}')"
for rows in "${sizes[@]}"; do
    d="$dir/$rows"
    rm -rf "$d" && mkdir -p "$d"
    : > "$dir/times"
    "$bin" --out "$d/exports" generate --rows "$rows" --days 90 --end 2026-10-31 --quiet > /dev/null
    measure run "$bin" --config "$d/exports/opsbench.toml" --lake "$d/lake" --out "$d/out" --as-of "$as_of" run --quiet
    # the same run again, nothing new to ingest: every figure from the loaded lake
    measure run_loaded "$bin" --config "$d/exports/opsbench.toml" --lake "$d/lake" --out "$d/out-r" --as-of "$as_of" run --quiet
    measure metrics "$bin" --config "$d/exports/opsbench.toml" --lake "$d/lake" --out "$d/out-m" --as-of "$as_of" metrics --quiet
    measure forecast "$bin" --config "$d/exports/opsbench.toml" --lake "$d/lake" --out "$d/out-f" --as-of "$as_of" forecast --quiet
    # the same two stages without the per-day aggregates and month copies (what a first run pays)
    rm -rf "$d/lake/_derived/daily" "$d/lake/_derived/monthly"
    measure metrics_cold "$bin" --config "$d/exports/opsbench.toml" --lake "$d/lake" --out "$d/out-m" --as-of "$as_of" metrics --quiet
    rm -rf "$d/lake/_derived/daily" "$d/lake/_derived/monthly"
    measure forecast_cold "$bin" --config "$d/exports/opsbench.toml" --lake "$d/lake" --out "$d/out-f" --as-of "$as_of" forecast --quiet
    measure duckdb "$venv/bin/python" benches/duckdb_oracle.py "$d/lake" "$d/out" "$as_of"
    # ingest throughput beside a bare polars CSV-to-Parquet conversion of the same CCU files
    measure ingest_ccu "$bin" --lake "$d/lake-ingest" ingest ccu "$d"/exports/ccu/*.csv --quiet
    measure polars_csv_to_parquet "$venv/bin/python" benches/polars_convert.py "$d/polars-out" "$d"/exports/ccu/*.csv
    ccu_rows=$("$bin" --lake "$d/lake" lake status --json | "$venv/bin/python" -c 'import json,sys; print(next(x["rows"] for x in json.load(sys.stdin)["datasets"] if x["dataset"]=="ccu"))')
    echo
    echo "## $ccu_rows CCU rows ($(du -sh "$d/lake" | cut -f1) lake)"
    echo
    echo "| step | wall s | CPU s | peak RSS MB |"
    echo "| --- | --- | --- | --- |"
    awk '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}' "$dir/times"
    duck=$(awk '$1=="duckdb" {print $2}' "$dir/times")
    metrics=$(awk '$1=="metrics" {print $2}' "$dir/times")
    echo
    echo "DuckDB queries (in-process, wall s):"
    grep '^query' "$dir/log.duckdb" | awk '{printf "- %s: %s s (%s rows)\n", $2, $3, $4}'
    echo "Oracle checks:"
    grep '^check' "$dir/log.duckdb" | sed 's/^/- /'
    cold=$(awk '$1=="metrics_cold" {print $2}' "$dir/times")
    awk -v m="$metrics" -v c="$cold" -v d="$duck" 'BEGIN { printf "Ratio metrics / DuckDB script: %.2f (without the per-day aggregates: %.2f)\n", m / d, c / d }'
    loaded=$(awk '$1=="run_loaded" {print $2}' "$dir/times")
    queries=$(grep '^query' "$dir/log.duckdb" | awk '{s += $3} END {printf "%.3f", s}')
    awk -v r="$loaded" -v q="$queries" 'BEGIN { printf "Ratio run over the loaded lake / sum of DuckDB queries (%s s): %.2f\n", q, r / q }'
    ing=$(awk '$1=="ingest_ccu" {print $2}' "$dir/times")
    bare=$(awk '$1=="polars_csv_to_parquet" {print $2}' "$dir/times")
    awk -v i="$ing" -v b="$bare" 'BEGIN { printf "Ingest throughput / bare polars conversion: %.2f (time ratio polars / opsbench)\n", b / i }'
done
