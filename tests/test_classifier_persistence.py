"""Saving fitted estimators: pickle/joblib for every registered model, and save/load's format
with its checks (checksum, eegdec major version, missing files)."""

from __future__ import annotations

import io
import json
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_validate
from test_training_core import band_power_data

from eegdec import EEGDecClassifier
from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError
from eegdec.models.registry import list_models
from eegdec.preprocessing.alignment import EuclideanAlignment, IncrementalEuclideanAlignment
from eegdec.training.estimators import make_estimator

# Only the models eegdec ships; other test modules register tiny plug-ins of their own.
MODELS = [m for m in list_models() if m.builder.__module__.startswith("eegdec.")]
# 12 trials, 3 channels, 1 s at 100 Hz: long enough for every model's minimum input.
X_TINY = np.random.default_rng(0).standard_normal((12, 3, 100)).astype(np.float32)
Y_TINY = np.arange(12) % 2


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _pickle(est):
    return pickle.loads(pickle.dumps(est))


def _joblib(est):
    buf = io.BytesIO()
    joblib.dump(est, buf)
    buf.seek(0)
    return joblib.load(buf)


@pytest.mark.parametrize("info", MODELS, ids=[m.name for m in MODELS])
def test_pickle_and_joblib_round_trip_every_model(info):
    if info.kind == "sklearn":
        est = make_estimator(info.name, sfreq=100.0).fit(X_TINY, Y_TINY)
    else:
        est = EEGDecClassifier(info.name, epochs=1, batch_size=12, sfreq=100.0, random_state=0,
                               alignment="euclidean").fit(X_TINY, Y_TINY)
    proba = est.predict_proba(X_TINY)
    rng_before = torch.random.get_rng_state()
    copies = [_pickle(est), _joblib(est)]
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # unpickling seeds nothing
    for restored in copies:
        assert np.array_equal(restored.predict_proba(X_TINY), proba)
        if info.kind == "torch":
            state, state2 = est.model_.state_dict(), restored.model_.state_dict()
            assert state.keys() == state2.keys()
            assert all(torch.equal(state[k], state2[k]) for k in state)
            assert np.array_equal(restored.test_aligner_.inv_sqrt_ref_,
                                  est.test_aligner_.inv_sqrt_ref_)


def test_unpickled_classifier_fine_tunes_and_predicts_like_the_original():
    X, y = band_power_data(32)
    Xc, yc = band_power_data(16, seed=2)
    clf = EEGDecClassifier("eegnet", epochs=1, batch_size=16, sfreq=128.0, random_state=0,
                           alignment="euclidean", class_weight="balanced")
    clf.fit(X, y, domains=np.repeat([1, 2], 16), X_target_unlabeled=Xc[:4])
    restored = _joblib(clf)
    assert isinstance(restored.test_aligner_, IncrementalEuclideanAlignment)
    assert restored.test_aligner_.n_seen_ == 4
    assert torch.equal(restored.module_.loss_fn.weight, clf.module_.loss_fn.weight)
    for est in (clf, restored):
        est.fine_tune(Xc, yc, epochs=1, lr=1e-2)
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.history_ == clf.history_ and len(restored.module_.history) == 2
    proba, _ = restored.predict_with_extras(X)
    assert np.array_equal(proba, clf.predict_proba(X))


def test_cross_validate_returns_fitted_estimators_from_worker_processes():
    X, y = band_power_data(24)
    clf = EEGDecClassifier("eegnet", epochs=1, batch_size=12, sfreq=128.0, random_state=0)
    out = cross_validate(clf, X, y, cv=2, return_estimator=True, n_jobs=2)
    serial = cross_validate(clf, X, y, cv=2, return_estimator=True, n_jobs=1)
    assert len(out["estimator"]) == 2
    for est, ref in zip(out["estimator"], serial["estimator"]):  # the same fold fits
        assert np.allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-5)


# -- save / load -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted() -> EEGDecClassifier:
    """EEGNet (max-norm parametrized) fitted on mne.Epochs with string labels and alignment."""
    import mne

    X, y = band_power_data(32)
    info = mne.create_info(["C3", "C4", "Cz", "Pz"], 128.0, "eeg")
    epochs = mne.EpochsArray(X * 1e-6, info, verbose=False)
    clf = EEGDecClassifier("eegnet", epochs=2, batch_size=16, random_state=0,
                           alignment="euclidean", class_weight={"left": 1.0, "right": 2.0},
                           model_kwargs={"drop_prob": 0.3})
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return clf.fit(epochs, np.array(["left", "right"])[y])
    finally:
        torch.set_num_threads(before)


def test_save_load_round_trip(fitted, tmp_path):
    X, _ = band_power_data(16, seed=1)
    assert fitted.save(tmp_path / "model") == tmp_path / "model"
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["model.json", "weights.pt"]
    meta = json.loads((tmp_path / "model" / "model.json").read_text())
    assert meta["eegdec_version"] and len(meta["weights_sha256"]) == 64
    assert isinstance(torch.load(tmp_path / "model" / "weights.pt", weights_only=True), dict)
    loaded = EEGDecClassifier.load(tmp_path / "model")
    assert np.array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert loaded.get_params() == fitted.get_params()
    assert list(loaded.classes_) == ["left", "right"] and loaded.history_ == fitted.history_
    assert (loaded.sfreq_, loaded.n_times_, loaded.seed_) == (128.0, 128, 0)
    assert loaded.chs_info_[1]["ch_name"] == "C4"
    assert np.array_equal(loaded.chs_info_[1]["loc"], fitted.chs_info_[1]["loc"], equal_nan=True)
    assert isinstance(loaded.test_aligner_, EuclideanAlignment)
    assert np.array_equal(loaded.test_aligner_.inv_sqrt_ref_, fitted.test_aligner_.inv_sqrt_ref_)
    assert torch.equal(loaded.module_.loss_fn.weight, fitted.module_.loss_fn.weight)
    loaded.fine_tune(X, np.array(["left", "right"])[np.arange(16) % 2], epochs=1)


def test_load_refuses_tampered_weights(fitted, tmp_path):
    weights = fitted.save(tmp_path / "m") / "weights.pt"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="checksum") as err:
        EEGDecClassifier.load(tmp_path / "m")
    assert str(weights) in str(err.value) and "\n" not in str(err.value)


def test_load_refuses_another_major_version(fitted, tmp_path):
    meta_path = fitted.save(tmp_path / "m") / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["eegdec_version"] = "99.0.0"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(BadInputError, match=r"eegdec 99\.0\.0.*eegdec 99\.x") as err:
        EEGDecClassifier.load(tmp_path / "m")
    assert str(meta_path) in str(err.value)


def test_load_names_missing_files(fitted, tmp_path):
    with pytest.raises(DataNotFoundError, match="No saved model at .*nowhere"):
        EEGDecClassifier.load(tmp_path / "nowhere")
    (fitted.save(tmp_path / "m") / "weights.pt").unlink()
    with pytest.raises(DataNotFoundError, match=r"weights\.pt is missing"):
        EEGDecClassifier.load(tmp_path / "m")
    (tmp_path / "m" / "weights.pt").write_bytes(b"")
    (tmp_path / "m" / "model.json").write_text("{not json")
    with pytest.raises(CorruptFileError, match=r"Cannot read .*model\.json"):
        EEGDecClassifier.load(tmp_path / "m")


def test_save_refuses_unfitted_and_non_json_parameters(tmp_path):
    with pytest.raises(NotFittedError):
        EEGDecClassifier("eegnet").save(tmp_path / "m")
    X, y = band_power_data(16)
    clf = EEGDecClassifier("eegnet", epochs=1, sfreq=128.0,
                           random_state=np.random.RandomState(0)).fit(X, y)
    with pytest.raises(BadInputError, match="random_state.*RandomState.*pickle"):
        clf.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_json_codec_keeps_types_json_lacks():
    from pathlib import Path

    from eegdec.training.persistence import from_json, to_json

    value = {"a": (1, 2.5), "b": {0: np.array([1.0, np.nan], np.float32), 1: np.zeros((0, 3))},
             "c": [np.int64(3), np.bool_(True), float("-inf")], "d": Path("x") / "y"}
    back = from_json(json.loads(json.dumps(to_json(value, "value"), allow_nan=False)))
    assert back["a"] == (1, 2.5) and back["c"] == [3, True, float("-inf")] and back["d"] == "x/y"
    assert back["b"][0].dtype == np.float32 and np.array_equal(back["b"][0], value["b"][0],
                                                               equal_nan=True)
    assert back["b"][1].shape == (0, 3)
    with pytest.raises(BadInputError, match=r"value\['e'\] is a object"):
        to_json({"e": object()}, "value")
