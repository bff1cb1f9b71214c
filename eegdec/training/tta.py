"""Test-time adaptation without labels: batch-norm statistics of the target (AdaBN).

AdaBN (Li et al. 2016) replaces the source statistics of every batch-norm layer by the target
domain's. ``adabn`` is causal: trial *i* of the target stream is decoded with statistics
re-estimated on the target trials seen so far (the trials before it, calibration included, and
itself, as the incremental Euclidean alignment does), from :data:`MIN_TRIALS` trials on;
before that the source statistics stand. ``adabn-transductive`` estimates them once on every
target trial, future ones included, and is named so. Only batch-norm buffers change; the
weights stay as trained and labels are never read. Works after any alignment, which is
applied to the trials before they reach here.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from eegdec.errors import BadInputError

if TYPE_CHECKING:
    from torch import nn

TTA_MODES: dict[str, str] = {
    "adabn": "causal: batch-norm statistics from the target trials seen so far",
    "adabn-transductive": "transductive: batch-norm statistics from every target trial",
}
MIN_TRIALS = 4


def check_tta(mode: str | None) -> str | None:
    """``mode`` if it is a TTA mode (``None`` and ``"none"`` mean none), else a one-line error."""
    if mode in (None, "none"):
        return None
    if mode not in TTA_MODES:
        raise BadInputError(f"Unknown --tta {mode!r}: use none, {', '.join(TTA_MODES)}.")
    return mode


def _norms(model: nn.Module) -> list[nn.Module]:
    from torch import nn

    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def set_bn_statistics(model: nn.Module, X: np.ndarray) -> None:
    """Replace the running statistics of ``model``'s batch-norm layers by those of ``X``
    (one pass, layer by layer as the network computes them; the rest of ``model`` stays in
    eval mode, so dropout is off)."""
    import torch
    norms = _norms(model)
    saved = [m.momentum for m in norms]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: one batch gives its exact statistics
        m.train()
    try:
        with torch.no_grad():
            model(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))
    finally:
        for m, momentum in zip(norms, saved):
            m.momentum = momentum
        model.eval()


class AdaBNPredictor:
    """Decode a target stream with AdaBN; a copy of ``estimator``'s network is adapted, the
    estimator itself is left untouched.

    ``estimator`` is a fitted :class:`~eegdec.training.classifier.EEGDecClassifier`;
    ``seen`` are target trials that precede the stream (e.g. calibration trials, aligned), and
    ``all_target`` every target trial (``adabn-transductive`` only). :meth:`predict_proba`
    takes the next trials of the stream in order.
    """

    def __init__(self, estimator, mode: str, seen: np.ndarray | None = None,
                 all_target: np.ndarray | None = None) -> None:
        self.mode = check_tta(mode)
        self.classes_ = estimator.classes_
        self.net = copy.deepcopy(estimator.module_.model).cpu().eval()
        if not _norms(self.net):
            raise BadInputError(f"--tta {mode} needs batch normalisation, and "
                                f"{estimator.model} has none: drop --tta for this model.")
        self.seen: list[np.ndarray] = [] if seen is None else list(np.asarray(seen))
        if self.mode == "adabn-transductive":
            if all_target is None:
                raise BadInputError("adabn-transductive needs every target trial.")
            set_bn_statistics(self.net, np.asarray(all_target))
        self.n_adapted = 0  # trials decoded with target statistics

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of the next trials of the stream, adapting before each."""
        import torch

        out = []
        for x in np.asarray(X, dtype=np.float32):
            if self.mode == "adabn":
                self.seen.append(x)
                if len(self.seen) >= MIN_TRIALS:
                    set_bn_statistics(self.net, np.stack(self.seen))
                    self.n_adapted += 1
            else:
                self.n_adapted += 1
            with torch.no_grad():
                logits = self.net(torch.from_numpy(np.ascontiguousarray(x[None])))
            out.append(torch.softmax(logits, 1)[0].numpy().astype(np.float64))
        return np.stack(out)


def adapt_predict(estimator, mode: str | None, X_stream: np.ndarray,
                  seen: np.ndarray | None = None) -> AdaBNPredictor | None:
    """The AdaBN predictor for a torch estimator and a TTA mode (``None`` without one or for
    estimators without a network, e.g. classical pipelines)."""
    mode = check_tta(mode)
    if mode is None or not hasattr(estimator, "module_"):
        return None
    all_target = None
    if mode == "adabn-transductive":
        parts = [p for p in (seen, X_stream) if p is not None and len(p)]
        all_target = np.concatenate(parts)
    return AdaBNPredictor(estimator, mode, seen=seen, all_target=all_target)
