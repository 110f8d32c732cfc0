#!/usr/bin/env bash
# Builds the release configuration and runs the pattern benchmark, then prints each
# evaluator's ns/event and its ratio to the baselines measured in the same run:
#   floor = simdjson On Demand iterate + walk top-level keys (the least an evaluator can do),
#   dom   = simdjson DOM parse of each event, ref = the test-only reference evaluator.
# Then the alarm benchmark: ms to replay one year of per-minute samples through 20 alarms,
# for a sparse (metric-filter-like) and a dense series. Then discovery: input::Discover
# against a readdir-only and a one-thread readdir + stat walk of the same tree.
# Usage: perf/run-benchmarks.sh [extra Google Benchmark flags for the pattern benchmark]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh release >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
build/perf/bench_pattern --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.5 --benchmark_format=json "$@" >"$out"
python3 - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
ns = {}
for b in data["benchmarks"]:
    if b.get("aggregate_name") == "median":
        ns[b["run_name"].removeprefix("BM_")] = b["ns_per_event"] * 1e9
floor, dom, ref = ns.get("OnDemandFloor"), ns.get("DomParse"), ns.get("ReferenceEvaluator")
print(f"{'benchmark (median of 5)':28} {'ns/event':>9} {'x floor':>8} {'x dom':>7} {'ref / x':>8}")
for name, v in ns.items():
    print(f"{name:28} {v:9.0f} {v/floor:8.2f} {v/dom:7.2f} {ref/v:8.1f}")
ctx = data["context"]
print(f"\n{ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz; load {ctx.get('load_avg')}")
PY

build/perf/bench_alarm --benchmark_filter=BM_ReplayYear --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$out"
python3 - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
print(f"\n{'alarm replay (median of 5)':28} {'ms/year':>9} {'Meval/s':>8} {'transitions':>12}")
for b in data["benchmarks"]:
    if b.get("aggregate_name") == "median":
        ms = b["cpu_time"] if b["time_unit"] == "ms" else b["cpu_time"] / 1e6
        print(f"{b['run_name'].removeprefix('BM_') + ' ' + b.get('label', ''):28} {ms:9.1f} "
              f"{b['evaluations'] / 1e6:8.1f} {b['transitions_per_year']:12.0f}")
PY

# Discovery of a 12,960-file S3 layout (or TRAILREPLAY_DISCOVERY_TREE): ms per walk, and the
# ratio to the one-thread readdir + stat walk measured beside it.
build/perf/bench_discovery --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out"
python3 - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
ms = {b["run_name"].removeprefix("BM_").removesuffix("/real_time"): b["real_time"]
      for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
base = ms["SequentialStat"]
print(f"\n{'discovery (median of 5)':28} {'ms':>9} {'x stat walk':>12}")
for name, v in ms.items():
    print(f"{name:28} {v:9.1f} {v / base:12.2f}")
PY
