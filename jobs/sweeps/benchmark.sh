#!/usr/bin/env bash
# The embedded benchmark of docs/RESULTS.md, from the repository root after the build:
#   jobs/sweeps/benchmark.sh
# 1. ablation.ini: 5 seeds x 7 methods (a stopped sweep resumes where it stopped);
# 2. ablation_kernel.ini: seed 1 again under OpenBLAS's $SCIR_REPLICATE_KERNEL kernel (default
#    Haswell; choose another where Haswell is what OpenBLAS runs anyway);
# 3. analysis.report over both into runs/sweeps/ablation_report: the table, the paired
#    differences against SRLM with 95% intervals, and the kernels' differences.
set -euo pipefail
python=/usr/bin/python3
kernel=${SCIR_REPLICATE_KERNEL:-Haswell}
$python jobs/sweeps/sweep.py run jobs/sweeps/ablation.ini
OPENBLAS_CORETYPE=$kernel $python jobs/sweeps/sweep.py run jobs/sweeps/ablation_kernel.ini
$python -m analysis.report runs/sweeps/ablation/* runs/sweeps/ablation_kernel/* \
  --out runs/sweeps/ablation_report
