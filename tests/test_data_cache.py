"""Epoch cache: keyed by dataset/subject/events/pipeline/versions; corrupt files rebuilt."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from eegdec.data.registry import get_dataset_spec
from eegdec.preprocessing.load import iter_subject_epochs, load_epochs


@pytest.fixture(scope="module")
def spec():
    s = get_dataset_spec("SimMI-2class")
    return dataclasses.replace(s, sessions=("0",), options={**s.options, "trials_per_class": 10})


def _files(root):
    return sorted(root.rglob("*.npz"))


def test_warm_load_hits_cache_and_matches(spec, tmp_path):
    t0 = time.perf_counter()
    cold = load_epochs(spec, [1, 2], cache_dir=tmp_path)
    t_cold = time.perf_counter() - t0
    assert len(_files(tmp_path)) == 2
    t0 = time.perf_counter()
    warm = load_epochs(spec, [1, 2], cache_dir=tmp_path)
    t_warm = time.perf_counter() - t0
    np.testing.assert_array_equal(cold.X, warm.X)
    assert warm.metadata.equals(cold.metadata) and warm.ch_names == cold.ch_names
    assert t_warm * 5 < t_cold


def test_key_changes_with_pipeline_and_events(spec, tmp_path):
    load_epochs(spec, [1], cache_dir=tmp_path)
    load_epochs(spec, [1], cache_dir=tmp_path, pipeline=[{"bandpass": {"l_freq": 4}}])
    load_epochs(spec, [1], cache_dir=tmp_path, events=["right_hand", "left_hand"])
    assert len(_files(tmp_path)) == 3


def test_truncated_cache_file_is_rebuilt(spec, tmp_path):
    good = load_epochs(spec, [1], cache_dir=tmp_path)
    (path,) = _files(tmp_path)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)
    again = load_epochs(spec, [1], cache_dir=tmp_path)
    np.testing.assert_array_equal(good.X, again.X)
    assert path.stat().st_size == size


def test_iter_streams_one_subject_at_a_time(spec, tmp_path):
    parts = list(iter_subject_epochs(spec, [1, 2], cache_dir=tmp_path))
    assert [p.subjects() for p in parts] == [[1], [2]]


def test_cache_off_writes_nothing(spec, tmp_path):
    load_epochs(spec, [1], cache=False, cache_dir=tmp_path)
    assert not _files(tmp_path)
