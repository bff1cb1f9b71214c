"""Every interpretation figure of one trained model on one set of trials."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from eegdec.interpret.channels import normalize_ch_name
from eegdec.interpret.topomap import (
    MIN_TOPO_CHANNELS,
    plot_class_topomaps,
    plot_self_attention,
    plot_trial_heatmap,
)
from eegdec.models.relevance import Method, channel_relevance, explain_forward, top_channels

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure


def model_figures(
    model: torch.nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    ch_names: list[str],
    classes: list[str],
    montage: Any = None,
    *,
    method: Method = "auto",
    title: str = "",
) -> tuple[dict[str, Figure], dict[str, Any]]:
    """Figures keyed by file stem, and a summary (method, top channels per class).

    ``topomap`` (all trials and per class), ``trials`` (trials x channels heat map) and, for
    DBConformer, ``temporal_attention`` (P x P) and ``spatial_attention`` (C x C) per layer.
    """
    rel, used = channel_relevance(model, X, method=method)
    names = [normalize_ch_name(c) for c in ch_names]
    kind = {"attention": "channel attention", "lrp": "LRP"}.get(used, used.replace("_", " "))
    figs: dict[str, Figure] = {}
    if len(ch_names) >= MIN_TOPO_CHANNELS:
        figs["topomap"] = plot_class_topomaps(rel, y, ch_names, classes, montage,
                                              title=f"{title} mean {kind}".strip())
    figs["trials"] = plot_trial_heatmap(rel, names, y, classes, title=f"{title} {kind}".strip())
    if used == "attention":
        extras = explain_forward(model, X)
        for key, labels in (("temporal_attention", None), ("spatial_attention", names)):
            if key in extras:
                figs[key] = plot_self_attention(extras[key].mean(axis=1), labels,
                                                title=f"{title} {key.replace('_', ' ')}".strip())
    summary = {"method": used, "top3": top_channels(rel, names),
               "top3_per_class": {classes[c]: top_channels(rel[y == c], names)
                                  for c in np.unique(y)}}
    return figs, summary


def save_figures(figs: dict[str, Figure], out_dir: str | os.PathLike, prefix: str = "",
                 dpi: int = 100) -> list[Path]:
    """Write each figure as ``<out_dir>/<prefix><name>.png``; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figs.items():
        path = out / f"{prefix}{name}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths
