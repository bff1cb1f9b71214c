"""Shared test fixtures: real data location, isolated cache, quiet deterministic torch."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

# Resolved: ../shared may be a folder or a symlink, and eegdec names files by resolved paths.
SHARED_DATA = (Path(__file__).resolve().parents[2] / "shared" / "data").resolve()
PHYSIONET_DIR = SHARED_DATA / "MNE-eegbci-data" / "files" / "eegmmidb" / "1.0.0"
BONN_DIR = SHARED_DATA / "bonn"
CORRUPT_EDF = SHARED_DATA / "bad" / "S001R02_crlf_corrupted.edf"
SSVEPEXO_DIR = SHARED_DATA / "ssvepexo"

# A shell that starts a job in the background without job control makes it ignore SIGINT, and
# an ignored signal stays ignored across exec: the Ctrl-C tests' subprocesses would never see
# it. A handled signal is reset to the default on exec, so every child gets Ctrl-C back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

requires_shared = pytest.mark.skipif(
    not PHYSIONET_DIR.exists(),
    reason=f"real EEG not found at {SHARED_DATA} (expected ../shared/data beside the checkout)",
)
requires_ssvepexo = pytest.mark.skipif(
    not SSVEPEXO_DIR.exists(), reason=f"SSVEP Exoskeleton data not found at {SSVEPEXO_DIR}"
)
requires_bonn = pytest.mark.skipif(
    not BONN_DIR.exists(), reason=f"Bonn seizure data not found at {BONN_DIR}"
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Offline MOABB, a fresh epoch cache per test session, two torch threads."""
    os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"
    os.environ["EEGDEC_CACHE"] = str(tmp_path_factory.mktemp("eegdec_cache"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:  # pragma: no cover
        pass


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips the test when absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"real EEG not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one torch thread (two thrash on a shared 2-core machine)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
