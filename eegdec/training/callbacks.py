"""Lightning callbacks that observe a fit without changing it."""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

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
