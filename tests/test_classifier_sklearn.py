"""EEGDecClassifier as a scikit-learn estimator: API, checks, pipelines, errors, fine-tuning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_training_core import TINY, band_power_data

from eegdec import EEGDecClassifier
from eegdec.errors import BadInputError
from eegdec.models.registry import _REGISTRY, register_model

TINY_EXTRAS = "tiny-logpower-extras"
TINY_LINEAR = "tiny-linear"


class LogPowerExtras(torch.nn.Module):
    """Tiny model exposing ``forward(x, return_features=True)`` like DBConformer."""

    def __init__(self, n_chans: int, n_outputs: int):
        super().__init__()
        self.conv = torch.nn.Conv1d(n_chans, 4, 15, padding=7)
        self.head = torch.nn.Linear(4, n_outputs)

    def forward(self, x, return_features: bool = False):
        feats = torch.log(self.conv(x).pow(2).mean(-1) + 1e-6)
        logits = self.head(feats)
        alpha = torch.softmax(self.conv.weight.abs().sum((0, 2)), 0).expand(len(x), -1)
        extras = {"features": feats, "channel_attention": alpha, "temporal_attention": [feats]}
        return (logits, extras) if return_features else logits


if TINY_EXTRAS not in _REGISTRY:
    register_model(TINY_EXTRAS, family="test", paper="test")(
        lambda n_chans, n_outputs, n_times, sfreq, **kw: LogPowerExtras(n_chans, n_outputs)
    )


if TINY_LINEAR not in _REGISTRY:  # for sklearn's checks, whose data are tabular blobs
    register_model(TINY_LINEAR, family="test", paper="test")(
        lambda n_chans, n_outputs, n_times, sfreq, **kw: torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(n_chans * n_times, n_outputs))
    )


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(**kw) -> EEGDecClassifier:
    params = {"model": TINY, "epochs": 15, "lr": 2e-2, "batch_size": 16, "random_state": 0,
              "sfreq": 128}
    return EEGDecClassifier(**(params | kw))


@parametrize_with_checks(
    [EEGDecClassifier(TINY_LINEAR, epochs=5, lr=1e-2, random_state=0)],
    expected_failed_checks=lambda est: {
        "check_class_weight_classifiers": "a net trained for a few epochs does not reach the "
        "accuracy shift this check expects",
        "check_sample_weight_equivalence_on_dense_data": "mini-batch training: a weight of 2 "
        "and a duplicated trial give different batches, so different weights",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_predict_with_string_labels_above_chance():
    X, y = band_power_data(96)
    Xte, yte = band_power_data(64, seed=1)
    names = np.array(["left_hand", "right_hand"])
    clf = tiny().fit(X, names[y])
    assert list(clf.classes_) == ["left_hand", "right_hand"]
    proba = clf.predict_proba(Xte)
    assert proba.shape == (64, 2) and np.allclose(proba.sum(1), 1)
    assert set(clf.predict(Xte)) <= set(names)
    assert clf.score(Xte, names[yte]) > 0.85
    assert [h["epoch"] for h in clf.history_] == list(range(15))
    assert {"train_loss", "train_acc"} <= set(clf.history_[0])
    assert isinstance(clf.model_, torch.nn.Module) and clf.n_features_in_ == 4


def test_same_seed_same_predictions_and_clone_is_unfitted():
    X, y = band_power_data(64)
    a, b = tiny(random_state=3).fit(X, y), tiny(random_state=3).fit(X, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    c = tiny(random_state=4).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    fresh = clone(a)
    assert fresh.get_params() == a.get_params() and not hasattr(fresh, "module_")


def test_pipeline_and_cross_val_score():
    X, y = band_power_data(96)
    pipe = make_pipeline(FunctionTransformer(lambda Z: Z * 1e-6), tiny())
    scores = cross_val_score(pipe, X * 1e6, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8


def test_mne_epochs_input_uses_their_rate_and_microvolts():
    import mne

    X, y = band_power_data(64)
    info = mne.create_info(["C3", "C4", "Cz", "Pz"], 128.0, "eeg")
    epochs = mne.EpochsArray(X * 1e-6, info, verbose=False)  # volts, as MNE stores EEG
    clf = tiny(sfreq=250).fit(epochs, y)
    assert clf.sfreq_ == 128.0 and len(clf.chs_info_) == 4
    assert (clf.predict(epochs) == y).mean() > 0.85
    assert np.allclose(clf.predict_proba(epochs), clf.predict_proba(X), atol=1e-4)


def test_fine_tune_continues_training_on_new_trials():
    X, y = band_power_data(64)
    clf = tiny(epochs=2, fine_tune_epochs=3, fine_tune_lr=1e-2).fit(X, y)
    before = {k: v.clone() for k, v in clf.model_.state_dict().items()}
    Xc, yc = band_power_data(16, seed=2)
    assert clf.fine_tune(Xc, yc) is clf
    assert len(clf.history_) == 5 and clf.module_.lr == 1e-2
    assert any(not torch.equal(before[k], v) for k, v in clf.model_.state_dict().items())
    clf.fine_tune(Xc, yc, epochs=1, lr=1e-3)
    assert len(clf.history_) == 6 and clf.module_.lr == 1e-3
    with pytest.raises(BadInputError, match="not seen in fit"):
        clf.fine_tune(Xc, np.full(16, 7))


def test_predict_with_extras():
    X, y = band_power_data(40)
    clf = EEGDecClassifier(TINY_EXTRAS, epochs=2, batch_size=16, random_state=0).fit(X, y)
    proba, extras = clf.predict_with_extras(X[:300])
    assert np.allclose(proba, clf.predict_proba(X))
    assert extras["channel_attention"].shape == (40, 4)
    assert extras["features"].shape == (40, 4) and extras["temporal_attention"][0].shape == (40, 4)
    proba, extras = tiny(epochs=1).fit(X, y).predict_with_extras(X)
    assert proba.shape == (40, 2) and extras == {}


def test_calibration_keywords_join_training_as_moabb_routes_them():
    X, y = band_power_data(64)
    Xt, yt = band_power_data(16, seed=3)
    clf = tiny(epochs=1)
    clf.fit(X, y, subjects=np.repeat([1, 2], 32), X_target_labeled=Xt, y_target_labeled=yt,
            X_target_unlabeled=Xt)  # unlabelled target trials only seed alignment
    assert clf.n_train_trials_ == 80
    assert tiny(epochs=1).fit(X, y, X_target_unlabeled=Xt).n_train_trials_ == 64
    with pytest.raises(BadInputError, match="y_target_labeled"):
        clf.fit(X, y, X_target_labeled=Xt)
    with pytest.raises(BadInputError, match="domains"):
        clf.fit(X, y, domains=[1, 2])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"alignment": "riemann"}, "alignment"),
        ({"batch_size": 0}, "batch_size"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"class_weight": "auto"}, "class_weight"),
        ({"device": "tpu"}, "device"),
        ({"epochs": 0}, "epochs"),
        ({"val_fraction": 0.0, "early_stopping_patience": 2}, "validation split"),
        ({"model": "csp-lda"}, "not a torch model"),
    ],
)
def test_bad_parameters_raise_one_line_errors(params, match):
    X, y = band_power_data(32)
    with pytest.raises(BadInputError, match=match) as info:
        tiny(**params).fit(X, y)
    assert "\n" not in str(info.value)


def test_bad_inputs():
    X, y = band_power_data(32)
    with pytest.raises(BadInputError, match="one class"):
        tiny().fit(X, np.zeros(32))
    clf = tiny(epochs=1).fit(X, y)
    with pytest.raises(BadInputError, match="time samples"):
        clf.predict(X[:, :, :100])
    with pytest.raises(BadInputError, match="3 channels but the model was fitted on 4"):
        clf.predict(X[:, :3])
    X[0, 0, 0] = np.inf
    with pytest.raises(BadInputError, match="NaN or inf"):
        clf.fine_tune(X, y)


def test_early_stopping_on_a_training_split():
    X, y = band_power_data(96)
    clf = tiny(epochs=80, val_fraction=0.25, early_stopping_patience=0).fit(X, y)
    assert len(clf.history_) < 80 and "val_acc" in clf.history_[-1]


def test_class_weight_reaches_the_loss():
    X, y = band_power_data(40)
    y[:10] = 0  # 25 vs 15 trials
    clf = tiny(epochs=1, class_weight="balanced").fit(X, np.array(["a", "b"])[y])
    assert np.allclose(clf.module_.loss_fn.weight.numpy(), [40 / (2 * 25), 40 / (2 * 15)])
    clf = tiny(epochs=1, class_weight={"a": 1.0, "b": 3.0}).fit(X, np.array(["a", "b"])[y])
    assert np.allclose(clf.module_.loss_fn.weight.numpy(), [1.0, 3.0])
    assert tiny(epochs=1).fit(X, y).module_.loss_fn.weight is None
