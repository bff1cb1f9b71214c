"""Scalp topomaps (MNE) and attention heat maps, as matplotlib figures (no pyplot state).

Every function returns a :class:`matplotlib.figure.Figure` built on the Agg canvas, so it works
headless; save it with ``fig.savefig(path)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from eegdec.errors import BadInputError
from eegdec.interpret.channels import make_info

if TYPE_CHECKING:
    import mne
    from matplotlib.figure import Figure

MIN_TOPO_CHANNELS = 3


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _check_values(values: np.ndarray, ch_names: list[str]) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(ch_names),):
        raise BadInputError(
            f"Got {values.shape} values for {len(ch_names)} channels: pass one value per channel."
        )
    if len(ch_names) < MIN_TOPO_CHANNELS:
        raise BadInputError(
            f"A topomap needs at least {MIN_TOPO_CHANNELS} channels with positions, got "
            f"{len(ch_names)}: use plot_trial_heatmap for few-channel data."
        )
    return values


def plot_topomaps(
    maps: dict[str, np.ndarray],
    ch_names: list[str],
    montage: str | mne.channels.DigMontage | None = None,
    *,
    title: str | None = None,
    cmap: str = "Reds",
    label: str = "relevance",
) -> Figure:
    """One scalp map per entry of ``maps`` (title -> value per channel), on a shared scale."""
    import mne

    if not maps:
        raise BadInputError("No maps to draw: pass at least one {title: values} entry.")
    info = make_info(ch_names, montage)
    values = {k: _check_values(v, ch_names) for k, v in maps.items()}
    lo = min(v.min() for v in values.values())
    hi = max(v.max() for v in values.values())
    fig = _figure(2.4 * len(values) + 0.8, 2.8)
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    im = None
    for ax, (name, val) in zip(axes, values.items()):
        im, _ = mne.viz.plot_topomap(
            val, info, axes=ax, show=False, cmap=cmap, vlim=(lo, hi), contours=4, sensors=True,
        )
        ax.set_title(name, fontsize=10)
    fig.colorbar(im, ax=list(axes), shrink=0.8, label=label)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_class_topomaps(
    relevance: np.ndarray,
    y: np.ndarray,
    ch_names: list[str],
    classes: list[str],
    montage: str | mne.channels.DigMontage | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Mean relevance over all trials and per class, as a row of topomaps."""
    relevance, y = np.asarray(relevance), np.asarray(y)
    maps = {f"all ({len(y)})": relevance.mean(axis=0)}
    for c in np.unique(y):
        maps[f"{classes[c]} ({int((y == c).sum())})"] = relevance[y == c].mean(axis=0)
    return plot_topomaps(maps, ch_names, montage, title=title)


def plot_trial_heatmap(
    relevance: np.ndarray,
    ch_names: list[str],
    y: np.ndarray | None = None,
    classes: list[str] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Trials x channels heat map of relevance; trials grouped by class when ``y`` is given."""
    relevance = np.asarray(relevance, dtype=np.float64)
    if relevance.ndim != 2 or relevance.shape[1] != len(ch_names):
        raise BadInputError(
            f"relevance must be (n_trials, {len(ch_names)}), got shape {relevance.shape}."
        )
    order = np.argsort(y, kind="stable") if y is not None else np.arange(len(relevance))
    fig = _figure(min(2 + 0.18 * len(ch_names), 14), 3.6)
    ax = fig.subplots()
    im = ax.imshow(relevance[order], aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_xticks(range(len(ch_names)), ch_names, rotation=90, fontsize=6 if len(ch_names) > 24
                  else 8)
    ax.set_ylabel("trial")
    if y is not None:
        ys = np.asarray(y)[order]
        edges = np.flatnonzero(np.diff(ys)) + 0.5
        for e in edges:
            ax.axhline(e, color="white", lw=1)
        names = classes or [str(c) for c in range(ys.max() + 1)]
        starts = np.r_[0, np.ceil(edges)].astype(int)
        ax.set_yticks(starts, [names[ys[s]] for s in starts], fontsize=8)
    fig.colorbar(im, ax=ax, label="relevance")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_self_attention(
    layers: np.ndarray,
    labels: list[str] | None = None,
    *,
    title: str = "self-attention",
) -> Figure:
    """One heat map per layer of trial-averaged self-attention ``(n_layers, N, N)``.

    Rows are queries and columns keys: row ``i`` shows where token ``i`` reads from.
    """
    layers = np.asarray(layers, dtype=np.float64)
    if layers.ndim == 2:
        layers = layers[None]
    if layers.ndim != 3 or layers.shape[1] != layers.shape[2]:
        raise BadInputError(
            f"Self-attention must be (n_layers, N, N), got shape {layers.shape}."
        )
    n = layers.shape[1]
    fig = _figure(3.2 * len(layers) + 0.6, 3.2)
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    for i, (ax, mat) in enumerate(zip(axes, layers)):
        im = ax.imshow(mat, cmap="magma", interpolation="nearest")
        ax.set_title(f"layer {i + 1}", fontsize=9)
        if labels is not None and len(labels) == n and n <= 40:
            fs = 5 if n > 20 else 7
            ax.set_xticks(range(n), labels, rotation=90, fontsize=fs)
            ax.set_yticks(range(n), labels, fontsize=fs)
        ax.set_xlabel("key")
        ax.set_ylabel("query")
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title, fontsize=11)
    return fig
