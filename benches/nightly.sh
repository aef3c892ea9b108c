#!/usr/bin/env bash
# The nightly benchmark (issue 6): with 365 days in the lake and one new day of exports, how
# long `opsbench run` takes, against a full rebuild of the same lake from every export.
#
# It generates 366 days of exports (ROWS CCU rows in all, default 40,000,000: the density of
# `bench.sh`'s 10 M rows over 90 days), holds back the last day of CCU and SLO, runs the lake
# up to day 365 (untimed: the nights before), then times `run` with the new day's exports added
# (the nightly run) and `run` into a fresh lake from all exports (the rebuild), and checks that
# both wrote the same tables byte for byte (the clock pinned with SOURCE_DATE_EPOCH).
#
# usage: benches/nightly.sh [ROWS]      BENCH_DIR (default /tmp/opsbench-nightly) holds the data.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/opsbench/target}"
rows="${1:-40000000}"
dir="${BENCH_DIR:-/tmp/opsbench-nightly}"
cargo build --release -q
bin="$CARGO_TARGET_DIR/release/opsbench"
rm -rf "$dir" && mkdir -p "$dir"
ex="$dir/exports"
"$bin" --out "$ex" generate --rows "$rows" --days 366 --end 2026-11-24 --quiet > /dev/null
last=2026-11-24
# hold back the last day: each export's rows of that day go to a file read only on the night
for ds in ccu slo; do
    mkdir -p "$dir/new/$ds"
    for f in "$ex/$ds"/*.csv; do
        base=$(basename "$f" .csv)
        awk -v day="$last" -v early="$f.early" -v late="$dir/new/$ds/$base-late.csv" '
            NR == 1 { print > early; print > late; next }
            substr($0, 1, 10) < day { print > early; next }
            { print > late }' "$f"
        mv "$f.early" "$f"
    done
done
export SOURCE_DATE_EPOCH=1795651200 # 2026-11-25T00:00:00Z
export OPSBENCH_LOG=opsbench::lake::daily=debug
measure() { # name, command...
    local name="$1"; shift
    # exit 1 means data problems were reported, which a run may do; worse is a failure
    local code=0
    /usr/bin/time -f "%e %U %S %M" -o "$dir/t.$name" "$@" > "$dir/log.$name" 2>&1 || code=$?
    if [ "$code" -gt 1 ]; then echo "$name failed; see $dir/log.$name" >&2; return 1; fi
    read -r wall user sys rss < "$dir/t.$name"
    awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
        'BEGIN { printf "| %s | %s | %.2f | %d |\n", n, w, u + s, r / 1024 }'
}
run=("$bin" --config "$ex/opsbench.toml") # then --lake, --out, --as-of, run
# the nights before: days 1..365
"${run[@]}" --lake "$dir/lake" --out "$dir/out" --as-of 2026-11-24T00:00:00Z run --quiet \
    > "$dir/log.before" 2>&1 || true
# the new day arrives
for ds in ccu slo; do cp "$dir/new/$ds"/*.csv "$ex/$ds/"; done
echo "| step | wall s | CPU s | peak RSS MB |"
echo "| --- | --- | --- | --- |"
measure nightly_run "${run[@]}" --lake "$dir/lake" --out "$dir/out" \
    --as-of 2026-11-25T00:00:00Z run --quiet
measure full_rebuild "${run[@]}" --lake "$dir/lake-rebuild" --out "$dir/out-rebuild" \
    --as-of 2026-11-25T00:00:00Z run --quiet
n=$(awk '{print $1}' "$dir/t.nightly_run")
f=$(awk '{print $1}' "$dir/t.full_rebuild")
awk -v n="$n" -v f="$f" 'BEGIN { printf "\nnightly / rebuild: %.3f\n", n / f }'
for n in nightly_run full_rebuild; do
    echo "$n: $(grep -o "reused=[0-9]* recomputed=[0-9]*" "$dir/log.$n")"
done
if diff -rq "$dir/out/tables" "$dir/out-rebuild/tables" > /dev/null; then
    echo "tables: identical to the rebuild ($(ls "$dir/out/tables" | wc -l) files)"
else
    echo "tables: DIFFER from the rebuild" >&2
    diff -rq "$dir/out/tables" "$dir/out-rebuild/tables" >&2
    exit 1
fi
