"""Run the DuckDB scripts of benches/duckdb/ over an opsbench lake, time each one, and check
opsbench's tables against them (DuckDB as an independent oracle).

usage: duckdb_oracle.py LAKE OUT AS_OF        (AS_OF like 2026-11-01T00:00:00Z)
Prints one line per query (`query seconds rows`) and per check (`check ok|FAIL detail`);
exits 1 when a check fails.
"""
import csv
import math
import os
import sys
import time

import duckdb

lake, out, as_of = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "duckdb")
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
results = {}
for name in ["daily_peak", "slo_days", "impact", "rolling7"]:
    sql = open(os.path.join(here, name + ".sql")).read().format(lake=lake, as_of=as_of)
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    took = time.perf_counter() - started
    results[name] = rows
    print(f"query {name} {took:.3f} {len(rows)}")


def table(name):
    path = os.path.join(out, "tables", name + ".csv")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def close(a, b, rel=1e-9, abs_=1e-6):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


failed = False
# slo_metrics day rows (service and region both named) against DuckDB's sums
ours = {
    (r["period"], r["service"], r["region"]): r
    for r in table("slo_metrics")
    if r["period_kind"] == "day" and r["service"] != "*" and r["region"] != "*"
}
theirs = {(p, s, r): (req, err, av) for p, s, r, req, err, av in results["slo_days"]}
bad = [k for k, (req, err, av) in theirs.items()
       if k not in ours or int(ours[k]["requests"]) != req or int(ours[k]["errors"]) != err
       or not close(ours[k]["availability"], av)]
extra = [k for k in ours if k not in theirs]
ok = not bad and not extra
failed |= not ok
print(f"check slo_days {'ok' if ok else 'FAIL'} {len(theirs)} rows compared; {len(bad)} differ, {len(extra)} only in opsbench {bad[:3]}")
# incident_impact's player-minutes against DuckDB's range join
ours = {r["incident_id"]: r["player_minutes_lost"] for r in table("incident_impact")}
theirs = {i: m for i, m in results["impact"]}
bad = [i for i, m in theirs.items() if ours.get(i, "") == "" or not close(ours[i], m, rel=1e-9, abs_=1e-3)]
ok = not bad
failed |= not ok
print(f"check impact {'ok' if ok else 'FAIL'} {len(theirs)} incidents compared; {len(bad)} differ {[(i, ours.get(i), theirs[i]) for i in bad[:3]]}")
sys.exit(1 if failed else 0)
