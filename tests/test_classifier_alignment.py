"""Euclidean alignment inside EEGDecClassifier: per-domain training, causal test alignment."""

from __future__ import annotations

import numpy as np
import pytest
from test_training_core import TINY, band_power_data

from eegdec import EEGDecClassifier
from eegdec.preprocessing.alignment import EuclideanAlignment, IncrementalEuclideanAlignment
from eegdec.training import predict_proba

pytestmark = pytest.mark.usefixtures("one_thread")


def shifted_domain(seed: int, n: int = 64):
    """Band-power data seen through a domain-specific channel mixing (another 'subject')."""
    X, y = band_power_data(n, seed=seed)
    rng = np.random.default_rng(100 + seed)
    mix = np.eye(4) + 0.6 * rng.standard_normal((4, 4))
    return np.einsum("ij,njt->nit", mix, X).astype(np.float32), y


def ea_tiny(**kw) -> EEGDecClassifier:
    params = {"epochs": 15, "lr": 2e-2, "batch_size": 16, "random_state": 0,
              "alignment": "euclidean"}
    return EEGDecClassifier(TINY, **(params | kw))


def test_one_domain_fit_aligns_test_trials_with_the_training_reference():
    X, y = band_power_data(64)
    Xte, _ = band_power_data(16, seed=1)
    clf = ea_tiny(epochs=2).fit(X, y)
    expected = predict_proba(clf.model_, EuclideanAlignment().fit(X).transform(Xte))
    assert np.allclose(clf.predict_proba(Xte), expected, atol=1e-6)


def test_new_domain_is_aligned_causally_and_predict_is_stateless():
    (Xa, ya), (Xb, yb) = shifted_domain(1), shifted_domain(2)
    Xte, _ = shifted_domain(3, n=24)
    clf = ea_tiny(epochs=2).fit(np.concatenate([Xa, Xb]), np.concatenate([ya, yb]),
                                domains=np.repeat(["a", "b"], 64))
    proba = clf.predict_proba(Xte)
    expected = predict_proba(clf.model_, IncrementalEuclideanAlignment().transform(Xte))
    assert np.allclose(proba, expected, atol=1e-6)
    assert np.array_equal(clf.predict_proba(Xte), proba)  # no state carried between calls
    changed = Xte.copy()
    changed[12:] *= 5.0  # later trials must not influence earlier predictions
    assert np.allclose(clf.predict_proba(changed)[:12], proba[:12], atol=1e-6)
    assert not np.allclose(clf.predict_proba(changed)[12:], proba[12:])


def test_fine_tune_seeds_the_target_reference():
    (Xa, ya), (Xb, yb) = shifted_domain(1), shifted_domain(2)
    Xt, yt = shifted_domain(3, n=40)
    clf = ea_tiny(epochs=2, fine_tune_epochs=1).fit(
        np.concatenate([Xa, Xb]), np.concatenate([ya, yb]), domains=np.repeat([1, 2], 64))
    clf.fine_tune(Xt[:16], yt[:16])
    seeded = IncrementalEuclideanAlignment().fit(Xt[:16])
    expected = predict_proba(clf.model_, seeded.transform(Xt[16:]))
    assert np.allclose(clf.predict_proba(Xt[16:]), expected, atol=1e-6)


def test_alignment_helps_across_domains():
    """Train on two mixed 'subjects', test on a third: EA should not be worse than none."""
    parts = [shifted_domain(s) for s in (1, 2, 4)]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    Xte, yte = shifted_domain(5, n=64)
    doms = np.repeat([1, 2, 4], 64)
    acc_ea = ea_tiny(epochs=25).fit(X, y, domains=doms).score(Xte, yte)
    acc_raw = ea_tiny(epochs=25, alignment=None).fit(X, y).score(Xte, yte)
    assert acc_ea > 0.8 and acc_ea >= acc_raw - 0.05
