"""Windowing, labels, preprocessing and recording-wise CV splits of the seizure paradigm."""

from __future__ import annotations

import numpy as np
import pytest

from eegdec.data.registry import get_dataset_spec
from eegdec.data.seizure.preprocess import is_channelwise, process_raw
from eegdec.data.seizure.splits import leave_patients_out, recording_groups, seizure_cv
from eegdec.data.seizure.windows import (
    Recording,
    WindowConfig,
    cut_windows,
    intervals_from_labels,
    merge_intervals,
    windows_to_epochs,
)
from eegdec.errors import BadInputError
from eegdec.preprocessing.pipeline import Pipeline


def _recording(seconds: float = 30.0, sfreq: float = 10.0, **kw) -> Recording:
    n = int(seconds * sfreq)
    data = np.tile(np.arange(n, dtype=float), (2, 1))  # sample index as the signal
    return Recording(data, sfreq, subject=kw.pop("subject", 1), run=kw.pop("run", "r1"), **kw)


def test_windows_shapes_onsets_and_overlap_labels():
    rec = _recording(intervals=[(9.0, 15.0)])
    X, y, onsets, frac = cut_windows(rec, WindowConfig(length=4.0, overlap=0.5))
    assert X.shape == (14, 2, 40)
    np.testing.assert_allclose(onsets, np.arange(0, 27, 2.0))
    assert X[3, 0, 0] == 60 and X[3, 1, -1] == 99  # window 3 starts at 6 s = sample 60
    # [8,12) overlaps 3 s, [10,14) 4 s, [12,16) 3 s, [6,10) and [14,18) 1 s
    np.testing.assert_allclose(frac[3:9], [0.25, 0.75, 1.0, 0.75, 0.25, 0.0])
    np.testing.assert_array_equal(np.flatnonzero(y), [4, 5, 6])
    strict = cut_windows(rec, WindowConfig(4.0, 0.5, min_seizure_fraction=1.0))[1]
    np.testing.assert_array_equal(np.flatnonzero(strict), [5])


def test_intervals_from_labels_and_merge():
    assert intervals_from_labels([0, 1, 1, 0, np.nan, 1]) == [(1.0, 3.0), (5.0, 6.0)]
    assert intervals_from_labels([1, 1, 0, 0], sfreq=2.0) == [(0.0, 1.0)]
    assert merge_intervals([(5, 6), (1, 3), (2, 4)]) == [(1.0, 4.0), (5.0, 6.0)]
    with pytest.raises(BadInputError, match="ends before"):
        merge_intervals([(3, 1)])


def test_windows_to_epochs_metadata_and_errors():
    recs = [_recording(run="a", intervals=[(0, 8)]), _recording(run="b", subject=2, label=0)]
    ep = windows_to_epochs(recs, WindowConfig(), ch_names=["A", "B"], dataset="toy")
    assert ep.classes == ["non_seizure", "seizure"]
    assert ep.X.shape == (14, 2, 40) and ep.sfreq == 10.0
    assert ep.X[1, 0, 0] == 40 * 1e6  # volts in, microvolts out (as MOABB)
    assert list(ep.y[:7]) == [1, 1, 0, 0, 0, 0, 0] and not ep.y[7:].any()
    assert set(ep.metadata["recording"]) == {"1/a", "2/b"}
    assert list(ep.metadata["trial"][:8]) == [0, 1, 2, 3, 4, 5, 6, 0]
    assert ep.info["window_length"] == 4.0
    with pytest.raises(BadInputError, match="shorter window"):
        windows_to_epochs([_recording(seconds=2)], WindowConfig(), ch_names=["A", "B"],
                          dataset="toy")
    with pytest.raises(BadInputError, match="resample"):
        windows_to_epochs([_recording(), _recording(sfreq=20.0)], WindowConfig(),
                          ch_names=["A", "B"], dataset="toy")
    for bad in ({"length": 0}, {"overlap": 1.0}, {"min_seizure_fraction": 0}):
        with pytest.raises(BadInputError):
            WindowConfig(**bad)


def test_default_pipeline_removes_line_noise_and_resamples():
    import mne

    sfreq = 200.0
    t = np.arange(int(20 * sfreq)) / sfreq
    x = np.sin(2 * np.pi * 10 * t) + np.sin(2 * np.pi * 50 * t) + 5.0  # alpha + mains + DC
    pipe = Pipeline.for_dataset(get_dataset_spec("Bonn"))
    assert is_channelwise(pipe)
    raw = mne.io.RawArray(x[None] * 1e-6, mne.create_info(["A"], sfreq, "eeg"), verbose="error")
    y, new_sfreq, names = process_raw(raw, pipe)
    assert new_sfreq == 100.0 and y.shape == (1, 2000) and names == ["A"]
    y = y[0, 200:-200] * 1e6
    spec = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(y.size, 1 / 100.0)
    assert spec[np.argmin(abs(freqs - 50))] < 0.05 * spec[np.argmin(abs(freqs - 10))]
    assert abs(y.mean()) < 0.05  # DC removed by the 0.5 Hz high-pass
    bonn = get_dataset_spec("Bonn")
    assert Pipeline.for_dataset(bonn, [{"bandpass": {"l_freq": 1, "h_freq": 30}}]).steps[0].h_freq \
        == 30
    assert not is_channelwise(Pipeline.for_dataset(bonn, [{"rereference": {"ref": "average"}}]))


def test_cv_keeps_recordings_whole_and_blocks():
    recs = [_recording(run=f"r{i}", label=i % 2, subject=1 + i // 5) for i in range(10)]
    ep = windows_to_epochs(recs, WindowConfig(), ch_names=["A", "B"], dataset="toy")
    groups = recording_groups(ep)
    folds = seizure_cv(ep, n_splits=5, seed=1)
    assert len(folds) == 5
    tested = np.concatenate([te for _, te in folds])
    assert sorted(tested) == list(range(ep.n_trials))
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert set(ep.y[test]) == {0, 1}
    lpo = leave_patients_out(ep)
    assert len(lpo) == 2
    assert all(len(set(ep.metadata["subject"].iloc[te])) == 1 for _, te in lpo)
    one = windows_to_epochs([_recording(seconds=100, intervals=[(40, 60)])], WindowConfig(),
                            ch_names=["A", "B"], dataset="toy")
    with pytest.raises(BadInputError, match="block_s"):
        seizure_cv(one, n_splits=3)
    blocks = recording_groups(one, block_s=20)
    assert len(set(blocks)) == 5 and blocks[0] == "1/r1#0"
    assert len(seizure_cv(one, n_splits=2, block_s=20)) == 2
    with pytest.raises(BadInputError, match="patients"):
        leave_patients_out(one)


def test_runner_within_cv_groups_windows_by_recording():
    from eegdec.evaluation.splits import within_cv

    recs = [_recording(run=f"r{i}", label=int(i < 4)) for i in range(20)]
    ep = windows_to_epochs(recs, WindowConfig(), ch_names=["A", "B"], dataset="toy")
    groups = recording_groups(ep)
    for split in within_cv(ep.metadata, ep.y, n_folds=4, seed=3):
        assert not set(groups[split.train]) & set(groups[split.test])
        assert ep.y[split.test].sum() == 7  # one seizure recording (7 windows) per fold


def test_seizure_runs_weight_classes_by_default_and_refuse_unknown_weights():
    from eegdec.errors import BadInputError
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.decoders import builder, model_specs

    cfg = RunConfig(dataset="Bonn", paradigm="seizure", models=["eegnet"]).resolved()
    assert cfg.class_weight == "balanced"
    assert RunConfig(models=["eegnet"]).resolved().class_weight == "none"
    spec = model_specs(cfg)[0]
    est = builder(spec, cfg, sfreq=100.0, n_classes=2)(1)
    assert est.get_params()["class_weight"] == "balanced"
    with pytest.raises(BadInputError, match="--class-weight"):
        RunConfig(class_weight="inverse").resolved()
