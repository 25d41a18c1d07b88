#!/usr/bin/env python3
"""Ablation sweeps of scir_hpc: a grid file expanded into one run directory a configuration.

  python3 jobs/sweeps/sweep.py expand GRID           list the runs and their options
  python3 jobs/sweeps/sweep.py run GRID [options]    run them one after another (mpirun)
  python3 jobs/sweeps/sweep.py command GRID INDEX    the scir_hpc arguments of run INDEX
                                                     (0-based; a job array's task)
Options of all three: --only KEY=V1,V2 keeps those values of the grid's KEY (a subset of the
grid, e.g. one seed again under another BLAS kernel; repeat it for other keys), --out DIR puts the runs in DIR instead of
[sweep] out.

A grid file is INI:
  [sweep]  config = base configuration (relative to the grid file), out = directory of the runs
           (relative to the working directory), ranks = MPI ranks a run (default 2)
  [grid]   option = value, value, ...   (every combination is one run)
  [fixed]  option = value               (the same for every run; optional)
  [variant NAME]  option = value        (options that go together, chosen by the grid key
                                          variant = NAME, NAME, ...; optional)
A run's directory is OUT/<option>=<value>__<option>=<value>... in grid order. A run whose
directory holds .done/run is finished and skipped, so a stopped sweep restarts where it
stopped. Runs that differ only in options of the iterations (scir.*, srlm.*, except scir.grm
and scir.tau, which change M1's evaluation) share the seed models: the first one builds them,
the others start from a copy of its world data, M0, M1 and their phase markers.
"""
import configparser
import itertools
import os
import shutil
import subprocess
import sys

# The repository root, for analysis.cli (the project's error policy for its tools).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from analysis.cli import OneLineArgumentParser  # noqa: E402
from analysis.seed_models import only_iterations  # noqa: E402

SEED_PHASES = ["data", "init", "pretrain", "sft", "sft_eval"]
# The judge stage's phases (judge_sft.steps > 0) and M1's finish (finish.method = oracle):
# shared when the first run has them.
OPTIONAL_SEED_PHASES = ["eft_own", "judge_sft", "finish"]


class GridError(Exception):
    """Bad grid file: the message names the file and the field."""


def read_grid(path):
    if not os.path.isfile(path):
        raise GridError(f"{path}: no such grid file")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # option names are case-sensitive
    try:
        parser.read(path)
    except configparser.Error as error:
        raise GridError(f"{path}: not an INI file ({error.message.splitlines()[0]})")
    for section in ("sweep", "grid"):
        if not parser.has_section(section):
            raise GridError(f"{path}: missing section [{section}]")
    for key in ("config", "out"):
        if not parser.get("sweep", key, fallback="").strip():
            raise GridError(f"{path}: [sweep] {key}: expected a path")
    base = os.path.join(os.path.dirname(os.path.abspath(path)), parser.get("sweep", "config"))
    if not os.path.isfile(base):
        raise GridError(f"{path}: [sweep] config: no such file {base}")
    try:
        ranks = int(parser.get("sweep", "ranks", fallback="2"))
    except ValueError:
        ranks = 0
    if ranks < 1:
        raise GridError(f"{path}: [sweep] ranks: expected an integer >= 1")
    grid = []
    for key, text in parser.items("grid"):
        values = [v.strip() for v in text.split(",") if v.strip()]
        if not values:
            raise GridError(f"{path}: [grid] {key}: expected comma-separated values")
        grid.append((key, values))
    if not grid:
        raise GridError(f"{path}: [grid]: expected at least one option")
    fixed = list(parser.items("fixed")) if parser.has_section("fixed") else []
    variants = read_variants(path, parser, grid, fixed)
    return {"config": base, "out": parser.get("sweep", "out"), "ranks": ranks,
            "grid": grid, "fixed": fixed, "variants": variants}


def read_variants(path, parser, grid, fixed):
    """The [variant NAME] sections: name -> options, each named by the grid key `variant`."""
    chosen = dict(grid).get("variant", [])
    taken = {**{key: "[grid]" for key, _ in grid}, **{key: "[fixed]" for key, _ in fixed}}
    variants = {}
    for section in parser.sections():
        if section.startswith("variant "):
            name = section[len("variant "):].strip()
            if name not in chosen:
                raise GridError(f"{path}: [{section}]: not among [grid] variant")
            options = list(parser.items(section))
            if not options:
                raise GridError(f"{path}: [{section}]: expected at least one option")
            for key, _ in options:
                if key in taken:
                    raise GridError(f"{path}: [{section}] {key}: also in {taken[key]}")
            variants[name] = options
    for name in chosen:
        if name not in variants:
            raise GridError(f"{path}: [grid] variant: no section [variant {name}]")
    return variants


def restrict(sweep, path, only, out):
    """The grid with --only's values (one KEY=V1,V2 string or a list of them, each of another
    key) and the runs in --out (each when given)."""
    if out is not None:
        sweep = {**sweep, "out": out}
    if only is None:
        return sweep
    restricted = set()
    for one in [only] if isinstance(only, str) else only:
        key = one.partition("=")[0]
        if key in restricted:
            raise GridError(f"--only {one}: {key} is restricted twice; give its values in one "
                            f"--only {key}=V1,V2")
        sweep = restrict_one(sweep, path, one)
        restricted.add(key)
    return sweep


def restrict_one(sweep, path, only):
    key, _, text = only.partition("=")
    values = [v.strip() for v in text.split(",") if v.strip()]
    grid = dict(sweep["grid"])
    if key not in grid or not values:
        raise GridError(f"--only {only}: expected KEY=V1,V2,... with KEY one of [grid] "
                        f"{', '.join(grid)} in {path}")
    unknown = [v for v in values if v not in grid[key]]
    if unknown:
        raise GridError(f"--only {only}: {', '.join(unknown)} not among [grid] {key} of {path} "
                        f"({', '.join(grid[key])})")
    kept = [v for v in grid[key] if v in values]  # the grid's order
    return {**sweep, "grid": [(k, kept if k == key else v) for k, v in sweep["grid"]]}


def expand(sweep):
    """One dict a run: its directory and its options (fixed first, then the grid's)."""
    keys = [key for key, _ in sweep["grid"]]
    runs = []
    for values in itertools.product(*[values for _, values in sweep["grid"]]):
        chosen = list(zip(keys, values))
        name = "__".join(f"{key}={value}" for key, value in chosen)
        options = list(sweep["fixed"])
        for key, value in chosen:
            options += sweep["variants"][value] if key == "variant" else [(key, value)]
        runs.append({"dir": os.path.join(sweep["out"], name), "options": options})
    return runs


def seed_key(options):
    """The options that decide the seed models (all but the iterations')."""
    return tuple((k, v) for k, v in options if not only_iterations(k))


def share_seed_models(source, target):
    """Starts `target` from the seed models of the finished run `source`."""
    os.makedirs(os.path.join(target, ".done"), exist_ok=True)
    for folder in ("data", "ckpt/init", "ckpt/m0", "ckpt/m1_base", "ckpt/m1", "finish"):
        if os.path.isdir(os.path.join(source, folder)):
            shutil.copytree(os.path.join(source, folder), os.path.join(target, folder),
                            dirs_exist_ok=True)
    for phase in SEED_PHASES + OPTIONAL_SEED_PHASES:
        if phase in SEED_PHASES or os.path.exists(os.path.join(source, ".done", phase)):
            shutil.copy(os.path.join(source, ".done", phase), os.path.join(target, ".done", phase))
    # run.h5 holds /pretrain and /sft; the run rewrites /config and /provenance when it starts.
    # The source's iterations are another method's: dropped, so that until the target writes its
    # own, its run.h5 shows none.
    import h5py  # here, so that expanding a grid needs no HDF5
    shutil.copy(os.path.join(source, "run.h5"), os.path.join(target, "run.h5"))
    with h5py.File(os.path.join(target, "run.h5"), "r+") as h5:
        for name in [name for name in h5 if name.startswith("iter_")]:
            del h5[name]


def seeds_done(run_dir):
    return all(os.path.exists(os.path.join(run_dir, ".done", p)) for p in SEED_PHASES)


def command_for(sweep, run, args):
    command = args.mpirun.split() + ["-np", str(sweep["ranks"]), args.binary, "run",
                                     "--config", sweep["config"], "--out", run["dir"]]
    for key, value in run["options"]:
        command += [f"--{key}", value]
    return command


def run_all(sweep, whole, args):
    """Runs `sweep`'s grid, sharing seed models with any finished run of `whole` (the grid
    before --only), so that a subset run later starts from the models the first subset built."""
    runs = expand(sweep)
    built = {}  # seed key -> a run directory whose seed models are finished
    for run in expand(whole):
        if seeds_done(run["dir"]):
            built.setdefault(seed_key(run["options"]), run["dir"])
    for index, run in enumerate(runs, 1):
        label = f"[{index}/{len(runs)}] {run['dir']}"
        if os.path.exists(os.path.join(run["dir"], ".done", "run")):
            print(f"{label}: finished already, skipped", flush=True)
            continue
        key = seed_key(run["options"])
        if key in built and not seeds_done(run["dir"]):
            share_seed_models(built[key], run["dir"])
            print(f"{label}: seed models shared from {built[key]}", flush=True)
        print(f"{label}: running", flush=True)
        result = subprocess.run(command_for(sweep, run, args))
        if result.returncode != 0:
            print(f"sweep: {run['dir']}: scir_hpc run exited with {result.returncode}; "
                  "the sweep stops here (run it again to resume)", file=sys.stderr)
            return result.returncode
        built.setdefault(key, run["dir"])
    return 0


def main(argv=None):
    parser = OneLineArgumentParser(prog="sweep", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["expand", "run", "command"])
    parser.add_argument("grid", help="grid file (INI)")
    parser.add_argument("index", nargs="?", type=int, help="run index, for 'command'")
    parser.add_argument("--binary", default="build/release/apps/scir_hpc")
    parser.add_argument("--mpirun", default="mpirun --allow-run-as-root -q",
                        help="launcher and its options before -np")
    parser.add_argument("--only", metavar="KEY=V1,V2", action="append",
                        help="these values of one grid key only (repeat it for other keys)")
    parser.add_argument("--out", metavar="DIR", help="the runs' directory instead of [sweep] out")
    args = parser.parse_args(argv)
    try:
        whole = restrict(read_grid(args.grid), args.grid, None, args.out)
        sweep = restrict(whole, args.grid, args.only, None)
    except GridError as error:
        print(f"sweep: error: {error}", file=sys.stderr)
        return 2
    if args.action == "command":
        runs = expand(sweep)
        if args.index is None or not 0 <= args.index < len(runs):
            print(f"sweep: error: {args.grid}: expected a run index in [0, {len(runs) - 1}], "
                  f"got {args.index}", file=sys.stderr)
            return 2
        run = runs[args.index]
        words = ["run", "--config", sweep["config"], "--out", run["dir"]]
        for key, value in run["options"]:
            words += [f"--{key}", value]
        print(" ".join(words))
        return 0
    if args.action == "expand":
        for run in expand(sweep):
            options = " ".join(f"--{k} {v}" for k, v in run["options"])
            print(f"{run['dir']}\t{options}")
        return 0
    return run_all(sweep, whole, args)


if __name__ == "__main__":
    sys.exit(main())
