"""Preloaded-tensor batches and the Lightning data module over them.

A ``DataLoader`` over a ``TensorDataset`` collates every batch from single items in Python;
:class:`TensorBatches` slices the preloaded tensors instead (one index op per batch), which is
most of the speed-up over skorch on CPU (``benchmarks/bench_training_speed.py``).

Out of core: given a :class:`~eegdec.data.stack.TrialStack` (subjects memory-mapped from the
epoch cache, aligned lazily), the same batches are gathered from the mapped arrays by index
(:class:`StackRows`): the training set is never concatenated, and the batches, their order
and so the trained weights are those of the in-memory path.
"""

from __future__ import annotations

from collections.abc import Iterator

import lightning as L
import numpy as np
import torch

from eegdec.data.stack import TrialStack
from eegdec.errors import BadInputError


class StackRows:
    """Rows ``rows`` (default: all) of a :class:`TrialStack`, indexed like a tensor:
    ``rows_view[i]`` (an int tensor, array or slice) gathers those trials as a float32 tensor."""

    def __init__(self, stack: TrialStack, rows: np.ndarray | None = None) -> None:
        self.stack = stack
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.stack) if self.rows is None else len(self.rows)

    def __getitem__(self, idx: slice | torch.Tensor | np.ndarray) -> torch.Tensor:
        if isinstance(idx, slice):
            idx = np.arange(len(self))[idx]
        elif isinstance(idx, torch.Tensor):
            idx = idx.numpy()
        idx = np.asarray(idx, dtype=np.int64)
        return torch.from_numpy(self.stack.take(idx if self.rows is None else self.rows[idx]))


class TensorBatches:
    """Iterate over ``(X, y)`` mini-batches of preloaded tensors.

    With ``shuffle`` the order is redrawn each epoch from ``seed`` and the epoch number, so runs
    repeat exactly. A last batch of one trial is merged into the previous batch (BatchNorm
    cannot train on a single sample). With ``weight`` each batch is ``(X, y, w)``.
    """

    def __init__(self, X: torch.Tensor | StackRows, y: torch.Tensor | None, batch_size: int,
                 shuffle: bool = False, seed: int = 0,
                 weight: torch.Tensor | None = None) -> None:
        self.X, self.y, self.weight = X, y, weight
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = int(seed)
        self._epoch = 0

    def _bounds(self) -> list[tuple[int, int]]:
        n, bs = len(self.X), self.batch_size
        starts = list(range(0, n, bs))
        if len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()
        return [(s, starts[i + 1] if i + 1 < len(starts) else n) for i, s in enumerate(starts)]

    def __len__(self) -> int:
        return len(self._bounds())

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed + 7919 * self._epoch)
            order = torch.randperm(len(self.X), generator=gen)
            self._epoch += 1
        else:
            order = None
        for start, stop in self._bounds():
            idx = slice(start, stop) if order is None else order[start:stop]
            if self.y is None:
                yield (self.X[idx],)
            elif self.weight is None:
                yield self.X[idx], self.y[idx]
            else:
                yield self.X[idx], self.y[idx], self.weight[idx]


def as_tensors(X: np.ndarray, y: np.ndarray | None = None) -> tuple[torch.Tensor, ...]:
    """float32 ``(n, C, T)`` and int64 ``(n,)`` tensors sharing memory with the arrays."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 3:
        raise BadInputError(f"X must be (n_trials, n_chans, n_times), got shape {X.shape}.")
    if not np.isfinite(X).all():
        raise BadInputError("X contains NaN or infinite values: clean or drop those trials.")
    Xt = torch.from_numpy(X)
    if y is None:
        return (Xt,)
    return Xt, torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))


class EpochsDataModule(L.LightningDataModule):
    """Training (and optional validation) batches from preloaded arrays, or from a
    :class:`TrialStack` read batch by batch (the caller checks its values are finite).

    ``val_fraction`` > 0 holds out a stratified share of the *training* trials for validation
    (early stopping); test data never enters here. ``sample_weight`` weights each training
    trial's loss.
    """

    def __init__(self, X: np.ndarray | TrialStack, y: np.ndarray, *, batch_size: int = 32,
                 val_fraction: float = 0.0, seed: int = 0,
                 sample_weight: np.ndarray | None = None) -> None:
        super().__init__()
        if not 0.0 <= val_fraction < 1.0:
            raise BadInputError(f"val_fraction must be in [0, 1), got {val_fraction}.")
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.weight = self.val_weight = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float32)
            if w.shape != (len(y),) or not np.isfinite(w).all() or (w < 0).any():
                raise BadInputError(f"sample_weight must hold {len(y)} finite weights >= 0, got "
                                    f"shape {w.shape}: pass one weight per training trial.")
            if not w.sum() > 0:
                raise BadInputError("sample_weight are all zero: give some trials a positive "
                                    "weight.")
            self.weight = torch.from_numpy(w)
        if isinstance(X, TrialStack):
            if len(X) != len(y):
                raise BadInputError(f"y has {len(y)} labels for {len(X)} trials.")
            y_t = torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))
            if val_fraction > 0:
                tr, va = _stratified_split(np.asarray(y), val_fraction, seed)
                self._split_weight(tr, va)
                self.train = (StackRows(X, tr), y_t[tr])
                self.val = (StackRows(X, va), y_t[va])
            else:
                self.train, self.val = (StackRows(X), y_t), None
            return
        X_t, y_t = as_tensors(X, y)
        if val_fraction > 0:
            tr, va = _stratified_split(np.asarray(y), val_fraction, seed)
            self._split_weight(tr, va)
            self.train = (X_t[tr], y_t[tr])
            self.val = (X_t[va], y_t[va])
        else:
            self.train, self.val = (X_t, y_t), None

    def _split_weight(self, tr: np.ndarray, va: np.ndarray) -> None:
        if self.weight is not None:
            self.weight, self.val_weight = self.weight[tr], self.weight[va]

    def train_dataloader(self) -> TensorBatches:
        return TensorBatches(*self.train, self.batch_size, shuffle=True, seed=self.seed,
                             weight=self.weight)

    def val_dataloader(self) -> TensorBatches | list:
        return [] if self.val is None else TensorBatches(*self.val, max(self.batch_size, 256),
                                                         weight=self.val_weight)


def _stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    try:
        tr, va = train_test_split(idx, test_size=fraction, random_state=seed, stratify=stratify)
    except ValueError as exc:
        raise BadInputError(
            f"Cannot hold out {fraction:.0%} of {len(y)} training trials for validation "
            f"({exc}): lower val_fraction or set it to 0."
        ) from exc
    return np.sort(tr), np.sort(va)
