"""Which options a run's seed models (world data, M0, M1 and M1's evaluation) depend on.

Options of the iterations (scir.*, srlm.*) do not, except two that change M1's evaluation: the
sweep runner shares seed models between runs that differ only in the others, and
analysis.paired pairs such runs.
"""
ITERATION_PREFIXES = ("scir.", "srlm.")
SEED_MODEL_OPTIONS = {"scir.grm", "scir.tau"}


def only_iterations(key):
    """True for an option that leaves the seed models as they are."""
    return key.startswith(ITERATION_PREFIXES) and key not in SEED_MODEL_OPTIONS
