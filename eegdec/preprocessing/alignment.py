"""Euclidean alignment (He & Wu, 2020): ``X_i <- R^{-1/2} X_i`` with ``R`` the mean covariance.

- :class:`EuclideanAlignment`: one reference per domain (subject/session) learnt in ``fit``
  (training trials only) and re-applied by ``transform``. MOABB 1.7 ships a single-domain
  ``EuclideanAlignment``; this one adds per-domain references, which LOSO training needs.
- :class:`IncrementalEuclideanAlignment`: causal, for a new user's trials arriving in order:
  trial *i* is aligned with the reference over trials ``0..i`` (plus any calibration trials
  it was seeded with); no future trial is ever used.

Alignment modes (:data:`ALIGNMENTS`, the one list of their names, kept numpy-only in
:mod:`eegdec.preprocessing.reference` for the online decoder) and the helpers that apply
them, shared by the protocols, :class:`~eegdec.training.classifier.EEGDecClassifier` and
``eegdec topomap``:

- ``"none"``: raw trials.
- ``"euclidean"`` (causal): training domains are aligned with their own reference; a test set
  from a training domain reuses it; a new domain is aligned incrementally (trial *i* with the
  reference over trials ``0..i``).
- ``"euclidean-transductive"``: test trials are aligned with the reference of all test trials
  of their domain (the DBConformer reference code; uses future trials, so named as such).

The ``xxt`` covariances and ``R^{-1/2}`` come from :mod:`eegdec.preprocessing.reference`
(numpy only, shared with the online decoder); other covariance estimators from pyriemann.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from eegdec.errors import BadInputError
from eegdec.preprocessing.reference import (  # noqa: F401 (ALIGNMENTS: re-exported)
    ALIGNMENTS,
    CAUSAL_ALIGNMENTS,
    xxt_covariances,
)
from eegdec.preprocessing.reference import inv_sqrt as _inv_sqrt

if TYPE_CHECKING:
    from eegdec.data.stack import TrialStack


def _check(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 3:
        raise BadInputError(
            f"Alignment expects trials shaped (n_trials, n_chans, n_times), got {X.shape}."
        )
    if not np.isfinite(X).all():
        raise BadInputError("Alignment input holds NaN or inf: clean the trials first.")
    return X


def _covariances(X: np.ndarray, estimator: str) -> np.ndarray:
    if estimator == "xxt":  # the paper's R_i = X_i X_i^T / T (not mean-centred)
        return xxt_covariances(X)
    from pyriemann.geometry.covariance import covariances

    return covariances(np.asarray(X, dtype=np.float64), estimator=estimator)


class EuclideanAlignment(TransformerMixin, BaseEstimator):
    """Whiten trials by the inverse square root of their domain's mean covariance.

    Parameters
    ----------
    estimator : ``"xxt"`` (``X X^T / T``, as He & Wu) or a pyriemann covariance estimator
        (``"scm"``, ``"lwf"``, ``"oas"``...)
    reg : ridge added to the reference, as a fraction of its mean eigenvalue

    ``fit(X, domains=None)``: without ``domains`` one reference for all trials
    (``inv_sqrt_ref_``); with ``domains`` (one label per trial) one per domain
    (``inv_sqrt_refs_``), and ``transform(X, domains)`` applies each trial's own.
    """

    def __init__(self, estimator: str = "xxt", reg: float = 1e-6) -> None:
        self.estimator = estimator
        self.reg = reg

    def fit(self, X: np.ndarray, y: object = None, domains: Sequence | None = None
            ) -> EuclideanAlignment:
        X = _check(X)
        covs = _covariances(X, self.estimator)
        if domains is None:
            self.inv_sqrt_ref_ = _inv_sqrt(covs.mean(axis=0), self.reg)
            self.inv_sqrt_refs_ = {}
        else:
            d = self._domains(domains, len(X))
            self.inv_sqrt_refs_ = {
                key: _inv_sqrt(covs[d == key].mean(axis=0), self.reg) for key in np.unique(d)
            }
            self.inv_sqrt_ref_ = _inv_sqrt(covs.mean(axis=0), self.reg)
        self.n_chans_ = X.shape[1]
        return self

    def transform(self, X: np.ndarray, domains: Sequence | None = None) -> np.ndarray:
        X = _check(X)
        if X.shape[1] != getattr(self, "n_chans_", X.shape[1]):
            raise BadInputError(
                f"Fitted on {self.n_chans_} channels, got {X.shape[1]}: use the same channels."
            )
        if domains is None:
            return np.einsum("ij,njt->nit", self.inv_sqrt_ref_, X).astype(X.dtype, copy=False)
        d = self._domains(domains, len(X))
        unseen = set(np.unique(d)) - set(self.inv_sqrt_refs_)
        if unseen:
            first = np.asarray(sorted(unseen)[0]).item()
            raise BadInputError(
                f"Domain {first!r} was not seen in fit: fit on its trials too, or "
                "use IncrementalEuclideanAlignment for a new subject."
            )
        out = np.empty_like(X)
        for key, W in self.inv_sqrt_refs_.items():
            m = d == key
            out[m] = np.einsum("ij,njt->nit", W, X[m])
        return out

    def fit_transform(self, X: np.ndarray, y: object = None, domains: Sequence | None = None
                      ) -> np.ndarray:
        return self.fit(X, y, domains=domains).transform(X, domains=domains)

    @staticmethod
    def _domains(domains: Sequence, n: int) -> np.ndarray:
        d = np.asarray(domains)
        if len(d) != n:
            raise BadInputError(f"domains has {len(d)} labels for {n} trials: give one per trial.")
        return d


class IncrementalEuclideanAlignment(TransformerMixin, BaseEstimator):
    """Causal Euclidean alignment for trials that arrive one at a time.

    ``fit(X)`` seeds the reference with calibration trials (optional). ``transform(X)`` then
    processes the trials in order: each one first updates the running mean covariance and is
    then aligned with it (reference over every trial seen so far, itself included).
    ``transform_one(x)`` does the same for a single ``(n_chans, n_times)`` trial and
    ``update(X)`` adds trials to the reference without aligning them.
    """

    def __init__(self, estimator: str = "xxt", reg: float = 1e-6) -> None:
        self.estimator = estimator
        self.reg = reg

    def fit(self, X: np.ndarray | None = None, y: object = None) -> IncrementalEuclideanAlignment:
        self.cov_sum_ = None
        self.n_seen_ = 0
        if X is not None and len(X):
            self.update(X)
        return self

    def update(self, X: np.ndarray) -> IncrementalEuclideanAlignment:
        """Add trials ``(n, C, T)`` to the running reference."""
        covs = _covariances(_check(X), self.estimator)
        if getattr(self, "cov_sum_", None) is None:
            self.cov_sum_, self.n_seen_ = np.zeros(covs.shape[1:]), 0
        if covs.shape[1:] != self.cov_sum_.shape:
            raise BadInputError(
                f"Trials have {covs.shape[1]} channels, the reference {self.cov_sum_.shape[0]}."
            )
        self.cov_sum_ += covs.sum(axis=0)
        self.n_seen_ += len(covs)
        return self

    @property
    def inv_sqrt_ref_(self) -> np.ndarray:
        if not getattr(self, "n_seen_", 0):
            raise BadInputError("No trial seen yet: call update()/transform_one() first.")
        return _inv_sqrt(self.cov_sum_ / self.n_seen_, self.reg)

    def transform_one(self, x: np.ndarray) -> np.ndarray:
        """Update with one trial ``(C, T)`` and return it aligned."""
        x = np.asarray(x)
        self.update(x[None])
        return (self.inv_sqrt_ref_ @ x).astype(x.dtype, copy=False)

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = _check(X)
        if not hasattr(self, "n_seen_"):
            self.fit()
        return np.stack([self.transform_one(x) for x in X]) if len(X) else X.copy()

    def fit_transform(self, X: np.ndarray, y: object = None) -> np.ndarray:
        """Start from an empty reference and align ``X`` causally (not a batch fit)."""
        return self.fit().transform(X)


def check_alignment(alignment: str | None) -> str:
    """Normalised alignment mode (``None`` is ``"none"``); unknown values raise."""
    key = (alignment or "none").lower()
    if key not in ALIGNMENTS:
        raise BadInputError(
            f"Unknown alignment {alignment!r}: choose one of {', '.join(ALIGNMENTS)}."
        )
    return key


def is_transductive(alignment: str) -> bool:
    """True for the mode that aligns test trials with a reference over all of them."""
    return check_alignment(alignment) == ALIGNMENTS[2]


def align_domains(X: np.ndarray, domains: Sequence | None, alignment: str) -> np.ndarray:
    """Training side: each domain (one label per trial; ``None``: one) whitened by its own
    reference."""
    if check_alignment(alignment) == "none":
        return X
    if domains is None:
        return EuclideanAlignment().fit_transform(X)
    return EuclideanAlignment().fit_transform(X, domains=np.asarray(domains))


def aligned_trials(parts: Sequence[np.ndarray], domains: Sequence[Sequence],
                   alignment: str) -> TrialStack:
    """:func:`align_domains` one part (subject) at a time, applied lazily.

    ``parts`` are ``(n_i, C, T)`` arrays (memory maps welcome) and ``domains`` one label per
    trial of each part. References are computed part by part (memory for one part's
    covariances); a domain found in several parts is referenced over all its trials. The
    result is a :class:`~eegdec.data.stack.TrialStack` whose ``take`` applies each trial's
    reference as it reads it: the same float32 numbers as ``align_domains`` on the
    concatenation, without ever holding that concatenation.
    """
    from eegdec.data.stack import TrialStack

    parts = list(parts)
    if check_alignment(alignment) == "none":
        return TrialStack(parts)
    labels = [np.asarray(d) for d in domains]
    if len(labels) != len(parts) or any(len(d) != len(X) for d, X in zip(labels, parts)):
        raise BadInputError("domains must give one label per trial of each part.")
    where: dict = {}
    for p, d in enumerate(labels):
        for key in np.unique(d):
            where.setdefault(key, []).append(p)
    ea = EuclideanAlignment()
    refs: dict = {}
    shared: dict = {}  # covariances of domains spread over several parts
    for p, X in enumerate(parts):
        covs = _block_covariances(TrialStack([X]), ea.estimator)
        for key in np.unique(labels[p]):
            if len(where[key]) == 1:
                refs[key] = _inv_sqrt(covs[labels[p] == key].mean(axis=0), ea.reg)
            else:
                shared.setdefault(key, []).append(covs[labels[p] == key])
        del covs
    for key, blocks in shared.items():
        refs[key] = _inv_sqrt(np.concatenate(blocks).mean(axis=0), ea.reg)
    filters = []
    for d in labels:
        keys = np.unique(d)
        filters.append((np.stack([refs[k] for k in keys]), np.searchsorted(keys, d)))
    return TrialStack(parts, filters)


def _block_covariances(stack: TrialStack, estimator: str) -> np.ndarray:
    """Covariances of every trial of ``stack``, computed block by block (per trial: the same
    numbers as on the whole array)."""
    return np.concatenate([_covariances(_check(X), estimator) for X in stack.blocks()])


def reference_of(parts: Sequence[np.ndarray]) -> EuclideanAlignment:
    """One :class:`EuclideanAlignment` over every trial of ``parts`` (``fit`` on their
    concatenation, computed part by part)."""
    from eegdec.data.stack import TrialStack

    ea = EuclideanAlignment()
    covs = _block_covariances(TrialStack(list(parts)), ea.estimator)
    ea.inv_sqrt_ref_ = _inv_sqrt(covs.mean(axis=0), ea.reg)
    ea.inv_sqrt_refs_ = {}
    ea.n_chans_ = parts[0].shape[1]
    return ea


def align_new_domain(X: np.ndarray, alignment: str) -> np.ndarray:
    """Test trials of an unseen domain, in recording order: incremental or transductive."""
    mode = check_alignment(alignment)
    if mode == "none":
        return X
    if is_transductive(mode):
        return EuclideanAlignment().fit(X).transform(X)
    return IncrementalEuclideanAlignment().transform(X)


def align_same_domain(reference: EuclideanAlignment, X: np.ndarray,
                      alignment: str) -> np.ndarray:
    """Test trials from a training domain: the training ``reference`` (causal mode) or their
    own (transductive mode)."""
    mode = check_alignment(alignment)
    if mode == "none":
        return X
    if is_transductive(mode):
        return EuclideanAlignment().fit(X).transform(X)
    return reference.transform(X)


def streaming_aligner(alignment: str, X_seen: np.ndarray | None = None
                      ) -> IncrementalEuclideanAlignment | FrozenAlignment | None:
    """An aligner for trials arriving one at a time (``transform_one``), or ``None``.

    Causal mode starts empty; transductive mode is frozen on ``X_seen`` (every calibration and
    test trial of the domain, future ones included).
    """
    mode = check_alignment(alignment)
    if mode == "none":
        return None
    if is_transductive(mode):
        return FrozenAlignment(EuclideanAlignment().fit(X_seen))
    return IncrementalEuclideanAlignment()


class FrozenAlignment:
    """A fitted :class:`EuclideanAlignment` with the streaming interface (no updates)."""

    def __init__(self, reference: EuclideanAlignment) -> None:
        self.reference = reference

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.reference.transform(X)

    def transform_one(self, x: np.ndarray) -> np.ndarray:
        return self.reference.transform(x[None])[0]
