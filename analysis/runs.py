"""One run directory's run.h5, read into plain Python and numpy.

The names below mirror the run contract, src/scir/io/run_contract.h (name, shape, phase); the
CTest `analysis` (tests/analysis/test_run_contract.py) fails when the two differ, or when a run's
run.h5 lacks a name.

  python3 -m analysis.runs RUN     checks RUN/run.h5 against the contract (exit 2 on a miss)
"""
import os
import sys

import h5py
import numpy as np

# /iter_<t>/pairs: one row a pair. (name, shape, phase that writes it)
PAIR_COLUMNS = [
    ("prompt_id", "pairs", "generate"), ("rank", "pairs", "generate"),
    ("resp1_tokens", "pairs, vlen int32", "generate"),
    ("resp2_tokens", "pairs, vlen int32", "generate"),
    ("resp1_text", "pairs, vlen utf-8", "generate"), ("resp2_text", "pairs, vlen utf-8", "generate"),
    ("resp1_length", "pairs", "generate"), ("resp2_length", "pairs", "generate"),
    ("oracle_q1", "pairs", "generate"), ("oracle_q2", "pairs", "generate"),
    ("logp_ref1", "pairs", "reference"), ("logp_ref2", "pairs", "reference"),
    ("p_grm0", "pairs", "reference"), ("p_irm0", "pairs", "reference"),
    ("label_fixed", "pairs", "label"),
    ("kept_last", "pairs", "train"), ("label_last", "pairs", "train"),
    ("step_consumed", "pairs", "train"),
]
# /iter_<t>/steps: one row a training step.
STEP_COLUMNS = [(name, "steps", "train") for name in [
    "step", "loss", "loss_dpo", "loss_sym", "loss_ent", "consistency_rate", "kept_share",
    "cons_share", "margin", "logp_chosen", "logp_rejected", "grad_norm", "lr", "tokens_per_s",
    "acc_grm_step", "acc_irm_step", "acc_labels_step"]]
# The evaluation record: attributes of /sft/eval and /iter_<t>/eval (plus quality_<family>).
EVALUATION_FIELDS = [(name, "scalar", "evaluate") for name in [
    "win_rate_vs_m1", "win_rate_ci95", "mean_quality", "exact_share", "mean_length", "acc_grm", "acc_grm_own",
    "own_pairs", "acc_irm", "acc_agree", "agree_share", "ece_grm", "ece_irm"]]
# Attributes of /iter_<t>/eval beyond the record: the iteration's training.
ITERATION_FIELDS = [(name, "scalar", "evaluate") for name in [
    "pairs", "agreement_start", "train_consistency_rate", "train_kept_share", "srlm_judgements",
    "srlm_parse_failures", "pairs_informative_share", "acc_grm0_pairs", "acc_irm0_pairs",
    "agree0_share_pairs", "acc_agree0_pairs", "acc_labels_last_pairs", "acc_grm_heldout0",
    "acc_irm_heldout0"]]

# Where a run's BLAS kernel (from /provenance) appears among its settings.
KERNEL_KEY = "provenance.blas_kernel"


def differing_options(runs, ignored):
    """The options, sorted, whose values differ among `runs` (a missing option counts as a
    value), less the `ignored` ones: what tells the runs apart in a label."""
    keys = sorted({k for run in runs for k in run.config} - set(ignored))
    return [k for k in keys if len({run.config.get(k) for run in runs}) > 1]

# Attributes of /iter_t/eval (and /sft/eval) that the tables use.
EVAL_METRICS = ["win_rate_vs_m1", "mean_quality", "acc_grm", "acc_irm", "agreement_start",
                "train_consistency_rate", "train_kept_share"]

# The labels on each iteration's training pairs, against the oracle, before training (the judge
# of the model trained, its implicit reward, where they agree and that set's share), the labels
# trained on at the last step, and the judge on pairs of the model's own samples; the likelihood
# of the model trained and of the IRM's reference (likelihood_preferences); then how much
# better by the oracle the chosen side of those labels is than the rejected one, against the
# most any labels of the same pairs could give (label_margins).
LABEL_METRICS = ["acc_grm_own", "acc_grm0_pairs", "acc_irm0_pairs", "acc_policy0_pairs",
                 "acc_ref0_pairs", "agree0_share_pairs", "acc_agree0_pairs",
                 "acc_labels_last_pairs", "margin_labels_last_pairs", "margin_oracle_pairs"]

# Metrics whose negative values are measurements (labels that prefer the worse side), not the
# "not measured" -1 of older runs.
SIGNED_METRICS = {"margin_labels_last_pairs"}


def measured(metric, values):
    """Where `values` (a number or an array) of `metric` are measurements: finite, and not the
    -1 of older runs unless the metric may be negative."""
    values = np.asarray(values, dtype=float)
    return np.isfinite(values) & ((values >= 0) | (metric in SIGNED_METRICS))


def label_margins(pairs):
    """On the pairs trained on at the last step (label_last >= 0), the mean oracle quality of the
    side the labels prefer minus the other's, (2 label - 1)(q1 - q2), and the same under the
    oracle's own labels, |q1 - q2|. Accuracy counts a label right or wrong; the margin also
    weighs it by how much better one response is, the signal DPO trains on. NaN without the
    oracle or without labelled pairs."""
    labels = pairs.get("label_last")
    q1, q2 = pairs.get("oracle_q1"), pairs.get("oracle_q2")
    if labels is None or q1 is None or q2 is None:
        return {"margin_labels_last_pairs": np.nan, "margin_oracle_pairs": np.nan}
    kept = (labels >= 0) & ~np.isnan(q1) & ~np.isnan(q2)
    if not kept.any():
        return {"margin_labels_last_pairs": np.nan, "margin_oracle_pairs": np.nan}
    gap = q1[kept] - q2[kept]
    return {"margin_labels_last_pairs": float(np.mean((2 * labels[kept] - 1) * gap)),
            "margin_oracle_pairs": float(np.mean(np.abs(gap)))}


def likelihood_preferences(pairs, beta, length_norm):
    """On the pairs whose responses differ in oracle quality, before training: how often the
    reference model's log-likelihood (logp_ref) is higher for the better response, and how
    often the policy's is. The policy's difference is not stored; it is the reference's plus
    the IRM's log-ratio, logit(p_irm0) / beta. The IRM is the difference of the two: where the
    reference prefers the better response more strongly than the policy does, it prefers the
    worse one. NaN without the oracle, with a length-normalised IRM (p_irm0 then divides by
    lengths) or where p_irm0 is 0 or 1."""
    none = {"acc_policy0_pairs": np.nan, "acc_ref0_pairs": np.nan}
    names = ("oracle_q1", "oracle_q2", "logp_ref1", "logp_ref2", "p_irm0")
    if length_norm or not beta > 0 or any(pairs.get(k) is None for k in names):
        return none
    q1, q2, ref1, ref2, p_irm = (pairs[k] for k in names)
    informative = ~np.isnan(q1) & ~np.isnan(q2) & (q1 != q2)
    if not informative.any() or ((p_irm[informative] <= 0) | (p_irm[informative] >= 1)).any():
        return none
    better_first = (q1 > q2)[informative]
    ref_gap = (ref1 - ref2)[informative]
    p = p_irm[informative]
    policy_gap = ref_gap + np.log(p / (1 - p)) / beta

    def right(gap):  # a tie prefers neither side: half right
        return float(np.mean(np.where(gap == 0, 0.5, (gap > 0) == better_first)))

    return {"acc_policy0_pairs": right(policy_gap), "acc_ref0_pairs": right(ref_gap)}


def contract_misses(path):
    """What `path` (a run directory or its run.h5) lacks of the contract, a line each."""
    file = os.path.join(path, "run.h5") if os.path.isdir(path) else path
    misses = []
    with h5py.File(file, "r") as handle:
        # A run of a user's own model (model.m1) has no seed models and so no /sft/eval.
        config = _attributes(handle["config"]) if "config" in handle else {}
        required = ("config", "provenance") + (() if config.get("model.m1") else ("sft/eval",))
        # M1's finish adds the finished model's evaluation.
        required += ("finish/eval",) if config.get("finish.method", "none") != "none" else ()
        for group in required:
            if group not in handle:
                misses.append(f"{file}: no group /{group}")
        for group in ("sft/eval", "finish/eval"):
            if group in handle:
                misses += [f"{file}: /{group} lacks the attribute {name}"
                           for name, _, _ in EVALUATION_FIELDS if name not in handle[group].attrs]
        t = 1
        while f"iter_{t}" in handle:
            group = handle[f"iter_{t}"]
            for part, names, kind in (("pairs", PAIR_COLUMNS, "column"),
                                      ("steps", STEP_COLUMNS, "column"),
                                      ("eval", EVALUATION_FIELDS + ITERATION_FIELDS, "attribute")):
                if part not in group:
                    misses.append(f"{file}: no group /iter_{t}/{part}")
                    continue
                present = group[part].attrs if kind == "attribute" else group[part]
                misses += [f"{file}: /iter_{t}/{part} lacks the {kind} {name}"
                           for name, _, _ in names if name not in present]
            t += 1
        if t == 1:
            misses.append(f"{file}: no group /iter_1")
    return misses


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


def _check_number(value, where):
    """A metric must be a real number (NaN: not measured); anything else is a damaged file."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunError(f"{where} is {type(value).__name__} {value!r}, expected a number")


class Run:
    """config (option -> text), m1 (the evaluation of the M1 the iterations start from: /sft/eval,
    or /finish/eval after M1's finish, its win rate then against the SFT model; None for a user's
    model), and per iteration t: evals[t] (attributes), steps[t] and pairs[t] (column -> numpy
    array)."""

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
            # The BLAS kernel sets the float summation order: runs under two kernels are
            # different settings (grouped apart), and twins of each other (analysis/paired.py).
            kernel = (_attributes(handle["provenance"]).get("blas_kernel", "")
                      if "provenance" in handle else "")
            if kernel:
                self.config[KERNEL_KEY] = kernel
            self.m1_group = "finish/eval" if "finish/eval" in handle else "sft/eval"
            self.m1 = _attributes(handle[self.m1_group]) if self.m1_group in handle else None
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
                _check_number(values[key], f"{self.file}: /iter_{t}/eval attribute {key}")
        for key in ("mean_quality", "acc_grm", "acc_irm", "acc_grm_own"):
            if self.m1 is not None and key in self.m1:
                _check_number(self.m1[key], f"{self.file}: /{self.m1_group} attribute {key}")
        for key, value in self.config.items():
            if not isinstance(value, str):
                raise RunError(f"{self.file}: /config attribute {key} is {type(value).__name__}, "
                               "expected text")

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
                                "acc_irm": self.m1.get("acc_irm", np.nan),
                                "acc_grm_own": self.m1.get("acc_grm_own", np.nan)}))
        for t, values in sorted(self.evals.items()):
            row = {k: values[k] for k in EVAL_METRICS}
            row.update({k: values.get(k, np.nan) for k in LABEL_METRICS})  # older runs lack some
            row.update(label_margins(self.pairs[t]))
            row.update(likelihood_preferences(
                self.pairs[t], float(self.config.get("scir.beta", "nan")),
                self.config.get("scir.irm_length_norm", "false") == "true"))
            rows.append((f"M{t + 1}", row))
        return rows


if __name__ == "__main__":
    from analysis.cli import OneLineArgumentParser
    parser = OneLineArgumentParser(prog="python3 -m analysis.runs",
                                   description="Checks a run's run.h5 against the run contract.")
    parser.add_argument("run", help="run directory or its run.h5")
    arguments = parser.parse_args()
    try:
        Run(arguments.run)
        misses = contract_misses(arguments.run)
    except RunError as error:
        misses = [str(error)]
    for miss in misses:
        print(miss, file=sys.stderr)
    if misses:
        sys.exit(2)
    print(f"{arguments.run}: every name of the run contract is there")
