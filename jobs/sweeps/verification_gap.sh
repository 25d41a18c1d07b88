#!/usr/bin/env bash
# The verification-gap world (docs/RESULTS.md), from the repository root after the build:
#   jobs/sweeps/verification_gap.sh
# 1. verification_gap.ini: pairsum as the only family, values 0-4, a 1,200-step judge stage;
#    seeds 1-5 x the oracle (best against every worse sample, and 7 random pairs a prompt),
#    srlm, scir, scir_no_cons and grm_online (7 random pairs a prompt).
# 2. analysis.report over the grid into runs/sweeps/verification_gap_report.
set -euo pipefail
python=/usr/bin/python3
binary=${SCIR_HPC_BINARY:-build/release/apps/scir_hpc}
$python jobs/sweeps/sweep.py run jobs/sweeps/verification_gap.ini --binary "$binary"
$python -m analysis.report runs/sweeps/verification_gap/* --out runs/sweeps/verification_gap_report
