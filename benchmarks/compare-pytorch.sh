#!/usr/bin/env bash
# Hesse against PyTorch, two cases, float64, same files on both sides.
#
# 1. Products: MLP 784-512-512-10 (tanh), batch 256, mean cross-entropy. Both sides read the same files (model.json,
# model.safetensors, data.csv, v.safetensors), time the gradient and one Hessian-vector product (median of RUNS after
# WARMUP), and must agree on both to 1e-8 (max-norm, relative). The line
#   hvp_ratio=<hesse/pytorch> grad_ratio=<hesse/pytorch> agree=true|false
# compares like with like: Hesse's product from (θ, batch, v) with every θ-dependent quantity
# recomputed in the timed call (Curvature.update(θ): forward, loss, first-order signals; then one apply), as
# PyTorch's double backward redoes them every time; Hesse reuses its buffers across calls, as a training loop
# holding one Curvature does. The line before gives the same product on a new Curvature per call (buffers
# allocated each time: hvp_fresh_ratio) and the cached product (what an eigen-solver pays per product); all of
# Hesse's HVPs must be the same numbers (to 1e-8 relative, in practice identical).
#
# 2. Per-layer spectra (issue 13): `hesse spectrum --top 5 --layers all` on a Fashion-MNIST MLP 784-512-512-10
# (ReLU, SAMPLES training images, weights after 100 SGD steps) against SciPy's eigsh (k = 5, which='LA', tol 1e-10)
# over PyTorch Hessian-vector products restricted to each layer (spectra_pytorch.py), whole processes timed (start,
# reading the files, all layers, exit), SPECTRA_ROUNDS times alternating, best of each side. Hesse runs as users run
# it, through the launcher ./hesse (its java: JAVA_HOME, else java on PATH; its class-data-sharing archive is made by
# one untimed `./hesse --version` first), not bare `java -jar`, which parses every class anew. The last line is
#   spectra_ratio=<hesse/scipy> max_rel_diff=<top eigenvalues, Hesse vs SciPy> agree=true|false   (agree: <= 1e-6)
# Needs Debian's dataset-fashion-mnist (or HESSE_FASHION_MNIST_DIR); SPECTRA=0 skips the case.
#
# float32 (issue 13): PRECISION=f32 runs the products case in float32 on both sides (PyTorch: model, batch and v
# cast to float32; Hesse: PeerCompare --precision f32, Float32Curvature on the generated float twins; agreement then
# to 1e-4). TORCH_THREADS (default THREADS; e.g. "1 2") times PyTorch once per thread setting in each round, one
# process each with OMP/MKL/OPENBLAS_NUM_THREADS and torch.set_num_threads at that value, and the ratios use
# PyTorch's best setting for each product (every setting is printed). HESSE_THREADS (default THREADS) does the same
# for Hesse (OPENBLAS_NUM_THREADS per JVM; both sides then at their best setting, each printed). HESSE=0 times the
# PyTorch side alone.
#
# Environment: WORK (case directory, default a temp dir), SEED (0), WARMUP (10), RUNS (20), ROUNDS (5:
# alternate PyTorch and Hesse that many times, keep each side's best median, against background load),
# THREADS (2), SKIP_BUILD=1 (reuse the built jars), JAVA (java), PYTHON (a python with torch; default: the
# first of $VIRTUAL_ENV/bin/python, python3 on PATH and /usr/bin/python3 whose torch is 2.x, else the first with any
# torch), PRODUCTS (1; 0 skips the first case), SPECTRA (1), SPECTRA_ROUNDS (2), SAMPLES (2000).
# OMP_WAIT_POLICY (PASSIVE): PyTorch's OpenMP wait policy, printed on the torch line. PASSIVE parks torch's OpenMP
# workers between parallel regions; ACTIVE lets them spin, PyTorch's faster setting when the cores are otherwise idle
# (docs/performance.md has both); run the script once with each. HESSE_JAVA_OPTS: extra JVM options for Hesse's
# side in both cases (e.g. -Dhesse.kernels.split=true for an A/B of the opt-in element-wise split, or
# -Dhesse.spectra.topBlock=1 for the spectra case's early-stopping Lanczos; the launcher gets them as JAVA_OPTS).
# BLAS: Debian's torch 1.13 loads the system OpenBLAS (through libblas.so.3) like Hesse (through netlib's JNI
# shim); then OPENBLAS_CORETYPE is passed through unchanged when set, never invented here, and the kernel each side
# picked (OPENBLAS_VERBOSE=2) is printed and must be the same. A PyTorch 2.x wheel brings its own MKL: the script
# prints torch's version, thread settings and BLAS (torch.__config__.show()) instead, and both sides get THREADS
# threads (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS, torch.set_num_threads).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
java="${JAVA:-java}"
seed="${SEED:-0}"
warmup="${WARMUP:-10}"
runs="${RUNS:-20}"
rounds="${ROUNDS:-5}"
threads="${THREADS:-2}"
precision="${PRECISION:-f64}"
torch_threads="${TORCH_THREADS:-$threads}"
hesse_threads="${HESSE_THREADS:-$threads}"
hesse="${HESSE:-1}"
case "$precision" in f64|f32) ;; *) echo "PRECISION: expected f64 or f32, got '$precision'" >&2; exit 2 ;; esac
jar="$here/target/hesse-benchmarks.jar"

cli_jar="$root/cli/target/hesse-cli.jar"
spectra="${SPECTRA:-1}"
spectra_rounds="${SPECTRA_ROUNDS:-2}"
samples="${SAMPLES:-2000}"

torch_major() { "$1" -c 'import torch; print(torch.__version__.split(".")[0])' 2>/dev/null || true; }
py="${PYTHON:-}"
if [ -z "$py" ]; then
  first=""
  for c in ${VIRTUAL_ENV:+"$VIRTUAL_ENV/bin/python"} "$(command -v python3 || true)" /usr/bin/python3; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    m="$(torch_major "$c")"
    [ -n "$m" ] || continue
    [ -n "$first" ] || first="$c"
    if [ "$m" -ge 2 ]; then py="$c"; break; fi
  done
  py="${py:-$first}"
fi
if [ -z "$py" ]; then
  echo "no python with torch: installing Debian's python3-torch (set PYTHON to use a PyTorch 2.x venv)" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y python3-torch >&2; else sudo apt-get install -y python3-torch >&2; fi
  py=/usr/bin/python3
fi

if { [ "$hesse" = 1 ] || [ "$spectra" = 1 ]; } && { [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$jar" ] || [ ! -f "$cli_jar" ]; }; then
  (cd "$root" && mvn -q -B package -pl benchmarks,cli -am -DskipTests)
fi

work="${WORK:-$(mktemp -d /tmp/hesse-vs-pytorch.XXXXXX)}"
mkdir -p "$work"

# The same threads and kernel on both sides. OMP_WAIT_POLICY=PASSIVE keeps torch's OpenMP workers from
# spinning against OpenBLAS's own threads on few cores (PyTorch's best setting here; Java has no OpenMP).
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
  OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

products="${PRODUCTS:-1}"
if [ "$products" = 1 ]; then "$py" "$here/compare_pytorch.py" generate "$work" --seed "$seed"; else rounds=0; fi

core() { grep -m1 '^Core:' "$1" | sed 's/^Core: *//' || true; }
for ((r = 0; r < rounds; r++)); do
  echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for t in $torch_threads; do
    OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" MKL_NUM_THREADS="$t" OPENBLAS_VERBOSE=2 \
      "$py" "$here/compare_pytorch.py" time "$work" --warmup "$warmup" --runs "$runs" --threads "$t" \
      --precision "$precision" --out "torch.t$t.$r.json" \
      2> "$work/torch.t$t.$r.err" | tee "$work/torch.t$t.$r.out" >&2 || { cat "$work/torch.t$t.$r.err" >&2; exit 1; }
  done
  [ "$hesse" = 1 ] || continue
  for t in $hesse_threads; do
    OPENBLAS_NUM_THREADS="$t" OPENBLAS_VERBOSE=2 "$java" --add-modules jdk.incubator.vector -Xmx2g ${HESSE_JAVA_OPTS:-} -cp "$jar" \
      org.hesse.bench.PeerCompare "$work" "$warmup" "$runs" --precision "$precision" 2> "$work/hesse.t$t.$r.err" \
      | tee "$work/hesse.t$t.$r.out" >&2 || { cat "$work/hesse.t$t.$r.err" >&2; exit 1; }
    cp "$work/hesse.json" "$work/hesse.t$t.$r.json"
  done
done

tcore="" hcore=""
if [ "$products" = 1 ]; then
  tcore="$(core "$work/torch.t${torch_threads%% *}.0.err")"
  [ "$hesse" != 1 ] || hcore="$(core "$work/hesse.t${hesse_threads%% *}.0.err")"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); threads $threads" \
  "(PyTorch: $torch_threads; Hesse: $hesse_threads); precision $precision;" \
  "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; OpenBLAS core: torch '${tcore:-<not OpenBLAS>}', hesse '${hcore:-?}'"
echo "python: $py; java: $("$java" -version 2>&1 | head -1)"
"$py" - <<'PY'
import os, torch
print(f"torch {torch.__version__}: get_num_threads={torch.get_num_threads()} get_num_interop_threads="
      f"{torch.get_num_interop_threads()} mkl={torch.backends.mkl.is_available()}; env " + " ".join(
      f"{k}={os.environ.get(k, '<unset>')}" for k in
      ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")))
for line in torch.__config__.show().splitlines():
    line = line.strip()
    if line.startswith("- Build settings:"):  # only its BLAS and LAPACK fields
        fields = line[len("- Build settings:"):].strip().split(", ")
        line = ", ".join(f for f in fields if f.startswith(("BLAS_INFO", "LAPACK_INFO", "USE_MKL", "USE_OPENMP")))
    if any(w in line for w in ("BLAS", "LAPACK", "MKL", "OpenMP", "CPU capability")):
        print("torch config:", line)
PY
echo "case and outputs: $work"
if [ -n "$tcore" ] && [ -n "$hcore" ] && [ "$tcore" != "$hcore" ]; then
  echo "warning: the two sides did not report the same OpenBLAS core ('$tcore' vs '$hcore')" >&2
fi
status=0
if [ "$products" = 1 ]; then
  "$py" "$here/compare_pytorch.py" check "$work" --rounds "$rounds" --torch-threads "$torch_threads" \
    --hesse-threads "$hesse_threads" \
    --precision "$precision" $([ "$hesse" = 1 ] || echo --no-hesse) || status=$?
fi

if [ "$spectra" = 1 ]; then
  sdir="$work/spectra"
  mkdir -p "$sdir"
  [ -f "$sdir/data.csv" ] || "$py" "$here/spectra_pytorch.py" generate "$sdir" --samples "$samples" --seed "$seed"
  best_h="" best_s=""
  wall() { /usr/bin/time -f %e -o "$1" "${@:2}"; }
  "$root/hesse" --version > /dev/null  # untimed: the launcher's class-data-sharing archive, once per build
  for ((r = 0; r < spectra_rounds; r++)); do
    load_s="$(cut -d' ' -f1 /proc/loadavg)"
    wall "$sdir/scipy.$r.time" "$py" "$here/spectra_pytorch.py" eigsh "$sdir" --threads "$threads" > "$sdir/scipy.$r.out"
    load_h="$(cut -d' ' -f1 /proc/loadavg)"
    JAVA_OPTS="${HESSE_JAVA_OPTS:-}" wall "$sdir/hesse.$r.time" "$root/hesse" spectrum --model "$sdir/model.json" --weights "$sdir/model.safetensors" \
      --data "$sdir/data.csv" --target label \
      --top 5 --layers all --out "$sdir/hesse_spectrum.json" 2> "$sdir/hesse.$r.err"
    ts="$(cat "$sdir/scipy.$r.time")" th="$(cat "$sdir/hesse.$r.time")"
    echo "spectra round $r: SciPy eigsh $ts s (load $load_s), Hesse spectrum $th s (load $load_h), ratio" \
      "$(awk -v a="$th" -v b="$ts" 'BEGIN { printf "%.3f", a / b }')"
    best_s="$(awk -v a="$ts" -v b="$best_s" 'BEGIN { print (b == "" || a < b) ? a : b }')"
    best_h="$(awk -v a="$th" -v b="$best_h" 'BEGIN { print (b == "" || a < b) ? a : b }')"
  done
  cat "$sdir/scipy.0.out"
  sstatus=0
  diff="$("$py" "$here/spectra_pytorch.py" check "$sdir")" || sstatus=$?
  echo "spectra: best of $spectra_rounds, whole processes: Hesse $best_h s, SciPy eigsh over PyTorch HVPs $best_s s"
  echo "spectra_ratio=$(awk -v a="$best_h" -v b="$best_s" 'BEGIN { printf "%.3f", a / b }') ${diff} agree=$([ $sstatus = 0 ] && echo true || echo false)"
  [ $sstatus = 0 ] || status=1
fi
exit $status
