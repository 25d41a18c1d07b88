"""Readers of scir_hpc's run.h5 files and the paper-style report built from them."""
