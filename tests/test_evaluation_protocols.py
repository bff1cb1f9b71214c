"""Protocols on synthetic epochs: right data in fit/predict, causal alignment, online curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols import get_protocol
from eegdec.evaluation.protocols.base import run_split
from eegdec.evaluation.protocols.loso import run_loso
from eegdec.evaluation.protocols.online import run_online
from eegdec.preprocessing.alignment import align_new_domain, check_alignment


def within_splits(protocol: str, meta, y, n_folds: int = 5):
    data = EpochsData(np.zeros((len(y), 1, 1)), np.asarray(y), ["a", "b"], meta, ["E"], 1.0)
    return get_protocol(protocol).splits(data, RunConfig(n_folds=n_folds))

C, T, SFREQ = 6, 96, 96.0


def make_epochs(subject: int, n: int = 40, sessions=("0",), seed: int = 0) -> EpochsData:
    """Two classes that differ in the power of channels 0 and 1, mixed by a per-subject
    matrix (so Euclidean alignment matters across subjects)."""
    rng = np.random.default_rng(seed + 100 * subject)
    mix = np.eye(C) + 0.4 * rng.standard_normal((C, C))
    X, y, meta = [], [], []
    for s in sessions:
        labels = rng.permutation(np.arange(n) % 2)
        for t, lab in enumerate(labels):
            src = rng.standard_normal((C, T))
            src[lab] *= 2.5
            X.append(mix @ src)
            y.append(lab)
            meta.append({"subject": subject, "session": s, "run": 0, "trial": t,
                         "onset": 4.0 * t})
    return EpochsData(np.stack(X), np.array(y), ["left_hand", "right_hand"],
                      pd.DataFrame(meta), [f"E{i}" for i in range(C)], SFREQ, None, "Synth")


class Calls(list):
    """Call log shared by an estimator and its deep copies (online fine-tuning copies)."""

    def __deepcopy__(self, memo):
        return self


class LogVarLDA(BaseEstimator, ClassifierMixin):
    """LDA on log-variance; records what it was fitted on and asked to predict."""

    def __init__(self, calls: list | None = None) -> None:
        self.calls = calls

    def _feat(self, X):
        return np.log(np.var(X, axis=2))

    def fit(self, X, y):
        self.calls is not None and self.calls.append(("fit", X.copy()))
        self.lda_ = LinearDiscriminantAnalysis().fit(self._feat(X), y)
        self.classes_ = self.lda_.classes_
        return self

    def fine_tune(self, X, y, epochs=None, lr=None):
        self.calls is not None and self.calls.append(("fine_tune", X.copy()))
        return self

    def predict_proba(self, X):
        self.calls is not None and self.calls.append(("predict", X.copy()))
        return self.lda_.predict_proba(self._feat(X))


def _build(calls=None):
    return lambda seed: LogVarLDA(calls)


@pytest.fixture(scope="module")
def subjects():
    return [make_epochs(s, sessions=("0", "1")) for s in (1, 2, 3)]


@pytest.mark.parametrize("protocol", ["within-co", "within-cv", "cross-session",
                                      "leave-one-session-out"])
def test_within_protocols_fit_on_train_only_and_decode(subjects, protocol):
    data = subjects[0]
    splits = within_splits(protocol, data.metadata, data.y, n_folds=4)
    accs = []
    for split in splits:
        calls = Calls()
        res = run_split(_build(calls), 1, data, split, "euclidean")
        (_, X_fit), = [c for c in calls if c[0] == "fit"]
        assert len(X_fit) == res.n_train == len(split.train)
        np.testing.assert_array_equal(res.y_true, data.y[split.test])
        np.testing.assert_array_equal(res.trial_index, data.metadata["trial"].iloc[split.test])
        accs.append(np.mean(res.y_pred == res.y_true))
    assert np.mean(accs) > 0.8


def test_within_causal_alignment_ignores_test_trials_transductive_does_not(subjects):
    data = subjects[0]
    split = within_splits("within-co", data.metadata, data.y)[0]
    changed = data.subset(np.arange(data.n_trials))
    changed.X[split.test[-1]] *= 50  # a wild last test trial
    for mode, same in (("euclidean", True), ("euclidean-transductive", False)):
        a = run_split(_build(), 1, data, split, mode)
        b = run_split(_build(), 1, changed, split, mode)
        assert np.allclose(a.X_test[:-1], b.X_test[:-1]) is same
        if same:
            np.testing.assert_allclose(a.proba[:-1], b.proba[:-1])


def test_incremental_alignment_of_trial_i_ignores_later_trials(subjects):
    X = subjects[1].X[:20]
    Y = X.copy()
    Y[12:] = np.random.default_rng(0).standard_normal(Y[12:].shape) * 9
    a, b = align_new_domain(X, "euclidean"), align_new_domain(Y, "euclidean")
    np.testing.assert_allclose(a[:12], b[:12], rtol=1e-5, atol=1e-6)
    assert not np.allclose(a[12:], b[12:])
    # trial 0 is whitened by its own covariance; the transductive mode mixes in the future
    t1 = align_new_domain(X, "euclidean-transductive")
    t2 = align_new_domain(Y, "euclidean-transductive")
    assert not np.allclose(t1[:12], t2[:12])


def test_loso_trains_on_other_subjects_and_streams_target(subjects):
    source = EpochsData.concat(subjects[1:])
    target = subjects[0]
    calls = Calls()
    results = run_loso(_build(calls), 1, source, target, "euclidean")
    assert [r.session for r in results] == ["0", "1"]
    fits = [c[1] for c in calls if c[0] == "fit"]
    assert len(fits) == 1 and len(fits[0]) == source.n_trials  # trained once, on sources
    for r in results:
        assert r.n_train == source.n_trials and len(r.y_true) == 40
        np.testing.assert_array_equal(r.trial_index, np.arange(40))  # recording order
    assert np.mean([np.mean(r.y_pred == r.y_true) for r in results]) > 0.75
    only = run_loso(_build(), 1, source, target, "euclidean", sessions=["1"])
    assert [r.session for r in only] == ["1"]


def test_loso_alignment_helps_across_subjects(subjects):
    source, target = EpochsData.concat(subjects[1:]), subjects[0]
    acc = {m: np.mean([np.mean(r.y_pred == r.y_true)
                       for r in run_loso(_build(), 1, source, target, m)])
           for m in ("none", "euclidean")}
    assert acc["euclidean"] > acc["none"]


@pytest.mark.parametrize("kind", ["torch", "sklearn"])
def test_online_pretrains_once_and_scores_fixed_test_set(subjects, kind):
    source = EpochsData.concat(subjects[1:])
    target = subjects[0]
    calls = Calls()
    results = run_online(_build(calls), 1, source, target, "euclidean", [0, 8, 16],
                           kind=kind, fine_tune_epochs=2)
    assert [r.n_calib for r in results] == [0, 8, 16]
    for r in results:
        assert r.session == "1"  # the target's last session
        np.testing.assert_array_equal(r.trial_index, np.arange(16, 40))  # N_max .. end
        assert r.n_train == source.n_trials + r.n_calib
        assert r.info["calib_class_counts"] and sum(r.info["calib_class_counts"]) == r.n_calib
    fits = [len(c[1]) for c in calls if c[0] == "fit"]
    tunes = [len(c[1]) for c in calls if c[0] == "fine_tune"]
    if kind == "torch":
        assert fits == [source.n_trials] and tunes == [8, 16]
    else:  # classical: refit on source + calibration
        assert fits == [source.n_trials, source.n_trials + 8, source.n_trials + 16] and not tunes
    predicts = [c[1] for c in calls if c[0] == "predict"]
    assert all(len(x) == 1 for x in predicts)  # streaming, one trial at a time
    assert len(predicts) == 3 * 24


def test_online_is_causal_over_the_test_stream(subjects):
    source = EpochsData.concat(subjects[1:])
    target = subjects[0]
    changed = target.subset(np.arange(target.n_trials))
    changed.X[-1] *= 30  # the last trial of the evaluation session
    a = run_online(_build(), 1, source, target, "euclidean", [0, 8], kind="sklearn")
    b = run_online(_build(), 1, source, changed, "euclidean", [0, 8], kind="sklearn")
    for ra, rb in zip(a, b):
        np.testing.assert_allclose(ra.proba[:-1], rb.proba[:-1])
        np.testing.assert_allclose(ra.X_test[:-1], rb.X_test[:-1])


def test_online_needs_test_trials(subjects):
    with pytest.raises(BadInputError, match="--calib-sizes"):
        run_online(_build(), 1, subjects[1], subjects[0].subset(np.arange(50, 60)),
                     "none", [0, 10], kind="sklearn")
    with pytest.raises(BadInputError, match="euclidean"):
        check_alignment("riemann")
