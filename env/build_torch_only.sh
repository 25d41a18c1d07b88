#!/usr/bin/env bash
# Builds the LibTorch-only part of scir_hpc (CMake option SCIR_TORCH_ONLY: the library's model,
# rewards, trainers and benchmark, the GPU checks and the GPU benchmark) against the LibTorch of
# the python3 that holds PyTorch. For a GPU machine with PyTorch, CMake and the CUDA toolkit
# but without MPI, HDF5 or Boost. Usage: env/build_torch_only.sh BUILD_DIR [TARGET...]
#   SCIR_PYTHON       the python with PyTorch (default python3)
#   SCIR_TORCH_PREFIX LibTorch's CMake prefix (default: torch.utils.cmake_prefix_path)
#   SCIR_JSON_PREFIX  a prefix holding nlohmann-json 3 (include/ and share/cmake/) when the
#                     system has none, e.g. Debian's nlohmann-json3-dev unpacked with dpkg -x
#   SCIR_GTEST_SOURCE GoogleTest's sources when the system has no GoogleTest (the GPU checks),
#                     e.g. usr/src/googletest of Debian's googletest unpacked with dpkg -x
# NCCL is taken from the system, or else from the nvidia-nccl wheel beside PyTorch.
set -euo pipefail
build=${1:?usage: env/build_torch_only.sh BUILD_DIR [TARGET...]}
shift
cd "$(dirname "$0")/.."
python=${SCIR_PYTHON:-python3}
torch_prefix=${SCIR_TORCH_PREFIX:-$($python -c 'import torch; print(torch.utils.cmake_prefix_path)')}
prefixes="$torch_prefix${SCIR_JSON_PREFIX:+;$SCIR_JSON_PREFIX}"
if [ -z "${NCCL_HOME:-}" ]; then
  NCCL_HOME=$($python -c 'import nvidia.nccl; print(list(nvidia.nccl.__path__)[0])' 2>/dev/null ||
    true)
  export NCCL_HOME
fi
cuda_root=()
[ -d /usr/local/cuda ] && cuda_root=(-DCUDAToolkit_ROOT=/usr/local/cuda)
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" "${cuda_root[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DSCIR_TORCH_ONLY=ON -DCMAKE_PREFIX_PATH="$prefixes" \
  ${SCIR_GTEST_SOURCE:+-DSCIR_GTEST_SOURCE="$SCIR_GTEST_SOURCE"} ${SCIR_CMAKE_ARGS:-}
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
