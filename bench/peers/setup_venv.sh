#!/usr/bin/env bash
# A virtualenv with the peers the benchmarks compare against (torch, transformers, trl) from
# PyPI. Not part of CI: several GB. Usage: bench/peers/setup_venv.sh VENV_DIR
set -euo pipefail
venv=${1:?usage: bench/peers/setup_venv.sh VENV_DIR}
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet torch transformers trl numpy
"$venv/bin/python" -c 'import torch, transformers, trl; print("torch", torch.__version__, "transformers", transformers.__version__, "trl", trl.__version__)'
