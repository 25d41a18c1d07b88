"""bench/trace_summary.py on a small hand-made kineto trace: GPU time by launching operator, the
span and the GPU's busy share; bad input is one line and exit 2."""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                      "trace_summary.py")


def summary(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=60)


class TraceSummaryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="scir_trace_")
        # Two operators on the host; three kernels, two launched by aten::mul, one by aten::mm.
        events = [
            {"ph": "X", "cat": "cpu_op", "name": "aten::mul", "ts": 0, "dur": 10,
             "args": {"External id": 1}},
            {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "ts": 10, "dur": 10,
             "args": {"External id": 2}},
            {"ph": "X", "cat": "kernel", "name": "mul_kernel", "ts": 20, "dur": 30,
             "args": {"External id": 1}},
            {"ph": "X", "cat": "kernel", "name": "mul_kernel", "ts": 50, "dur": 10,
             "args": {"External id": 1}},
            {"ph": "X", "cat": "kernel", "name": "gemm", "ts": 60, "dur": 20,
             "args": {"External id": 2}},
            {"ph": "i", "name": "marker", "ts": 500},  # not a complete event: ignored
        ]
        self.path = os.path.join(self.dir, "trace.json.gz")
        with gzip.open(self.path, "wt") as f:
            json.dump({"traceEvents": events}, f)

    def test_gpu_time_by_launching_operator(self):
        result = summary(self.path)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        # The span runs from the first event's start (0) to the last one's end (80 us); the
        # kernels take 60 us of it.
        self.assertEqual(lines[0], "span 0.1 ms, GPU busy 0.1 ms (75%)")
        self.assertEqual(lines[2].split(), ["0.04", "66.7%", "2", "aten::mul"])
        self.assertEqual(lines[3].split(), ["0.02", "33.3%", "1", "aten::mm"])

    def test_bad_input_is_one_line_and_exit_two(self):
        for args in ([os.path.join(self.dir, "missing.json")], [self.path, "--top", "x"]):
            result = summary(*args)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertTrue(result.stderr.startswith("trace_summary.py: error: "), result.stderr)
            self.assertEqual(result.stderr.count("\n"), 1, result.stderr)


if __name__ == "__main__":
    unittest.main()
