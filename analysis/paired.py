"""Paired differences of each method against a baseline method (SRLM by default).

Runs of two methods with the same seed share their seed models (the sweep makes M0 and M1 once
a seed), so a method's advantage is measured best seed by seed: d_s = x(method, s) - x(baseline,
s), and its mean with a 95% Student-t interval over the seeds both groups ran. A group is
compared only with the baseline group that differs from it in scir.method alone.
"""
import numpy as np
import pandas as pd
from scipy import stats

METHOD_KEY = "scir.method"
PAIRED_METRICS = ("win_rate_vs_m1", "mean_quality", "acc_grm", "acc_irm")


def _values(run):
    """{(model, metric): value} of a run, the M2, M3, ... rows."""
    return {(model, metric): value for model, values in run.rows() if model != "M1"
            for metric, value in values.items() if metric in PAIRED_METRICS}


def _setting(run):
    """The run's options that must match for two runs to be a pair (all but seed, out, threads
    and the method)."""
    return tuple(sorted((k, v) for k, v in run.config.items()
                        if k not in {"seed", "out", "threads", METHOD_KEY}))


def paired_differences(groups, baseline="srlm"):
    """Long table: group, model, metric, mean difference, 95% interval (low, high), pairs."""
    records = []
    for label, runs in groups.items():
        if any(run.config.get(METHOD_KEY) == baseline for run in runs):
            continue
        differences = {}
        for run, partner in _partners(groups, runs, baseline):
            mine, theirs = _values(run), _values(partner)
            for key, value in mine.items():
                other = theirs.get(key, np.nan)
                # -1 or NaN: not measured in one of the two
                if np.isfinite(value) and np.isfinite(other) and value >= 0 and other >= 0:
                    differences.setdefault(key, []).append(value - other)
        for (model, metric), values in sorted(differences.items()):
            records.append({"group": label, "model": model, "metric": metric,
                            **interval(np.asarray(values, dtype=float))})
    return pd.DataFrame.from_records(records, columns=[
        "group", "model", "metric", "mean", "low", "high", "pairs"])


def _partners(groups, runs, baseline):
    """(run, the baseline run of the same seed and settings) for every run that has one."""
    baseline_runs = {(run.seed, _setting(run)): run for members in groups.values()
                     for run in members if run.config.get(METHOD_KEY) == baseline}
    return [(run, baseline_runs[(run.seed, _setting(run))]) for run in runs
            if (run.seed, _setting(run)) in baseline_runs]


def interval(differences):
    """Mean and 95% Student-t interval of paired differences (no interval from one pair)."""
    n = differences.size
    mean = float(differences.mean())
    if n < 2:
        return {"mean": mean, "low": np.nan, "high": np.nan, "pairs": n}
    half = stats.t.ppf(0.975, n - 1) * differences.std(ddof=1) / np.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "pairs": n}


def format_paired(frame, baseline="srlm"):
    """The differences as text, one line a group, model and metric."""
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
