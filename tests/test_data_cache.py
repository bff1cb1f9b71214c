"""Epoch cache: keyed by dataset/subject/events/pipeline/versions and the source files' identity;
corrupt files rebuilt; concurrent writers safe."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import PHYSIONET_DIR, SHARED_DATA, requires_shared

from eegdec.data.epochs import EpochsData
from eegdec.data.registry import get_dataset_spec
from eegdec.errors import DataNotFoundError
from eegdec.preprocessing.load import iter_subject_epochs, load_epochs
from eegdec.preprocessing.pipeline import Pipeline


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


def test_built_in_key_ignores_the_data_dir(spec, tmp_path):
    from eegdec.data.cache import cache_key
    from eegdec.data.paradigms import resolve_events

    load_epochs(spec, [1], cache_dir=tmp_path)
    load_epochs(spec, [1], cache_dir=tmp_path, data_dir=tmp_path / "no" / "such" / "dir")
    (path,) = _files(tmp_path)  # no files to identify: one entry, keyed as before
    config = {k: v for k, v in dataclasses.asdict(spec).items()
              if k not in ("citation", "description", "download_size", "url", "aliases")}
    key = cache_key(config, 1, *resolve_events(spec, "MI", None),
                    {**Pipeline.for_dataset(spec).config(), "skip_bad_files": False})
    assert path.name == f"sub-001_{key[:20]}.npz"


def test_concurrent_writers_of_one_file_both_succeed(spec, tmp_path, monkeypatch):
    # Both writers finish their temporary file before either renames it: with one shared
    # temporary name the second rename found nothing (FileNotFoundError).
    ep = load_epochs(spec, [1], cache=False)
    target = tmp_path / "sub-001.npz"
    both_written = threading.Barrier(2, timeout=20)
    savez = np.savez

    def slow_savez(*args, **kwargs):
        savez(*args, **kwargs)
        both_written.wait()

    monkeypatch.setattr(np, "savez", slow_savez)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            ep.save(target)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    np.testing.assert_array_equal(EpochsData.load(target).X, ep.X)
    assert [p.name for p in tmp_path.iterdir()] == ["sub-001.npz"]  # no temporary left


_WRITER = """
import sys, time
from eegdec.data.epochs import EpochsData
ep = EpochsData.load(sys.argv[1])
end = time.time() + float(sys.argv[3])
while time.time() < end:
    ep.save(sys.argv[2])
"""


def test_processes_rewriting_one_cache_file_never_clash(spec, tmp_path):
    src = load_epochs(spec, [1], cache=False).save(tmp_path / "src.npz")
    target = tmp_path / "cache" / "sub-001.npz"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))}
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(src), str(target), "3"],
                              env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    reads = 0
    while any(p.poll() is None for p in procs):
        if target.exists():
            assert EpochsData.load(target).n_trials == 20  # never a partial file
            reads += 1
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    assert reads > 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["sub-001.npz"]


# -- source identity, on real PhysionetMI files --------------------------------------------
LR_RUNS = ("R04", "R08", "R12")


def _physionet_copy(root: Path, r04_from: int = 1) -> Path:
    """A data directory with copies of subject 1's left/right runs (R04 from ``r04_from``)."""
    folder = root / PHYSIONET_DIR.relative_to(SHARED_DATA) / "S001"
    folder.mkdir(parents=True)
    for run in LR_RUNS:
        src = r04_from if run == "R04" else 1
        shutil.copyfile(PHYSIONET_DIR / f"S{src:03d}" / f"S{src:03d}{run}.edf",
                        folder / f"S001{run}.edf")
    return root


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """Data directories of the subject loads that reached the MOABB loader (cache misses)."""
    from eegdec.data import moabb_loader

    calls: list[Path] = []
    real = moabb_loader.load_subject

    def counting(spec, subject, **kwargs):
        calls.append(Path(kwargs["data_dir"]))
        return real(spec, subject, **kwargs)

    monkeypatch.setattr(moabb_loader, "load_subject", counting)
    return calls


def _lr(data_dir: Path, cache: Path) -> EpochsData:
    return load_epochs("PhysionetMI", [1], paradigm="LR", data_dir=data_dir, cache_dir=cache)


@requires_shared
def test_another_data_dir_is_read_afresh(tmp_path, reads):
    cache = tmp_path / "cache"
    first = _lr(SHARED_DATA, cache)
    copy = _physionet_copy(tmp_path / "copy")
    again = _lr(copy, cache)  # same bytes, other files: read, not served from the cache
    assert reads == [SHARED_DATA.resolve(), copy.resolve()]
    np.testing.assert_array_equal(first.X, again.X)
    assert len(_files(cache)) == 2


@requires_shared
def test_touched_or_replaced_file_is_read_afresh(tmp_path, reads):
    cache = tmp_path / "cache"
    copy = _physionet_copy(tmp_path / "copy")
    run_dir = copy / PHYSIONET_DIR.relative_to(SHARED_DATA) / "S001"
    original = _lr(copy, cache)
    _lr(copy, cache)
    assert len(reads) == 1  # warm
    r08 = run_dir / "S001R08.edf"
    st = r08.stat()
    os.utime(r08, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    touched = _lr(copy, cache)
    assert len(reads) == 2
    np.testing.assert_array_equal(touched.X, original.X)
    replacement = tmp_path / "S002R04.edf"  # another recording, moved in with its old mtime
    shutil.copy2(PHYSIONET_DIR / "S002" / "S002R04.edf", replacement)
    os.replace(replacement, run_dir / "S001R04.edf")
    replaced = _lr(copy, cache)
    assert len(reads) == 3
    assert not np.array_equal(replaced.X[:15], original.X[:15])  # R04's trials come first
    np.testing.assert_array_equal(replaced.X[15:], original.X[15:])


@requires_shared
def test_one_cache_keeps_two_data_dirs_apart(tmp_path, reads):
    cache = tmp_path / "cache"
    other = _physionet_copy(tmp_path / "other", r04_from=2)  # a different copy of S001
    a1, b1 = _lr(SHARED_DATA, cache), _lr(other, cache)
    a2, b2 = _lr(SHARED_DATA, cache), _lr(other, cache)
    assert len(reads) == 2 and len(_files(cache)) == 2  # second round: both warm
    np.testing.assert_array_equal(a1.X, a2.X)
    np.testing.assert_array_equal(b1.X, b2.X)
    assert not np.array_equal(a1.X, b1.X)


@requires_shared
def test_missing_data_dir_is_an_error_even_with_a_warm_cache(tmp_path, monkeypatch, capsys):
    from eegdec.cli import main

    cache = tmp_path / "cache"
    monkeypatch.setenv("EEGDEC_CACHE", str(cache))
    _lr(SHARED_DATA, cache)
    missing = tmp_path / "nonexistent" / "dir"
    with pytest.raises(DataNotFoundError) as err:
        _lr(missing, cache)
    msg = str(err.value)
    assert str(missing) in msg and "--data-dir" in msg and "\n" not in msg
    argv = ["run", "--dataset", "PhysionetMI", "--paradigm", "LR", "--subjects", "1",
            "--model", "csp-lda", "--out", str(tmp_path / "run"), "--quiet"]
    assert main([*argv, "--data-dir", str(missing)]) == 2
    out = capsys.readouterr().err.strip()
    assert out.startswith(f"error: Data directory {missing} (from --data-dir) does not exist")
    assert "\n" not in out
    monkeypatch.setenv("EEGDEC_DATA", str(missing))
    assert main(argv) == 2
    assert "(from $EEGDEC_DATA) does not exist" in capsys.readouterr().err
