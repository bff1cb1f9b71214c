"""EEGDecClassifier inside MOABB evaluations: simulated data and PhysionetMI subject 1."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import SHARED_DATA, requires_shared
from test_training_core import TINY

from eegdec import EEGDecClassifier

pytest.importorskip("moabb")
from moabb.datasets.base import BaseDataset  # noqa: E402
from moabb.paradigms import LeftRightImagery, MotorImagery  # noqa: E402

FIT_CALLS: list[dict] = []


class RecordingClassifier(EEGDecClassifier):
    """Records the keywords MOABB passes to ``fit``."""

    def fit(self, X, y, **kwargs):
        FIT_CALLS.append({k: None if v is None else np.shape(v) for k, v in kwargs.items()})
        return super().fit(X, y, **kwargs)


class SimMoabb(BaseDataset):
    """eegdec's simulated left/right imagery served as a MOABB dataset (one short session)."""

    def __init__(self, subjects=(1, 2, 3)):
        from eegdec.data.registry import get_dataset_spec

        spec = get_dataset_spec("SimMI-2class")
        self.spec = dataclasses.replace(spec, options={**spec.options, "trials_per_class": 20})
        super().__init__(subjects=list(subjects), sessions_per_subject=1,
                         events=dict(self.spec.classes), code="SimMoabb",
                         interval=list(self.spec.window), paradigm="imagery")

    def _get_single_subject_data(self, subject):
        from eegdec.data.simulated import simulate_raw

        return {"0": {"0": simulate_raw(self.spec, subject, "0")}}

    def data_path(self, subject, path=None, force_update=False, update_path=None, verbose=None):
        return []


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(cls=EEGDecClassifier, **kw):
    params = {"epochs": 20, "lr": 2e-2, "batch_size": 16, "sfreq": 100, "random_state": 0}
    return cls(TINY, **(params | kw))


def test_within_session_evaluation_on_simulated_data(tmp_path):
    from moabb.evaluations import WithinSessionEvaluation

    paradigm = LeftRightImagery(fmin=8, fmax=32, resample=100)
    ev = WithinSessionEvaluation(paradigm=paradigm, datasets=[SimMoabb(subjects=[1])],
                                 overwrite=True, hdf5_path=str(tmp_path), n_splits=3)
    res = ev.process({"eegdec": tiny()})
    assert len(res) == 1 and res["score"].iloc[0] > 0.7  # chance: 0.5 (ROC AUC)


def test_cross_subject_with_labelled_target_calibration(tmp_path):
    from moabb.evaluations import CrossSubjectEvaluation

    FIT_CALLS.clear()
    paradigm = LeftRightImagery(fmin=8, fmax=32, resample=100)
    ev = CrossSubjectEvaluation(paradigm=paradigm, datasets=[SimMoabb(subjects=[1, 2])],
                                overwrite=True, hdf5_path=str(tmp_path),
                                cs_mode="train_and_target_labeled_20p")
    res = ev.process({"eegdec-ea": tiny(RecordingClassifier, alignment="euclidean")})
    assert len(res) == 2 and (res["score"] > 0.6).all()
    assert len(FIT_CALLS) == 2
    for call in FIT_CALLS:
        assert call["subjects"] == (40,)
        assert call["X_target_labeled"][0] == call["y_target_labeled"][0] == 8  # 20% of 40


@requires_shared
def test_physionet_subject1_fists_vs_feet_in_moabb(tmp_path, monkeypatch):
    from moabb.datasets import PhysionetMI
    from moabb.evaluations import WithinSessionEvaluation

    monkeypatch.setenv("MNE_DATA", str(SHARED_DATA))
    monkeypatch.setenv("MNE_DATASETS_EEGBCI_PATH", str(SHARED_DATA))
    paradigm = MotorImagery(events=["hands", "feet"], n_classes=2, fmin=8, fmax=32, resample=80)
    dataset = PhysionetMI(imagined=True)
    dataset.subject_list = [1]  # the only subject with every imagery run on disk
    ev = WithinSessionEvaluation(paradigm=paradigm, datasets=[dataset], overwrite=True,
                                 hdf5_path=str(tmp_path), n_splits=3)
    res = ev.process({"eegdec": tiny(sfreq=80, lr=1e-3, epochs=40)})
    assert len(res) == 1 and res["score"].iloc[0] > 0.7  # ROC AUC, chance 0.5
