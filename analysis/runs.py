"""One run directory's run.h5, read into plain Python and numpy (the contract of DESIGN.md)."""
import os

import h5py
import numpy as np

# Attributes of /iter_t/eval (and /sft/eval) that the tables use.
EVAL_METRICS = ["win_rate_vs_m1", "mean_quality", "acc_grm", "acc_irm", "agreement_start",
                "train_consistency_rate", "train_kept_share"]


class RunError(Exception):
    """A run that cannot be read: the message names the file and what is missing."""


def _attributes(group):
    values = {}
    for key, value in group.attrs.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        elif isinstance(value, np.generic):
            value = value.item()
        values[key] = value
    return values


class Run:
    """config (option -> text), m1 (the /sft/eval attributes or None), and per iteration t:
    evals[t] (attributes), steps[t] and pairs[t] (column -> numpy array)."""

    def __init__(self, path):
        self.directory = path
        self.file = os.path.join(path, "run.h5") if os.path.isdir(path) else path
        if not os.path.isfile(self.file):
            raise RunError(f"{self.file}: no such file (expected a run directory or its run.h5)")
        try:
            handle = h5py.File(self.file, "r")
        except OSError as error:
            raise RunError(f"{self.file}: not an HDF5 file ({error})")
        with handle:
            if "config" not in handle:
                raise RunError(f"{self.file}: missing group /config")
            self.config = _attributes(handle["config"])
            self.m1 = _attributes(handle["sft/eval"]) if "sft/eval" in handle else None
            self.evals, self.steps, self.pairs = {}, {}, {}
            t = 1
            while f"iter_{t}" in handle:
                group = handle[f"iter_{t}"]
                for part in ("eval", "steps", "pairs"):
                    if part not in group:
                        raise RunError(f"{self.file}: missing group /iter_{t}/{part} "
                                       "(the iteration did not finish)")
                self.evals[t] = _attributes(group["eval"])
                self.steps[t] = {k: np.asarray(v) for k, v in group["steps"].items()}
                self.pairs[t] = {k: np.asarray(v) for k, v in group["pairs"].items()
                                 if v.dtype.kind == "f"}
                t += 1
        if not self.evals:
            raise RunError(f"{self.file}: missing group /iter_1 (no finished iteration)")
        for t, values in self.evals.items():
            for key in EVAL_METRICS:
                if key not in values:
                    raise RunError(f"{self.file}: /iter_{t}/eval lacks the attribute {key}")

    @property
    def seed(self):
        return self.config.get("seed", "")

    def rows(self):
        """(model, metric values) for M1 (when there is a seed evaluation) and M2, M3, ..."""
        rows = []
        if self.m1 is not None:
            rows.append(("M1", {"win_rate_vs_m1": 0.5,
                                "mean_quality": self.m1.get("mean_quality", np.nan),
                                "acc_grm": self.m1.get("acc_grm", np.nan),
                                "acc_irm": self.m1.get("acc_irm", np.nan)}))
        for t, values in sorted(self.evals.items()):
            rows.append((f"M{t + 1}", {k: values[k] for k in EVAL_METRICS}))
        return rows
