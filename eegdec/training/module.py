"""LightningModule holding the step logic shared by every torch model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import nn

from eegdec.errors import BadInputError

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


class EEGDecModule(L.LightningModule):
    """Cross-entropy training of ``model`` (``(B, C, T)`` -> logits ``(B, K)``).

    Metrics are accumulated on the tensors of each step and logged once per epoch
    (``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``); ``history`` keeps one dict per
    epoch. ``scheduler="cosine"`` anneals the learning rate over ``max_epochs``.

    ``augment`` (:func:`eegdec.training.augmentation.make_augmenter`) transforms training
    batches only and may return soft targets ``(B, K)``; a batch ``(x, y, w)`` weights each
    trial's loss by ``w`` (source-subject weights).
    """

    def __init__(self, model: nn.Module, *, lr: float = 1e-3, optimizer: str = "adam",
                 weight_decay: float = 0.0, scheduler: str | None = None,
                 class_weight: torch.Tensor | None = None,
                 augment: Callable[[torch.Tensor, torch.Tensor], Any] | None = None) -> None:
        super().__init__()
        if optimizer.lower() not in OPTIMIZERS:
            raise BadInputError(
                f"Unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}."
            )
        if scheduler not in (None, "cosine"):
            raise BadInputError(f"Unknown scheduler {scheduler!r}: use None or 'cosine'.")
        self.model = model
        self.lr, self.optimizer_name = float(lr), optimizer.lower()
        self.weight_decay, self.scheduler = float(weight_decay), scheduler
        self.loss_fn = nn.CrossEntropyLoss(weight=class_weight)
        self.augment = augment
        self.history: list[dict[str, float]] = []
        self._sums: dict[str, list[torch.Tensor]] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _step(self, batch: tuple[torch.Tensor, ...], stage: str) -> torch.Tensor:
        x, y = batch[0], batch[1]
        target = y
        if stage == "train" and self.augment is not None:
            x, target = self.augment(x, y)
        logits = self.model(x)
        if len(batch) > 2:  # per-trial weights
            per_trial = nn.functional.cross_entropy(logits, target, weight=self.loss_fn.weight,
                                                    reduction="none")
            w = batch[2].to(per_trial.dtype)
            loss = (per_trial * w).sum() / w.sum().clamp_min(1e-12)
        else:
            loss = self.loss_fn(logits, target)
        n = torch.tensor(float(len(y)), device=y.device)
        stats = torch.stack([loss.detach() * n, (logits.argmax(1) == y).sum().float(), n])
        self._sums.setdefault(stage, []).append(stats)
        return loss

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int):
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int):
        self._step(batch, "val")

    def predict_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        return torch.softmax(self.model(batch[0]), dim=1)

    def _epoch_metrics(self, stage: str) -> dict[str, float]:
        parts = self._sums.pop(stage, [])
        if not parts:
            return {}
        loss_sum, correct, n = torch.stack(parts).sum(0).tolist()
        metrics = {f"{stage}_loss": loss_sum / n, f"{stage}_acc": correct / n}
        self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=True)
        return metrics

    def on_validation_epoch_end(self) -> None:
        self._val_metrics = self._epoch_metrics("val")

    def on_train_epoch_start(self) -> None:
        self._val_metrics = {}

    def on_train_epoch_end(self) -> None:
        row: dict[str, float] = {"epoch": self.current_epoch}
        row.update(self._epoch_metrics("train"))
        row.update(self._val_metrics)
        self.history.append(row)

    def configure_optimizers(self) -> Any:
        kwargs: dict[str, Any] = {"lr": self.lr, "weight_decay": self.weight_decay}
        opt = OPTIMIZERS[self.optimizer_name](self.model.parameters(), **kwargs)
        if self.scheduler == "cosine":
            t_max = max(int(self.trainer.max_epochs or 1), 1)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}
        return opt
