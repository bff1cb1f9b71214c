"""Euclidean alignment: per domain, and the causal incremental variant."""

from __future__ import annotations

import numpy as np
import pytest

from eegdec.errors import BadInputError
from eegdec.preprocessing.alignment import EuclideanAlignment, IncrementalEuclideanAlignment


def _trials(seed: int, n: int = 40, c: int = 6, t: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = 0.5 * rng.standard_normal((c, c)) + 2 * np.eye(c)
    return np.einsum("ij,njt->nit", mix, rng.standard_normal((n, c, t)))


def _mean_cov(X: np.ndarray) -> np.ndarray:
    return np.mean([x @ x.T / x.shape[1] for x in X], axis=0)


def test_single_domain_whitens_mean_covariance():
    X = _trials(0)
    Z = EuclideanAlignment().fit_transform(X)
    np.testing.assert_allclose(_mean_cov(Z), np.eye(6), atol=1e-4)
    assert Z.shape == X.shape


def test_per_domain_references():
    X = np.concatenate([_trials(1), _trials(2) * 5])
    d = np.repeat(["s1", "s2"], 40)
    ea = EuclideanAlignment().fit(X, domains=d)
    Z = ea.transform(X, domains=d)
    for key in ("s1", "s2"):
        np.testing.assert_allclose(_mean_cov(Z[d == key]), np.eye(6), atol=1e-4)
    with pytest.raises(BadInputError, match="Domain 's3' was not seen"):
        ea.transform(X[:2], domains=["s3", "s3"])
    with pytest.raises(BadInputError, match="one per trial"):
        ea.fit(X, domains=d[:3])


def test_fit_on_train_only_applies_same_matrix_to_test():
    X = _trials(3)
    ea = EuclideanAlignment().fit(X[:30])
    np.testing.assert_allclose(ea.transform(X[30:])[0], ea.inv_sqrt_ref_ @ X[30])


def test_incremental_is_causal_and_matches_prefix_reference():
    X = _trials(4)
    inc = IncrementalEuclideanAlignment()
    Z = inc.transform(X)
    for i in (0, 5, 39):
        ref = EuclideanAlignment(reg=inc.reg).fit(X[: i + 1])
        np.testing.assert_allclose(Z[i], ref.inv_sqrt_ref_ @ X[i], rtol=1e-6, atol=1e-8)
    # Changing future trials never changes past outputs.
    Y = X.copy()
    Y[20:] *= 10
    np.testing.assert_allclose(IncrementalEuclideanAlignment().transform(Y)[:20], Z[:20])


def test_incremental_seeded_with_calibration_and_one_at_a_time():
    X = _trials(5)
    inc = IncrementalEuclideanAlignment().fit(X[:10])
    z = inc.transform_one(X[10])
    ref = EuclideanAlignment(reg=inc.reg).fit(X[:11])
    np.testing.assert_allclose(z, ref.inv_sqrt_ref_ @ X[10], rtol=1e-6)
    assert inc.n_seen_ == 11


def test_bad_shapes():
    with pytest.raises(BadInputError, match="n_trials, n_chans, n_times"):
        EuclideanAlignment().fit(np.zeros((3, 4)))
    with pytest.raises(BadInputError, match="NaN"):
        EuclideanAlignment().fit(np.full((2, 3, 10), np.nan))
