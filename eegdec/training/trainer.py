"""Build the Lightning ``Trainer`` (callbacks, loggers, determinism) and run one fit."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
)

from eegdec import interrupts
from eegdec.errors import BadInputError
from eegdec.training.data import EpochsDataModule, TensorBatches, as_tensors
from eegdec.training.module import EEGDecModule

_LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")
EpochListener = Callable[[int, int, dict[str, float]], None]
_EPOCH_LISTENERS: list[EpochListener] = []


@contextmanager
def epoch_progress(listener: EpochListener) -> Iterator[None]:
    """Call ``listener(epoch, max_epochs, metrics)`` after every training epoch of every fit in
    this process while the context is open (the CLI shows it as progress inside a fold)."""
    _EPOCH_LISTENERS.append(listener)
    try:
        yield
    finally:
        _EPOCH_LISTENERS.remove(listener)


class _EpochReporter(Callback):
    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
        for listener in list(_EPOCH_LISTENERS):
            listener(trainer.current_epoch + 1, trainer.max_epochs, metrics)


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a GPU is visible, else ``"cpu"``; validate the rest."""
    device = str(device).lower()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BadInputError("device='cuda' but no CUDA GPU is visible: use device='cpu' or 'auto'.")
    if device != "cpu" and not device.startswith("cuda"):
        raise BadInputError(f"Unknown device {device!r}: use 'cpu', 'cuda' or 'auto'.")
    return device


@contextmanager
def quiet_lightning(quiet: bool = True):
    """Silence Lightning's start-up banners and advice warnings (progress bars are separate)."""
    if not quiet:
        yield
        return
    loggers = [logging.getLogger(name) for name in _LIGHTNING_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"lightning\..*")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextmanager
def _determinism_scope():
    """Deterministic algorithms for the fit without NaN-filling every new tensor, restored after.

    Lightning's ``deterministic=True`` switches ``torch.use_deterministic_algorithms`` on for the
    whole process and, with it, ``fill_uninitialized_memory``, a debugging guard that writes NaN
    into every fresh buffer (10-20% of a CPU training step here). Results do not depend on it.
    """
    import torch.utils.deterministic as det

    enabled, warn_only = (torch.are_deterministic_algorithms_enabled(),
                          torch.is_deterministic_algorithms_warn_only_enabled())
    fill = det.fill_uninitialized_memory
    det.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
        det.fill_uninitialized_memory = fill


def _loggers(log_dir: str | Path | None, name: str) -> list:
    if log_dir is None:
        return []
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    out = [CSVLogger(str(log_dir), name=name)]
    try:
        import tensorboard  # noqa: F401

        out.append(TensorBoardLogger(str(log_dir), name=name))
    except ImportError:
        pass
    return out


MEMORY_FORMATS = ("contiguous", "channels_last")


def resolve_memory_format(model: torch.nn.Module, memory_format: str, device: str
                          ) -> str | None:
    """``"auto"`` -> the registry's hint (``model.eegdec_memory_format``) on CPU, ``None``
    (leave the weights as they are) without one or off CPU; the two formats are taken as given.

    The hint ``"channels_last_single_thread"`` means channels-last with one torch thread (as in
    parallel fold workers) and contiguous otherwise.
    """
    if memory_format == "auto":
        hint = getattr(model, "eegdec_memory_format", None)
        if hint == "channels_last_single_thread":
            hint = "channels_last" if torch.get_num_threads() == 1 else "contiguous"
        return hint if device == "cpu" and hint in MEMORY_FORMATS else None
    if memory_format not in MEMORY_FORMATS:
        raise BadInputError(
            f"Unknown memory_format {memory_format!r}: use 'auto', 'contiguous' or "
            "'channels_last'."
        )
    return memory_format


def fit_module(
    module: EEGDecModule,
    data: EpochsDataModule,
    *,
    epochs: int,
    seed: int = 0,
    device: str = "cpu",
    quiet: bool = True,
    early_stopping_patience: int | None = None,
    log_dir: str | Path | None = None,
    checkpoint_dir: str | Path | None = None,
    name: str = "eegdec",
    callbacks: list[Callback] | None = None,
    memory_format: str = "auto",
) -> list[dict[str, float]]:
    """Train ``module`` on ``data`` for ``epochs`` epochs; return this fit's per-epoch history.

    ``memory_format="channels_last"`` stores 4-D weights channels-last, which oneDNN's CPU
    convolutions run up to ~2x faster for some models (same maths, different summation order);
    ``"auto"`` follows the registry's per-model hint (see docs/benchmarks.md).

    Early stopping monitors ``val_loss`` and needs ``data`` built with ``val_fraction > 0``.
    ``log_dir`` enables the CSV logger (plus TensorBoard when installed) and the LR monitor;
    ``checkpoint_dir`` saves the last (and, with validation, the best) weights.
    """
    if int(epochs) < 1:
        raise BadInputError(f"epochs must be >= 1, got {epochs}.")
    has_val = data.val is not None
    cbs: list[Callback] = [*(callbacks or []), _StopOnCtrlC()]
    if _EPOCH_LISTENERS:
        cbs.append(_EpochReporter())
    if early_stopping_patience is not None:
        if not has_val:
            raise BadInputError(
                "Early stopping needs a validation split: set val_fraction > 0 (e.g. 0.2)."
            )
        cbs.append(EarlyStopping("val_loss", patience=int(early_stopping_patience)))
    if checkpoint_dir is not None:
        cbs.append(ModelCheckpoint(dirpath=str(checkpoint_dir), save_last=True,
                                   monitor="val_loss" if has_val else None))
    loggers = _loggers(log_dir, name)
    if loggers:
        cbs.append(LearningRateMonitor(logging_interval="epoch"))
    device = resolve_device(device)
    fmt = resolve_memory_format(module.model, memory_format, device)
    if fmt is not None:
        module.model.to(memory_format=torch.channels_last if fmt == "channels_last"
                        else torch.contiguous_format)
    start = len(module.history)
    with quiet_lightning(quiet), _determinism_scope():
        L.seed_everything(seed, workers=True, verbose=False)
        trainer = L.Trainer(
            accelerator="gpu" if device.startswith("cuda") else "cpu",
            devices=[torch.device(device).index or 0] if device.startswith("cuda") else 1,
            max_epochs=int(epochs),
            deterministic=True if device == "cpu" else "warn",
            logger=loggers or False,
            callbacks=cbs,
            enable_checkpointing=checkpoint_dir is not None,
            enable_progress_bar=not quiet,
            enable_model_summary=not quiet,
            num_sanity_val_steps=0,
            limit_val_batches=1.0 if has_val else 0,
            log_every_n_steps=1,
            default_root_dir=str(log_dir) if log_dir is not None else None,
        )
        _fit_keeping_interrupts(trainer, module, data)
    module.cpu()
    return module.history[start:]


class _StopOnCtrlC(Callback):
    """Ctrl-C during a fit (:mod:`eegdec.interrupts`) stops it after the current batch.

    Under the CLI the process ends there (``on_stop``). Otherwise the fit finishes through
    Lightning's normal path and the interrupt is raised after it: Lightning's own interrupt
    path (teardown from inside the loop) was seen to abort the process with a corrupted heap.
    """

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if interrupts.requested():
            interrupts.check(raise_interrupt=False)
            trainer.should_stop = True


def _fit_keeping_interrupts(trainer: L.Trainer, module: EEGDecModule,
                            data: EpochsDataModule) -> None:
    """``trainer.fit`` with Ctrl-C deferred to a batch end, then raised to the caller as
    ``KeyboardInterrupt``."""
    with interrupts.deferred():
        trainer.fit(module, datamodule=data)
        interrupts.check()


@torch.no_grad()
def predict_proba(model: torch.nn.Module, X: np.ndarray, *, device: str = "cpu",
                  batch_size: int = 256) -> np.ndarray:
    """Softmax probabilities of ``model`` on ``X`` in eval mode (no Lightning overhead)."""
    device = resolve_device(device)
    was_training = model.training
    model.eval().to(device)
    try:
        (X_t,) = as_tensors(X)
        out = [torch.softmax(model(xb.to(device)), dim=1).cpu()
               for (xb,) in TensorBatches(X_t, None, batch_size)]
    finally:
        model.train(was_training)
        model.cpu()
    return torch.cat(out).numpy().astype(np.float64)
