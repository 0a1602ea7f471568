#!/usr/bin/env bash
# Hesse against PyTorch on one case: MLP 784-512-512-10 (tanh), float64, batch 256, mean cross-entropy.
# Both sides read the same files (model.json, model.safetensors, data.csv, v.safetensors), time the gradient
# and one Hessian-vector product (median of RUNS after WARMUP), and must agree on both to 1e-8 (max-norm,
# relative). The last line is
#   hvp_ratio=<hesse/pytorch> grad_ratio=<hesse/pytorch> agree=true|false
# where hvp_ratio compares like with like: Hesse's product from (θ, batch, v) with every θ-dependent quantity
# recomputed in the timed call (Curvature.update(θ): forward, loss, first-order signals; then one apply), as
# PyTorch's double backward redoes them every time; Hesse reuses its buffers across calls, as a training loop
# holding one Curvature does. The line before gives the same product on a new Curvature per call (buffers
# allocated each time: hvp_fresh_ratio) and the cached product (what an eigen-solver pays per product); all of
# Hesse's HVPs must be the same numbers (to 1e-8 relative, in practice identical).
#
# Environment: WORK (case directory, default a temp dir), SEED (0), WARMUP (10), RUNS (20), ROUNDS (5:
# alternate PyTorch and Hesse that many times, keep each side's best median, against background load),
# THREADS (2), SKIP_BUILD=1 (reuse benchmarks/target/hesse-benchmarks.jar), JAVA (java).
# BLAS: both sides load the system OpenBLAS (torch through libblas.so.3, Hesse through netlib's JNI shim).
# OPENBLAS_CORETYPE is passed through unchanged when set, never invented here; the kernel each side picked
# (OPENBLAS_VERBOSE=2) is printed and must be the same.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
py=/usr/bin/python3
java="${JAVA:-java}"
seed="${SEED:-0}"
warmup="${WARMUP:-10}"
runs="${RUNS:-20}"
rounds="${ROUNDS:-5}"
threads="${THREADS:-2}"
jar="$here/target/hesse-benchmarks.jar"

if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "python3-torch missing: installing Debian's package" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y python3-torch >&2; else sudo apt-get install -y python3-torch >&2; fi
fi

if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$jar" ]; then
  (cd "$root" && mvn -q -B package -pl benchmarks -am -DskipTests)
fi

work="${WORK:-$(mktemp -d /tmp/hesse-vs-pytorch.XXXXXX)}"
mkdir -p "$work"

# The same threads and kernel on both sides. OMP_WAIT_POLICY=PASSIVE keeps torch's OpenMP workers from
# spinning against OpenBLAS's own threads on few cores (PyTorch's best setting here; Java has no OpenMP).
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

"$py" "$here/compare_pytorch.py" generate "$work" --seed "$seed"

core() { grep -m1 '^Core:' "$1" | sed 's/^Core: *//' || true; }
for ((r = 0; r < rounds; r++)); do
  OPENBLAS_VERBOSE=2 "$py" "$here/compare_pytorch.py" time "$work" --warmup "$warmup" --runs "$runs" --threads "$threads" \
    2> "$work/torch.$r.err" | tee "$work/torch.$r.out" >&2 || { cat "$work/torch.$r.err" >&2; exit 1; }
  cp "$work/torch.json" "$work/torch.$r.json"
  OPENBLAS_VERBOSE=2 "$java" --add-modules jdk.incubator.vector -Xmx2g -cp "$jar" org.hesse.bench.PeerCompare "$work" "$warmup" "$runs" \
    2> "$work/hesse.$r.err" | tee "$work/hesse.$r.out" >&2 || { cat "$work/hesse.$r.err" >&2; exit 1; }
  cp "$work/hesse.json" "$work/hesse.$r.json"
done

tcore="$(core "$work/torch.0.err")"
hcore="$(core "$work/hesse.0.err")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); threads $threads;" \
  "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}; OpenBLAS core: torch '${tcore:-?}', hesse '${hcore:-?}'"
echo "torch: $("$py" -c 'import torch; print(torch.__version__)'); java: $("$java" -version 2>&1 | head -1)"
echo "case and outputs: $work"
if [ -z "$tcore" ] || [ "$tcore" != "$hcore" ]; then
  echo "warning: the two sides did not report the same OpenBLAS core ('$tcore' vs '$hcore')" >&2
fi
"$py" "$here/compare_pytorch.py" check "$work" --rounds "$rounds"
