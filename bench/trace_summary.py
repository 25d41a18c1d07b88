#!/usr/bin/env python3
"""GPU time of a kineto Chrome trace (`scir_gpu_bench --profile-phase P --trace F`) by the
operator that launched each kernel, with the trace's span and how busy the GPU was in it.

  /usr/bin/python3 bench/trace_summary.py TRACE.json[.gz] [--top 20]
"""
import collections
import gzip
import json
import os
import sys

# bad arguments: one line and exit 2, as scir_hpc (analysis/cli.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402

GPU_CATEGORIES = ("kernel", "gpu_memcpy", "gpu_memset")


def load_events(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    return [e for e in events if e.get("ph") == "X"]


def summarise(events):
    """(span in us, GPU time in us, {launching operator: (GPU us, kernels)})."""
    operator_of = {}
    for e in events:
        external = e.get("args", {}).get("External id")
        if e.get("cat") == "cpu_op" and external is not None:
            operator_of[external] = e["name"]
    start = min(e["ts"] for e in events)
    end = max(e["ts"] + e.get("dur", 0) for e in events)
    by_operator = collections.defaultdict(lambda: [0.0, 0])
    gpu = 0.0
    for e in events:
        if e.get("cat") not in GPU_CATEGORIES:
            continue
        row = by_operator[operator_of.get(e.get("args", {}).get("External id"), "(unknown)")]
        row[0] += e.get("dur", 0)
        row[1] += 1
        gpu += e.get("dur", 0)
    return end - start, gpu, by_operator


def main():
    parser = OneLineArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trace")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    try:
        events = load_events(args.trace)
    except (OSError, ValueError, KeyError) as error:
        parser.exit(2, f"trace_summary.py: error: {args.trace}: not a readable Chrome trace "
                       f"({error})\n")
    if not any(e.get("cat") in GPU_CATEGORIES for e in events):
        parser.exit(2, f"trace_summary.py: error: {args.trace}: no GPU kernels in the trace\n")
    span, gpu, by_operator = summarise(events)
    print(f"span {span / 1e3:.1f} ms, GPU busy {gpu / 1e3:.1f} ms ({100 * gpu / span:.0f}%)")
    print(f"{'GPU ms':>8} {'share':>6} {'kernels':>8}  launching operator")
    rows = sorted(by_operator.items(), key=lambda item: -item[1][0])
    for name, (micros, kernels) in rows[:args.top]:
        print(f"{micros / 1e3:8.2f} {100 * micros / gpu:5.1f}% {kernels:8d}  {name}")


if __name__ == "__main__":
    main()
