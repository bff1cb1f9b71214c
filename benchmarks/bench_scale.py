"""Scale benchmark: peak memory and wall time of a LOSO fold against the number of subjects.

A simulated set the size of Lee2019_MI at 250 Hz (54 subjects, 62 channels, 2 sessions of
200 trials, 4 s windows: about 99 MB of float32 epochs per subject, 5.4 GB in all) is
generated into an epoch cache one subject at a time (streamed: the generator never holds
more than one subject). Then, for each number of subjects N and each model, a fresh process
runs ``eegdec run --protocol loso`` on subjects 1..N through ``run_protocol``, stopping after
the first ``--folds`` held-out subjects (every fold has the same size, so the first one shows
the peak), and reports its peak resident memory (``ru_maxrss``: anonymous memory and mapped
file pages alike) and wall time. ``--code DIR`` runs the points with another checkout of
eegdec (e.g. the commit before out-of-core epochs, for "today's path"); points whose
predicted in-memory footprint exceeds ``--max-gb`` are skipped there.

    python benchmarks/bench_scale.py --cache /tmp/scale-cache [--subjects 5 10 20 54]
        [--models csp-lda eegnet] [--code ../wt-base --label before]

``--cgroup-limit 2G`` runs each point inside a memory cgroup of that size (benchmarks/memlimit.py)
and ``--cold`` evicts the set's cache files from the page cache before each point: a set whose
epochs exceed the limit must then be read from disk (out-of-core code) or the point is
OOM-killed (in-memory code). Failed points (OOM kill, exit code, timeout, seconds until the
failure) are rows of the table, not dropped. ``--dataset SimMI-2class-large --folds 0`` measures
whole LOSO runs of a registry dataset instead (the issue's table).

Not a timed test: it takes minutes (about 12 minutes for 5/10/20 subjects, both models, on
2 cores) and writes nothing but the cache and its JSON lines (``--out``).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import memlimit

NAME = "SimLee-62"
#: Lee2019_MI's 62 channels (10-05 names).
LEE_CHANNELS = (
    "Fp1 Fp2 F7 F3 Fz F4 F8 FC5 FC1 FC2 FC6 T7 C3 Cz C4 T8 TP9 CP5 CP1 CP2 CP6 TP10 P7 P3 Pz "
    "P4 P8 PO9 O1 Oz O2 PO10 FC3 FC4 C5 C1 C2 C6 CP3 CPz CP4 P1 P2 POz FT9 FTT9h TTP7h TP7 "
    "TPP9h FT10 FTT10h TPP8h TP8 TPP10h F9 F10 AF7 AF3 AF4 AF8 PO3 PO4"
).split()


def make_spec(subjects: int = 54, trials: int = 200, sessions: int = 2):
    """The simulated Lee2019-like entry (built on the SimMI simulator)."""
    from eegdec.data.registry import get_dataset_spec

    base = get_dataset_spec("SimMI-2class")
    return dataclasses.replace(
        base,
        name=NAME,
        aliases=(),
        subjects=tuple(range(1, subjects + 1)),
        sessions=tuple(str(s) for s in range(sessions)),
        channels=tuple(LEE_CHANNELS),
        n_channels=len(LEE_CHANNELS),
        options={**base.options, "trials_per_class": trials // 2, "seed": 2019},
    )


def register(spec) -> None:
    """Make ``spec`` known to ``get_dataset_spec`` in this process."""
    from eegdec.data import registry

    real = registry._registry
    registry._registry = lambda: {**real(), spec.name: spec}


def dataset_spec(args: argparse.Namespace):
    """The simulated Lee2019-like entry, or ``--dataset`` from the registry as it is."""
    from eegdec.data.registry import get_dataset_spec

    if args.dataset == NAME:
        return make_spec(args.spec_subjects, args.trials, args.sessions)
    return get_dataset_spec(args.dataset)


def generate(args: argparse.Namespace) -> None:
    """Build the cache subject by subject (each is written, then only mapped)."""
    from eegdec.preprocessing.load import iter_subject_epochs

    spec = dataset_spec(args)
    t0 = time.perf_counter()
    total = 0
    wanted = list(range(1, max(args.subjects) + 1))
    for ep in iter_subject_epochs(spec, wanted, cache_dir=args.cache):
        total += ep.X.nbytes
        del ep
    print(
        json.dumps(
            {
                "generate_subjects": len(wanted),
                "epochs_gb": total / 1e9,
                "seconds": round(time.perf_counter() - t0, 1),
                "peak_rss_mb": _peak_mb(),
            }
        ),
        flush=True,
    )


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def point(args: argparse.Namespace) -> None:
    """One measurement, in this (fresh) process: LOSO on subjects 1..N, first folds only."""
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.protocols import get_protocol
    from eegdec.evaluation.runner import run_protocol

    if args.dataset == NAME:
        register(dataset_spec(args))
    os.environ["EEGDEC_CACHE"] = str(args.cache)
    if args.folds:
        protocol = get_protocol("loso")
        plan = protocol.plan
        protocol.plan = lambda *a, **k: itertools.islice(plan(*a, **k), args.folds)
    n = args.point_subjects
    cfg = RunConfig(
        dataset=args.dataset,
        protocol="loso",
        models=[args.point_model],
        subjects=list(range(1, n + 1)),
        epochs=1,
        device="cpu",
        quiet=True,
    )
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        store = run_protocol(cfg, out=Path(out) / "run")
        wall = time.perf_counter() - t0
        acc = [round(float(a), 3) for a in store.read_rows()["accuracy"]]
    print(
        json.dumps(
            {
                "model": args.point_model,
                "subjects": n,
                "folds": args.folds,
                "peak_rss_mb": _peak_mb(),
                "wall_s": round(wall, 1),
                "accuracy": acc if len(acc) <= 4 else round(sum(acc) / len(acc), 3),
            }
        ),
        flush=True,
    )


def cache_files(args: argparse.Namespace, n: int) -> list[Path]:
    """The cache entry of each of subjects 1..n (the newest where several keys exist)."""
    files = []
    for s in range(1, n + 1):
        found = sorted(
            (args.cache / args.dataset).glob(f"sub-{s:03d}_*.npz"), key=lambda f: f.stat().st_mtime
        )
        if not found:
            raise SystemExit(
                f"subject {s} of {args.dataset} is not in the cache {args.cache}: "
                "run bench_scale.py without --code first (it generates the set)"
            )
        files.append(found[-1])
    return files


def _epoch_mb(files: list[Path]) -> float:
    """MiB of cached epochs (entry sizes: X, plus a few kB of labels and header)."""
    return sum(f.stat().st_size for f in files) / 2**20


def _measure(
    args: argparse.Namespace, cmd: list[str], env: dict[str, str], files: list[Path]
) -> dict:
    """Run one point (in a cgroup with ``--cgroup-limit``); a row whether it succeeded or not."""
    row: dict = {"load_avg_1min": round(os.getloadavg()[0], 1)}
    if args.cold:
        memlimit.drop_page_cache(files)
    row["cache_resident_mb"] = memlimit.resident_mb(files)
    if args.cgroup_limit:
        row["cgroup_limit_mb"] = round(args.cgroup_limit / 2**20)
        res = memlimit.run_limited(cmd, args.cgroup_limit, env=env, timeout=args.timeout)
        row["cgroup_peak_mb"] = round(res.cgroup_peak_mb)
        code, seconds, stdout, stderr = res.returncode, res.seconds, res.stdout, res.stderr
        oom = res.oom_killed
    else:
        t0 = time.perf_counter()
        try:
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
            code, stdout, stderr = out.returncode, out.stdout, out.stderr
        except subprocess.TimeoutExpired:
            code, stdout, stderr = None, "", ""
        seconds, oom = time.perf_counter() - t0, False
    if code == 0:
        row.update(json.loads(stdout.strip().splitlines()[-1]), status="ok")
        return row
    status = (
        "timeout"
        if code is None
        else "OOM-killed"
        if oom
        else f"killed by signal {-code}"
        if code < 0
        else f"exit {code}"
    )
    row.update(
        status=status,
        exit_code=code,
        failed_after_s=round(seconds, 1),
        stderr=stderr.strip().splitlines()[-3:],
    )
    return row


def _size(text: str) -> int:
    try:
        return memlimit.parse_size(text)
    except ValueError as exc:  # argparse would print only "invalid value"
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="epoch cache folder")
    parser.add_argument(
        "--dataset", default=NAME, help=f"registry dataset instead of the simulated {NAME}"
    )
    parser.add_argument("--subjects", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--models", nargs="+", default=["csp-lda", "eegnet"])
    parser.add_argument("--trials", type=int, default=200, help="trials per session")
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument(
        "--spec-subjects",
        type=int,
        default=54,
        help="subjects of the simulated entry (part of the cache key)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=1,
        help="held-out subjects per point (0: every fold, the whole run)",
    )
    parser.add_argument("--code", default=None, help="eegdec checkout to measure (PYTHONPATH)")
    parser.add_argument("--label", default="after")
    parser.add_argument(
        "--max-gb",
        type=float,
        default=7.0,
        help="skip --code points predicted above this (in-memory path; "
        "not applied under --cgroup-limit, which stops them instead)",
    )
    parser.add_argument(
        "--cgroup-limit",
        type=_size,
        default=None,
        metavar="SIZE",
        help="run each point in a memory cgroup of SIZE (2G)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="evict the set's cache files from the page cache before each point",
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds per point")
    parser.add_argument("--out", type=Path, default=None, help="append JSON lines here")
    parser.add_argument("--point-model", help=argparse.SUPPRESS)
    parser.add_argument("--point-subjects", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_only:
        generate(args)
        return []
    if args.point_model:
        point(args)
        return []
    if args.cgroup_limit and memlimit.unavailable():
        parser.error(memlimit.unavailable())
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    code = Path(args.code).resolve() if args.code else Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = str(code)
    common = [
        sys.executable,
        __file__,
        "--cache",
        str(args.cache),
        "--dataset",
        args.dataset,
        "--subjects",
        *map(str, args.subjects),
        "--trials",
        str(args.trials),
        "--sessions",
        str(args.sessions),
        "--folds",
        str(args.folds),
        "--spec-subjects",
        str(args.spec_subjects),
    ]
    results = []
    if not args.code:  # generate (or check) the cache with this checkout: streamed to disk
        gen_env = dict(env, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        out = subprocess.run(
            [*common, "--generate-only"], env=gen_env, capture_output=True, text=True, check=True
        )
        print(out.stdout.strip(), flush=True)
    for model in args.models:
        for n in sorted(args.subjects):
            files = cache_files(args, n)
            factor = 6 if model != "eegnet" else 11  # measured before out-of-core epochs
            predicted = factor * _epoch_mb(files) / 1024
            row = {
                "model": model,
                "subjects": n,
                "label": args.label,
                "dataset": args.dataset,
                "epochs_mb": round(_epoch_mb(files), 1),
            }
            if args.code and not args.cgroup_limit and predicted > args.max_gb:
                row.update(status=f"skipped: predicted {predicted:.1f} GB > --max-gb")
            else:
                row.update(
                    _measure(
                        args,
                        [*common, "--point-model", model, "--point-subjects", str(n)],
                        env,
                        files,
                    )
                )
            results.append(row)
            print(json.dumps(row), flush=True)
            if args.out:
                with open(args.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
    _summary(results)
    return results


def _summary(results: list[dict]) -> None:
    """Markdown table (failed points included) and the least-squares slope of peak RSS per
    added subject, over the points that completed."""
    import numpy as np

    print("\n| code | model | subjects | epochs (MB) | peak RSS (MB) | wall (s) | status |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        ok = r["status"] == "ok"
        rss = f"{r['peak_rss_mb']:.0f}" if ok else "-"
        wall = (
            f"{r['wall_s']:.0f}"
            if ok
            else (f"failed after {r['failed_after_s']:.0f}" if "failed_after_s" in r else "-")
        )
        print(
            f"| {r['label']} | {r['model']} | {r['subjects']} | {r['epochs_mb']:.0f} | "
            f"{rss} | {wall} | {r['status']} |"
        )
    for model in sorted({r["model"] for r in results}):
        pts = [
            (r["subjects"], r["peak_rss_mb"], r["epochs_mb"] / r["subjects"])
            for r in results
            if r["model"] == model and r["status"] == "ok"
        ]
        if len(pts) >= 2:
            x, yv, per = (np.array(v, dtype=float) for v in zip(*pts))
            slope = np.polyfit(x, yv, 1)[0]
            print(
                f"{model}: {slope:.0f} MB per added subject = {slope / per[0]:.2f}x the "
                f"epochs of one subject ({per[0]:.0f} MB)"
            )


if __name__ == "__main__":
    main()
