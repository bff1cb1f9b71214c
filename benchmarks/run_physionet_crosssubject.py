"""Cross-subject PhysionetMI benchmark: LOSO and online calibration, with and without EA.

Left vs right hand imagery of subjects 1-14 (45 trials each, 630 in all) from
``../shared/data``. For each protocol x alignment it runs ``eegdec.evaluation.run_protocol``
into ``OUT/<protocol>-<alignment>`` (resumable: re-run to continue) and prints per-subject
and mean accuracy, the online accuracy-vs-N curve and the wall time of each run as Markdown.

    python benchmarks/run_physionet_crosssubject.py --models ts-lr eegnet --epochs 10
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.runner import run_protocol

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+",
                   default=["dbconformer", "eegnet", "shallowconvnet", "ts-lr"])
    p.add_argument("--protocols", nargs="+", default=["loso", "online"])
    p.add_argument("--alignments", nargs="+", default=["euclidean", "none"])
    p.add_argument("--subjects", nargs="+", type=int, default=list(range(1, 15)))
    p.add_argument("--epochs", type=int, default=10, help="torch training epochs (cap)")
    p.add_argument("--fine-tune-epochs", type=int, default=10)
    p.add_argument("--seeds", nargs="+", type=int, default=[1])
    p.add_argument("--data-dir", default=str(DATA))
    p.add_argument("--out", default="benchmark_results/physionet_crosssubject")
    p.add_argument("--n-jobs", type=int, default=1)
    args = p.parse_args()
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")

    report = [f"Models {args.models}, torch epochs {args.epochs}, fine-tune epochs "
              f"{args.fine_tune_epochs}, seeds {args.seeds}.\n"]
    for protocol in args.protocols:
        for alignment in args.alignments:
            cfg = RunConfig(dataset="PhysionetMI", paradigm="LeftRightImagery",
                            models=args.models, protocol=protocol, subjects=args.subjects,
                            epochs=args.epochs, seeds=args.seeds, alignment=alignment,
                            fine_tune_epochs=args.fine_tune_epochs, calib_sizes=[0, 8, 16],
                            device="cpu", data_dir=args.data_dir, n_jobs=args.n_jobs,
                            quiet=True)
            t0 = time.perf_counter()
            store = run_protocol(cfg, Path(args.out) / f"{protocol}-{alignment}")
            wall = time.perf_counter() - t0
            rows = store.read_rows()
            # online rows repeat the pre-training time for every N: count it once (N = 0)
            fits = rows[rows["n_calib"] == 0] if protocol == "online" else rows
            what = "pre-training" if protocol == "online" else "fit time"
            report.append(f"### {protocol}, alignment {alignment} (wall {wall / 60:.1f} min "
                          f"this invocation, {what} {fits['fit_seconds'].sum() / 60:.1f} "
                          "min summed over targets)\n")
            report.append(_table(rows, protocol))
    print("\n".join(report))


def _table(rows: pd.DataFrame, protocol: str) -> str:
    """Per-subject accuracy (columns: model, or model @ N for online), mean and sd."""
    rows = rows.assign(subject=rows["subject"].astype(int))
    columns = ["model"] if protocol == "loso" else ["model", "n_calib"]
    table = rows.pivot_table(index="subject", columns=columns, values="accuracy",
                             aggfunc="mean").sort_index()
    if protocol != "loso":
        table.columns = [f"{m} N={int(n)}" for m, n in table.columns]
    table.index = table.index.astype(str)
    table.loc["mean"] = table.mean()
    table.loc["sd"] = table.iloc[:-1].std()
    return table.round(3).to_markdown() + "\n"


if __name__ == "__main__":
    main()
