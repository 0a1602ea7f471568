#!/usr/bin/env bash
# Scaling of Hesse's Hessian-vector product and of `hesse spectrum` against N, width and depth, beside PyTorch's
# double-backward HVP in the same run (issue 13, item 4).
#
# Case per point: MLP 784-W-...-W-10, D hidden tanh layers, float64, PyTorch's default initialisation (seed SEED),
# mean cross-entropy over the first N Fashion-MNIST training images; both sides read the same model.json,
# model.safetensors, v.safetensors (scaling_pytorch.py generate) and the IDX files. Per point, ROUNDS times
# alternating, one process each:
#   torch    scaling_pytorch.py time: the full HVP over all N in contiguous batches of BATCH rows (double backward
#            per batch, weighted and summed), median of RUNS after WARMUP;
#   hesse    org.hesse.bench.ScalingHvp: the same product on a Curvature in batches of BATCH rows (the CLI's
#            default 256): update(θ) + apply (hvp, like for like with the double backward) and apply alone
#            (cached, what an eigen-solver pays), interleaved, medians of RUNS after WARMUP; must agree with
#            PyTorch's product to 1e-8 (max-norm, relative);
#   spectrum `hesse spectrum --top 1 --layers <last dense>` on `--dataset fashion-mnist --limit N`, whole process.
# Each process runs under /usr/bin/time: wall seconds and peak RSS (maximum resident set size). Best time and
# largest RSS over the rounds are kept. Output: WORK/scaling.csv, WORK/scaling.md (a markdown table) and the fitted
# slopes over the N sweep (log time against log N; RSS growth per 1,000 samples).
#
# Environment: WORK (output directory, default a temp dir), GRID (points "sweep:N:width:depth", space-separated;
# default the N sweep 1k-60k at 512x2, widths 128 and 2048 and depths 1 and 4 at N = 4k), BATCH (256), WARMUP (1),
# RUNS (3), ROUNDS (2), THREADS (2), SEED (0), XMX (Hesse's -Xmx, 14g: the memory budget is half of it, and Hesse's
# cached curvature keeps the forward data of all N samples, 2.2 GiB for N = 60,000 at 512x2), CACHE (Hesse's
# curvature cache, auto|all|none: --curvature-cache of spectrum and hesse.curvature.cache of ScalingHvp; default auto,
# which streams when the cache exceeds the memory budget),
# SKIP_BUILD=1 (reuse the jars),
# JAVA (java), PYTHON (default /work/venv/bin/python if present, else python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
java="${JAVA:-java}"
py="${PYTHON:-$( [ -x /work/venv/bin/python ] && echo /work/venv/bin/python || command -v python3)}"
grid="${GRID:-N:1000:512:2 N:4000:512:2 N:16000:512:2 N:60000:512:2 width:4000:128:2 width:4000:2048:2 depth:4000:512:1 depth:4000:512:4}"
batch="${BATCH:-256}" warmup="${WARMUP:-1}" runs="${RUNS:-3}" rounds="${ROUNDS:-2}" threads="${THREADS:-2}"
seed="${SEED:-0}" xmx="${XMX:-14g}" cache="${CACHE:-auto}"
bench_jar="$here/target/hesse-benchmarks.jar"
cli_jar="$root/cli/target/hesse-cli.jar"

if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$bench_jar" ] || [ ! -f "$cli_jar" ]; then
  (cd "$root" && mvn -q -B -o package -pl benchmarks,cli -am -DskipTests)
fi
work="${WORK:-$(mktemp -d /tmp/hesse-scaling.XXXXXX)}"
mkdir -p "$work"
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
  OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
jvm=("$java" --add-modules jdk.incubator.vector -XX:ObjectAlignmentInBytes=16 "-Xmx$xmx")

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/^Mem/ { print $2 }') GB;" \
  "threads $threads; load at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "java: $("$java" -version 2>&1 | head -1), -Xmx$xmx; python: $py"
"$py" -c 'import torch; print(f"torch {torch.__version__}: threads {torch.get_num_threads()}, mkl {torch.backends.mkl.is_available()}, "
  + ", ".join(f.split()[-1] for f in torch.__config__.show().replace("\n", ", ").split(", ") if "BLAS_INFO=" in f or "LAPACK_INFO=" in f))' \
  2>/dev/null || true
echo "curvature cache $cache; batch $batch rows, warm-up $warmup, runs $runs, rounds $rounds (alternating PyTorch, Hesse HVP, Hesse spectrum)"

timed() { /usr/bin/time -f "%e %M" -o "$1" "${@:2}"; }  # wall seconds and peak RSS (kB) to $1
mb() { awk '{ printf "%.0f", $2 / 1024 }' "$1"; }
json() { "$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
lo() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }
hi() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 > b + 0) ? a : b }'; }

csv="$work/scaling.csv"
echo "sweep,N,width,depth,params,torch_hvp_ms,hesse_hvp_ms,hesse_hvp_cached_ms,hvp_ratio,hesse_build_ms,hesse_cache_mb,torch_hvp_rss_mb,hesse_hvp_rss_mb,hesse_spectrum_s,hesse_spectrum_rss_mb,hvp_rel_diff,load" > "$csv"
status=0
for point in $grid; do
  IFS=: read -r sweep n width depth <<< "$point"
  case="$work/w${width}d${depth}"
  [ -f "$case/v.safetensors" ] || "$py" "$here/scaling_pytorch.py" generate "$case" --width "$width" --depth "$depth" --seed "$seed" >&2
  out="$case/n$n"
  mkdir -p "$out"
  cp "$case"/*.json "$case"/*.safetensors "$out/" 2>/dev/null || true
  t_best="" h_best="" c_best="" s_best="" t_rss="" h_rss="" s_rss="" load=""
  for ((r = 0; r < rounds; r++)); do
    load="$load${load:+/}$(cut -d' ' -f1 /proc/loadavg)"
    timed "$out/torch.$r.time" "$py" "$here/scaling_pytorch.py" time "$out" --samples "$n" --batch "$batch" \
      --warmup "$warmup" --runs "$runs" --threads "$threads" > "$out/torch.$r.out"
    timed "$out/hesse.$r.time" "${jvm[@]}" "-Dhesse.curvature.cache=$cache" -cp "$bench_jar" org.hesse.bench.ScalingHvp "$out" "$n" "$warmup" "$runs" "$batch" \
      > "$out/hesse.$r.out" 2> "$out/hesse.$r.err" || { tail -3 "$out/hesse.$r.err" >&2; exit 1; }
    timed "$out/spectrum.$r.time" "${jvm[@]}" -jar "$cli_jar" spectrum --model "$out/model.json" \
      --weights "$out/model.safetensors" --dataset fashion-mnist --limit "$n" --top 1 --layers "$((2 * depth))" \
      --curvature-cache "$cache" --out "$out/spectrum.json" 2> "$out/spectrum.$r.err" || { tail -3 "$out/spectrum.$r.err" >&2; exit 1; }
    t_best="$(lo "$(json "$out/torch.json" hvp_ms)" "$t_best")"
    h_best="$(lo "$(json "$out/hesse.json" hvp_ms)" "$h_best")"
    c_best="$(lo "$(json "$out/hesse.json" hvp_cached_ms)" "$c_best")"
    s_best="$(lo "$(cut -d' ' -f1 "$out/spectrum.$r.time")" "$s_best")"
    t_rss="$(hi "$(mb "$out/torch.$r.time")" "$t_rss")"
    h_rss="$(hi "$(mb "$out/hesse.$r.time")" "$h_rss")"
    s_rss="$(hi "$(mb "$out/spectrum.$r.time")" "$s_rss")"
    echo "  $sweep N=$n width=$width depth=$depth round $r: torch $(json "$out/torch.json" hvp_ms) ms," \
      "hesse $(json "$out/hesse.json" hvp_ms) ms (cached $(json "$out/hesse.json" hvp_cached_ms) ms)," \
      "spectrum $(cut -d' ' -f1 "$out/spectrum.$r.time") s; load ${load##*/}" >&2
  done
  diff="$("$py" "$here/scaling_pytorch.py" check "$out")" || { status=1; echo "HVPs disagree at $point: $diff" >&2; }
  params="$(awk -v w="$width" -v d="$depth" 'BEGIN { print 784 * w + w + (d - 1) * (w * w + w) + 10 * w + 10 }')"
  build="$(json "$out/hesse.json" build_ms)"
  cache="$(awk -v b="$(json "$out/hesse.json" cache_bytes)" 'BEGIN { printf "%.0f", b / 1048576 }')"
  ratio="$(awk -v a="$h_best" -v b="$t_best" 'BEGIN { printf "%.3f", a / b }')"
  echo "$sweep,$n,$width,$depth,$params,$t_best,$h_best,$c_best,$ratio,$build,$cache,$t_rss,$h_rss,$s_best,$s_rss,$diff,$load" | tee -a "$csv"
done

md="$work/scaling.md"
{
  echo "| sweep | N | width | depth | parameters | PyTorch HVP | Hesse HVP (update + apply) | Hesse / PyTorch | Hesse HVP cached | Hesse cache (est.) | peak RSS PyTorch / Hesse HVP | \`spectrum --top 1\` | its peak RSS | HVP rel. diff | load |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  tail -n +2 "$csv" | awk -F, '{ printf "| %s | %s | %s | %s | %s | %.0f ms | %.0f ms | %s | %.0f ms | %s MB | %s / %s MB | %s s | %s MB | %s | %s |\n",
    $1, $2, $3, $4, $5, $6, $7, $9, $8, $11, $12, $13, $14, $15, $16, $17 }'
} > "$md"
cat "$md"
"$py" "$here/scaling_pytorch.py" fit "$csv"
echo "outputs: $csv, $md"
exit $status
