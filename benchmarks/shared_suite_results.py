"""The Markdown of docs/results.md's shared-suite section, from a finished ``eegdec benchmark``.

Reads OUT/results.csv (re-gathered from the cells), OUT/timings.csv and the fingerprint, and
prints: the scores per dataset x task x protocol (x N) and pipeline with the binomial chance of
one subject's test trials, the wall time per cell, the significant paired differences and the
meta-analysis. ``--write`` also puts it into docs/results.md between the shared-suite markers.
The figures come from the command itself (``--figures``):

    eegdec benchmark benchmarks/shared_suite.yaml --out runs/shared --epochs 10
    eegdec benchmark benchmarks/shared_suite.yaml --out runs/shared --epochs 10 --resume \\
        --figures docs/img/shared-suite
    python benchmarks/shared_suite_results.py runs/shared --write
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from doc_markers import replace_block

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "results.md"
BLOCK = "shared-suite"


def _label(row: pd.Series) -> str:
    n = "" if pd.isna(row["n_calib"]) else f", N={int(row['n_calib'])}"
    return f"{row['dataset']} | {row['classes']} | {row['protocol']}{n}"


def scores_tables(scores: pd.DataFrame) -> list[str]:
    """One table per set of pipelines (MI pipelines, SSVEP pipelines): mean ± sd (subjects)."""
    scores = scores.assign(group=scores.apply(_label, axis=1))
    sets = scores.groupby("group", sort=False)["pipeline"].agg(tuple)
    lines = []
    for pipes in dict.fromkeys(sets):
        groups = [g for g, p in sets.items() if p == pipes]
        lines += ["| dataset | classes | protocol | " + " | ".join(pipes)
                  + " | subjects | binomial chance |",
                  "|---|---|---|" + "---|" * (len(pipes) + 2)]
        for group in groups:
            part = scores[scores["group"] == group].set_index("pipeline")
            best = part["mean"].max()
            cells = []
            for p in pipes:
                text = f"{part.at[p, 'mean']:.3f} ± {part.at[p, 'std']:.3f}"
                cells.append(f"**{text}**" if part.at[p, "mean"] == best else text)
            lines.append(f"| {group} | " + " | ".join(cells)
                         + f" | {int(part['n_subjects'].max())} | {part['chance'].max():.3f} |")
        lines.append("")
    return lines


def significant_table(pairs: pd.DataFrame) -> list[str]:
    sig = pairs[pairs["significant"] & (pairs["diff"] > 0)]
    if sig.empty:
        return ["No pair differs at p < 0.05.", ""]
    lines = ["| dataset | classes | protocol | comparison | diff | d_z | p | test |",
             "|---|---|---|---|---|---|---|---|"]
    for _, r in sig.iterrows():
        lines.append(f"| {_label(r)} | {r['pipe1']} > {r['pipe2']} | {r['diff']:+.3f} | "
                     f"{r['smd']:.2f} | {r['p']:.2g} | {r['test']} |")
    return [*lines, ""]


def meta_table(meta: pd.DataFrame) -> list[str]:
    sig = meta[meta["significant"] & (meta["smd"] > 0)]
    if meta.empty:
        return ["Meta-analysis: no pair of pipelines was compared on two or more datasets of one "
                "paradigm and protocol.", ""]
    if sig.empty:
        return [f"Meta-analysis: {len(meta)} combinations, none significant at p < 0.05.", ""]
    lines = ["| paradigm | protocol | comparison | datasets | subjects | d_z | p |",
             "|---|---|---|---|---|---|---|"]
    for _, r in sig.iterrows():
        lines.append(f"| {r['paradigm']} | {r['protocol']} | {r['pipe1']} > {r['pipe2']} | "
                     f"{r['datasets']} | {r['nsub']} | {r['smd']:.2f} | {r['p']:.2g} |")
    return [*lines, ""]


def wall_table(out: Path, table: pd.DataFrame) -> list[str]:
    timings = pd.read_csv(out / "timings.csv")
    per_cell = timings.groupby("cell", sort=False).agg(
        starts=("wall_seconds", "size"), wall=("wall_seconds", "sum"))
    folds = table.groupby("cell", sort=False).size()
    lines = ["| cell | folds | wall time |", "|---|---|---|"]
    for cell, row in per_cell.iterrows():
        lines.append(f"| {cell} | {folds.get(cell, 0)} | {row['wall'] / 60:.1f} min |")
    lines.append(f"| all | {len(table)} | {per_cell['wall'].sum() / 60:.1f} min |")
    return [*lines, ""]


def markdown(out: Path) -> str:
    from eegdec.evaluation.benchmark import gather
    from eegdec.evaluation.fingerprint import fingerprint_line
    from eegdec.evaluation.results import RunStore
    from eegdec.evaluation.statistics import benchmark_statistics

    table = gather(out)
    stats = benchmark_statistics(table)
    fps = RunStore(out / table["cell"].iloc[0]).read_fingerprints()
    lines = ["Scores: accuracy, mean ± sd over subjects (a subject's score is the mean over "
             "its folds and sessions); bold: the best of the row. Binomial chance: the "
             "accuracy that guessing exceeds with p < 0.05 on one subject's test trials.", "",
             *scores_tables(stats["scores"]),
             "Wall time per cell (every start summed):", "", *wall_table(out, table),
             "Significant paired differences (one-sided p < 0.05, uncorrected; "
             "unit: the subject):", "", *significant_table(stats["pairs"]),
             *meta_table(stats["meta"])]
    if fps:
        lines += [f"Ran with: {fingerprint_line(fps[-1])}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the benchmark folder (eegdec benchmark --out)")
    parser.add_argument("--write", action="store_true", help="also update docs/results.md")
    args = parser.parse_args(argv)
    text = markdown(args.out)
    if args.write:
        replace_block(DOCS, BLOCK, text)
    print(text)
    return text


if __name__ == "__main__":
    main()
