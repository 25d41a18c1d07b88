#!/usr/bin/env bash
# The verification-gap world (docs/RESULTS.md), from the repository root after the build:
#   jobs/sweeps/verification_gap.sh
# 1. verification_gap.ini: pairsum as the only family, values 0-4, a 1,200-step judge stage;
#    seeds 1-5 x the oracle (best against every worse sample, and 7 random pairs a prompt),
#    srlm, scir, scir_no_cons, scir_no_select, irm_only, grm_online and SCIR with
#    scir.irm_ref = current (7 random pairs a prompt). A stopped sweep resumes where it stopped.
# 2. Seed 1 again under OpenBLAS's $SCIR_REPLICATE_KERNEL kernel (default Haswell; choose
#    another where Haswell is what OpenBLAS runs anyway), seed models included.
# 3. analysis.report over both into runs/sweeps/verification_gap_report, each variant paired
#    with the SRLM run on its seed models.
set -euo pipefail
python=/usr/bin/python3
binary=${SCIR_HPC_BINARY:-build/release/apps/scir_hpc}
kernel=${SCIR_REPLICATE_KERNEL:-Haswell}
grid=jobs/sweeps/verification_gap.ini
$python jobs/sweeps/sweep.py run $grid --binary "$binary"
OPENBLAS_CORETYPE=$kernel $python jobs/sweeps/sweep.py run $grid --binary "$binary" \
  --only seed=1 --out runs/sweeps/verification_gap_kernel
$python -m analysis.report runs/sweeps/verification_gap/* runs/sweeps/verification_gap_kernel/* \
  --out runs/sweeps/verification_gap_report --pair-by seed_models
