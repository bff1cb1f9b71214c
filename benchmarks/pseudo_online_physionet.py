"""Pseudo-online results on PhysionetMI left/right (subjects 1-14): tables and the curve.

Runs (or resumes) nothing itself: point it at run directories written by ``eegdec run
--protocol pseudo-online`` / ``pseudo-online-loso`` (the commands are in docs/results.md) and it
prints, as Markdown, per protocol and model: per-decision accuracy, trial accuracy, the
offline epoch accuracy of the same folds, ITR, time to stable, false activations and latency
(mean ± sd over subjects), a per-subject table of trial accuracy, and writes the mean
accuracy-vs-time curves (``eegdec.interpret.plots.plot_accuracy_vs_time``) to a PNG.

    python benchmarks/pseudo_online_physionet.py RUN_DIR [RUN_DIR ...] \\
        --png docs/img/pseudo_online_accuracy_vs_time.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from eegdec.evaluation.results import RunStore
from eegdec.evaluation.stream_metrics import wolpaw_itr

COLUMNS = {"accuracy": "per-decision", "trial_accuracy": "trial", "epoch_accuracy":
           "offline epochs", "itr_bits_per_min": "ITR (bits/min)", "time_to_stable_s":
           "time to stable (s)", "false_activations_per_min": "conf. in rest (/min)",
           "latency_p50_ms": "latency p50 (ms)", "latency_p99_ms": "latency p99 (ms)"}


def load(run_dirs: list[str]) -> tuple[pd.DataFrame, dict[tuple[str, str, str], list]]:
    rows, curves = [], {}
    for d in run_dirs:
        store = RunStore(d)
        part = store.read_rows()
        rows.append(part)
        if part.empty:
            continue
        run = (str(part["protocol"].iloc[0]), str(part["alignment"].iloc[0]))  # one per run
        for fid, _ in store.artefacts("timecourse"):
            key = (*run, fid.model)
            curves.setdefault(key, []).append(store.read_timecourse(fid))
    return pd.concat(rows, ignore_index=True), curves


def _fmt(values: pd.Series, digits: int) -> str:
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def summary(rows: pd.DataFrame) -> str:
    head = ["protocol", "alignment", "model", *COLUMNS.values(), "ITR of mean acc.", "n"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (protocol, alignment, model), g in rows.groupby(["protocol", "alignment", "model"],
                                                        sort=False):
        g = g.groupby("subject").mean(numeric_only=True)  # over seeds
        cells = [protocol, alignment, model]
        for col in COLUMNS:
            digits = 1 if "latency" in col or "per_min" in col else 3
            cells.append(_fmt(g[col], digits if col != "itr_bits_per_min" else 2))
        cells.append(f"{wolpaw_itr(g['trial_accuracy'].mean(), 2, 4.1):.2f}")
        cells.append(str(len(g)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_subject(rows: pd.DataFrame, metric: str = "trial_accuracy") -> str:
    table = rows.assign(subject=rows["subject"].astype(int)).pivot_table(
        index=["protocol", "alignment", "model"], columns="subject", values=metric,
        aggfunc="mean")
    subjects = list(table.columns)
    lines = ["| protocol | alignment | model | " + " | ".join(map(str, subjects)) + " |",
             "|" + "---|" * (3 + len(subjects))]
    for key, values in table.iterrows():
        lines.append("| " + " | ".join(key) + " | "
                     + " | ".join(f"{v:.2f}" for v in values) + " |")
    return "\n".join(lines)


def curve_peaks(curves: dict) -> str:
    from eegdec.interpret.plots import accuracy_vs_time_mean

    lines = ["| protocol | alignment | model | peak accuracy | at (s) | mean 1.5-2.5 s |",
             "|---|---|---|---|---|---|"]
    for (protocol, alignment, model), parts in curves.items():
        stats = accuracy_vs_time_mean(parts)
        best = stats.loc[stats["mean"].idxmax()]
        mid = stats[(stats["t"] > 1.5) & (stats["t"] < 2.5)]["mean"].mean()
        lines.append(f"| {protocol} | {alignment} | {model} | {best['mean']:.3f} | "
                     f"{best['t']:.2f} | {mid:.3f} |")
    return "\n".join(lines)


def plot(curves: dict, png: Path) -> None:
    from eegdec.interpret.plots import figure_png, plot_accuracy_vs_time

    protocols = sorted({k[0] for k in curves})
    png.parent.mkdir(parents=True, exist_ok=True)
    for protocol in protocols:
        sub = {f"{m} ({a})": c for (p, a, m), c in curves.items() if p == protocol}
        fig = plot_accuracy_vs_time(sub, chance=0.5, title=f"PhysionetMI left/right, {protocol}")
        out = png if len(protocols) == 1 else png.with_name(f"{png.stem}_{protocol}{png.suffix}")
        out.write_bytes(figure_png(fig, dpi=100))
        print(f"wrote {out}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dirs", nargs="+")
    p.add_argument("--png", type=Path, default=None)
    args = p.parse_args(argv)
    rows, curves = load(args.run_dirs)
    print(summary(rows), "\n")
    print(per_subject(rows), "\n")
    print(curve_peaks(curves), "\n")
    fit = rows.groupby(["protocol", "alignment", "model"])[["fit_seconds", "predict_seconds"]]
    print(fit.sum().round(1).to_string())
    if args.png is not None:
        plot(curves, args.png)


if __name__ == "__main__":
    main()
