"""Live streams over LSL: `eegdec replay` -> `eegdec stream` -> the decisions read back, the
lost-stream path, and bad input.

Every scenario that opens an LSL stream runs in its own process inside a private network
namespace with only a loopback device (tests/lsl_netns.py, the recipe of docs/online.md); where
no namespace can be made the test skips and says why. Bad input needs no namespace: it fails
before any stream opens, which the tests check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import CORRUPT_EDF, PHYSIONET_DIR
from lsl_netns import isolated, unavailable

pytest.importorskip("mne_lsl")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).with_name("lsl_scenarios.py")
R04 = PHYSIONET_DIR / "S001" / "S001R04.edf"
SFREQ, WINDOW_S, HOP_S, REPLAY_S = 160.0, 2.0, 0.1, 6.0


def _env() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


@pytest.fixture(scope="module")
def netns() -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)


def _scenario(*args: str, timeout: float = 150) -> dict:
    done = subprocess.run(isolated([sys.executable, str(SCENARIOS), *args]), env=_env(),
                          capture_output=True, text=True, timeout=timeout)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """The first REPLAY_S seconds of S001R04 (64 channels, 160 Hz) as a FIF file."""
    if not R04.is_file():
        pytest.skip(f"S001R04.edf not found at {R04} (expected ../shared/data beside the "
                    "checkout)")
    import mne

    raw = mne.io.read_raw_edf(R04, preload=True, verbose="error")
    path = tmp_path_factory.mktemp("lsl") / "S001R04-raw.fif"
    raw.crop(0, REPLAY_S - 1 / SFREQ).save(path, verbose="error")
    return path


# -- (a) the namespace ----------------------------------------------------------------------------
def test_the_namespace_holds_only_loopback_with_multicast(netns) -> None:
    done = subprocess.run(isolated(["sh", "-c", "ip -o link show; ip route show"]),
                          capture_output=True, text=True, timeout=30)
    links = [line for line in done.stdout.splitlines() if re.match(r"\d+: ", line)]
    assert len(links) == 1 and ": lo: " in links[0] and "MULTICAST" in links[0]
    assert "224.0.0.0/4 dev lo" in done.stdout


def test_without_a_namespace_lsl_tests_skip_and_say_why(monkeypatch) -> None:
    import lsl_netns

    denied = ["sh", "-c", "echo 'unshare: unshare failed: Operation not permitted' >&2; exit 1"]
    monkeypatch.setattr(lsl_netns, "isolated", lambda argv: denied)
    lsl_netns.unavailable.cache_clear()
    try:
        reason = lsl_netns.unavailable()
    finally:
        lsl_netns.unavailable.cache_clear()
    assert "cannot create a private network namespace" in reason
    assert "Operation not permitted" in reason and "never use the host network" in reason


# -- (b) end to end -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def decoder_dir(tmp_path_factory) -> Path:
    """A classifier for S001R04's 64 channels at 160 Hz and 2 s windows, trained one epoch on
    noise (the test checks the plumbing, not accuracy), saved as `eegdec stream` loads it."""
    import mne

    from eegdec.training.classifier import EEGDecClassifier

    names = [c.rstrip(".").upper() for c in
             mne.io.read_raw_edf(R04, verbose="error").ch_names]  # "Fc5." -> "FC5"
    info = mne.create_info(names, SFREQ, "eeg")
    X = np.random.default_rng(0).standard_normal((8, 64, int(WINDOW_S * SFREQ))) * 1e-5
    clf = EEGDecClassifier(model="shallowconvnet", epochs=1, batch_size=8, quiet=True,
                           random_state=0, device="cpu")
    clf.fit(mne.EpochsArray(X, info, verbose="error"), np.array(["left", "right"] * 4))
    return clf.save(tmp_path_factory.mktemp("lsl") / "decoder")


def test_stream_decodes_a_replay_and_publishes_one_decision_per_hop(
        netns, recording, decoder_dir) -> None:
    r = _scenario("e2e", str(decoder_dir), str(recording))
    assert "error" not in r, r
    out = r["stream_out"]
    assert r["stream_rc"] == 0 and "stopped by Ctrl-C" in out, out
    replayed = r["replay_out"]
    assert r["replay_rc"] == 0 and f"replay finished: {REPLAY_S:.1f} s" in replayed, replayed
    assert r["channels"] == ["left", "right"] and r["rate"] == pytest.approx(1 / HOP_S)
    # An LSL inlet gets only the samples pushed after it subscribed: `eegdec stream` finds the
    # replay's outlet and subscribes a fraction of a second after the replay starts pushing,
    # so the first chunks may pass before it listens. The duration that counts is the signal
    # the stream received (its summary says how many samples), nearly all of the file:
    received_s = r["received"] / SFREQ
    print(f"received {received_s:.2f} s of {REPLAY_S:g} s, {r['n_proba']} decisions; outlets "
          f"read after {r['listening_after']:.1f} s, all done in {r['seconds']:.1f} s")
    assert REPLAY_S - 1.5 <= received_s <= REPLAY_S, out
    # One decision per hop once a full window has arrived: the first ends at WINDOW_S.
    expected = (received_s - WINDOW_S) / HOP_S + 1
    assert abs(r["n_proba"] - expected) <= 1, (r["n_proba"], expected, out)
    # Every decision published was read back, on both outlets, with the same timestamps.
    assert r["n_proba"] == r["published"] == len(r["labels"])
    times = np.array(r["times"])
    assert np.all(np.diff(times) > 0)
    np.testing.assert_allclose(np.diff(times), HOP_S, atol=0.02)  # the source's clock, dejittered
    np.testing.assert_array_equal(times, r["label_times"])
    np.testing.assert_allclose(r["proba_sums"], 1.0, atol=1e-5)
    assert set(r["labels"]) <= {"left", "right"}
    assert "decisions/s" in out and "latency p50" in out  # the status line


# -- (c) a lost stream ----------------------------------------------------------------------------
def test_a_lost_stream_is_said_in_one_line_and_reconnected(netns, recording) -> None:
    r = _scenario("reconnect", str(recording), timeout=90)
    out = r["output"]
    assert "lost the stream: no sample from the LSL stream 'drop' for 0.5 s; reconnecting" \
        in out, out
    assert "no LSL stream 'drop' on the network (attempt 1); trying again in 1 s" in out, out
    assert "reconnected to LSL stream 'drop': 64 channels at 160 Hz" in out, out
    assert r["losses"] == 1 and r["stopped_by"] == "duration"
    after = out[out.index("reconnected to"):]
    assert "decisions/s" in after, out  # decoding again
    for line in out.splitlines():
        assert "Traceback" not in line


# -- (d) bad input: one line, before any stream ---------------------------------------------------
def test_replay_of_a_missing_or_corrupt_file_is_one_line_and_opens_no_stream(tmp_path) -> None:
    files = [str(tmp_path / "missing.edf")]
    if CORRUPT_EDF.is_file():
        files.append(str(CORRUPT_EDF))
    code = ("import sys\nfrom eegdec.cli import main\n"
            f"codes = [main(['replay', f, '--name', 'x']) for f in {files!r}]\n"
            "print(codes, 'mne_lsl' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split("\n")[-2] == f"{[2] * len(files)} False", done.stdout + done.stderr
    errors = done.stderr.strip().splitlines()
    assert len(errors) == len(files), done.stderr
    assert errors[0].startswith("error: Recording ") and "missing.edf not found" in errors[0]
    if len(files) > 1:
        assert errors[1].startswith(f"error: Cannot read {CORRUPT_EDF}") and \
            "damaged" in errors[1]


def test_stream_refuses_a_folder_that_is_no_decoder(tmp_path) -> None:
    from eegdec.commands.stream import open_decoder
    from eegdec.errors import BadInputError, DataNotFoundError

    with pytest.raises(DataNotFoundError, match="not found"):
        open_decoder(tmp_path / "nope")
    with pytest.raises(BadInputError, match="no export folder"):
        open_decoder(tmp_path)
    (tmp_path / "config.yaml").write_text("dataset: PhysionetMI\n")  # a run directory
    with pytest.raises(DataNotFoundError, match="holds no checkpoint"):
        open_decoder(tmp_path)


def test_summary_and_status_lines_without_a_network() -> None:
    import io
    from collections import Counter

    from eegdec.online.lsl import Console, LiveSummary, outlet_names

    assert outlet_names("eeg") == ("eeg-eegdec-proba", "eeg-eegdec-labels")
    assert outlet_names("eeg", "bci") == ("bci-proba", "bci-labels")
    s = LiveSummary("eeg", "ctrl-c", seconds=12.04, samples=1600, decisions=3, losses=1,
                    sfreq=160.0, latencies=[0.001, 0.002, 0.003], lags=[0.01] * 3,
                    labels=Counter({"left": 2, "right": 1}))
    assert s.line() == ("stopped by Ctrl-C after 12.0 s: 3 decisions from 1600 samples (10.0 s "
                        "of signal); latency p50 2.0 ms p99 3.0 ms; lag p50 10 ms p99 10 ms; "
                        "stream lost 1 time; labels left 67%, right 33%")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    console = Console(out)
    console.status("1 s")
    console.status("2 s")
    console.message("lost")
    console.close()
    assert out.getvalue() == "\r\x1b[K1 s\r\x1b[K2 s\r\x1b[Klost\n"
    plain = io.StringIO()
    Console(plain).status("1 s")
    assert plain.getvalue() == "1 s\n"
