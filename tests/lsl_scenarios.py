"""LSL scenarios of tests/test_online_lsl.py. Each runs as its own process, started through
:func:`lsl_netns.isolated` so that every LSL stream it opens stays inside a private network
namespace, and prints its findings as one JSON line (the last line of its output).

  python tests/lsl_scenarios.py e2e DECODER_DIR RECORDING.fif
  python tests/lsl_scenarios.py reconnect RECORDING.fif
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np

CLI = [sys.executable, "-m", "eegdec.cli"]


def _guard() -> None:
    """Refuse to run outside a namespace whose only device is lo (belt and braces)."""
    with open("/proc/net/dev") as fh:
        devices = [line.split(":")[0].strip() for line in fh.readlines()[2:]]
    if devices != ["lo"]:
        sys.exit(f"refusing to open LSL streams with network devices {devices}")


def _pull_all(inlet, until: float) -> tuple[list, np.ndarray]:
    """Every sample an inlet gets before ``until`` (monotonic); MNE-LSL returns views of
    buffers it reuses, hence the copies."""
    values, stamps = [], []
    while time.monotonic() < until:
        x, ts = inlet.pull_chunk(timeout=0.1)
        if len(ts):
            values += [list(v) for v in x] if isinstance(x, list) else list(np.array(x))
            stamps.append(np.array(ts))
    return values, np.concatenate(stamps) if stamps else np.zeros(0)


def e2e(decoder_dir: str, recording: str) -> dict:
    """`eegdec stream` on an `eegdec replay` of ``recording``; the decisions read back."""
    from mne_lsl.lsl import StreamInlet, resolve_streams

    started = time.monotonic()
    procs = []
    try:
        stream = subprocess.Popen(
            CLI + ["stream", "--decoder", decoder_dir, "--source", "eeg", "--hop", "0.1",
                   "--duration", "90"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(stream)
        found: dict = {}
        while len(found) < 2 and time.monotonic() - started < 60 and stream.poll() is None:
            for name in ("eeg-eegdec-proba", "eeg-eegdec-labels"):
                if name not in found:
                    hits = resolve_streams(timeout=0.5, name=name)
                    if hits:
                        found[name] = hits[0]
        if len(found) < 2:
            stream.kill()
            return {"error": "the outlets never appeared", "stream": stream.communicate()[0]}
        inlets = {name: StreamInlet(info) for name, info in found.items()}
        for inlet in inlets.values():
            inlet.open_stream(timeout=10)
        proba_info = inlets["eeg-eegdec-proba"].get_sinfo()
        listening = time.monotonic() - started
        # Both inlets are open: every decision from now on reaches them.
        replay = subprocess.Popen(
            CLI + ["replay", recording, "--name", "eeg", "--chunk-size", "16"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(replay)
        got: dict = {name: ([], []) for name in inlets}
        deadline = time.monotonic() + 60
        ended = None
        while time.monotonic() < deadline:
            for name, inlet in inlets.items():
                values, stamps = _pull_all(inlet, time.monotonic() + 0.2)
                got[name][0].extend(values)
                got[name][1].append(stamps)
            if ended is None and replay.poll() is not None:
                ended = time.monotonic()
            if ended is not None and time.monotonic() - ended > 1.0:
                break
        stream.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop with a summary
        stream_out = stream.communicate(timeout=30)[0]
        replay_out = replay.communicate(timeout=10)[0]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    proba = np.array(got["eeg-eegdec-proba"][0], dtype=float)
    times = np.concatenate(got["eeg-eegdec-proba"][1])
    label_times = np.concatenate(got["eeg-eegdec-labels"][1])
    summary = re.search(r"(\d+) decisions from (\d+) samples", stream_out)
    return {
        "stream_rc": stream.returncode, "replay_rc": replay.returncode,
        "stream_out": stream_out, "replay_out": replay_out,
        "channels": proba_info.get_channel_names(), "rate": proba_info.sfreq,
        "n_proba": len(proba), "proba_sums": proba.sum(axis=1).tolist() if len(proba) else [],
        "times": times.tolist(), "labels": [v[0] for v in got["eeg-eegdec-labels"][0]],
        "label_times": label_times.tolist(),
        "published": int(summary.group(1)) if summary else None,
        "received": int(summary.group(2)) if summary else None,
        "seconds": time.monotonic() - started, "listening_after": listening,
    }


def reconnect(recording: str) -> dict:
    """:func:`run_live` on a player that stops for 2.5 s, then comes back under its name."""
    import mne
    from mne_lsl.player import PlayerLSL

    from eegdec.online.decoder import Decoder
    from eegdec.online.lsl import Console, run_live

    raw = mne.io.read_raw_fif(recording, preload=True, verbose="error").crop(0, 3)
    decoder = Decoder(lambda X: np.full((len(X), 2), 0.5), ch_names=["C3", "Cz", "C4"],
                      sfreq=raw.info["sfreq"], classes=["a", "b"], window_s=0.5, hop_s=0.1)
    out = io.StringIO()
    players = [PlayerLSL(raw, chunk_size=8, n_repeat=np.inf, name="drop", source_id="drop")]
    players[0].start()
    events: dict = {}

    def outage() -> None:
        time.sleep(2.0)
        players[0].stop()
        events["stopped"] = time.monotonic()
        time.sleep(2.5)
        players.append(PlayerLSL(raw, chunk_size=8, n_repeat=np.inf, name="drop",
                                 source_id="drop"))
        players[-1].start()
        events["restarted"] = time.monotonic()

    thread = threading.Thread(target=outage, daemon=True)
    thread.start()
    try:
        summary = run_live(decoder, "drop", duration=8.0, stall_s=0.5, connect_timeout=0.5,
                           backoff=(0.5, 1.0), console=Console(out))
    finally:
        thread.join()
        for player in players:
            if player.running:
                player.stop()
    return {"output": out.getvalue(), "losses": summary.losses, "decisions": summary.decisions,
            "stopped_by": summary.stopped_by, "samples": summary.samples}


if __name__ == "__main__":
    _guard()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    kind, *rest = sys.argv[1:]
    result = {"e2e": e2e, "reconnect": reconnect}[kind](*rest)
    print(json.dumps(result))
