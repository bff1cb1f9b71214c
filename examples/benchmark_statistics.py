"""Statistics and report of a small benchmark: three classical pipelines on two datasets.

Runs CSP+LDA, TS+LR and MDM under within-session 5-fold CV and leave-one-subject-out on
PhysionetMI left/right hand imagery, subjects 1-14 (from ``../shared/data``; skipped when
absent), and on the built-in simulated set SimMI-2class, with ``eegdec.evaluation``. Then it
pools the per-fold rows into one table, prints the paired tests per dataset and the
meta-analysis across the two datasets (``eegdec.evaluation.statistics``), and writes
``benchmark_report.html``. Runs are resumable: a second invocation only recomputes statistics.

    python examples/benchmark_statistics.py [--out DIR] [--figures docs/img]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.runner import run_protocol
from eegdec.evaluation.statistics import benchmark_statistics, statistics_markdown
from eegdec.interpret.benchmark_report import save_benchmark_figures, write_benchmark_report

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = ["csp-lda", "ts-lr", "mdm"]
PROTOCOLS = ["within-cv", "loso"]


def datasets() -> list[tuple[str, list[int] | None]]:
    """(dataset, subjects) to run: PhysionetMI 1-14 when ../shared/data is there."""
    sim = [("SimMI-2class", None)]
    if (DATA / "MNE-eegbci-data").is_dir():
        return [("PhysionetMI", list(range(1, 15))), *sim]
    print(f"{DATA} not found: PhysionetMI skipped, simulated data only.")
    return sim


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="eegdec_results/benchmark_statistics")
    p.add_argument("--figures", default=None, help="also save the figures as PNG here")
    args = p.parse_args()
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")
    out = Path(args.out)
    frames = []
    for dataset, subjects in datasets():
        for protocol in PROTOCOLS:
            cfg = RunConfig(
                dataset=dataset,
                paradigm="LeftRightImagery",
                models=MODELS,
                protocol=protocol,
                subjects=subjects,
                seeds=[1],
                device="cpu",
                data_dir=str(DATA),
                quiet=True,
            )
            t0 = time.perf_counter()
            store = run_protocol(cfg, out / f"{dataset}-{protocol}")
            rows = store.read_rows()
            print(
                f"{dataset} {protocol}: {len(rows)} folds, wall "
                f"{time.perf_counter() - t0:.1f} s this invocation, fit "
                f"{rows['fit_seconds'].sum():.1f} s in all"
            )
            frames.append(rows)
    table = pd.concat(frames, ignore_index=True)
    t0 = time.perf_counter()
    stats = benchmark_statistics(table, seed=42)
    print(
        f"\nStatistics of {len(table)} folds ({time.perf_counter() - t0:.1f} s), seed 1, "
        f"alignment {', '.join(table['alignment'].unique())}:\n"
    )
    print(statistics_markdown(stats))
    print(write_benchmark_report(table, out, stats))
    if args.figures:
        for path in save_benchmark_figures(stats, args.figures):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
