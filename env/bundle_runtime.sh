#!/usr/bin/env bash
# Packs what scir_hpc's binaries load at run time beyond glibc, the C++ runtime, LibTorch, CUDA
# and NCCL, for a GPU machine that has PyTorch but no MPI, HDF5, Boost, PCRE2 or ICU: binaries
# built here against the same PyTorch wheel (its LibTorch) then run there. Open MPI and PMIx come
# whole (their plugins and help files) under one prefix, found there through OPAL_PREFIX and
# PMIX_INSTALL_PREFIX; env/bundle_env.sh sets those and the library path.
# Usage: env/bundle_runtime.sh OUT_DIR BINARY...
set -euo pipefail
out=${1:?usage: env/bundle_runtime.sh OUT_DIR BINARY...}
shift
multiarch=lib/x86_64-linux-gnu
mkdir -p "$out/lib" "$out/$multiarch" "$out/bin" "$out/share"
cp -a /usr/$multiarch/openmpi /usr/$multiarch/pmix2 "$out/$multiarch/"
cp -a /usr/share/openmpi "$out/share/"
cp -L /usr/bin/orted /usr/bin/orterun "$out/bin/"
# What the machine brings itself, or must not be replaced: the loader and C library, the C++
# runtime, OpenMP, and LibTorch's, CUDA's and NCCL's libraries.
provided='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|libpthread|librt\.so|libutil\.so|libresolv|libstdc\+\+|libgcc_s|libgomp|libtorch|libc10|libcaffe2|libshm|libcuda|libcudart|libnccl|libnv|libcublas|libcudnn|libcufft|libcufile|libcurand|libcusparse|libcusolver|libcupti)'
mapfile -t objects < <(printf '%s\n' "$@"; find "$out/$multiarch" "$out/bin" -name '*.so*' -o -type f -perm -u+x)
for object in "${objects[@]}"; do
  ldd "$object" 2>/dev/null | awk '/=> \// {print $1, $3}'
done | sort -u | while read -r name path; do
  [[ $name =~ $provided ]] || [ -e "$out/lib/$name" ] || cp -L "$path" "$out/lib/$name"
done
du -sh "$out"
