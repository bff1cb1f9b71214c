"""Figures of a benchmark (inputs: the frames of :func:`eegdec.evaluation.statistics.
benchmark_statistics`): scores per dataset and pipeline, a paired plot of two pipelines, the
meta-analysis forest plot and accuracy against calibration trials, with binomial chance lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eegdec.evaluation import statistics
from eegdec.evaluation.statistics import GROUP_KEYS, POOLED_KEYS
from eegdec.interpret.topomap import _figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_COLUMNS = 4  # panels per row


def group_label(row: pd.Series | dict, keys: list[str] | None = None) -> str:
    """``dataset, classes, protocol[, N=n]`` of a row (the keys it has)."""
    keys = keys or [k for k in GROUP_KEYS if k in row and k != "paradigm"]
    return statistics.group_label(row, keys).replace("|", "/")


def _offline(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["n_calib"].isna()] if "n_calib" in frame else frame


def _grid(n: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    cols = min(n, MAX_COLUMNS)
    rows = -(-n // cols)
    fig = _figure(width * cols, height * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def _chance(ax: Axes, chance: float, vertical: bool = False) -> None:
    if pd.notna(chance):
        line = ax.axvline if vertical else ax.axhline
        line(chance, color="grey", ls="--", lw=1, label=f"binomial chance {chance:.2f}")


def _keys(frame: pd.DataFrame) -> list[str]:
    return [k for k in GROUP_KEYS if k in frame]


def _match(frame: pd.DataFrame, row: pd.Series | dict, keys: list[str]) -> pd.Series:
    """Rows of ``frame`` in the group of ``row`` (a missing key value matches a missing one)."""
    mask = pd.Series(True, index=frame.index)
    for k in keys:
        mask &= frame[k].isna() if pd.isna(row[k]) else frame[k] == row[k]
    return mask


def plot_benchmark_scores(subjects: pd.DataFrame, scores: pd.DataFrame) -> Figure:
    """One panel per dataset x classes x protocol: each subject's score per pipeline (dots),
    the mean over subjects (bar) and the binomial chance of one subject's test trials."""
    subjects, scores = _offline(subjects), _offline(scores)
    keys = _keys(scores)
    groups = list(scores.groupby(keys, dropna=False, sort=False))
    pipelines = list(dict.fromkeys(scores["pipeline"]))
    widest = max(part["pipeline"].nunique() for _, part in groups) if groups else 1
    fig, axes = _grid(len(groups), max(2.2, 0.7 * widest + 1), 3.2)
    rng = np.random.default_rng(0)
    for ax, (_, part) in zip(axes, groups):
        points = subjects[_match(subjects, part.iloc[0], keys)]
        present = [p for p in pipelines if (part["pipeline"] == p).any()]  # this panel's only
        for x, pipe in enumerate(present):
            row = part[part["pipeline"] == pipe]
            color = f"C{pipelines.index(pipe) % 10}"  # one colour per pipeline in every panel
            ax.bar(x, row["mean"].item(), 0.6, color=color, alpha=0.45)
            y = points.loc[points["pipeline"] == pipe, "score"].dropna()
            ax.plot(x + rng.uniform(-0.15, 0.15, len(y)), y, "o", ms=3, color=color)
        _chance(ax, part["chance"].max())
        ax.set_xticks(range(len(present)), present, rotation=30, fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.set_title(group_label(part.iloc[0]), fontsize=8)
        ax.set_ylabel("score (per subject)", fontsize=8)
        ax.legend(fontsize=7, loc="lower right")
    return fig


def plot_paired(
    subjects: pd.DataFrame, pairs: pd.DataFrame, scores: pd.DataFrame, first: str, second: str
) -> Figure:
    """One panel per group comparing ``first`` (y) with ``second`` (x) subject by subject:
    points above the diagonal are subjects where ``first`` scored higher; the title gives the
    one-sided p and d_z of ``first`` > ``second``."""
    subjects, pairs = _offline(subjects), _offline(pairs)
    keys = _keys(pairs)
    chosen = pairs[(pairs["pipe1"] == first) & (pairs["pipe2"] == second)]
    fig, axes = _grid(max(len(chosen), 1), 3.3, 3.3)
    for ax, (_, row) in zip(axes, chosen.iterrows()):
        wide = subjects[_match(subjects, row, keys)].pivot_table(
            index="subject", columns="pipeline", values="score"
        )
        wide = wide[[first, second]].dropna()
        ax.plot([0, 1], [0, 1], color="k", lw=0.8)
        ax.plot(wide[second], wide[first], "o", ms=4, alpha=0.8)
        chance = scores.loc[_match(scores, row, keys), "chance"].max()
        _chance(ax, chance)
        _chance(ax, chance, vertical=True)
        lo = min(0.4, float(wide.min().min()) - 0.05)
        ax.set_xlim(lo, 1.02)
        ax.set_ylim(lo, 1.02)
        ax.set_xlabel(second, fontsize=8)
        ax.set_ylabel(first, fontsize=8)
        ax.set_title(
            f"{group_label(row)}\np={row['p']:.2g}, d_z={row['smd']:.2f}, n={int(row['nsub'])}",
            fontsize=8,
        )
    if chosen.empty:
        axes[0].text(
            0.5,
            0.5,
            f"{first} and {second} share no group with 2+ subjects",
            ha="center",
            va="center",
            fontsize=8,
        )
    return fig


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def plot_meta_analysis(pairs: pd.DataFrame, meta: pd.DataFrame, first: str, second: str) -> Figure:
    """Forest plot of ``first`` vs ``second`` (as MOABB's ``meta_analysis_plot``), one panel
    per paradigm x protocol: the effect d_z per dataset with its approximate 95 % interval
    (± t(0.975, n-1) / sqrt(n)), marker area by number of subjects, stars for the one-sided
    p of ``first`` > ``second`` (in brackets: of ``second`` > ``first``), and the
    combined effect (diamond) at the bottom."""
    from scipy.stats import t

    keys = [k for k in GROUP_KEYS if k in meta and k not in POOLED_KEYS]
    chosen = meta[(meta["pipe1"] == first) & (meta["pipe2"] == second)]
    fig, axes = _grid(
        max(len(chosen), 1),
        4.6,
        0.5 + 0.45 * (chosen["n_datasets"].max() if len(chosen) else 1) + 0.6,
    )
    for ax, (_, m) in zip(axes, chosen.iterrows()):
        same = _match(pairs, m, keys)
        part = pairs[same & (pairs["pipe1"] == first) & (pairs["pipe2"] == second)]
        back = pairs[same & (pairs["pipe1"] == second) & (pairs["pipe2"] == first)]
        n = part["nsub"].to_numpy(dtype=float)
        half = t.ppf(0.975, n - 1) / np.sqrt(n)
        y = np.arange(len(part), 0, -1, dtype=float)
        ax.errorbar(part["smd"], y, xerr=half, fmt="none", ecolor="k", lw=1)
        ax.scatter(part["smd"], y, s=20 * np.sqrt(n), color="C0", zorder=3)
        pooled = [k for k in POOLED_KEYS if k in pairs]
        for i, (_, r) in enumerate(part.iterrows()):
            p_back = back.loc[_match(back, r, pooled), "p"].min()
            mark = _stars(r["p"]) or (f"({_stars(p_back)})" if _stars(p_back) else "")
            ax.annotate(
                mark,
                (r["smd"] + half[i], y[i]),
                fontsize=8,
                xytext=(3, -3),
                textcoords="offset points",
            )
        ax.scatter([m["smd"]], [0], marker="D", s=60, color="C3", zorder=3)
        ax.axvline(0, color="grey", lw=0.8)
        labels = [group_label(r, pooled) for _, r in part.iterrows()]
        ax.set_yticks([*y, 0], [*labels, f"meta-effect {_stars(m['p'])}"], fontsize=7)
        ax.set_xlabel(f"d_z: {first} - {second}  (p={m['p']:.2g})", fontsize=8)
        ax.set_title(group_label(m, keys), fontsize=8)
    if chosen.empty:
        axes[0].text(
            0.5,
            0.5,
            f"{first} vs {second}: not compared on 2+ datasets",
            ha="center",
            va="center",
            fontsize=8,
        )
        axes[0].set_axis_off()
    return fig


def plot_calibration_curves(subjects: pd.DataFrame, scores: pd.DataFrame) -> Figure:
    """One panel per dataset x classes x protocol with calibration sizes: score against the
    number N of labelled calibration trials of the new user, mean ± sd over subjects per
    pipeline, and the binomial chance of one subject's test trials."""
    online = scores[scores["n_calib"].notna()]
    keys = [k for k in _keys(online) if k != "n_calib"]
    groups = list(online.groupby(keys, dropna=False, sort=False))
    fig, axes = _grid(max(len(groups), 1), 4.2, 3.2)
    for ax, (_, part) in zip(axes, groups):
        for i, (pipe, curve) in enumerate(part.groupby("pipeline", sort=False)):
            curve = curve.sort_values("n_calib")
            sd = curve["std"].fillna(0.0)
            ax.plot(curve["n_calib"], curve["mean"], "o-", color=f"C{i}", label=str(pipe))
            ax.fill_between(
                curve["n_calib"].astype(float),
                curve["mean"] - sd,
                curve["mean"] + sd,
                color=f"C{i}",
                alpha=0.15,
            )
        _chance(ax, part["chance"].max())
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("calibration trials N", fontsize=8)
        ax.set_ylabel("score", fontsize=8)
        ax.set_title(group_label(part.iloc[0], keys), fontsize=8)
        ax.legend(fontsize=7, loc="lower right")
    return fig
