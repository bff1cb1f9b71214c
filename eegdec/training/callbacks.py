"""Lightning callbacks: one that observes a fit without changing it (:class:`EpochScores`,
nested model selection's) and those of the calibration strategies
(:mod:`eegdec.training.finetune`)."""

from __future__ import annotations

import copy
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

from eegdec.training.data import TensorBatches, as_tensors


class EpochScores(Callback):
    """Balanced accuracy on held-out trials after each training epoch.

    ``X`` ``(n, C, T)`` is passed to the network as it is (align it first), ``y`` holds class
    indices (positions in the classifier's ``classes_``). After the fit, ``scores[e]`` is the
    score after epoch ``e`` (1-based) for every epoch in ``epochs`` (default: all). Scoring runs
    in eval mode without gradients and draws no random numbers, so the fit is the one it would
    be without the callback: one fit of E epochs gives the scores of every shorter fit of the
    same recipe (when the learning rate does not depend on E, i.e. no scheduler).
    """

    def __init__(
        self, X: np.ndarray, y: np.ndarray, epochs: set[int] | None = None, batch_size: int = 256
    ) -> None:
        self.X, self.y = np.ascontiguousarray(X, dtype=np.float32), np.asarray(y)
        self.epochs = None if epochs is None else set(epochs)
        self.batch_size = batch_size
        self.scores: dict[int, float] = {}

    @torch.no_grad()
    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        from sklearn.metrics import balanced_accuracy_score

        epoch = trainer.current_epoch + 1
        if self.epochs is not None and epoch not in self.epochs:
            return
        net = module.model
        was_training = net.training
        net.eval()
        try:
            (X_t,) = as_tensors(self.X)
            pred = torch.cat(
                [
                    net(xb.to(module.device)).argmax(1).cpu()
                    for (xb,) in TensorBatches(X_t, None, self.batch_size)
                ]
            )
        finally:
            net.train(was_training)
        self.scores[epoch] = float(balanced_accuracy_score(self.y, pred.numpy()))


class FrozenNormInEval(Callback):
    """Keep frozen batch-norm layers in eval mode (Lightning switches the model to train)."""

    def __init__(self, norms: list[nn.Module]) -> None:
        self.norms = norms

    def on_train_batch_start(self, *args: Any) -> None:
        for m in self.norms:
            m.eval()


class KeepBest(Callback):
    """Restore the weights of the epoch with the lowest ``val_loss`` when the fit ends."""

    def __init__(self) -> None:
        self.best, self.state = float("inf"), None

    def on_validation_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        loss = trainer.callback_metrics.get("val_loss")
        if loss is not None and float(loss) < self.best:
            self.best, self.state = float(loss), copy.deepcopy(module.state_dict())

    def on_fit_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if self.state is not None:
            module.load_state_dict(self.state)
