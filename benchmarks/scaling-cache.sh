#!/usr/bin/env bash
# Cached against streaming curvature (Curvature.CacheMode all / none) on the scaling case (issue 13, item 4): per N,
# ROUNDS rounds alternating the modes (the order rotated every round), each one org.hesse.bench.ScalingHvp
# process under /usr/bin/time -v: the median HVP times (update + apply, apply alone) and the peak RSS.
#
# Usage: benchmarks/scaling-cache.sh CASE_DIR N...   CASE_DIR as written by `scaling_pytorch.py generate` (model.json,
# model.safetensors, v.safetensors). Environment: WARMUP (1), RUNS (2), ROUNDS (2), BATCH (256), THREADS (2),
# XMX (14g, every mode), JAVA (java), MODES ("all none"; add "partial": auto under -Dhesse.memory.budget=BUDGET,
# e.g. BUDGET=600m, so that only the first batches are cached). Needs benchmarks/target/hesse-benchmarks.jar (mvn -o package -pl benchmarks -am).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 2 ] || { echo "usage: $0 CASE_DIR N..." >&2; exit 2; }
case_dir="$1"; shift
warmup="${WARMUP:-1}" runs="${RUNS:-2}" rounds="${ROUNDS:-2}" batch="${BATCH:-256}" threads="${THREADS:-2}"
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads"
jar="$here/target/hesse-benchmarks.jar"
modes=(${MODES:-all none})
echo "N,round,cache,cached_batches,hvp_ms,apply_ms,cache_bytes_all,peak_rss_mb,load1_start,load1_end"
for n in "$@"; do
  out="$(mktemp -d /tmp/hesse-cache.XXXXXX)"
  cp "$case_dir"/model.json "$case_dir"/model.safetensors "$case_dir"/v.safetensors "$out/"
  for ((r = 0; r < rounds; r++)); do
    for ((i = 0; i < ${#modes[@]}; i++)); do
      m="${modes[(i + r) % ${#modes[@]}]}"
      opts=("-Dhesse.curvature.cache=$m")
      [ "$m" = partial ] && opts=("-Dhesse.curvature.cache=auto" "-Dhesse.memory.budget=${BUDGET:?BUDGET for partial}")
      load="$(cut -d' ' -f1 /proc/loadavg)"
      /usr/bin/time -v -o "$out/time.txt" "${JAVA:-java}" --add-modules jdk.incubator.vector -XX:ObjectAlignmentInBytes=16 \
        "-Xmx${XMX:-14g}" "${opts[@]}" -cp "$jar" org.hesse.bench.ScalingHvp "$out" "$n" "$warmup" "$runs" \
        "$batch" > "$out/hesse.out" 2> "$out/hesse.err" || { tail -3 "$out/hesse.err" >&2; exit 1; }
      rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out/time.txt")"
      load="$load,$(cut -d' ' -f1 /proc/loadavg)"
      python3 - "$out/hesse.json" "$n" "$r" "$m" "$rss" "$load" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["cache"] == sys.argv[4], j["cache"]
print(f'{sys.argv[2]},{sys.argv[3]},{j["cache"]},{j["cached_batches"]}/{j["batches"]},{j["hvp_ms"]:.0f},{j["hvp_cached_ms"]:.0f},{j["cache_bytes"]},{sys.argv[5]},{sys.argv[6]}')
PY
    done
  done
  rm -rf "$out"
done
