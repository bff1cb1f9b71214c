"""Protocol splits: disjoint, complete, chronological where the protocol says so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.evaluation.protocols import check_protocol
from eegdec.evaluation.splits import (
    calib_sizes_for,
    cross_session,
    within_co,
    within_cv,
)


def _meta(n_per_session: int = 40, sessions=("0", "1"), seed: int = 0):
    """Shuffled rows (so recording order != row order), labels alternating in blocks."""
    rows, ys = [], []
    for s in sessions:
        for t in range(n_per_session):
            rows.append({"subject": 3, "session": s, "run": 0, "trial": t, "onset": 4.0 * t})
            ys.append((t // 3) % 2)
    perm = np.random.default_rng(seed).permutation(len(rows))
    return pd.DataFrame(rows).iloc[perm].reset_index(drop=True), np.asarray(ys)[perm]


def test_within_co_first_80_percent_of_each_class_in_recording_order():
    meta, y = _meta()
    splits = within_co(meta, y)
    assert [s.session for s in splits] == ["0", "1"]
    for sp in splits:
        assert not set(sp.train) & set(sp.test)
        sess = np.flatnonzero(meta["session"] == sp.session)
        assert sorted(np.r_[sp.train, sp.test]) == sorted(sess)
        for cls in (0, 1):
            tr = meta["trial"].to_numpy()[sp.train][y[sp.train] == cls]
            te = meta["trial"].to_numpy()[sp.test][y[sp.test] == cls]
            assert len(tr) == int(0.8 * (len(tr) + len(te)))
            assert tr.max() < te.min()  # every training trial precedes every test trial
        assert np.all(np.diff(meta["trial"].to_numpy()[sp.test]) > 0)  # test in order


@pytest.mark.parametrize("cv", ["stratified", "contiguous"])
def test_within_cv_folds_partition_each_session(cv):
    meta, y = _meta()
    splits = within_cv(meta, y, n_folds=5, cv=cv, seed=1)
    assert len(splits) == 10
    for session in ("0", "1"):
        folds = [s for s in splits if s.session == session]
        tests = np.concatenate([f.test for f in folds])
        assert sorted(tests) == sorted(np.flatnonzero(meta["session"] == session))
        for f in folds:
            assert not set(f.train) & set(f.test)
            assert len(f.train) + len(f.test) == 40
    trials = [meta["trial"].to_numpy()[f.test] for f in splits if f.session == "0"]
    if cv == "contiguous":
        assert [list(t) for t in trials] == [list(range(8 * k, 8 * k + 8)) for k in range(5)]
    else:
        assert any(np.ptp(t) > 8 for t in trials)  # shuffled
        assert all(np.bincount(y[f.test]).min() >= 3 for f in splits)  # stratified


def test_within_cv_is_seeded():
    meta, y = _meta()
    a = within_cv(meta, y, seed=7)
    b = within_cv(meta, y, seed=7)
    c = within_cv(meta, y, seed=8)
    assert all(np.array_equal(x.test, z.test) for x, z in zip(a, b))
    assert not all(np.array_equal(x.test, z.test) for x, z in zip(a, c))


def test_cross_session_trains_on_first_session_only():
    meta, y = _meta(sessions=("0train", "1test"))
    (sp,) = cross_session(meta)
    assert set(meta["session"].iloc[sp.train]) == {"0train"}
    assert set(meta["session"].iloc[sp.test]) == {"1test"} and sp.session == "1test"
    with pytest.raises(BadInputError, match="one session"):
        cross_session(_meta(sessions=("0",))[0])


def test_split_errors_name_the_fix():
    meta, y = _meta(n_per_session=6, sessions=("0",))
    with pytest.raises(BadInputError, match="lower --n-folds"):
        within_cv(meta, y, n_folds=5)
    with pytest.raises(UnknownNameError, match="contiguous"):
        within_cv(meta, y, cv="blocks")
    with pytest.raises(UnknownNameError, match="Did you mean: loso"):
        check_protocol("loo")


def test_calibration_sizes_drop_those_above_half_the_session():
    assert calib_sizes_for(45) == [0, 8, 16]
    assert calib_sizes_for(144) == [0, 8, 16, 32, 48]
    assert calib_sizes_for(20, (16, 4, 0)) == [0, 4]
    with pytest.raises(BadInputError, match="--calib-sizes"):
        calib_sizes_for(10, (8, 16))
