"""The generic MOABB path, checked against MOABB itself on MOABB's FakeDataset (no download)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eegdec.data.registry import DatasetSpec
from eegdec.preprocessing.load import load_epochs

pytest.importorskip("moabb")

FAKE = DatasetSpec(
    name="Fake", loader="moabb", moabb="FakeDataset", paradigms=("MI", "LeftRightImagery"),
    classes={"left_hand": 1, "right_hand": 2}, window=(0.0, 3.0), sfreq=128, n_channels=3,
    subjects=(1, 2), sessions=("0", "1"), montage="standard_1005",
    options={"event_list": ["left_hand", "right_hand"], "n_subjects": 2, "n_events": 20,
             "duration": 60, "seed": 3},
)


@pytest.mark.parametrize("stim", [True, False])
def test_same_epochs_as_moabb_paradigm(tmp_path, stim):
    from moabb.datasets import FakeDataset
    from moabb.paradigms import LeftRightImagery

    spec = dataclasses.replace(FAKE, options={**FAKE.options, "stim": stim,
                                              "annotations": not stim})
    X_m, y_m, meta_m = LeftRightImagery(fmin=8, fmax=32).get_data(
        FakeDataset(**spec.options), [1])
    ep = load_epochs(spec, [1], paradigm="LR", data_dir=tmp_path, cache=False)
    assert ep.X.shape == X_m.shape == (80, 3, 385)
    assert list(ep.labels) == list(y_m)
    np.testing.assert_allclose(ep.X, X_m, atol=1e-3 * np.abs(X_m).max())
    assert list(ep.metadata.session) == list(meta_m.session)
    assert ep.metadata.groupby("session").trial.max().tolist() == [39, 39]
