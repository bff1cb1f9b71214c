"""SSVEP Exoskeleton (Kalunga2016) results of docs/results.md: every SSVEP decoder under
within-session 5-fold CV, cross-session (MOABB's leave-one-session-out, and eegdec's
first-session-only) and leave-one-subject-out, subjects 01-08.

Each (group, protocol) is one resumable run directory of
:func:`eegdec.evaluation.runner.run_protocol` under ``--out`` (re-running continues where it
stopped); the wall time of each invocation is added to ``wall_seconds.txt`` in it.

- ``classical``: the shipped SSVEP pipelines (FB+MDM, FB+TS+LR on ``FilterBankSSVEP`` epochs,
  CCA, TRCA on ``SSVEP`` epochs), alignment ``none``; deterministic, seed irrelevant.
- ``deep``: DBConformer, EEGNet, ShallowConvNet on ``SSVEP`` epochs (7-45 Hz, 8 x 513), each
  with its recipe (100 epochs, no early stopping, last epoch), causal Euclidean alignment,
  seed 1.

    python benchmarks/ssvep_results.py --group classical
    nice python benchmarks/ssvep_results.py --group deep --protocols within-cv
    python benchmarks/ssvep_results.py --table          # markdown tables from finished folds
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SUBJECTS = list(range(1, 9))
GROUPS = {
    "classical": {"models": [], "alignment": "none"},
    "deep": {"models": ["dbconformer", "eegnet", "shallowconvnet"], "alignment": "euclidean"},
}
PROTOCOLS = {"classical": ["within-cv", "leave-one-session-out", "cross-session", "loso"],
             "deep": ["within-cv", "leave-one-session-out", "loso"]}
ORDER = ["FB+MDM", "FB+TS+LR", "CCA", "TRCA", "dbconformer", "eegnet", "shallowconvnet"]


def run(group: str, protocol: str, out: Path, data_dir: str, n_jobs: int,
        subjects: list[int], device: str, seeds: list[int], models: list[str] | None) -> None:
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.decoders import shipped_pipelines
    from eegdec.evaluation.runner import run_protocol

    settings = GROUPS[group]
    models = models or settings["models"]
    cfg = RunConfig(dataset="SSVEPExo", paradigm="SSVEP", models=models,
                    pipelines=None if models else str(shipped_pipelines()),
                    protocol=protocol, subjects=subjects, alignment=settings["alignment"],
                    seeds=seeds, data_dir=data_dir, n_jobs=n_jobs, device=device, quiet=True)
    tag = "" if seeds == [1] else "-seeds-" + "-".join(map(str, seeds))
    tag += "" if models == settings["models"] else "-" + "-".join(models)
    root = out / f"{group}-{protocol}{tag}"
    t0 = time.perf_counter()
    run_protocol(cfg, root)
    with open(root / "wall_seconds.txt", "a") as f:
        f.write(f"{time.perf_counter() - t0:.0f}\n")
    print(f"{group} {protocol}: {time.perf_counter() - t0:.0f} s", flush=True)


def tables(out: Path) -> str:
    """Per protocol: accuracy per subject (mean over its sessions and folds) and model, the
    mean over subjects, and the wall and fit times."""
    parts = []
    runs = sorted(p for p in out.iterdir() if (p / "results.csv").exists())
    rows = pd.concat([pd.read_csv(p / "results.csv", dtype={"subject": str, "session": str})
                      .assign(run=p.name) for p in runs])
    rows["subject"] = rows["subject"].str.zfill(2)
    for protocol in ["within-cv", "leave-one-session-out", "cross-session", "loso"]:
        sub = rows[rows.protocol == protocol]
        if sub.empty:
            continue
        wide = sub.groupby(["subject", "model"]).accuracy.mean().unstack("model")
        wide = wide[[m for m in ORDER if m in wide]]
        wide.loc["mean"] = wide.mean()
        per_session = sub.groupby(["subject", "session", "model"]).accuracy.mean()
        wide.loc["mean over sessions"] = per_session.groupby("model").mean()
        parts.append(f"#### {protocol}\n\n{wide.round(3).to_markdown()}\n")
        times = []
        for name in sorted(sub.run.unique()):
            wall = (out / name / "wall_seconds.txt")
            secs = sum(float(x) for x in wall.read_text().split()) if wall.exists() else None
            fit = sub[sub.run == name].groupby("model").fit_seconds.sum().round(0)
            times.append(f"- {name}: wall {secs:.0f} s; fit seconds per model "
                         + ", ".join(f"{m} {int(v)}" for m, v in fit.items()))
        parts.append("\n".join(times) + "\n")
    return "\n".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--group", choices=list(GROUPS), action="append")
    p.add_argument("--protocols", nargs="+", default=None)
    p.add_argument("--subjects", nargs="+", type=int, default=SUBJECTS)
    p.add_argument("--data-dir", default=os.environ.get("EEGDEC_DATA", str(SHARED)))
    p.add_argument("--out", default=str(ROOT / "benchmark_results" / "ssvep"))
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seeds", nargs="+", type=int, default=[1],
                   help="torch models' seeds (a run directory per seed set)")
    p.add_argument("--models", nargs="+", default=None,
                   help="only these registry models (default: the group's)")
    p.add_argument("--table", action="store_true", help="print the tables and exit")
    args = p.parse_args()
    out = Path(args.out)
    if not args.table:
        for group in args.group or list(GROUPS):
            for protocol in args.protocols or PROTOCOLS[group]:
                run(group, protocol, out, args.data_dir, args.n_jobs, args.subjects,
                    args.device, args.seeds, args.models)
    print(tables(out))


if __name__ == "__main__":
    main()
