"""Paper-style tables, CSV, plots and a Markdown report from run.h5 files.

  python3 -m analysis.report RUN [RUN ...] [--out DIR] [--pair-by setting|seed_models]
                             [--baseline KEY=VALUE[,KEY=VALUE]]

Runs whose configurations differ only in `seed` (and `out`) form one group; every number is a
mean over the group's seeds with its standard deviation. Writes DIR/table.csv,
DIR/steps.png (consistency rate and kept share per step), DIR/iterations.png (win rate and
reward accuracy per iteration), DIR/calibration.png (P_G and P_I against the oracle's labels)
and DIR/report.md that embeds them; prints the table, then the labels' accuracy on each
iteration's training pairs (analysis/runs.py LABEL_METRICS, also in table.csv). Where the runs include SRLM (scir.method
srlm), every other method's paired differences against it, seed by seed, with 95% intervals
(analysis/paired.py; --pair-by seed_models pairs a run with the SRLM run on the same seed
models whatever the iterations' options of the two, as a grid's variants need; --baseline
pairs with the runs of those options instead, e.g. scir.method=scir,scir.cons_stopgrad=none
for SCIR's variants against its literal configuration): printed, DIR/paired.csv and
DIR/paired.png. Runs that differ only in
their BLAS kernel (run.h5's /provenance) are grouped apart, and their differences, float order
alone, are printed and written to DIR/kernels.csv. A run that cannot be read stops the
report with one line naming its file and what is missing (exit 2).
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.cli import OneLineArgumentParser  # noqa: E402
from analysis.paired import (DEFAULT_BASELINE, PAIR_BY, PairingError,  # noqa: E402
                             baseline_label, format_kernel_differences, format_paired,
                             kernel_differences, paired_differences)
from analysis.runs import (EVAL_METRICS, LABEL_METRICS, Run, RunError,  # noqa: E402
                           differing_options, measured)

IGNORED_KEYS = {"seed", "out", "threads"}
# The table's columns: the evaluation record's names (analysis/runs.py, the run contract).
COLUMNS = EVAL_METRICS


def group_runs(runs):
    """{label: [runs]}: the label names the options that differ between groups."""
    differing = differing_options(runs, IGNORED_KEYS)
    groups = {}
    for run in runs:
        label = ", ".join(f"{k}={run.config.get(k)}" for k in differing) or "all runs"
        groups.setdefault(label, []).append(run)
    return groups


def table(groups):
    """Long table: group, model, metric, mean, std, seeds."""
    records = []
    for label, runs in groups.items():
        by_model = {}
        for run in runs:
            for model, values in run.rows():
                for metric, value in values.items():
                    by_model.setdefault((model, metric), []).append(value)
        for (model, metric), values in by_model.items():
            values = np.asarray(values, dtype=float)
            finite = values[measured(metric, values)]
            records.append({"group": label, "model": model, "metric": metric,
                            "mean": finite.mean() if finite.size else np.nan,
                            "std": finite.std(ddof=1) if finite.size > 1 else 0.0,
                            "seeds": int(finite.size)})
    return pd.DataFrame.from_records(records)


def format_table(frame, columns=COLUMNS):
    lines = []
    # A space before each column: a metric's name may be as wide as the column.
    header = f"{'group':<34} {'model':<6}" + "".join(f" {name:>24}" for name in columns)
    lines.append(header)
    for (group, model), rows in frame.groupby(["group", "model"], sort=True):
        cells = []
        for metric in columns:
            row = rows[rows.metric == metric]
            if row.empty or not np.isfinite(row["mean"].iloc[0]):
                cells.append(f" {'-':>24}")
            else:
                cells.append(f" {row['mean'].iloc[0]:>17.3f} ± {row['std'].iloc[0]:.3f}")
        lines.append(f"{group:<34} {model:<6}" + "".join(cells))
    return "\n".join(lines)


def plot_steps(groups, path):
    columns = ["consistency_rate", "kept_share", "acc_labels_step"]
    figure, axes = plt.subplots(1, len(columns), figsize=(16, 4))
    for label, runs in groups.items():
        for axis, column in zip(axes, columns):
            # No online judge (srlm, oracle, irm_only): the consistency rate is not measured.
            if column == "consistency_rate" and any(
                    values["train_consistency_rate"] < 0
                    for run in runs for values in run.evals.values()):
                continue
            series = []
            for run in runs:
                parts = [run.steps[t][column] for t in sorted(run.steps) if column in run.steps[t]]
                series.append(np.concatenate(parts) if parts else np.zeros(0))
            length = min(len(s) for s in series)
            if length:
                axis.plot(np.mean([s[:length] for s in series], axis=0), label=label)
    for axis, title in zip(axes, ["consistency rate (GRM and IRM agree)", "kept share",
                                  "labels trained on, right by the oracle"]):
        axis.set_title(title)
        axis.set_xlabel("step (iterations back to back)")
        axis.set_ylim(0, 1)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_iterations(frame, path):
    figure, axes = plt.subplots(1, 3, figsize=(14, 4))
    for axis, metric, title in zip(axes, ["win_rate_vs_m1", "acc_grm", "acc_irm"],
                                   ["win rate vs M1", "GRM accuracy", "IRM accuracy"]):
        for group, rows in frame[frame.metric == metric].groupby("group"):
            rows = rows.sort_values("model", key=lambda m: m.str[1:].astype(int))
            axis.errorbar(rows.model, rows["mean"], yerr=rows["std"], marker="o", label=group,
                          capsize=3)
        axis.set_title(title)
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def calibration_points(probabilities, labels, bins=10):
    """(mean predicted, observed frequency, count) per probability bin that holds pairs."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(probabilities, edges) - 1, 0, bins - 1)
    points = []
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            points.append((probabilities[chosen].mean(), labels[chosen].mean(), chosen.sum()))
    return points


def plot_calibration(groups, path):
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for label, runs in groups.items():
        for axis, column in zip(axes, ["p_grm0", "p_irm0"]):
            p, y = [], []
            for run in runs:
                for pairs in run.pairs.values():
                    q1, q2 = pairs.get("oracle_q1"), pairs.get("oracle_q2")
                    if q1 is None or column not in pairs:
                        continue
                    keep = np.isfinite(q1) & np.isfinite(q2) & (q1 != q2)
                    p.append(pairs[column][keep])
                    y.append((q1[keep] > q2[keep]).astype(float))
            if p and np.concatenate(p).size:
                points = calibration_points(np.concatenate(p), np.concatenate(y))
                axis.plot([a for a, _, _ in points], [b for _, b, _ in points], marker="o",
                          label=label)
    for axis, title in zip(axes, ["P_G (judge) before training", "P_I (implicit) before training"]):
        axis.plot([0, 1], [0, 1], color="grey", linestyle=":")
        axis.set_title(title)
        axis.set_xlabel("predicted P(first better)")
        axis.set_ylabel("oracle: share first better")
    axes[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_paired(paired, path, baseline="srlm"):
    """Each method's win rate against M1 minus the baseline's, by model, with its 95%
    interval."""
    rows = paired[paired.metric == "win_rate_vs_m1"]
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for offset, (group, members) in enumerate(rows.groupby("group", sort=True)):
        x = np.arange(len(members)) + 0.1 * offset
        low = (members["mean"] - members["low"]).fillna(0)
        high = (members["high"] - members["mean"]).fillna(0)
        axis.errorbar(x, members["mean"], yerr=[low, high], fmt="o", capsize=3, label=group)
        axis.set_xticks(np.arange(len(members)), members["model"])
    axis.axhline(0, color="grey", linewidth=0.8)
    axis.set_ylabel(f"win rate vs M1, minus {baseline}'s", fontsize=8 if len(baseline) > 20 else 10)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_markdown(path, runs, groups, text, with_paired=False, baseline="srlm"):
    with open(path, "w") as f:
        f.write("# scir_hpc report\n\n")
        f.write(f"{len(runs)} runs in {len(groups)} groups (mean ± std over seeds):\n\n")
        for label, members in groups.items():
            seeds = ", ".join(str(run.seed) for run in members)
            f.write(f"- {label}: seeds {seeds}\n")
        f.write("\n```\n" + text + "\n```\n\n")
        f.write("Numbers: [table.csv](table.csv)\n\n")
        for name, caption in [("iterations.png", "Win rate and reward accuracy per iteration"),
                              ("steps.png", "Consistency rate and kept share per step"),
                              ("calibration.png", "Calibration of P_G and P_I")] + (
                [("paired.png", f"Win rate against {baseline}, paired by seed")]
                if with_paired else []):
            f.write(f"## {caption}\n\n![{caption}]({name})\n\n")


def baseline_options(text):
    """--baseline's KEY=VALUE[,KEY=VALUE] as a dict."""
    options = {}
    for pair in (part.strip() for part in text.split(",")):
        key, equals, value = pair.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE[,KEY=VALUE], got '{text}'")
        options[key.strip()] = value.strip()
    return options


def main(argv=None):
    parser = OneLineArgumentParser(prog="analysis.report",
                                   description="Tables, plots and a report from run.h5 files")
    parser.add_argument("runs", nargs="+", help="run directories (or their run.h5)")
    parser.add_argument("--out", default="report", help="directory of the report files")
    parser.add_argument("--pair-by", choices=PAIR_BY, default="setting",
                        help="a baseline partner with the same settings but the method, or "
                             "with the same seed models")
    parser.add_argument("--baseline", metavar="KEY=VALUE[,KEY=VALUE]", type=baseline_options,
                        default=dict(DEFAULT_BASELINE),
                        help="the runs every other group is paired with: those with these "
                             "options (default scir.method=srlm)")
    args = parser.parse_args(argv)
    label = baseline_label(args.baseline)
    # The report's directory is checked before anything is read or written.
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        print(f"analysis.report: error: --out {args.out}: exists and is not a directory",
              file=sys.stderr)
        return 2
    try:
        runs = [Run(path) for path in args.runs]
        groups = group_runs(runs)
        paired = paired_differences(groups, baseline=args.baseline, pair_by=args.pair_by)
    except (RunError, PairingError) as error:
        print(f"analysis.report: error: {error}", file=sys.stderr)
        return 2
    frame = table(groups)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as error:
        print(f"analysis.report: error: --out {args.out}: {error.strerror}", file=sys.stderr)
        return 2
    frame.to_csv(os.path.join(args.out, "table.csv"), index=False)
    text = format_table(frame)
    text += ("\n\nlabels against the oracle: M1 row, its judge on pairs of its own samples; "
             "M(t+1) row, iteration t's training pairs (before training, then the labels of the "
             "last step) and M(t+1)'s judge on its own samples:\n" +
             format_table(frame, LABEL_METRICS))
    plot_steps(groups, os.path.join(args.out, "steps.png"))
    plot_iterations(frame, os.path.join(args.out, "iterations.png"))
    plot_calibration(groups, os.path.join(args.out, "calibration.png"))
    if not paired.empty:
        paired.to_csv(os.path.join(args.out, "paired.csv"), index=False)
        plot_paired(paired, os.path.join(args.out, "paired.png"), label)
        text += "\n\n" + format_paired(paired, label)
    twins = kernel_differences(runs)
    if not twins.empty:
        twins.to_csv(os.path.join(args.out, "kernels.csv"), index=False)
        text += "\n\n" + format_kernel_differences(twins)
    write_markdown(os.path.join(args.out, "report.md"), runs, groups, text,
                   with_paired=not paired.empty, baseline=label)
    print(text)
    print(f"report: {os.path.join(args.out, 'report.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
