"""Lightning callbacks of the calibration strategies (:mod:`eegdec.training.finetune`)."""

from __future__ import annotations

import copy
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from torch import nn


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
