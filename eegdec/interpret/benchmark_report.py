"""One self-contained HTML report of a benchmark results table (``benchmark_report.html``):
scores per dataset and pipeline, a paired plot of two pipelines, the meta-analysis across
datasets and accuracy against calibration trials, each with its statistics table.

Sections are drawn like the run report's (:mod:`eegdec.interpret.report`); one whose input is
missing (one pipeline, one dataset, no online protocol) is replaced by a note saying why.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from eegdec.errors import BadInputError
from eegdec.evaluation.statistics import (
    PAIR_COLUMNS,
    benchmark_statistics,
    statistics_markdown,
)
from eegdec.interpret.benchmark_plots import (
    group_label,
    plot_benchmark_scores,
    plot_calibration_curves,
    plot_meta_analysis,
    plot_paired,
)
from eegdec.interpret.report import _CSS, Section, _img, _table
from eegdec.paths import atomic_write

REPORT_NAME = "benchmark_report.html"


def _has_offline(scores: pd.DataFrame) -> bool:
    """Whether some scores are offline (no calibration size): the scores figure draws those."""
    return "n_calib" not in scores or bool(scores["n_calib"].isna().any())


def _has_calibration(scores: pd.DataFrame) -> bool:
    """Whether some scores have a calibration size: the accuracy-vs-N figure draws those."""
    return "n_calib" in scores and bool(scores["n_calib"].notna().any())


def best_pair(stats: dict[str, pd.DataFrame]) -> tuple[str, str] | None:
    """The two pipelines with the highest mean score over all groups (None with fewer)."""
    means = stats["scores"].groupby("pipeline", sort=False)["mean"].mean()
    means = means.dropna().sort_values(ascending=False, kind="stable")
    return (str(means.index[0]), str(means.index[1])) if len(means) >= 2 else None


def _pairs_table(pairs: pd.DataFrame) -> str:
    better = pairs[pairs["diff"] > 0].copy()
    better.insert(0, "group", [group_label(r) for _, r in better.iterrows()])
    return _table(better[["group", *PAIR_COLUMNS]].rename(columns={"smd": "SMD (d_z)"}))


def scores_section(stats: dict[str, pd.DataFrame]) -> Section:
    sec = Section(
        "Scores per dataset and pipeline",
        "Bars are the mean over subjects, dots the "
        "subjects (a subject's score is the mean over its folds, sessions and seeds). "
        "The dashed line is the binomial chance level of one subject's test trials: "
        "a subject above it is better than guessing at p < 0.05, which 1/K alone "
        "does not tell on few trials.",
    )
    scores = stats["scores"]
    table = scores.assign(group=[group_label(r) for _, r in scores.iterrows()])
    table = table[["group", "pipeline", "mean", "std", "n_subjects", "chance"]]
    figure = (
        _img(plot_benchmark_scores(stats["subjects"], scores), "scores per dataset")
        if _has_offline(scores)
        else ""
    )
    sec.body = figure + _table(table)
    return sec


def paired_section(stats: dict[str, pd.DataFrame], pair: tuple[str, str] | None) -> Section:
    sec = Section(
        "Paired comparisons",
        "Each dot is a subject scored by both pipelines; above "
        "the diagonal the first pipeline (y) did better. The title gives the "
        "one-sided p of y > x (sign-flip permutation test under 20 subjects, exact up "
        "to 13; Wilcoxon signed-rank from 20) and the effect d_z (mean paired "
        "difference / its sd). The table lists every pair in its better direction; "
        "p-values are not corrected for the number of pairs.",
    )
    pairs = stats["pairs"]
    if pair is None or pairs.empty:
        sec.note = (
            "No paired comparison: it needs two pipelines scored on at least two common "
            "subjects of one dataset."
        )
        return sec
    first, second = pair
    sec.body = _img(
        plot_paired(stats["subjects"], pairs, stats["scores"], first, second),
        f"paired plot {first} vs {second}",
    ) + _pairs_table(pairs)
    return sec


def meta_section(stats: dict[str, pd.DataFrame], pair: tuple[str, str] | None) -> Section:
    sec = Section(
        "Meta-analysis across datasets",
        "Per dataset, the effect d_z of the first "
        "pipeline over the second with an approximate 95 % interval (dot area: "
        "subjects; stars: one-sided p < 0.05 / 0.01 / 0.001, in brackets for the "
        "other direction); the diamond combines the datasets of one paradigm and "
        "protocol: Stouffer's method on the p-values and the mean effect, both "
        "weighted by sqrt(subjects). Datasets drawn from the same subjects (two class "
        "sets of one recording) are not independent, which Stouffer assumes.",
    )
    meta = stats["meta"]
    if pair is None or meta.empty:
        sec.note = (
            "No meta-analysis: it needs a pair of pipelines compared on at least two "
            "datasets of one paradigm and protocol."
        )
        return sec
    first, second = pair
    better = meta[meta["smd"] > 0]
    sec.body = _img(
        plot_meta_analysis(stats["pairs"], meta, first, second),
        f"meta-analysis {first} vs {second}",
    ) + _table(better)
    return sec


def calibration_section(stats: dict[str, pd.DataFrame]) -> Section | None:
    scores = stats["scores"]
    if not _has_calibration(scores):
        return None
    sec = Section(
        "Accuracy vs calibration trials",
        "Score on the same held-out trials of the "
        "new user after N labelled calibration trials of that user (N=0: the "
        "cross-subject model alone); band: ± sd over subjects; dashed: binomial "
        "chance. A rising curve means calibration pays off.",
    )
    sec.body = _img(plot_calibration_curves(stats["subjects"], scores), "score against N")
    return sec


def render_benchmark_report(
    table: pd.DataFrame,
    stats: dict[str, pd.DataFrame] | None = None,
    pair: tuple[str, str] | None = None,
) -> str:
    """The report as one HTML string; ``stats`` defaults to
    :func:`~eegdec.evaluation.statistics.benchmark_statistics` of ``table``, ``pair`` to
    :func:`best_pair`."""
    from eegdec._version import __version__

    stats = benchmark_statistics(table) if stats is None else stats
    if pair is not None:
        unknown = sorted(set(pair) - set(stats["scores"]["pipeline"]))
        if unknown:
            raise BadInputError(
                f"No pipeline {unknown[0]!r} in the results: pass two of "
                f"{', '.join(dict.fromkeys(stats['scores']['pipeline']))}."
            )
    pair = pair or best_pair(stats)
    sections = [
        scores_section(stats),
        paired_section(stats, pair),
        meta_section(stats, pair),
        calibration_section(stats),
    ]
    body = "\n".join(s.html() for s in sections if s is not None)
    n_folds = len(table)
    title = "eegdec benchmark report"
    markdown = html.escape(statistics_markdown(stats))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n<h1>{title}</h1>\n"
        f"<p>Written by eegdec {__version__} from {n_folds} fold rows.</p>\n{body}\n"
        f"<h2>Statistics as Markdown</h2>\n<pre>{markdown}</pre>\n</body></html>\n"
    )


def save_benchmark_figures(
    stats: dict[str, pd.DataFrame],
    folder: str | os.PathLike,
    pair: tuple[str, str] | None = None,
    prefix: str = "benchmark",
) -> list[Path]:
    """The report's figures as PNG files in ``folder`` (``<prefix>_scores.png``,
    ``_paired.png``, ``_meta.png``, ``_calibration.png``; those whose input is missing are
    skipped, as the report notes them); return the paths written."""
    from eegdec.interpret.plots import figure_png

    scores, pairs, meta = stats["scores"], stats["pairs"], stats["meta"]
    pair = pair or best_pair(stats)
    figures = {}
    if _has_offline(scores):
        figures["scores"] = lambda: plot_benchmark_scores(stats["subjects"], scores)
    if pair is not None and not pairs.empty:
        figures["paired"] = lambda: plot_paired(stats["subjects"], pairs, scores, *pair)
    if pair is not None and not meta.empty:
        figures["meta"] = lambda: plot_meta_analysis(pairs, meta, *pair)
    if _has_calibration(scores):
        figures["calibration"] = lambda: plot_calibration_curves(stats["subjects"], scores)
    folder = Path(folder)
    written = []
    for name, draw in figures.items():
        path = folder / f"{prefix}_{name}.png"
        try:
            atomic_write(path, figure_png(draw()))
        except OSError as exc:
            raise BadInputError(f"Cannot write {path} ({exc.strerror or exc}): pass a "
                                "folder you can write to.") from exc
        written.append(path)
    return written


def write_benchmark_report(
    table: pd.DataFrame,
    out_dir: str | os.PathLike,
    stats: dict[str, pd.DataFrame] | None = None,
    pair: tuple[str, str] | None = None,
) -> Path:
    """Write ``out_dir/benchmark_report.html`` (see :func:`render_benchmark_report`)."""
    path = Path(out_dir) / REPORT_NAME
    text = render_benchmark_report(table, stats, pair)
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise BadInputError(
            f"Cannot write {path} ({exc.strerror or exc}): pass an output folder you can write to."
        ) from exc
    return path
