"""Paired differences of each method against a baseline (SRLM by default; any runs whose options
match a set of KEY=VALUE, e.g. SCIR's literal configuration against its variants).

Runs of two methods with the same seed share their seed models (the sweep makes M0 and M1 once
a seed), so a method's advantage is measured best seed by seed: d_s = x(method, s) - x(baseline,
s), and its mean with a 95% Student-t interval over the seeds both groups ran. Two ways to
find a run's partner:
- "setting" (default): the baseline run that differs from it in seed-free options only in
  scir.method, so a method is compared only under the same settings;
- "seed_models": the baseline run with the same seed models (the same seed and every option
  but the iterations', analysis/seed_models.py), whatever the iterations' options of the
  two: a method with settings of its own (a grid's variant, such as the oracle's
  best_vs_rest or SCIR with irm_ref current) against the baseline on the same M1. More than
  one such baseline run is an error (PairingError).
"""
import numpy as np
import pandas as pd
from scipy import stats

from analysis.runs import KERNEL_KEY, differing_options, measured
from analysis.seed_models import only_iterations

METHOD_KEY = "scir.method"
DEFAULT_BASELINE = {METHOD_KEY: "srlm"}
PAIRED_METRICS = ("win_rate_vs_m1", "mean_quality", "acc_grm", "acc_irm")
PAIR_BY = ("setting", "seed_models")


class PairingError(Exception):
    """Two baseline runs claim the same partner: the message names both."""


def _values(run):
    """{(model, metric): value} of a run, the M2, M3, ... rows."""
    return {(model, metric): value for model, values in run.rows() if model != "M1"
            for metric, value in values.items() if metric in PAIRED_METRICS}


def _setting(run, free=("seed", METHOD_KEY)):
    """The run's options that must match for two runs to be a pair (all but out, threads and
    the `free` ones)."""
    return tuple(sorted((k, v) for k, v in run.config.items()
                        if k not in {"out", "threads", *free}))


def _seed_models(run):
    """The options that decide the run's seed models, seed included."""
    iterations = tuple(k for k in run.config if only_iterations(k))
    return (run.seed, _setting(run, free=("seed", *iterations)))


def baseline_label(baseline):
    """The baseline as the report names it: the method for the default, else its options."""
    if baseline == DEFAULT_BASELINE:
        return DEFAULT_BASELINE[METHOD_KEY]
    return ", ".join(f"{key}={value}" for key, value in sorted(baseline.items()))


def is_baseline(run, baseline):
    return all(run.config.get(key) == value for key, value in baseline.items())


def paired_differences(groups, baseline=None, pair_by="setting"):
    """Long table: group, model, metric, mean difference, 95% interval (low, high), pairs.
    `baseline`: {option: value} that the baseline runs have (default: scir.method srlm); by
    "setting", a partner may differ from the run in those options and the seed only."""
    baseline = baseline or DEFAULT_BASELINE
    if pair_by == "setting":
        def partner_key(run):
            return (run.seed, _setting(run, free=("seed", *baseline)))
    else:
        partner_key = _seed_models
    baseline_runs = {}
    for run in (run for members in groups.values() for run in members
                if is_baseline(run, baseline)):
        first = baseline_runs.setdefault(partner_key(run), run)
        if first is not run:
            raise PairingError(f"{first.file} and {run.file}: two {baseline_label(baseline)} "
                               f"runs of seed {run.seed} with the same "
                               f"{pair_by.replace('_', ' ')}; expected one to pair with")
    records = []
    for label, runs in groups.items():
        if any(is_baseline(run, baseline) for run in runs):
            continue
        differences = {}
        for run in runs:
            partner = baseline_runs.get(partner_key(run))
            if partner is None:
                continue
            mine, theirs = _values(run), _values(partner)
            for key, value in mine.items():
                other = theirs.get(key, np.nan)
                if measured(key[1], value) and measured(key[1], other):
                    differences.setdefault(key, []).append(value - other)
        for (model, metric), values in sorted(differences.items()):
            records.append({"group": label, "model": model, "metric": metric,
                            **interval(np.asarray(values, dtype=float))})
    return pd.DataFrame.from_records(records, columns=[
        "group", "model", "metric", "mean", "low", "high", "pairs"])


def interval(differences):
    """Mean and 95% Student-t interval of paired differences (no interval from one pair)."""
    n = differences.size
    mean = float(differences.mean())
    if n < 2:
        return {"mean": mean, "low": np.nan, "high": np.nan, "pairs": n}
    half = stats.t.ppf(0.975, n - 1) * differences.std(ddof=1) / np.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "pairs": n}


def format_paired(frame, baseline="srlm"):
    """The differences as text, one line a group, model and metric (`baseline`: the baseline's
    label, baseline_label)."""
    if frame.empty:
        return ""
    lines = [f"paired differences against {baseline} (same seed and seed models), "
             "mean [95% interval] over the pairs:"]
    for _, row in frame.iterrows():
        span = ("" if not np.isfinite(row["low"])
                else f" [{row['low']:+.3f}, {row['high']:+.3f}]")
        lines.append(f"  {row['group']:<34} {row['model']:<4} {row['metric']:<16} "
                     f"{row['mean']:+.3f}{span}  ({row['pairs']} pairs)")
    return "\n".join(lines)


def kernel_differences(runs):
    """Float order alone: for runs that differ only in the BLAS kernel (the same seed, method
    and settings, so the same computation up to summation order), each metric under the other
    kernels minus under the first (alphabetical). Long table: setting, seed, kernels, model,
    metric, first, other, difference."""
    twins = {}
    for run in runs:
        if KERNEL_KEY in run.config:
            twins.setdefault(_setting(run, free=(KERNEL_KEY,)), []).append(run)
    twins = {key: members for key, members in twins.items()
             if len({run.config[KERNEL_KEY] for run in members}) > 1}
    # A twin's label: the options in which the twins differ from each other (the method at
    # least), so that two variants of one method stay apart.
    differing = differing_options([members[0] for members in twins.values()],
                                  {"out", "threads", "seed", KERNEL_KEY})
    shown = [METHOD_KEY] + [k for k in differing if k != METHOD_KEY]
    records = []
    for members in twins.values():
        members = sorted(members, key=lambda run: run.config[KERNEL_KEY])
        first = members[0]
        label = ", ".join(f"{k}={first.config.get(k)}" for k in shown)
        for other in members[1:]:
            if other.config[KERNEL_KEY] == first.config[KERNEL_KEY]:
                continue
            mine, theirs = _values(first), _values(other)
            for key in sorted(mine):
                a, b = mine[key], theirs.get(key, np.nan)
                if measured(key[1], a) and measured(key[1], b):
                    records.append({"setting": label, "seed": first.seed,
                                    "kernels": f"{first.config[KERNEL_KEY]} -> "
                                               f"{other.config[KERNEL_KEY]}",
                                    "model": key[0], "metric": key[1], "first": a, "other": b,
                                    "difference": b - a})
    return pd.DataFrame.from_records(records, columns=[
        "setting", "seed", "kernels", "model", "metric", "first", "other", "difference"])


def format_kernel_differences(frame):
    """The twins as text, then each model and metric's mean absolute difference."""
    if frame.empty:
        return ""
    lines = ["float order alone: the same runs under two BLAS kernels (first -> other):"]
    for _, row in frame.iterrows():
        lines.append(f"  {row['setting']:<28} seed {row['seed']:<4} {row['kernels']:<22} "
                     f"{row['model']:<4} {row['metric']:<16} {row['first']:.3f} -> "
                     f"{row['other']:.3f} ({row['difference']:+.3f})")
    for (model, metric), rows in frame.groupby(["model", "metric"], sort=True):
        lines.append(f"  mean |difference| {model} {metric}: "
                     f"{rows['difference'].abs().mean():.3f} over {len(rows)} twins")
    return "\n".join(lines)
