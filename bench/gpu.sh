#!/usr/bin/env bash
# The phase benchmark on a GPU: builds the LibTorch-only part of scir_hpc against the machine's
# PyTorch (CUDA) and runs scir_gpu_bench on a ~125M-parameter model in bfloat16, printing
# tokens/s and MFU against the bfloat16 peak measured in the run and the H100's nominal
# 989 TFLOP/s (dense bfloat16). One command, no network; arguments go to scir_gpu_bench
# (e.g. --batch 32, --shape 1b for the ~1B Llama shape). Environment: SCIR_BUILD (default build/torch-only), SCIR_BENCH_JSON (where
# the JSON goes; default $SCIR_BUILD/gpu_bench.json), and those of env/build_torch_only.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SCIR_BUILD:-build/torch-only}
env/build_torch_only.sh "$build" scir_gpu_bench
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader || true
"$build/bench/scir_gpu_bench" --device cuda --dtype bfloat16 --nominal-tflops 989 \
  --out "${SCIR_BENCH_JSON:-$build/gpu_bench.json}" "$@"
