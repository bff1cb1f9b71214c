"""Figures of a run's scores: per-subject bars, confusion matrices, training and online curves."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eegdec.interpret.topomap import _figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """PNG bytes of ``fig``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _chance_line(ax, rows: pd.DataFrame) -> None:
    if "chance_level" in rows and rows["chance_level"].notna().any():
        chance = float(rows["chance_level"].mean())
        ax.axhline(chance, color="grey", ls="--", lw=1, label=f"chance {chance:.2f}")


def plot_subject_scores(rows: pd.DataFrame, metric: str = "accuracy") -> Figure:
    """Grouped bars: mean ``metric`` per subject (x) and model (colour), sd over folds/seeds."""
    table = rows.groupby(["subject", "model"], sort=True)[metric].agg(["mean", "std"])
    means = table["mean"].unstack("model")
    sds = table["std"].unstack("model").fillna(0.0)
    n_sub, n_mod = means.shape
    fig = _figure(min(2.5 + 0.5 * n_sub * n_mod, 14), 3.4)
    ax = fig.subplots()
    width = 0.8 / n_mod
    x = np.arange(n_sub)
    for i, model in enumerate(means.columns):
        ax.bar(x + (i - (n_mod - 1) / 2) * width, means[model], width, yerr=sds[model],
               label=str(model), capsize=2)
    _chance_line(ax, rows)
    ax.set_xticks(x, [str(s) for s in means.index])
    ax.set_xlabel("subject")
    ax.set_ylabel(metric)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_confusion_matrices(panels: dict[str, tuple[np.ndarray, list[str]]]) -> Figure:
    """Row-normalised confusion matrices; ``panels`` maps a title to (counts, class names)."""
    fig = _figure(3.3 * len(panels), 3.3)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, (counts, classes)) in zip(axes, panels.items()):
        norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        for (i, j), v in np.ndenumerate(norm):
            ax.text(j, i, f"{v:.2f}\n({counts[i, j]})", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 else "black")
        ticks = range(len(classes))
        ax.set_xticks(ticks, classes, rotation=30, fontsize=7)
        ax.set_yticks(ticks, classes, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(title, fontsize=9)
    return fig


def plot_training_curves(curves: dict[str, list[pd.DataFrame]]) -> Figure:
    """Loss and accuracy per epoch for each model: thin lines per fold, thick the mean."""
    fig = _figure(9, 3.2)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for k, (model, frames) in enumerate(curves.items()):
        for split, style in (("train", "-"), ("val", "--")):
            for ax, kind in ((ax_loss, "loss"), (ax_acc, "acc")):
                col = f"{split}_{kind}"
                runs = [f.set_index("epoch")[col] for f in frames if col in f]
                if not runs:
                    continue
                for r in runs:
                    ax.plot(r.index, r.values, style, color=f"C{k}", lw=0.5, alpha=0.3)
                mean = pd.concat(runs, axis=1).mean(axis=1)
                ax.plot(mean.index, mean.values, style, color=f"C{k}", lw=2,
                        label=f"{model} {split}")
    ax_loss.set_ylabel("loss")
    ax_acc.set_ylabel("accuracy")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    return fig


def plot_online_curve(rows: pd.DataFrame, metric: str = "accuracy") -> Figure:
    """``metric`` against the number of calibration trials N, mean ± sd per model."""
    fig = _figure(5.5, 3.4)
    ax = fig.subplots()
    for model, part in rows.groupby("model", sort=True):
        stats = part.groupby("n_calib")[metric].agg(["mean", "std"]).fillna(0.0)
        n = stats.index.to_numpy(dtype=float)
        ax.plot(n, stats["mean"], "o-", label=str(model))
        ax.fill_between(n, stats["mean"] - stats["std"], stats["mean"] + stats["std"],
                        alpha=0.2)
    _chance_line(ax, rows)
    ax.set_xlabel("calibration trials N")
    ax.set_ylabel(metric)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    return fig


def accuracy_vs_time_mean(curves: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean and sd over folds of per-fold accuracy-vs-time curves (``timecourse/*.csv``), per
    bin ``t_start``: columns ``t``, ``mean``, ``std``, ``folds`` (``t`` is the bin centre)."""
    frame = pd.concat([c.assign(_fold=i) for i, c in enumerate(curves)], ignore_index=True)
    frame["t"] = (frame["t_start"] + frame["t_end"]) / 2
    stats = frame.groupby("t")["accuracy"].agg(["mean", "std", "count"]).reset_index()
    return stats.rename(columns={"count": "folds"})


def plot_accuracy_vs_time(curves: dict[str, list[pd.DataFrame]], chance: float | None = None,
                          title: str = "") -> Figure:
    """Pseudo-online accuracy against time since cue onset: mean over folds per model (the
    band is ± sd over folds)."""
    fig = _figure(6.0, 3.6)
    ax = fig.subplots()
    for model, parts in curves.items():
        stats = accuracy_vs_time_mean(parts)
        ax.plot(stats["t"], stats["mean"], "-", label=f"{model} ({len(parts)} folds)")
        sd = stats["std"].fillna(0.0)
        ax.fill_between(stats["t"], stats["mean"] - sd, stats["mean"] + sd, alpha=0.15)
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xlabel("time since cue onset (s)")
    ax.set_ylabel("decision accuracy")
    ax.set_ylim(0, 1.05)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return fig
