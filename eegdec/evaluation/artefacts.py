"""What a fitted estimator leaves in the run directory besides predictions.

Training curves come from ``history_`` (one dict per epoch, as
:class:`~eegdec.training.classifier.EEGDecClassifier` keeps it); channel relevance from
:func:`eegdec.models.relevance.channel_relevance` (gradient x input for every torch model,
LRP for those :mod:`eegdec.models.lrp` supports, plus DBConformer's own channel attention);
checkpoints hold the weights and the arguments that rebuild the network with
:func:`eegdec.models.registry.create_model`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError


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


def channel_relevance(module: Any, X: np.ndarray) -> dict[str, np.ndarray]:
    """``{"relevance": (n, C)}`` from gradient x input (predicted class) for every torch model,
    ``"lrp"`` (layer-wise relevance propagation, predicted class) for the models LRP supports,
    plus ``"channel_attention"`` for self-explaining ones (DBConformer); rows sum to 1.

    Both are kept for DBConformer because its attention alone can mislead: it may stay near its
    initialisation when the temporal branch carries the decision (docs/interpret.md).
    """
    from eegdec.models.lrp import LRPUnsupportedError
    from eegdec.models.relevance import channel_relevance as relevance

    device = next(module.parameters()).device.type
    out = {"relevance": relevance(module, X, method="input_x_gradient", device=device)[0]}
    try:
        out["lrp"] = relevance(module, X, method="lrp", device=device)[0]
    except LRPUnsupportedError:  # a layer without an LRP rule (eegdec.models.lrp.LRP_SUPPORTED)
        pass
    try:
        out["channel_attention"] = relevance(module, X, method="attention", device=device)[0]
    except BadInputError:  # no channel attention in this model
        pass
    return out


def checkpoint(estimator: Any, module: Any, data: EpochsData) -> dict[str, Any]:
    """Weights plus what rebuilds the model (format: :mod:`eegdec.models.checkpoint`)."""
    from eegdec.models.checkpoint import make_checkpoint

    build = {"n_chans": data.n_chans, "n_outputs": len(data.classes), "n_times": data.n_times,
             "sfreq": data.sfreq, **(estimator.model_kwargs or {})}
    return make_checkpoint(estimator.model, build, module, data.classes, data.ch_names,
                           data.montage)
