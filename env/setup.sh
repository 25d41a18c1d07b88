#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian machine (run as root): installs only the
# Debian packages that scir_hpc needs and that are missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread libopenblas-dev
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libboost-program-options-dev
  libsentencepiece-dev sentencepiece
  nlohmann-json3-dev libpcre2-dev libicu-dev
  googletest libgtest-dev libgmock-dev
  python3 python3-venv python3-h5py python3-numpy python3-pandas python3-matplotlib
  python3-scipy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "env/setup.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "env/setup.sh: error: missing packages (${missing[*]}) and not root; run as root" >&2
  exit 1
fi

echo "env/setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq; then
  echo "env/setup.sh: error: apt-get update failed" >&2
  exit 1
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/scir_setup_apt.log 2>&1; then
  echo "env/setup.sh: error: apt-get install failed for: ${missing[*]} (log: /tmp/scir_setup_apt.log)" >&2
  tail -n 20 /tmp/scir_setup_apt.log >&2
  exit 1
fi
echo "env/setup.sh: done"
