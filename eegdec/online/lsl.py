"""Live decoding over the Lab Streaming Layer, through MNE-LSL.

:func:`run_live` reads a live LSL stream with :class:`mne_lsl.stream.StreamLSL` (found by name,
optionally by source id), maps its channels onto the decoder's by name, feeds every new sample
with its timestamp to :meth:`~eegdec.online.decoder.Decoder.push`, and publishes each
decision on two LSL outlets::

    <base>-proba   float32, one channel per class (named after it), nominal rate 1 / hop;
                   each sample is the class probabilities of one decision
    <base>-labels  string markers, one channel "label": the decided class, one per decision

Both carry the decision's time: the timestamp of the last sample of the window it was
computed on (source clock, synchronised to this machine's LSL clock), so an application can
line decisions up with the EEG. ``<base>`` is ``<source>-eegdec`` unless named.

The loop polls the stream (``StreamLSL.acquire``) and sleeps ``poll_s`` between empty polls,
so it never spins a core. It prints a status line about once a second; stops on Ctrl-C, on
``duration`` or on ``stop()``, closing the outlets and the stream; and when the stream drops
(no sample for ``stall_s`` seconds, or a disconnection) it says so on one line and reconnects
with a growing delay (:data:`BACKOFF`), one line per attempt, until the stream is back or
the loop is stopped. Before the first connection it looks for the stream without pause
(each look-up listens up to ``connect_timeout``), saying so every :data:`WAITING_NOTE_S`.
After a reconnection the decoder restarts (filter state and window; alignment back to its
calibration seed): the signal has a gap.

``mne_lsl`` is imported only when a loop starts, so ``eegdec --help`` stays fast.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from eegdec import interrupts
from eegdec.errors import BadInputError

#: Seconds before each reconnection attempt after a loss (the last repeats). Each attempt
#: then listens for the stream for up to ``connect_timeout`` seconds.
BACKOFF = (0.5, 1.0, 2.0, 4.0)
#: Until the first connection the stream is looked for without pause (each look-up blocks
#: for ``connect_timeout``), with a line every this many seconds.
WAITING_NOTE_S = 10.0
#: Seconds of decisions the status line's rate and latency percentiles cover.
STATUS_WINDOW_S = 5.0
#: Seconds that opening a found stream may take (subscription, clock offset).
OPEN_TIMEOUT_S = 5.0
FIFF_UNIT_V = 107


def outlet_names(source: str, out_name: str | None = None) -> tuple[str, str]:
    """Names of the probability and label outlets for ``source`` (``out_name`` is their base)."""
    base = out_name or f"{source}-eegdec"
    return f"{base}-proba", f"{base}-labels"


def _ms_percentiles(values: Sequence[float]) -> tuple[float, float] | None:
    if not len(values):
        return None
    p50, p99 = np.percentile(np.asarray(values) * 1e3, [50, 99])
    return float(p50), float(p99)


@dataclass
class LiveSummary:
    """What a :func:`run_live` loop did."""

    source: str
    stopped_by: str  # "ctrl-c", "duration", "stop"
    seconds: float = 0.0
    samples: int = 0
    decisions: int = 0
    losses: int = 0  # times the stream was lost
    sfreq: float | None = None
    latencies: list[float] = field(default_factory=list, repr=False)  # compute, seconds
    lags: list[float] = field(default_factory=list, repr=False)  # sample time -> outlet
    labels: Counter = field(default_factory=Counter)

    @property
    def latency_ms(self) -> tuple[float, float] | None:
        """Decision compute latency, p50 and p99 in milliseconds."""
        return _ms_percentiles(self.latencies)

    @property
    def lag_ms(self) -> tuple[float, float] | None:
        """From the window's last sample (its LSL timestamp) to the decision's publication."""
        return _ms_percentiles(self.lags)

    def line(self) -> str:
        why = {"ctrl-c": "stopped by Ctrl-C", "duration": "duration reached",
               "stop": "stopped"}.get(self.stopped_by, self.stopped_by)
        signal = f" ({self.samples / self.sfreq:.1f} s of signal)" if self.sfreq else ""
        parts = [f"{why} after {self.seconds:.1f} s: {self.decisions} decisions from "
                 f"{self.samples} samples{signal}"]
        if self.latency_ms:
            parts.append("latency p50 {:.1f} ms p99 {:.1f} ms".format(*self.latency_ms))
        if self.lag_ms:
            parts.append("lag p50 {:.0f} ms p99 {:.0f} ms".format(*self.lag_ms))
        parts.append(f"stream lost {self.losses} time{'s' * (self.losses != 1)}")
        if self.decisions:
            parts.append("labels " + ", ".join(
                f"{k} {v / self.decisions:.0%}" for k, v in sorted(self.labels.items())))
        return "; ".join(parts)


class Console:
    """Status line and messages: on a terminal the status line is rewritten in place and a
    message gets a line of its own; elsewhere (logs, pipes) each is one plain line."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._pending = False  # a status line is on screen, unterminated

    def status(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self._pending = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        if self._pending:
            self.stream.write("\r\x1b[K")
            self._pending = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._pending:
            self.stream.write("\n")
            self.stream.flush()
            self._pending = False


class _NotFound(Exception):
    """The source is not on the network (yet, or any more): retry."""


class _Lost(Exception):
    """The source stopped sending or disconnected: reconnect."""


class _Source:
    """One connection to the source stream, polled by hand (no acquisition thread)."""

    def __init__(self, source: str, source_id: str | None, decoder: Any, timeout: float) -> None:
        from mne_lsl.lsl import resolve_streams
        from mne_lsl.stream import StreamLSL

        where = f"LSL stream {source!r}" + (f" (source id {source_id!r})" if source_id else "")
        found = resolve_streams(timeout=timeout, name=source, source_id=source_id)
        if not found:
            raise _NotFound(f"no {where} on the network")
        if len(found) > 1:
            ids = ", ".join(repr(s.source_id) for s in found)
            raise BadInputError(f"{len(found)} LSL streams are named {source!r} (source ids "
                                f"{ids}): pass --source-id to pick one.")
        info = found[0]
        if info.dtype == "string" or not info.sfreq:
            raise BadInputError(f"The {where} is not a regularly sampled signal (rate "
                                f"{info.sfreq:g} Hz, type {info.dtype}): stream the EEG itself.")
        if abs(info.sfreq - decoder.sfreq) > 1e-6 * decoder.sfreq:
            raise BadInputError(
                f"The {where} runs at {info.sfreq:g} Hz, the decoder needs {decoder.sfreq:g} Hz:"
                " set the amplifier to that rate, or train at the stream's rate.")
        self.stream = StreamLSL(bufsize=max(10.0, 3 * decoder.window_s), name=info.name,
                                source_id=info.source_id)
        try:
            self.stream.connect(acquisition_delay=None, processing_flags="all",
                                timeout=max(timeout, OPEN_TIMEOUT_S))
        except (RuntimeError, TimeoutError, OSError) as exc:  # it left between the two calls
            raise _NotFound(f"{where} could not be opened ({exc})") from exc
        self.where = where
        self.sfreq = float(info.sfreq)
        self.ch_names = list(self.stream.ch_names)
        # To volts: LSL carries the unit of each channel; MNE-LSL reads it as a power of ten.
        self.factors = np.array([10.0 ** mul if int(unit) == FIFF_UNIT_V else 1.0
                                 for unit, mul in self.stream.get_channel_units()])[:, None]

    def pull(self) -> tuple[np.ndarray, np.ndarray] | None:
        """New samples ``(C, n)`` and their timestamps, or ``None`` if none arrived."""
        if not self.stream.connected:
            raise _Lost(f"the {self.where} disconnected")
        try:
            self.stream.acquire()
        except RuntimeError as exc:  # disconnected by MNE-LSL after a failed pull
            raise _Lost(f"the {self.where} disconnected ({exc})") from exc
        if not self.stream.connected:
            raise _Lost(f"the {self.where} disconnected")
        n = self.stream.n_new_samples
        if not n:
            return None
        data, ts = self.stream.get_data()
        if n > len(ts):
            raise _Lost(f"the decoder fell {n - len(ts)} samples behind the {self.where}")
        return data[:, -n:] * self.factors, ts[-n:]

    def close(self) -> None:
        try:
            if self.stream.connected:
                self.stream.disconnect()
        except Exception:  # noqa: BLE001 - closing after a failure: nothing left to save
            pass


class _Outlets:
    """The probability and label outlets of one decoder."""

    def __init__(self, decoder: Any, source: str, out_name: str | None) -> None:
        from mne_lsl.lsl import StreamInfo, StreamOutlet

        from eegdec._version import __version__

        self.proba_name, self.labels_name = outlet_names(source, out_name)
        n = len(decoder.classes)
        info = StreamInfo(self.proba_name, "Probabilities", n, 1.0 / decoder.hop_s, "float32",
                          f"eegdec:{self.proba_name}")
        info.set_channel_names(decoder.classes)
        info.set_channel_types("misc")
        meta = info.desc.append_child("eegdec")
        for key, value in (("version", __version__), ("source", source),
                           ("window_s", f"{decoder.window_s:g}"), ("hop_s", f"{decoder.hop_s:g}"),
                           ("labels", self.labels_name)):
            meta.append_child_value(key, value)
        markers = StreamInfo(self.labels_name, "Markers", 1, 0.0, "string",
                             f"eegdec:{self.labels_name}")
        markers.set_channel_names(["label"])
        self.proba = StreamOutlet(info, chunk_size=1)
        self.labels = StreamOutlet(markers, chunk_size=1)

    def push(self, decisions: Sequence[Any]) -> None:
        if len(decisions) == 1:  # MNE-LSL warns about one-sample chunks
            (d,) = decisions
            self.proba.push_sample(np.asarray(d.proba, dtype=np.float32), timestamp=d.time)
            self.labels.push_sample([d.label], timestamp=d.time)
        elif decisions:
            ts = np.array([d.time for d in decisions])
            self.proba.push_chunk(np.stack([d.proba for d in decisions]).astype(np.float32),
                                  timestamp=ts)
            self.labels.push_chunk([[d.label] for d in decisions], timestamp=ts)

    def close(self) -> None:
        for outlet in (self.proba, self.labels):
            try:
                outlet._del()  # MNE-LSL's way to destroy an outlet now, not at collection
            except Exception:  # noqa: BLE001
                pass


class _Status:
    """Rate and latencies over the last :data:`STATUS_WINDOW_S` seconds, for the status line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.recent: deque[tuple[float, float, float]] = deque()  # (wall, latency, lag)
        self.last_print = time.monotonic()
        self.last: Any = None

    def add(self, now: float, decisions: Sequence[Any], lags: Sequence[float]) -> None:
        for d, lag in zip(decisions, lags):
            self.recent.append((now, d.latency, lag))
        if decisions:
            self.last = decisions[-1]

    def tick(self, now: float, started: float, decoder: Any, pushed: int) -> None:
        if now - self.last_print < 1.0:
            return
        self.last_print = now
        while self.recent and self.recent[0][0] < now - STATUS_WINDOW_S:
            self.recent.popleft()
        head = f"{now - started:6.0f} s"
        if self.last is None:
            self.console.status(f"{head} | filling the first window: {pushed / decoder.sfreq:.1f}"
                                f" of {decoder.window_s:.1f} s")
            return
        span = min(STATUS_WINDOW_S, now - started)
        rate = len(self.recent) / span if span > 0 else 0.0
        parts = [head, f"{rate:5.1f} decisions/s"]
        lat = _ms_percentiles([r[1] for r in self.recent])
        lag = _ms_percentiles([r[2] for r in self.recent])
        if lat:
            parts.append("latency p50 {:.1f} ms p99 {:.1f} ms".format(*lat))
        if lag:
            parts.append(f"lag p50 {lag[0]:.0f} ms")
        p = float(np.max(self.last.proba))
        parts.append(f"{self.last.label} ({p:.2f})")
        self.console.status(" | ".join(parts))


def run_live(
    decoder: Any,
    source: str,
    *,
    source_id: str | None = None,
    out_name: str | None = None,
    duration: float | None = None,
    stop: Callable[[], bool] | None = None,
    stall_s: float = 2.0,
    connect_timeout: float = 2.0,
    backoff: Sequence[float] = BACKOFF,
    poll_s: float | None = None,
    console: Console | None = None,
) -> LiveSummary:
    """Decode the LSL stream ``source`` live with ``decoder`` until stopped.

    Parameters
    ----------
    decoder : a :class:`~eegdec.online.decoder.Decoder`; it is reset and connected to the
        stream's channels on each (re)connection
    source, source_id : the stream to read (its name; its source id when several share it)
    out_name : base name of the outlets (default ``<source>-eegdec``; see :func:`outlet_names`)
    duration : stop after this many seconds (wall clock, from the call)
    stop : called once per poll; the loop stops when it returns True
    stall_s : seconds without a new sample after which the stream counts as lost
    connect_timeout : seconds each look-up of the stream listens for it (opening a found
        stream may take up to :data:`OPEN_TIMEOUT_S`)
    backoff : seconds before each reconnection attempt (the last value repeats)
    poll_s : sleep between empty polls (default: a quarter of the hop, at most 10 ms)
    console : where the status line and messages go (default: standard output)

    Ctrl-C stops the loop at the next poll (a second Ctrl-C at once); the outlets and the
    stream are closed in every case. Returns a :class:`LiveSummary`.
    """
    if duration is not None and duration <= 0:
        raise BadInputError(f"duration={duration} must be positive (seconds).")
    if stall_s <= 0:
        raise BadInputError(f"stall_s={stall_s} must be positive (seconds).")
    from mne_lsl.lsl import local_clock

    console = console or Console()
    poll_s = min(0.01, decoder.hop_s / 4) if poll_s is None else poll_s
    # The first call of a torch model is slow (allocations, kernel choice): not on a decision.
    decoder.model(np.zeros((1, decoder.n_chans, decoder.window_n), dtype=np.float32))
    started = time.monotonic()
    summary = LiveSummary(source=source, stopped_by="stop")
    outlets = _Outlets(decoder, source, out_name)
    console.message(f"eegdec stream: {decoder!r}")
    console.message(f"publishing {outlets.proba_name} (probabilities of "
                    f"{', '.join(decoder.classes)}) and {outlets.labels_name} (labels); "
                    f"waiting for LSL stream {source!r}. Ctrl-C stops.")
    status = _Status(console)
    src: _Source | None = None
    attempt, next_try, last_data, pushed = 0, started, started, 0
    connected_once, noted = False, started - WAITING_NOTE_S
    try:
        with interrupts.deferred():
            while True:
                interrupts.check()  # the safe point: raises KeyboardInterrupt after Ctrl-C
                now = time.monotonic()
                if stop is not None and stop():
                    summary.stopped_by = "stop"
                    break
                if duration is not None and now - started >= duration:
                    summary.stopped_by = "duration"
                    break
                if src is None:
                    if now < next_try:
                        time.sleep(min(next_try - now, 0.1))
                        continue
                    try:
                        src = _Source(source, source_id, decoder, connect_timeout)
                    except _NotFound as exc:
                        now = time.monotonic()
                        if not connected_once:  # waiting to start: look again at once
                            if now - noted >= WAITING_NOTE_S:
                                noted = now
                                console.message(f"{exc}; still looking "
                                                f"({now - started:.0f} s)")
                            continue
                        attempt += 1
                        wait = backoff[min(attempt, len(backoff) - 1)]
                        console.message(f"{exc} (attempt {attempt}); trying again in {wait:g} s")
                        next_try = now + wait
                        continue
                    decoder.reset().connect(src.ch_names)
                    summary.sfreq = src.sfreq
                    console.message(f"{'reconnected to' if connected_once else 'connected to'} "
                                    f"{src.where}: {len(src.ch_names)} channels at "
                                    f"{src.sfreq:g} Hz")
                    attempt, last_data, pushed = 0, time.monotonic(), 0
                    connected_once = True
                    continue
                try:
                    chunk = src.pull()
                    if chunk is None and time.monotonic() - last_data > stall_s:
                        raise _Lost(f"no sample from the {src.where} for {stall_s:g} s")
                except _Lost as exc:
                    src.close()
                    src = None
                    summary.losses += 1
                    next_try = time.monotonic() + backoff[0]
                    attempt = 0
                    console.message(f"lost the stream: {exc}; reconnecting in "
                                    f"{backoff[0]:g} s")
                    continue
                now = time.monotonic()
                if chunk is None:
                    status.tick(now, started, decoder, pushed)
                    time.sleep(poll_s)
                    continue
                x, ts = chunk
                last_data = now
                decisions = decoder.push(x, ts)
                pushed += x.shape[1]
                summary.samples += x.shape[1]
                if decisions:
                    outlets.push(decisions)
                    sent = local_clock()
                    lags = [sent - d.time for d in decisions]
                    summary.decisions += len(decisions)
                    summary.latencies += [d.latency for d in decisions]
                    summary.lags += lags
                    summary.labels.update(d.label for d in decisions)
                    status.add(now, decisions, lags)
                status.tick(now, started, decoder, pushed)
    except KeyboardInterrupt:
        summary.stopped_by = "ctrl-c"
    finally:
        if src is not None:
            src.close()
        outlets.close()
        console.close()
    summary.seconds = time.monotonic() - started
    return summary


# -- replay -------------------------------------------------------------------------------------
@dataclass
class ReplaySummary:
    """What a :func:`run_replay` did."""

    name: str
    stopped_by: str  # "end", "ctrl-c", "stop"
    seconds: float = 0.0
    file_s: float = 0.0

    def line(self) -> str:
        if self.stopped_by == "end":
            return (f"replay finished: {self.file_s:.1f} s of signal streamed as {self.name!r} "
                    f"in {self.seconds:.1f} s")
        why = "stopped by Ctrl-C" if self.stopped_by == "ctrl-c" else "stopped"
        return f"replay {why} after {self.seconds:.1f} s"


def run_replay(
    raw: Any,
    name: str,
    *,
    chunk_size: int = 10,
    repeat: bool = False,
    annotations: bool | None = None,
    encoding: str = "string",
    source_id: str | None = None,
    stop: Callable[[], bool] | None = None,
    console: Console | None = None,
) -> ReplaySummary:
    """Play ``raw`` (an ``mne.io.Raw``) in real time as the LSL stream ``name`` with
    :class:`mne_lsl.player.PlayerLSL`, once (or looping with ``repeat``), until it ends, Ctrl-C
    or ``stop()``.

    Its annotations go to the marker stream ``<name>-annotations`` (``annotations``: ``None``
    when it has any, ``True`` / ``False`` to force), as strings (``encoding="string"``, the
    description of each annotation at its onset) or MNE-LSL's ``"one-hot"`` float channels
    (one per description, the value being the duration). ``source_id`` defaults to
    ``eegdec-replay:<name>``, so that two replays under different names are never mistaken for
    one another when a reader recovers a lost stream.
    """
    from mne_lsl.player import PlayerLSL

    if chunk_size < 1:
        raise BadInputError(f"chunk_size={chunk_size} must be at least 1 sample.")
    console = console or Console()
    descriptions = sorted(set(raw.annotations.description)) if len(raw.annotations) else []
    if annotations is None:
        annotations = bool(descriptions)
    elif annotations and not descriptions:
        console.message("the recording has no annotations: no marker stream")
        annotations = False
    sfreq = float(raw.info["sfreq"])
    file_s = len(raw.times) / sfreq
    player = PlayerLSL(raw, chunk_size=chunk_size, n_repeat=np.inf if repeat else 1, name=name,
                       source_id=source_id or f"eegdec-replay:{name}", annotations=annotations,
                       annotations_encoding=encoding)
    marker = (f" and its annotations ({', '.join(descriptions)}) on {name}-annotations"
              if annotations else "")
    console.message(f"eegdec replay: {len(raw.ch_names)} channels at {sfreq:g} Hz, "
                    f"{file_s:.1f} s{' looping' if repeat else ''}, as LSL stream {name!r} in "
                    f"chunks of {chunk_size}{marker}. Ctrl-C stops.")
    summary = ReplaySummary(name=name, stopped_by="end", file_s=file_s)
    every = 1.0 if console.tty else 10.0
    started = last = time.monotonic()
    player.start()
    try:
        with interrupts.deferred():
            while player.running:
                interrupts.check()
                if stop is not None and stop():
                    summary.stopped_by = "stop"
                    break
                time.sleep(0.05)
                now = time.monotonic()
                if now - last >= every:
                    last = now
                    done = now - started
                    where = (f"pass {int(done // file_s) + 1}, {done % file_s:.0f} of "
                             f"{file_s:.0f} s" if repeat else f"{min(done, file_s):.0f} of "
                             f"{file_s:.0f} s")
                    console.status(f"replaying {name!r}: {where}")
    except KeyboardInterrupt:
        summary.stopped_by = "ctrl-c"
    finally:
        if player.running:
            player.stop()
        console.close()
    summary.seconds = time.monotonic() - started
    return summary
