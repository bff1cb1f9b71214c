"""Transfer methods on PhysionetMI left/right imagery, subjects 1-14 (issue #16's grid).

Every cell (protocol x method) is one ``eegdec run`` (``run_protocol``) into
``OUT/<protocol>-<method>``: re-run the same command to resume where it stopped. Methods are
applied alone and, with ``--combination``, together; each cell prints a line with its wall time
and the ETA of the grid, and the end a Markdown table of mean +- sd accuracy across the 14
targets (LOSO, online at each N) with a seed-ensemble column. All choices are fixed before the
run: nothing is selected on the held-out subject.

    python benchmarks/transfer_physionet.py                       # the full grid (days on CPU)
    python benchmarks/transfer_physionet.py --models eegnet --protocols loso \\
        --methods none adabn --seeds 1 --epochs 10               # one comparison
    python benchmarks/transfer_physionet.py --tta-compare --models eegnet --seeds 1

``--tta-compare`` trains each LOSO fold once and scores it without TTA, with causal AdaBN and
with transductive AdaBN: test-time adaptation does not change training, and training repeats
exactly by seed, so the three columns equal three separate ``--tta`` runs at a third of the
cost.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.ensemble import ensemble_rows
from eegdec.evaluation.runner import run_protocol

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Each method as RunConfig options; "none" is the baseline (causal EA only).
METHODS: dict[str, dict] = {
    "none": {},
    "augment": {"augment": "frequency-shift,smooth-time-mask"},
    "mixup": {"augment": "mixup"},
    "adabn": {"tta": "adabn"},
    "finetune-head": {"finetune": "head"},
    "finetune-last-block": {"finetune": "last-block"},
    "source-select": {"source_select": 8},
    "source-weight": {"source_weight": True},
}
ONLINE_ONLY = ("finetune-head", "finetune-last-block", "source-select", "source-weight")


def cells(protocols: list[str], methods: list[str], combination: list[str] | None
          ) -> list[tuple[str, str, dict]]:
    """``(protocol, name, options)`` of the grid; online-only methods skip LOSO."""
    out = []
    for protocol in protocols:
        for name in methods:
            if protocol == "loso" and name in ONLINE_ONLY:
                continue
            out.append((protocol, name, METHODS[name]))
        if combination:
            usable = [m for m in combination if protocol == "online" or m not in ONLINE_ONLY]
            opts: dict = {}
            for m in usable:
                opts.update(METHODS[m])
            out.append((protocol, "+".join(usable), opts))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+",
                   default=["dbconformer", "eegnet", "shallowconvnet", "ts-lr"])
    p.add_argument("--protocols", nargs="+", default=["loso", "online"])
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--combination", nargs="+", default=None, choices=list(METHODS),
                   help="also run these methods together (e.g. the best ones alone)")
    p.add_argument("--subjects", nargs="+", type=int, default=list(range(1, 15)))
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--fine-tune-epochs", type=int, default=20)
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--data-dir", default=str(DATA))
    p.add_argument("--out", default="benchmark_results/transfer_physionet")
    p.add_argument("--device", default="cpu")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--tta-compare", action="store_true",
                   help="LOSO: one fit per target, scored with each --tta mode")
    args = p.parse_args()
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")
    if args.tta_compare:
        for model in args.models:
            for seed in args.seeds:
                print(tta_compare(model, args.subjects, args.epochs, seed, args.data_dir,
                                  args.device), flush=True)
        return

    grid = cells(args.protocols, args.methods, args.combination)
    lines = [f"PhysionetMI 1-14 left/right, causal EA, models {args.models}, epochs "
             f"{args.epochs}, fine-tune epochs {args.fine_tune_epochs}, seeds {args.seeds}", ""]
    start = time.perf_counter()
    for i, (protocol, name, opts) in enumerate(grid, start=1):
        cfg = RunConfig(dataset="PhysionetMI", paradigm="LeftRightImagery", models=args.models,
                        protocol=protocol, subjects=args.subjects, epochs=args.epochs,
                        seeds=args.seeds, alignment="euclidean",
                        fine_tune_epochs=args.fine_tune_epochs, calib_sizes=[0, 4, 8, 16],
                        device=args.device, data_dir=args.data_dir, n_jobs=args.n_jobs,
                        quiet=True, **opts)
        t0 = time.perf_counter()
        store = run_protocol(cfg, Path(args.out) / f"{protocol}-{name}")
        wall = time.perf_counter() - t0
        eta = (time.perf_counter() - start) / i * (len(grid) - i)
        print(f"[{i}/{len(grid)}] {protocol} {name}: {wall / 60:.1f} min, ETA "
              f"{eta / 60:.0f} min", flush=True)
        lines += [f"### {protocol}, {name} (wall {wall / 60:.1f} min this invocation)", "",
                  _table(store.read_rows(), ensemble_rows(store)), ""]
    print("\n".join(lines))


def tta_compare(model: str, subjects: list[int], epochs: int, seed: int, data_dir: str,
                device: str) -> str:
    """LOSO with causal EA, one fit per target, accuracy per TTA mode (Markdown)."""
    import numpy as np

    from eegdec.data.stack import EpochsStack
    from eegdec.evaluation.decoders import builder
    from eegdec.evaluation.protocols import ModelSpec
    from eegdec.evaluation.protocols.base import predict
    from eegdec.evaluation.protocols.loso import run_loso
    from eegdec.models.registry import get_model_info
    from eegdec.preprocessing.load import iter_subject_epochs
    from eegdec.training.tta import adapt_predict

    cfg = RunConfig(dataset="PhysionetMI", paradigm="LeftRightImagery", models=[model],
                    protocol="loso", subjects=subjects, epochs=epochs, seeds=[seed],
                    device=device, data_dir=data_dir).resolved()
    data = {s: next(iter_subject_epochs("PhysionetMI", [s], paradigm=cfg.paradigm,
                                        data_dir=data_dir)) for s in subjects}
    ref = data[subjects[0]]
    build = builder(ModelSpec(model, get_model_info(model).kind), cfg, ref.sfreq,
                    len(ref.classes), ref.classes)
    modes = ("none", "adabn", "adabn-transductive")
    acc: dict[str, list[float]] = {m: [] for m in modes}
    start = time.perf_counter()
    for i, s in enumerate(subjects, start=1):
        source = EpochsStack([d for t, d in data.items() if t != s])
        (res,) = run_loso(build, seed, source, data[s], "euclidean")
        for mode in modes:
            adapted = adapt_predict(res.estimator, None if mode == "none" else mode, res.X_test)
            y_pred, _ = predict(adapted or res.estimator, res.X_test)
            acc[mode].append(float(np.mean(y_pred == res.y_true)))
        eta = (time.perf_counter() - start) / i * (len(subjects) - i)
        print(f"[{i}/{len(subjects)}] subject {s}: " + ", ".join(
            f"{m} {acc[m][-1]:.3f}" for m in modes) + f"; ETA {eta / 60:.0f} min", flush=True)
    wall = (time.perf_counter() - start) / 60
    head = f"{model}, LOSO PhysionetMI {subjects[0]}-{subjects[-1]} left/right, causal EA, " \
           f"{epochs} epochs, seed {seed}, wall {wall:.1f} min"
    rows = [f"| {m} | " + " | ".join(f"{a:.3f}" for a in acc[m])
            + f" | {np.mean(acc[m]):.3f} ± {np.std(acc[m], ddof=1):.3f} |" for m in modes]
    return "\n".join([head, "", "| TTA | " + " | ".join(map(str, subjects)) + " | mean ± sd |",
                      "|---" * (len(subjects) + 2) + "|", *rows, ""])


def _table(rows: pd.DataFrame, ens: pd.DataFrame) -> str:
    """Mean +- sd across subjects of accuracy per model (and N), with the seed ensemble."""
    rows = rows.assign(n_calib=rows["n_calib"].fillna(-1).astype(int))
    keys = ["model", "n_calib"]
    per_subject = rows.groupby([*keys, "subject"])["accuracy"].mean()
    table = per_subject.groupby(keys).agg(["mean", "std"])
    table["seeds"] = rows.groupby(keys)["seed"].nunique()
    if not ens.empty:
        e = ens.groupby([*keys, "subject"])["ensemble_accuracy"].mean().groupby(keys)
        table["ensemble"] = e.mean()
    table = table.reset_index()
    table["n_calib"] = table["n_calib"].map(lambda n: "" if n < 0 else str(n))
    return table.rename(columns={"n_calib": "N"}).round(3).to_markdown(index=False)


if __name__ == "__main__":
    main()
