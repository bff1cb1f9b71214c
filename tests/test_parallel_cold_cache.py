"""Cold epoch caches under parallel work, on real PhysionetMI (skipped when absent): two
`eegdec run` processes filling one cache at once, and `--n-jobs 2` with each backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA, requires_shared

from eegdec.cli import main

pytestmark = requires_shared

REPO = Path(__file__).resolve().parents[1]
ARGV = ["run", "--dataset", "PhysionetMI", "--paradigm", "LR", "--model", "csp-lda",
        "--data-dir", str(SHARED_DATA), "--quiet"]


def _accuracy(run: Path) -> pd.Series:
    return pd.read_csv(run / "results.csv").set_index("fold_id")["accuracy"].sort_index()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty HOME: MNE/MOABB's fallback location (~/mne_data, ~/.mne) would appear in it
    if any reading lost the data directory (offline, that reading fails)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("MNE_DATA", "EEGDEC_DATA"):
        monkeypatch.delenv(var, raising=False)
    return home


def _untouched(home: Path) -> bool:
    return not (home / "mne_data").exists() and not (home / ".mne").exists()


@pytest.fixture(scope="module")
def sequential(tmp_path_factory) -> pd.Series:
    """Subjects 1-2 with --n-jobs 1 on a cold cache."""
    tmp = tmp_path_factory.mktemp("sequential")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EEGDEC_CACHE", str(tmp / "cache"))
        assert main([*ARGV, "--subjects", "1", "2", "--out", str(tmp / "run")]) == 0
    return _accuracy(tmp / "run")


def test_two_processes_fill_one_cold_cache(tmp_path, home):
    cache = tmp_path / "cache"
    env = {**os.environ, "EEGDEC_CACHE": str(cache), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    procs = [subprocess.Popen([sys.executable, "-m", "eegdec.cli", *ARGV, "--subjects", "1", "2",
                               "3", "--out", str(tmp_path / name)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("a", "b")]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    a, b = _accuracy(tmp_path / "a"), _accuracy(tmp_path / "b")
    assert len(a) == 15 and list(a.index) == list(b.index)
    np.testing.assert_array_equal(a, b)
    entries = sorted(p.name for p in (cache / "PhysionetMI").iterdir())
    assert len(entries) == 3 and all(n.startswith("sub-") and n.endswith(".npz") for n in entries)
    assert _untouched(home)


@pytest.mark.parametrize("backend, package", [("loky", "joblib"), ("dask", "distributed"),
                                              ("ray", "ray")])
def test_two_jobs_on_a_cold_cache_match_one(tmp_path, monkeypatch, home, sequential, backend,
                                            package):
    # loky: MNE's filter joined the run's own process pool and shut it down mid-run.
    # dask/ray: MOABB's reading was shipped to a worker without the data directory.
    pytest.importorskip(package, reason=f"{package} is missing: pip install -e '.[{backend}]'")
    monkeypatch.setenv("EEGDEC_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    assert main([*ARGV, "--subjects", "1", "2", "--out", str(out), "--n-jobs", "2",
                 "--backend", backend]) == 0
    parallel = _accuracy(out)
    assert list(parallel.index) == list(sequential.index) and len(parallel) == 10
    np.testing.assert_allclose(parallel, sequential)
    assert _untouched(home)
