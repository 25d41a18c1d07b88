#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU and PyTorch (no network needed): builds the
# LibTorch-only part of scir_hpc against that PyTorch and runs the GPU checks (the CUDA path
# against the CPU, bfloat16, the NCCL communicator). Exit 0 when every check passes.
# Usage: tests/gpu/run.sh [BUILD_DIR, relative to the checkout; default build/torch-only]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/torch-only}
env/build_torch_only.sh "$build" scir_gpu_checks
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
"$build/tests/gpu/scir_gpu_checks"
