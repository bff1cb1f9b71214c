"""Within-subject 5-fold accuracy of registered torch models, as a table in docs/models.md.

Datasets: the simulated ``SimMI-2class`` (subject 1) and PhysionetMI subject 1 left/right
imagery from ``../shared/data``. Each (dataset, epochs) pair is one resumable run directory
of :func:`eegdec.evaluation.runner.run_protocol` (``within-cv``, 5 contiguous folds, causal
Euclidean alignment, the model's recipe with ``--epochs`` overriding its epoch count), so an
interrupted benchmark continues where it stopped. The table joins the accuracies with the
parameters, FLOPs and latency that ``benchmarks/bench_models.py`` wrote into docs/models.md.

    nice python benchmarks/bench_accuracy.py --epochs 30            # every torch model
    python benchmarks/bench_accuracy.py --models convnext hornet --epochs 30
    python benchmarks/bench_accuracy.py --epochs 30 --table-only    # table from finished folds
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pandas as pd
from doc_markers import markers, replace_block

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "models.md"
SHARED = ROOT.parent / "shared" / "data"
BLOCK = "accuracy-table"
DATASETS = {  # column label -> run settings
    "SimMI-2class S1": {"dataset": "SimMI-2class", "paradigm": "LR", "subjects": [1]},
    "PhysionetMI S1 L/R": {"dataset": "PhysionetMI", "paradigm": "LR", "subjects": [1],
                           "data_dir": str(SHARED)},
}


def run_dir(out: Path, label: str, epochs: int) -> Path:
    return out / f"{re.sub(r'[^A-Za-z0-9]+', '-', label).strip('-')}-e{epochs}"


def run(models: list[str], epochs: int, out: Path, labels: list[str]) -> None:
    """Run (or resume) every dataset in ``labels`` for ``models``."""
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.runner import run_protocol

    for label in labels:
        cfg = RunConfig(**DATASETS[label], models=models, protocol="within-cv", n_folds=5,
                        cv="contiguous", epochs=epochs, alignment="euclidean", device="cpu",
                        quiet=True)

        def progress(row: dict, label: str = label) -> None:
            print(f"{label}: {row['model']} fold {row['fold']} acc {row['accuracy']:.3f}",
                  flush=True)

        run_protocol(cfg, run_dir(out, label, epochs), progress=progress)


def accuracies(out: Path, epochs: int) -> pd.DataFrame:
    """``mean ± sd`` accuracy per model (rows) and dataset (columns) from the run dirs."""
    from eegdec.evaluation.results import RunStore

    cols = {}
    for label in DATASETS:
        path = run_dir(out, label, epochs)
        if not (path / "results.csv").exists():
            continue
        rows = RunStore(path).read_rows()
        acc = rows.groupby("model")["accuracy"]
        n, full = acc.size(), 5 * rows["session"].nunique()
        cols[label] = (acc.mean().map("{:.2f}".format) + " ± " + acc.std().map("{:.2f}".format)
                       + n.map(lambda k, full=full: "" if k == full else f" ({k}/{full} folds)"))
    return pd.DataFrame(cols)


def size_table() -> pd.DataFrame:
    """Params, MFLOPs and p50 latency parsed from bench_models.py's table in docs/models.md."""
    text = DOCS.read_text()
    bench_start, bench_end = markers("bench-table")
    if bench_start not in text:
        return pd.DataFrame()
    block = text.split(bench_start, 1)[1].split(bench_end, 1)[0]
    rows = {}
    for line in block.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = {"params": cells[1], "MFLOPs": cells[2], "p50 (ms)": cells[3]}
    return pd.DataFrame.from_dict(rows, orient="index")


def markdown(table: pd.DataFrame, epochs: int) -> str:
    head = ["model", *table.columns]
    lines = [
        f"Within-subject 5-fold CV (contiguous folds, causal Euclidean alignment, {epochs} "
        "epochs, each model's recipe otherwise, CPU; 5 folds per session), accuracy mean ± sd "
        "over folds; size and "
        "p50 single-trial latency from `benchmarks/bench_models.py` (22 ch x 1001 @ 250 Hz). "
        "Produced by `python benchmarks/bench_accuracy.py`; single subjects and few epochs, "
        "so differences of a few points are noise. Chance is 0.50; for scale, CSP+LDA reaches "
        "0.71 on PhysionetMI S1 left/right (`../shared/data/README.md`).",
        "",
        "| " + " | ".join(head) + " |",
        "| --- |" + " ---: |" * len(table.columns),
    ]
    for name, row in table.iterrows():
        lines.append(f"| `{name}` | " + " | ".join("" if pd.isna(v) else str(v) for v in row)
                     + " |")
    return "\n".join(lines)


def write_table(out: Path, epochs: int) -> str:
    acc = accuracies(out, epochs)
    sizes = size_table()
    table = acc.join(sizes, how="left") if not sizes.empty else acc
    table = table[[c for c in ("params", "MFLOPs", "p50 (ms)") if c in table] + list(acc)]
    text = markdown(table.sort_index(), epochs)
    replace_block(DOCS, BLOCK, text, append=True)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", help="default: every registered torch model")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=ROOT / "eegdec_results" / "bench-accuracy")
    parser.add_argument("--table-only", action="store_true", help="only rewrite the table")
    args = parser.parse_args()
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")
    if not args.table_only:
        import torch

        from eegdec.models import list_models

        torch.set_num_threads(1)
        models = args.models or [m.name for m in list_models("torch")]
        run(models, args.epochs, args.out, args.datasets)
    print(write_table(args.out, args.epochs))


if __name__ == "__main__":
    main()
