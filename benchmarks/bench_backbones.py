"""Accuracy and per-trial latency of every vision-backbone family, tiny and -small, on real EEG:
the table of docs/backbones.md.

Three ``eegdec run`` invocations (the CLI, in this process), every backbone model, one seed,
the same number of epochs for all, each model's recipe otherwise (Adam, batch 32, causal
Euclidean alignment):

- ``physionet-within``: PhysionetMI subject 1, left vs right fist imagery, ``within-cv``
  (5 stratified folds);
- ``physionet-loso``: PhysionetMI subjects 1-14, the same classes, ``loso`` (each subject is
  tested once by a model trained on the 13 others);
- ``ssvep-within``: SSVEPExo (Kalunga2016) subjects 1-8, paradigm SSVEP (13/17/21 Hz and rest),
  ``within-co`` (per session, the first 80 % of each class trains and the rest tests; 17
  sessions).

Then the latency of one trial (forward pass, batch 1, median of 50 after 10 warm-up passes) of
each model built for PhysionetMI's shape (64 channels x 641 samples at 160 Hz) on ``--device``,
and a markdown table (``--out``/backbones_table.md; ``--write`` also puts it into
docs/backbones.md between the accuracy-table markers). Each run directory is resumable: run the
same command again after an interruption (with the same epochs). On the 2-core CPU machine
the table of docs/backbones.md (``--epochs 20 --loso-epochs 3``) took 100 minutes: 78 min in
one process beside another job, then 23 min with ``--n-jobs 2``; the CLI prints an ETA per
fold and this script one per protocol.

    MOABB_DOWNLOAD_PROVIDER=upstream python benchmarks/bench_backbones.py \\
        --data-dir ../shared/data --epochs 20 --loso-epochs 3 --device cpu --n-jobs 2 --write
    MOABB_DOWNLOAD_PROVIDER=upstream python benchmarks/bench_backbones.py \\
        --data-dir ../shared/data --device cuda --n-jobs 16 --write      # GPU: 10 epochs each
    python benchmarks/bench_backbones.py --data-dir ../shared/data --families convit \\
        --variants tiny --epochs 1 --physionet-subjects 1 2 --ssvep-subjects 1   # a smoke test
    python benchmarks/bench_backbones.py --table-only --write   # table from finished folds
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd
from doc_markers import replace_block

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "backbones.md"
BLOCK = "backbone-accuracy"
DEFAULT_EPOCHS = 10
LATENCY_SHAPE = {"n_chans": 64, "n_outputs": 2, "n_times": 641, "sfreq": 160.0}  # PhysionetMI


def families() -> list[str]:
    from eegdec.models.backbones import _FAMILIES

    return [name for name, *_ in _FAMILIES]


def protocols(args: argparse.Namespace) -> dict[str, dict]:
    """Column label -> ``eegdec run`` options and the number of folds per model."""
    loso = list(args.physionet_subjects)
    return {
        "PhysionetMI S1 within": dict(
            key="physionet-within", folds=5,
            argv=["--dataset", "PhysionetMI", "--paradigm", "LR", "--subjects", "1",
                  "--protocol", "within-cv", "--n-folds", "5"]),
        f"PhysionetMI S{loso[0]}-{loso[-1]} LOSO": dict(
            key="physionet-loso", folds=len(loso), epochs=args.loso_epochs,
            argv=["--dataset", "PhysionetMI", "--paradigm", "LR", "--subjects",
                  *map(str, loso), "--protocol", "loso"]),
        "SSVEPExo within-session": dict(
            key="ssvep-within", folds=2 * len(args.ssvep_subjects)
            + (7 in args.ssvep_subjects),  # subject 7 has 3 sessions, the others 2
            argv=["--dataset", "SSVEPExo", "--paradigm", "SSVEP", "--subjects",
                  *map(str, args.ssvep_subjects), "--protocol", "within-co"]),
    }


def run_all(models: list[str], args: argparse.Namespace) -> None:
    from eegdec.cli import main as eegdec

    plan = protocols(args)
    todo = {label: spec["folds"] * len(models) for label, spec in plan.items()}
    started, done = time.perf_counter(), 0
    # LOSO last: its folds (585 training trials each) are nearly all the cost on a CPU.
    for label, spec in sorted(plan.items(), key=lambda kv: kv[1]["key"] == "physionet-loso"):
        epochs = spec.get("epochs") or args.epochs
        argv = ["run", *spec["argv"], "--epochs", str(epochs), "--seeds", "1",
                "--device", args.device, "--n-jobs", str(args.n_jobs),
                "--out", str(args.out / spec["key"])]
        if args.data_dir:
            argv += ["--data-dir", str(args.data_dir)]
        for name in models:
            argv += ["--model", name]
        print(f"== {label}: {todo[label]} folds: eegdec {' '.join(argv)}", flush=True)
        code = eegdec(argv)
        if code:
            sys.exit(f"eegdec run failed for {label} (exit {code}); rerun to resume.")
        done += todo.pop(label)
        elapsed = time.perf_counter() - started
        left = sum(todo.values())
        print(f"== {label} done: {elapsed:.0f} s elapsed; {left} folds left, ETA "
              f"{elapsed / done * left:.0f} s at this rate (LOSO folds train on 13 subjects, so "
              "the rate is rough)", flush=True)


def latencies(models: list[str], device: str, repeats: int = 50) -> pd.DataFrame:
    """Median milliseconds of one forward pass of one trial, per model, and the device."""
    import torch

    from eegdec.models import create_model
    from eegdec.training.trainer import resolve_device

    dev = torch.device(resolve_device(device))
    name_of_device = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    out = {}
    for name in models:
        model = create_model(name, **LATENCY_SHAPE, seed=0).eval().to(dev)
        x = torch.randn(1, LATENCY_SHAPE["n_chans"], LATENCY_SHAPE["n_times"], device=dev)
        times = []
        with torch.no_grad():
            for i in range(repeats + 10):
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                model(x)
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                if i >= 10:
                    times.append(time.perf_counter() - t0)
        out[name] = 1000 * sorted(times)[len(times) // 2]
    return pd.DataFrame({"latency_ms": out, "device": name_of_device})


def accuracy_columns(args: argparse.Namespace) -> pd.DataFrame:
    """``mean ± sd (n)`` accuracy per model (rows) and protocol (columns) from the run dirs."""
    from eegdec.evaluation.results import RunStore

    cols = {}
    for label, spec in protocols(args).items():
        path = args.out / spec["key"]
        if not (path / "results.csv").exists():
            cols[label] = pd.Series(dtype=str)
            continue
        acc = RunStore(path).read_rows().groupby("model")["accuracy"]
        sd = acc.std().map(lambda v: "" if pd.isna(v) else f" ± {v:.2f}")
        cols[label] = (acc.mean().map("{:.2f}".format) + sd
                       + acc.size().map(lambda n, full=spec["folds"]:
                                        "" if n == full else f" ({n}/{full} folds)"))
    return pd.DataFrame(cols)


def markdown(table: pd.DataFrame, args: argparse.Namespace, device: str = "?") -> str:
    lines = [
        f"One seed, {epochs_text(args)} for every model, each model's recipe otherwise (Adam, "
        "batch 32, causal Euclidean alignment); accuracy mean ± sd over folds (within), "
        "held-out subjects (LOSO) or sessions (SSVEP). PhysionetMI: left vs right fist "
        "imagery, chance about 0.5 (CSP+LDA reaches 0.71 on S1 within); SSVEPExo: 4 classes, "
        "chance 0.25 (MDM 0.70 within-session, `../shared/data/README.md`). Latency: one "
        f"trial (64 x 641 at 160 Hz), forward pass, median ms on {device}. Produced by "
        "`python benchmarks/bench_backbones.py`.",
        "",
        "| model | params | " + " | ".join(table.columns) + " |",
        "| --- | ---: |" + " ---: |" * len(table.columns),
    ]
    from eegdec.models.param_counts import load_param_counts

    counts = load_param_counts()
    for name, row in table.iterrows():
        params = f"{counts[name]:,}" if counts.get(name) else ""
        cells = ["" if pd.isna(v) else str(v) for v in row]
        lines.append(f"| `{name}` | {params} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def epochs_text(args: argparse.Namespace) -> str:
    if args.loso_epochs in (None, args.epochs):
        return f"{args.epochs} epochs"
    return f"{args.epochs} epochs within subject/session and {args.loso_epochs} in LOSO"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", help="default: every backbone family")
    parser.add_argument("--variants", nargs="+", choices=["tiny", "small"],
                        default=["tiny", "small"])
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--loso-epochs", type=int,
                        help="epochs of the LOSO runs (default: --epochs); on CPU the LOSO "
                             "folds, 585 training trials each, are nearly all the cost")
    parser.add_argument("--physionet-subjects", type=int, nargs="+", default=list(range(1, 15)))
    parser.add_argument("--ssvep-subjects", type=int, nargs="+", default=list(range(1, 9)))
    parser.add_argument("--data-dir", type=Path, help="default: eegdec's ($EEGDEC_DATA...)")
    parser.add_argument("--device", default="auto", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--n-jobs", type=int, default=1, help="folds in parallel processes")
    parser.add_argument("--out", type=Path, default=ROOT / "eegdec_results" / "bench-backbones")
    parser.add_argument("--table-only", action="store_true", help="only (re)write the table")
    parser.add_argument("--write", action="store_true", help="also update docs/backbones.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")
    names = args.families or families()
    models = [n if v == "tiny" else f"{n}-small" for n in names for v in args.variants]
    lat_path = args.out / "latency.csv"
    if not args.table_only:
        start = time.perf_counter()
        run_all(models, args)
        latencies(models, args.device).to_csv(lat_path)
        print(f"== all done in {time.perf_counter() - start:.0f} s", flush=True)
    table = accuracy_columns(args)
    device = "?"
    if lat_path.exists():
        lat = pd.read_csv(lat_path, index_col=0)
        table = table.join(lat["latency_ms"].map("{:.2f}".format).rename("latency (ms/trial)"),
                           how="outer")
        device = str(lat["device"].iloc[0])
    table = table.reindex([m for m in models if m in table.index])
    text = markdown(table, args, device)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "backbones_table.md").write_text(text + "\n")
    if args.write:
        replace_block(DOCS, BLOCK, text)
    print(text)
    return text


if __name__ == "__main__":
    main()
