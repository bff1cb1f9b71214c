"""What a fitted estimator leaves in the run directory besides predictions.

Training curves come from ``history_`` (one dict per epoch, as
:class:`~eegdec.classifier.EEGDecClassifier` keeps it); channel relevance from
:func:`eegdec.interpret.relevance.channel_relevance` (DBConformer's own channel attention,
gradient x input for other torch models); checkpoints hold the weights and the arguments that
rebuild the network with :func:`eegdec.models.registry.create_model`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from eegdec._version import __version__
from eegdec.data.epochs import EpochsData


def history_frame(estimator: Any) -> pd.DataFrame | None:
    """Per-epoch training curve of a fitted estimator, or ``None`` if it keeps none."""
    history = getattr(estimator, "history_", None)
    if not history:
        return None
    frame = pd.DataFrame(list(history))
    if "epoch" not in frame:
        frame.insert(0, "epoch", np.arange(len(frame)))
    return frame


def torch_module(estimator: Any) -> Any:
    """The trained ``nn.Module`` inside an estimator (``None`` for classical pipelines)."""
    try:
        return estimator.model_
    except AttributeError:
        return None


def channel_relevance(module: Any, X: np.ndarray) -> tuple[str, np.ndarray]:
    """``("channel_attention", (n, C))`` for self-explaining models, else
    ``("relevance", (n, C))`` from gradient x input; rows sum to 1."""
    from eegdec.interpret.relevance import channel_relevance as relevance

    device = next(module.parameters()).device.type
    values, method = relevance(module, X, device=device)
    return ("channel_attention" if method == "attention" else "relevance"), values


def checkpoint(estimator: Any, module: Any, data: EpochsData) -> dict[str, Any]:
    """Weights plus what rebuilds the model: ``create_model(model, **build)``."""
    return {
        "model": estimator.model,
        "build": {"n_chans": data.n_chans, "n_outputs": len(data.classes),
                  "n_times": data.n_times, "sfreq": data.sfreq,
                  **(estimator.model_kwargs or {})},
        "state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()},
        "classes": list(data.classes),
        "ch_names": list(data.ch_names),
        "montage": data.montage,
        "eegdec_version": __version__,
    }
