"""The Euclidean-alignment reference in numpy alone (no scikit-learn, no pyriemann).

:mod:`eegdec.preprocessing.alignment` and the online decoder share it, so that a decoder
loaded from an export needs numpy and scipy only, and both compute the same matrices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eegdec.errors import BadInputError

# The alignment modes (re-exported by eegdec.preprocessing.alignment, which documents them).
ALIGNMENTS: tuple[str, ...] = ("none", "euclidean", "euclidean-transductive")
CAUSAL_ALIGNMENTS = ALIGNMENTS[:2]  # what a live decoder can run: no future trials


def xxt_covariances(X: np.ndarray) -> np.ndarray:
    """``R_i = X_i X_i^T / T`` per trial ``(n, C, T) -> (n, C, C)`` (not mean-centred, as He &
    Wu 2020)."""
    X = np.asarray(X, dtype=np.float64)
    return np.einsum("nct,ndt->ncd", X, X) / X.shape[2]


def inv_sqrt(C: np.ndarray, reg: float = 1e-6) -> np.ndarray:
    """``(C + reg * mean eigenvalue * I)^{-1/2}`` of a symmetric positive matrix."""
    n = C.shape[0]
    vals, vecs = np.linalg.eigh(C + reg * np.trace(C) / n * np.eye(n))
    if vals.min() <= 0:
        raise BadInputError("The alignment reference is not positive definite: a channel is "
                            "flat or duplicated; drop it or interpolate it.")
    return (vecs / np.sqrt(vals)) @ vecs.T


class RunningReference:
    """Mean covariance over the blocks (trials or stream windows) seen so far, and its
    ``R^{-1/2}``; causal: a block only ever joins the mean after it has arrived."""

    def __init__(self, n_chans: int, reg: float = 1e-6) -> None:
        self.n_chans = n_chans
        self.reg = reg
        self.cov_sum = np.zeros((n_chans, n_chans))
        self.n_seen = 0
        self._matrix: np.ndarray | None = None

    def update(self, X: np.ndarray) -> RunningReference:
        """Add blocks ``(n, C, T)`` to the mean."""
        X = np.asarray(X)
        if X.ndim != 3 or X.shape[1] != self.n_chans:
            raise BadInputError(f"Alignment blocks must be (n, {self.n_chans}, n_times), got "
                                f"{X.shape}: pass the decoder's channels.")
        if len(X):
            self.cov_sum += xxt_covariances(X).sum(axis=0)
            self.n_seen += len(X)
            self._matrix = None
        return self

    @property
    def matrix(self) -> np.ndarray:
        """``R^{-1/2}`` of the current mean (cached until the next update)."""
        if not self.n_seen:
            raise BadInputError("The alignment reference holds no block yet: seed it with "
                                "calibration trials or push more signal.")
        if self._matrix is None:
            self._matrix = inv_sqrt(self.cov_sum / self.n_seen, self.reg)
        return self._matrix

    def to_dict(self) -> dict[str, Any]:
        return {"mean_cov": (self.cov_sum / max(self.n_seen, 1)).tolist(),
                "n_seen": self.n_seen, "reg": self.reg}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunningReference:
        mean = np.asarray(d["mean_cov"], dtype=np.float64)
        ref = cls(mean.shape[0], float(d.get("reg", 1e-6)))
        ref.n_seen = int(d["n_seen"])
        ref.cov_sum = mean * ref.n_seen
        return ref
