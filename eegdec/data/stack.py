"""Several subjects' trials as one set, without concatenating them (out-of-core training).

- :class:`TrialStack`: ``(n_i, C, T)`` arrays (typically memory-mapped from the epoch cache)
  addressed by one global trial index; ``take(index)`` gathers trials into a new float32
  array, applying each part's per-domain spatial filter (Euclidean alignment) on the way, so
  aligned copies of the whole set never exist. ``blocks()`` yields a bounded block at a
  time (never across parts).
- :class:`EpochsStack`: the :class:`~eegdec.data.epochs.EpochsData` of several subjects seen
  as one (labels, metadata and domains concatenated: they are small; ``X`` is not). A stack of
  mapped subjects pickles as their cache directory and file names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eegdec.data.epochs import EpochsData, check_compatible
from eegdec.errors import BadInputError

#: Trials read at once by :meth:`TrialStack.blocks` (bytes of float32 trials): bounds the
#: temporaries of the steps that walk the whole stack (covariances, float64 copies).
BLOCK_BYTES = 32 * 2**20

#: Per-part spatial filters: ``(W, codes)``, ``W`` ``(k, C, C)`` and ``codes`` ``(n_i,)`` the
#: filter of each trial of the part (``None``: the part's trials as they are).
Filters = tuple[np.ndarray, np.ndarray] | None


class TrialStack:
    """Trials of several ``(n_i, C, T)`` arrays under one index ``0..sum(n_i)-1``.

    ``take(idx)`` returns float32 trials ``idx`` in the given order; a part with filters
    ``(W, codes)`` returns trial ``j`` as ``W[codes[j]] @ X[j]`` (float64 product cast to
    float32: the numbers :meth:`EuclideanAlignment.transform` gives). Nothing is copied until
    trials are taken, so the parts may be memory maps larger than memory.
    """

    def __init__(self, parts: Sequence[np.ndarray], filters: Sequence[Filters] | None = None
                 ) -> None:
        if not parts:
            raise BadInputError("A trial stack needs at least one array of trials.")
        self.parts = [np.asarray(p) for p in parts]
        shapes = {p.shape[1:] for p in self.parts}
        if any(p.ndim != 3 for p in self.parts) or len(shapes) != 1:
            raise BadInputError(
                f"Every part must be (n_trials, n_chans, n_times) with the same channels and "
                f"times, got shapes {[p.shape for p in self.parts]}."
            )
        self.filters: list[Filters] = list(filters) if filters is not None \
            else [None] * len(self.parts)
        if len(self.filters) != len(self.parts):
            raise BadInputError(f"{len(self.filters)} filters for {len(self.parts)} parts.")
        self.offsets = np.concatenate([[0], np.cumsum([len(p) for p in self.parts])])

    # -- array-like views ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        c, t = self.parts[0].shape[1:]
        return int(self.offsets[-1]), c, t

    ndim = 3
    dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @property
    def nbytes(self) -> int:
        """Bytes of the trials as float32 (what concatenating them would allocate)."""
        n, c, t = self.shape
        return n * c * t * 4

    @property
    def filtered(self) -> bool:
        return any(f is not None for f in self.filters)

    def __repr__(self) -> str:
        return (f"TrialStack({len(self.parts)} parts, shape={self.shape}, "
                f"filtered={self.filtered})")

    # -- reading -------------------------------------------------------------------------------
    def take(self, index: Sequence[int] | np.ndarray) -> np.ndarray:
        """Trials ``index`` (global numbers, any order) as a new float32 array."""
        idx = np.asarray(index, dtype=np.int64).reshape(-1)
        n, c, t = self.shape
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise IndexError(f"trial index out of range 0..{n - 1}")
        out = np.empty((idx.size, c, t), dtype=np.float32)
        part = np.searchsorted(self.offsets, idx, side="right") - 1
        for p in np.unique(part):
            pos = np.flatnonzero(part == p)
            rows = idx[pos] - self.offsets[p]
            self._read(int(p), rows, out, pos)
        return out

    def _read(self, p: int, rows: np.ndarray, out: np.ndarray, pos: np.ndarray) -> None:
        raw = self.parts[p][rows]
        filt = self.filters[p]
        if filt is None:
            out[pos] = raw
            return
        W, codes = filt
        code = codes[rows]
        for k in np.unique(code):
            m = code == k
            out[pos[m]] = np.einsum("ij,njt->nit", W[k], raw[m])

    def spans(self) -> Iterator[tuple[int, int, int]]:
        """``(part, first row, end row)`` of consecutive blocks of at most
        :data:`BLOCK_BYTES` of trials, never across two parts."""
        _, c, t = self.shape
        step = max(1, BLOCK_BYTES // (c * t * 4))
        for p, part in enumerate(self.parts):
            for lo in range(0, len(part), step):
                yield p, lo, min(lo + step, len(part))

    def blocks(self) -> Iterator[np.ndarray]:
        """The trials in order, block by block (:meth:`spans`), filtered, as new float32
        arrays: memory for one block at a time, not for the stack."""
        for p, lo, hi in self.spans():
            yield self.take(np.arange(lo, hi) + self.offsets[p])

    def materialize(self) -> np.ndarray:
        """All trials in one in-memory array (what out-of-core training avoids)."""
        out = np.empty(self.shape, dtype=np.float32)
        for p, lo, hi in self.spans():
            self._read(p, np.arange(lo, hi), out, np.arange(lo, hi) + self.offsets[p])
        return out

    def nonfinite_trials(self) -> np.ndarray:
        """Global numbers of trials holding NaN or inf (read block by block, unfiltered)."""
        bad = [np.flatnonzero(~np.isfinite(self.parts[p][lo:hi]).all(axis=(1, 2)))
               + self.offsets[p] + lo for p, lo, hi in self.spans()]
        return np.concatenate(bad).astype(np.int64)

    def with_part(self, X: np.ndarray) -> TrialStack:
        """A new stack with ``X`` appended as one more (unfiltered) part."""
        return TrialStack([*self.parts, np.asarray(X)], [*self.filters, None])


class EpochsStack:
    """Subjects' :class:`EpochsData` as one training set, ``X`` left in each part.

    ``y``, ``metadata`` and :meth:`domains` are concatenated (small); :meth:`trials` gives the
    :class:`TrialStack` over the parts' ``X``. ``X`` concatenates on demand for callers that
    need one array (memory as :meth:`EpochsData.concat`).
    """

    def __init__(self, parts: Sequence[EpochsData]) -> None:
        first = check_compatible(parts, "stack")
        self.parts = list(parts)
        self.classes, self.ch_names = list(first.classes), list(first.ch_names)
        self.sfreq, self.montage, self.dataset = first.sfreq, first.montage, first.dataset
        self.info = dict(first.info)
        self.y = np.concatenate([p.y for p in self.parts])
        self.metadata = pd.concat([p.metadata for p in self.parts], ignore_index=True)

    @property
    def n_trials(self) -> int:
        return len(self.y)

    @property
    def n_chans(self) -> int:
        return len(self.ch_names)

    @property
    def n_times(self) -> int:
        return self.parts[0].n_times

    @property
    def X(self) -> np.ndarray:
        """Every trial in one new array (allocates the whole set)."""
        return self.trials().materialize()

    def domains(self) -> np.ndarray:
        return np.concatenate([p.domains() for p in self.parts])

    def subjects(self) -> list:
        return pd.unique(self.metadata["subject"]).tolist()

    def trials(self, filters: Sequence[Filters] | None = None) -> TrialStack:
        return TrialStack([p.X for p in self.parts], filters)

    def to_epochs(self) -> EpochsData:
        """One in-memory :class:`EpochsData` (:meth:`EpochsData.concat` of the parts)."""
        return EpochsData.concat(self.parts)

    def __repr__(self) -> str:
        return (f"EpochsStack(dataset={self.dataset!r}, n_trials={self.n_trials}, "
                f"subjects={self.subjects()})")

    def __reduce_ex__(self, protocol: int) -> Any:
        # All parts mapped: the folder and the file names (a few dozen bytes per subject).
        files = [p.mapped_file for p in self.parts]
        if all(f is not None for f in files):
            folder = os.path.commonpath([os.path.dirname(f) for f in files])
            return (_open_stack, (folder, [os.path.relpath(f, folder) for f in files]))
        return super().__reduce_ex__(protocol)


def _open_stack(folder: str, names: list[str]) -> EpochsStack:
    return EpochsStack([EpochsData.load(Path(folder) / n, mmap=True, verify=False)
                        for n in names])
