"""Classical decoders on ``(n_trials, n_chans, n_times)`` arrays, as MOABB's own pipelines.

CSP+LDA, tangent space + logistic regression and MDM are pyRiemann/scikit-learn pipelines;
:class:`FilterBankCSP` adds the one piece neither library has for raw arrays: a filter bank
(MNE IIR band-pass) with one CSP per band, for FBCSP+SVM.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pyriemann.estimation import Covariances
from pyriemann.spatialfilters import CSP
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

from eegdec.errors import BadInputError

#: FBCSP bands (Hz): 4-40 Hz in 4 Hz steps, as in Ang et al. 2008 and MOABB's filter bank.
DEFAULT_BANDS: tuple[tuple[float, float], ...] = tuple((f, f + 4.0) for f in range(4, 40, 4))


class FilterBankCSP(TransformerMixin, BaseEstimator):
    """Log-variance CSP features from each band of a filter bank, concatenated.

    Accepts ``(n, C, T)`` arrays (filtered here with a 4th-order Butterworth band-pass via MNE,
    so ``sfreq`` is required) or ``(n, C, T, n_bands)`` arrays already filtered per band (what
    MOABB's ``FilterBankMotorImagery`` paradigms return; ``sfreq`` and ``bands`` are unused).
    """

    def __init__(self, sfreq: float | None = None,
                 bands: Sequence[Sequence[float]] = DEFAULT_BANDS, nfilter: int = 4,
                 estimator: str = "oas") -> None:
        self.sfreq = sfreq
        self.bands = bands
        self.nfilter = nfilter
        self.estimator = estimator

    def _split(self, X: np.ndarray) -> list[np.ndarray]:
        X = np.asarray(X)
        if X.ndim == 4:
            return [X[..., i] for i in range(X.shape[-1])]
        if X.ndim != 3:
            raise BadInputError(
                f"FilterBankCSP expects (n_trials, n_chans, n_times) or a filter-bank 4-D array, "
                f"got shape {X.shape}."
            )
        if self.sfreq is None:
            raise BadInputError("FilterBankCSP needs sfreq for 3-D input; pass sfreq=<Hz>.")
        nyq = self.sfreq / 2.0
        bad = [b for b in self.bands if not 0 < b[0] < b[1] < nyq]
        if bad:
            raise BadInputError(
                f"FilterBankCSP bands {bad} do not fit below Nyquist ({nyq:g} Hz); "
                "drop them or resample to a higher rate."
            )
        from mne.filter import filter_data

        X = X.astype(np.float64)
        return [filter_data(X, self.sfreq, lo, hi, method="iir", verbose=False)
                for lo, hi in self.bands]

    def fit(self, X: np.ndarray, y: np.ndarray) -> FilterBankCSP:
        band_pipe = make_pipeline(Covariances(estimator=self.estimator),
                                  CSP(nfilter=self.nfilter, log=True))
        self.csps_ = [clone(band_pipe).fit(xb, y) for xb in self._split(X)]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.concatenate([p.transform(xb) for p, xb in zip(self.csps_, self._split(X))],
                              axis=1)


def csp_lda(**_: object) -> Pipeline:
    """CSP (6 filters, OAS covariances) + LDA: MOABB's CSP+LDA."""
    return make_pipeline(Covariances(estimator="oas"), CSP(nfilter=6),
                         LinearDiscriminantAnalysis(solver="svd"))


def ts_lr(**_: object) -> Pipeline:
    """Riemannian tangent space + L2 logistic regression: MOABB's TS+LR."""
    from pyriemann.tangentspace import TangentSpace

    return make_pipeline(Covariances(estimator="oas"), TangentSpace(metric="riemann"),
                         LogisticRegression(C=1.0, max_iter=1000))


def mdm(**_: object) -> Pipeline:
    """Minimum distance to Riemannian mean: MOABB's MDM."""
    from pyriemann.classification import MDM

    return make_pipeline(Covariances(estimator="oas"), MDM(metric="riemann"))


def fbcsp_svm(sfreq: float, bands: Sequence[Sequence[float]] = DEFAULT_BANDS, nfilter: int = 4,
              k_best: int = 10, **_: object) -> Pipeline:
    """Filter-bank CSP (9 bands x 4 filters) + 10 best features (ANOVA F) + linear SVM."""
    nyq = sfreq / 2.0
    bands = [b for b in bands if b[1] < nyq]  # keep the bands the sampling rate can carry
    if not bands:
        raise BadInputError(f"fbcsp-svm has no filter band below Nyquist ({nyq:g} Hz); "
                            "pass bands=[(lo, hi), ...] or resample to a higher rate.")
    return make_pipeline(FilterBankCSP(sfreq=sfreq, bands=bands, nfilter=nfilter),
                         SelectKBest(k=min(k_best, nfilter * len(bands))),
                         SVC(kernel="linear", probability=True))
