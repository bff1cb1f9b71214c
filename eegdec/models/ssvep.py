"""SSVEP decoders on ``(n_trials, n_chans, n_times)`` arrays: CCA and TRCA, and the reshape
that lets MOABB's ``FilterBankSSVEP`` pipelines read eegdec's filter-bank epochs.

MOABB has ``SSVEP_CCA`` and ``SSVEP_TRCA``, but they take ``mne.Epochs`` (``X.info``,
``X.events``) and string labels naming frequencies, not the arrays and integer labels that
eegdec's protocols pass, and neither has a rest class; so the two are written here (small,
vectorised). Filter-bank covariances + MDM / TS+LR are pyRiemann and MOABB pieces in YAML
(``pipelines/ssvep-*.yml``).

``freqs`` and ``sfreq`` left ``None`` are filled by ``eegdec run`` from the class names and the
epochs (:func:`fill_stimulus`); pass them to use the estimators elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from eegdec.errors import BadInputError


class BandsLast(TransformerMixin, BaseEstimator):
    """``(n, n_bands * C, T)`` band-major (eegdec's ``FilterBankSSVEP`` epochs) ->
    ``(n, C, T, n_bands)`` (what MOABB's filter-bank paradigms give, e.g. to
    ``moabb.pipelines.ExtendedSSVEPSignal``)."""

    def __init__(self, n_bands: int = 1) -> None:
        self.n_bands = n_bands

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> BandsLast:
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        n, cb, t = X.shape
        if cb % self.n_bands:
            raise BadInputError(f"{cb} channels do not split into {self.n_bands} bands.")
        return X.reshape(n, self.n_bands, cb // self.n_bands, t).transpose(0, 2, 3, 1)


def references(freqs: Sequence[float], n_times: int, sfreq: float,
               n_harmonics: int) -> np.ndarray:
    """Sine/cosine references ``(n_freqs, n_times, 2 * n_harmonics)``."""
    t = np.arange(n_times) / sfreq
    arg = 2 * np.pi * np.asarray(freqs)[:, None, None] * t[None, :, None] \
        * np.arange(1, n_harmonics + 1)[None, None, :]
    return np.concatenate([np.sin(arg), np.cos(arg)], axis=2)


def _orthobasis(A: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the (centred) columns of ``A`` (..., T, k)."""
    return np.linalg.qr(A - A.mean(axis=-2, keepdims=True))[0]


def canonical_correlations(X: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Largest canonical correlation of each trial ``(n, C, T)`` with each reference set
    ``(F, T, 2H)``: ``(n, F)``."""
    qx = _orthobasis(np.swapaxes(np.asarray(X, dtype=np.float64), 1, 2))  # (n, T, C)
    qy = _orthobasis(refs)  # (F, T, 2H)
    m = np.einsum("ntc,ftk->nfck", qx, qy)
    return np.linalg.svd(m, compute_uv=False)[..., 0]


class CCA(ClassifierMixin, BaseEstimator):
    """Canonical correlation analysis with harmonics (Lin et al. 2006, IEEE TBME): a trial is
    scored against sine/cosine references at each stimulation frequency and its harmonics.

    Training-free for the frequencies; ``fit`` only learns which label each frequency is
    (the class whose training trials correlate best with it, so label order does not matter)
    and, when one class has no frequency (``rest``), a threshold on the largest correlation:
    a trial whose largest correlation is below it is rest. The threshold is the one that
    classifies the training trials best.
    """

    def __init__(self, freqs: Sequence[float] | None = None, sfreq: float | None = None,
                 n_harmonics: int = 3) -> None:
        self.freqs = freqs
        self.sfreq = sfreq
        self.n_harmonics = n_harmonics

    def _rho(self, X: np.ndarray) -> np.ndarray:
        if not self.freqs or not self.sfreq:
            raise BadInputError("CCA needs freqs=[Hz, ...] and sfreq=Hz (eegdec run fills "
                                "them from the SSVEP class names and the epochs).")
        X = np.asarray(X)
        return canonical_correlations(
            X, references(self.freqs, X.shape[-1], self.sfreq, self.n_harmonics))

    def fit(self, X: np.ndarray, y: np.ndarray) -> CCA:
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        rho = self._rho(X)
        n_f = len(self.freqs)
        if not n_f <= len(self.classes_) <= n_f + 1:
            raise BadInputError(f"CCA has {n_f} frequencies for {len(self.classes_)} classes: "
                                "give one frequency per class, plus at most one rest class.")
        mean = np.stack([rho[y == c].mean(axis=0) for c in self.classes_], axis=1)  # (F, K)
        _, cols = linear_sum_assignment(-mean)
        self.freq_class_ = cols  # frequency i -> index into classes_
        rest = sorted(set(range(len(self.classes_))) - set(cols))
        self.rest_class_ = rest[0] if rest else None
        self.threshold_ = -np.inf
        if rest:
            top, pred = rho.max(axis=1), cols[rho.argmax(axis=1)]
            is_rest = y == self.classes_[rest[0]]
            best = -1.0
            for t in np.concatenate([[-np.inf], np.sort(top)]):
                acc = np.mean(np.where(top < t, is_rest, pred == np.searchsorted(
                    self.classes_, y)))
                if acc > best:
                    best, self.threshold_ = acc, t
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Scores ``(n, n_classes)``: the correlation of each frequency's class, and the
        threshold for the rest class."""
        rho = self._rho(X)
        scores = np.full((len(rho), len(self.classes_)), -np.inf)
        scores[:, self.freq_class_] = rho
        if self.rest_class_ is not None:
            scores[:, self.rest_class_] = self.threshold_
        return scores

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        s = np.exp(20.0 * (self.decision_function(X) - 1.0))  # correlations lie in [0, 1]
        return s / s.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]


class TRCA(ClassifierMixin, BaseEstimator):
    """Ensemble task-related component analysis (Nakanishi et al. 2018, IEEE TBME).

    Per class, the spatial filter that makes training trials most reproducible; a trial is
    scored by the correlation of its filtered signal with each class template (training mean)
    through the ensemble of filters. Every class, rest included, is learnt from its trials, so
    it needs no frequency; it assumes the response is phase-locked to the cue.
    """

    def __init__(self, reg: float = 1e-6) -> None:
        self.reg = reg

    def fit(self, X: np.ndarray, y: np.ndarray) -> TRCA:
        from scipy.linalg import eigh

        X = np.asarray(X, dtype=np.float64)
        X = X - X.mean(axis=2, keepdims=True)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        filters, templates = [], []
        for c in self.classes_:
            xc = X[y == c]
            total = xc.sum(axis=0)
            S = total @ total.T - np.einsum("nct,ndt->cd", xc, xc)
            flat = np.concatenate(list(xc), axis=1)
            Q = flat @ flat.T
            Q += self.reg * np.trace(Q) / len(Q) * np.eye(len(Q))
            filters.append(eigh(S, Q)[1][:, -1])
            templates.append(xc.mean(axis=0))
        self.filters_ = np.stack(filters, axis=1)  # (C, K)
        self.templates_ = np.einsum("ck,jct->jkt", self.filters_, np.stack(templates))
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        X = X - X.mean(axis=2, keepdims=True)
        a = np.einsum("ck,nct->nkt", self.filters_, X).reshape(len(X), -1)
        b = self.templates_.reshape(len(self.classes_), -1)
        a = (a - a.mean(1, keepdims=True)) / np.linalg.norm(a - a.mean(1, keepdims=True),
                                                           axis=1, keepdims=True)
        b = (b - b.mean(1, keepdims=True)) / np.linalg.norm(b - b.mean(1, keepdims=True),
                                                           axis=1, keepdims=True)
        return a @ b.T

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        s = np.exp(20.0 * (self.decision_function(X) - 1.0))
        return s / s.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]


def fill_stimulus(estimator: Any, sfreq: float, freqs: Sequence[float]) -> Any:
    """Set every ``freqs``/``sfreq`` parameter of ``estimator`` (nested ones included) that is
    ``None`` to the run's values; return ``estimator``."""
    values = {"freqs": list(freqs), "sfreq": float(sfreq)}
    unset = {k: values[k.rsplit("__", 1)[-1]] for k, v in estimator.get_params().items()
             if k.rsplit("__", 1)[-1] in values and v is None}
    return estimator.set_params(**unset) if unset else estimator
