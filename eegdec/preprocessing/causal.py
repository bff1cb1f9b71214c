"""Causal preprocessing with state: the streaming forms of the continuous-signal steps.

A chunk is a ``(n_chans, n_samples)`` float64 array in the units MNE keeps in a ``Raw``
(volts for EEG); each step carries its state across chunks, so feeding a recording in chunks
of any size gives the output of one pass over the whole recording. The offline steps with
``phase: causal`` (:mod:`eegdec.preprocessing.steps`) run this same code from the start of
each continuous run, so a model is trained on what it will see online.

- :class:`SOSFilter`: forward-only IIR second-order sections (``scipy.signal.sosfilt`` with
  its state ``zi``, zero at the start); :func:`design_bandpass` and :func:`design_notch`
  design them.
- :class:`StreamFilterBank`: one :class:`SOSFilter` per band, the bands stacked band-major as
  the offline ``filterbank`` step stacks them.
- :class:`StreamRereference`: common average or the mean of reference channels.
- :class:`StreamEMS`: exponential moving standardisation. Past its initial block it is
  exactly braindecode's ``exponential_moving_standardize`` (causal); inside the block
  braindecode standardises with the whole block's mean and sd, which looks ahead, so the
  streaming form uses the mean and sd of the block's samples seen so far instead.
- :class:`CausalChain`: steps in order; ``to_dict``/``from_dict`` carry it in a JSON manifest,
  :meth:`CausalChain.from_pipeline` builds it from a :class:`~eegdec.preprocessing.Pipeline`.

This module needs numpy and scipy only (MNE for nothing), so an exported decoder can use it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from scipy import signal

from eegdec.errors import BadInputError

if TYPE_CHECKING:  # pragma: no cover
    from eegdec.preprocessing.pipeline import Pipeline
    from eegdec.preprocessing.steps import Step

log = logging.getLogger(__name__)

CHAIN_FORMAT = "eegdec.causal-chain"
CHAIN_VERSION = 1
IIR_ORDER = 4  # MNE's default IIR (Butterworth order 4), the band-pass MOABB uses
NOTCH_QUALITY = 30.0
EMS_SCALE = 1e6  # the offline ems step standardises the signal in microvolts


# -- design ---------------------------------------------------------------------------------
def band_text(l_freq: float | None, h_freq: float | None) -> str:
    """``"8-30 Hz"``, ``"high-pass 8 Hz"`` or ``"low-pass 30 Hz"``."""
    if l_freq is None:
        return f"low-pass {h_freq:g} Hz"
    if h_freq is None:
        return f"high-pass {l_freq:g} Hz"
    return f"{l_freq:g}-{h_freq:g} Hz"


def design_bandpass(l_freq: float | None, h_freq: float | None, sfreq: float,
                    order: int = IIR_ORDER) -> np.ndarray:
    """Butterworth second-order sections: band-pass, or high-/low-pass when an edge is None."""
    if sfreq <= 0:
        raise BadInputError(f"Sampling rate {sfreq} Hz must be positive: pass the stream's rate.")
    if l_freq is None and h_freq is None:
        raise BadInputError("A band-pass needs l_freq or h_freq: give at least one edge.")
    nyq = sfreq / 2
    for name, f in (("l_freq", l_freq), ("h_freq", h_freq)):
        if f is not None and not 0 < f < nyq:
            raise BadInputError(f"Band-pass {name} {f:g} Hz is not between 0 and Nyquist "
                                f"({nyq:g} Hz at {sfreq:g} Hz): choose an edge below {nyq:g} Hz.")
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise BadInputError(f"Band-pass {l_freq:g}-{h_freq:g} Hz: l_freq must be below h_freq.")
    if order < 1:
        raise BadInputError(f"Filter order must be a positive integer, got {order}.")
    if l_freq is None:
        return signal.butter(order, h_freq, "lowpass", fs=sfreq, output="sos")
    if h_freq is None:
        return signal.butter(order, l_freq, "highpass", fs=sfreq, output="sos")
    return signal.butter(order, [l_freq, h_freq], "bandpass", fs=sfreq, output="sos")


def design_notch(freq: float, sfreq: float, quality: float = NOTCH_QUALITY) -> np.ndarray:
    """Second-order IIR notch at ``freq`` Hz (``scipy.signal.iirnotch``) as one section."""
    nyq = sfreq / 2
    if not 0 < freq < nyq:
        raise BadInputError(f"Notch frequency {freq:g} Hz is not between 0 and Nyquist "
                            f"({nyq:g} Hz at {sfreq:g} Hz): drop it.")
    if quality <= 0:
        raise BadInputError(f"Notch quality factor must be positive, got {quality}.")
    b, a = signal.iirnotch(freq, quality, fs=sfreq)
    return signal.tf2sos(b, a)


# -- streaming steps ------------------------------------------------------------------------
class StreamStep(Protocol):
    """What :class:`CausalChain` needs of a step."""

    kind: str
    n_chans: int
    n_out: int

    def process(self, x: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...

    def to_dict(self) -> dict[str, Any]: ...

    def describe(self) -> str: ...


def _chunk(x: Any, n_chans: int, what: str) -> np.ndarray:
    """``x`` as a float64 ``(n_chans, n_samples)`` array, or a one-line error."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != n_chans:
        raise BadInputError(f"{what}: chunk of shape {x.shape} is not (n_chans={n_chans}, "
                            "n_samples): pass channels in rows (transpose a samples-first "
                            "chunk).")
    return x


class SOSFilter:
    """Forward-only IIR filter (second-order sections) over ``n_chans`` channels, with state.

    ``label`` is what :meth:`describe` says (e.g. ``"causal 8-30 Hz Butterworth order 4"``).
    """

    kind = "sos"

    def __init__(self, sos: np.ndarray | Sequence[Sequence[float]], n_chans: int,
                 label: str = "") -> None:
        self.sos = np.atleast_2d(np.asarray(sos, dtype=np.float64))
        if self.sos.ndim != 2 or self.sos.shape[1] != 6 or not np.isfinite(self.sos).all():
            raise BadInputError(f"Second-order sections must be a finite (n_sections, 6) array, "
                                f"got shape {self.sos.shape}: design them with design_bandpass "
                                "or design_notch.")
        if n_chans < 1:
            raise BadInputError(f"n_chans must be at least 1, got {n_chans}.")
        self.n_chans = self.n_out = int(n_chans)
        self.label = label
        self.reset()

    def reset(self) -> None:
        """Back to the state before the first sample (zero)."""
        self._zi = np.zeros((self.sos.shape[0], self.n_chans, 2))

    def process(self, x: np.ndarray) -> np.ndarray:
        x = _chunk(x, self.n_chans, "SOSFilter")
        if x.shape[1] == 0:
            return x.copy()
        y, self._zi = signal.sosfilt(self.sos, x, axis=-1, zi=self._zi)
        return y

    def describe(self) -> str:
        return self.label or f"causal IIR, {self.sos.shape[0]} second-order sections"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_chans": self.n_chans, "label": self.label,
                "sos": self.sos.tolist()}


class StreamFilterBank:
    """One causal filter per band; ``(n_chans, n)`` in, ``(n_bands * n_chans, n)`` out,
    band-major (all channels of the first band, then the second...), as ``filterbank``."""

    kind = "filterbank"

    def __init__(self, bands: Sequence[np.ndarray | Sequence[Sequence[float]]], n_chans: int,
                 label: str = "") -> None:
        if not bands:
            raise BadInputError("A filter bank needs at least one band: give its sections.")
        self.filters = [SOSFilter(sos, n_chans) for sos in bands]
        self.n_chans = int(n_chans)
        self.n_out = self.n_chans * len(self.filters)
        self.label = label

    def reset(self) -> None:
        for f in self.filters:
            f.reset()

    def process(self, x: np.ndarray) -> np.ndarray:
        x = _chunk(x, self.n_chans, "StreamFilterBank")
        return np.concatenate([f.process(x) for f in self.filters], axis=0)

    def describe(self) -> str:
        return self.label or f"causal IIR filter bank, {len(self.filters)} bands"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_chans": self.n_chans, "label": self.label,
                "bands": [f.sos.tolist() for f in self.filters]}


class StreamRereference:
    """Subtract, at each sample, the mean of all channels (``"average"``) or of the channels
    at indices ``ref`` (stateless; the reference channels themselves stay)."""

    kind = "rereference"

    def __init__(self, n_chans: int, ref: Literal["average"] | Sequence[int] = "average"
                 ) -> None:
        self.n_chans = self.n_out = int(n_chans)
        if isinstance(ref, str):
            if ref != "average":
                raise BadInputError(f"Reference {ref!r}: use 'average' or channel indices.")
            self.ref: str | list[int] = ref
        else:
            self.ref = [int(i) for i in ref]
            if not self.ref or any(not 0 <= i < self.n_chans for i in self.ref):
                raise BadInputError(f"Reference channel indices {self.ref} must be in "
                                    f"[0, {self.n_chans}): name channels of the chunk.")

    def reset(self) -> None:
        """Stateless: nothing to reset."""

    def process(self, x: np.ndarray) -> np.ndarray:
        x = _chunk(x, self.n_chans, "StreamRereference")
        rows = x if self.ref == "average" else x[self.ref]
        return x - rows.mean(axis=0, keepdims=True)

    def describe(self) -> str:
        return ("average reference" if self.ref == "average"
                else f"reference to channel(s) {'/'.join(map(str, self.ref))}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_chans": self.n_chans, "ref": self.ref}


class StreamEMS:
    """Exponential moving standardisation with state (braindecode's formula).

    With ``a = factor_new``: mean ``m_t`` and variance ``v_t`` are ``(1-a)``-weighted averages
    of all samples so far (``v`` of ``(x - m)^2``), and the output is
    ``(x_t - m_t) / max(sqrt(v_t), eps)``, computed on ``x * scale`` (microvolts for a signal
    in volts, as the offline step does) and returned divided by ``scale``.

    The first ``init_block_size`` samples are standardised with the plain mean and sd of the
    samples seen so far (braindecode uses the whole block's, which looks ahead); later samples
    equal braindecode's output exactly. ``init_block_size=None`` is braindecode's throughout.
    """

    kind = "ems"

    def __init__(self, n_chans: int, factor_new: float = 1e-3,
                 init_block_size: int | None = 1000, eps: float = 1e-4,
                 scale: float = EMS_SCALE) -> None:
        if not 0 < factor_new <= 1:
            raise BadInputError(f"EMS factor_new must be in (0, 1], got {factor_new}.")
        if init_block_size is not None and init_block_size < 1:
            raise BadInputError(f"EMS init_block_size must be a positive number of samples "
                                f"(or None), got {init_block_size}.")
        if eps <= 0 or scale <= 0:
            raise BadInputError(f"EMS eps and scale must be positive, got {eps} and {scale}.")
        self.n_chans = self.n_out = int(n_chans)
        self.factor_new, self.init_block_size = float(factor_new), init_block_size
        self.eps, self.scale = float(eps), float(scale)
        self.reset()

    def reset(self) -> None:
        c = self.n_chans
        self._count = 0
        self._z_ones = np.zeros(1)  # state of the weight sum D_t
        self._z_mean = np.zeros((c, 1))  # of the weighted sum N_t
        self._z_var = np.zeros((c, 1))  # of the weighted sum of squared deviations
        self._shift = np.zeros((c, 1))  # first sample: keeps the block sums well conditioned
        self._z_sum = np.zeros((c, 1))
        self._z_sum2 = np.zeros((c, 1))

    def process(self, x: np.ndarray) -> np.ndarray:
        x = _chunk(x, self.n_chans, "StreamEMS") * self.scale
        n = x.shape[1]
        if n == 0:
            return x.copy()
        ar = [1.0, self.factor_new - 1.0]
        d, self._z_ones = signal.lfilter([1.0], ar, np.ones(n), zi=self._z_ones)
        num, self._z_mean = signal.lfilter([1.0], ar, x, axis=1, zi=self._z_mean)
        demeaned = x - num / d
        sq, self._z_var = signal.lfilter([1.0], ar, demeaned * demeaned, axis=1,
                                         zi=self._z_var)
        out = demeaned / np.maximum(self.eps, np.sqrt(sq / d))
        block = self.init_block_size
        if block is not None and self._count < block:
            k = min(n, block - self._count)
            if self._count == 0:
                self._shift = x[:, :1].copy()
            c = x[:, :k] - self._shift
            s1, self._z_sum = signal.lfilter([1.0], [1.0, -1.0], c, axis=1, zi=self._z_sum)
            s2, self._z_sum2 = signal.lfilter([1.0], [1.0, -1.0], c * c, axis=1,
                                              zi=self._z_sum2)
            count = self._count + np.arange(1, k + 1)
            mean = s1 / count
            sd = np.sqrt(np.maximum(s2 / count - mean * mean, 0.0))
            out[:, :k] = (c - mean) / np.maximum(self.eps, sd)
        self._count += n
        return out / self.scale

    def describe(self) -> str:
        return f"causal EMS (factor_new {self.factor_new:g})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_chans": self.n_chans, "factor_new": self.factor_new,
                "init_block_size": self.init_block_size, "eps": self.eps, "scale": self.scale}


def _step_from_dict(d: dict[str, Any]) -> StreamStep:
    kind = d.get("kind")
    try:
        if kind == "sos":
            return SOSFilter(d["sos"], d["n_chans"], d.get("label", ""))
        if kind == "filterbank":
            return StreamFilterBank(d["bands"], d["n_chans"], d.get("label", ""))
        if kind == "rereference":
            return StreamRereference(d["n_chans"], d["ref"])
        if kind == "ems":
            return StreamEMS(d["n_chans"], d["factor_new"], d["init_block_size"], d["eps"],
                             d["scale"])
    except KeyError as exc:
        raise BadInputError(f"Causal chain step {kind!r} lacks {exc.args[0]!r}: write it "
                            "with CausalChain.to_dict.") from None
    raise BadInputError(f"Unknown causal chain step kind {kind!r}: use sos, filterbank, "
                        "rereference or ems.")


# -- the chain ------------------------------------------------------------------------------
class CausalChain:
    """Streaming steps in order: ``process(chunk)`` returns the chunk preprocessed."""

    def __init__(self, steps: Sequence[StreamStep]) -> None:
        self.steps = list(steps)
        for before, after in zip(self.steps, self.steps[1:]):
            if before.n_out != after.n_chans:
                raise BadInputError(f"Causal chain: {before.kind} gives {before.n_out} channels "
                                    f"but the next step, {after.kind}, takes {after.n_chans}: "
                                    "use steps made for the same channels.")

    @property
    def n_chans(self) -> int | None:
        """Channels of an input chunk (None for an empty chain, which takes any)."""
        return self.steps[0].n_chans if self.steps else None

    @property
    def n_out(self) -> int | None:
        return self.steps[-1].n_out if self.steps else None

    def process(self, chunk: np.ndarray) -> np.ndarray:
        if not self.steps:
            x = np.array(chunk, dtype=np.float64)
            return _chunk(x, x.shape[0] if x.ndim == 2 else 0, "CausalChain")
        x = chunk
        for step in self.steps:
            x = step.process(x)
        return x

    def reset(self) -> None:
        """Forget the past (a new recording starts)."""
        for step in self.steps:
            step.reset()

    def describe(self) -> str:
        """One line, e.g. ``"causal 8-30 Hz Butterworth order 4; average reference"``."""
        return "; ".join(s.describe() for s in self.steps) or "no preprocessing"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description (filter coefficients as nested lists). Its steps are
        under ``"chain"``, so it is never mistaken for a pipeline config (``"steps"``)."""
        return {"format": CHAIN_FORMAT, "version": CHAIN_VERSION,
                "chain": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CausalChain:
        """The chain :meth:`to_dict` described (with fresh state)."""
        if not isinstance(d, dict) or d.get("format") != CHAIN_FORMAT:
            raise BadInputError(f"Not a causal chain description (format {CHAIN_FORMAT!r}): "
                                "pass what CausalChain.to_dict wrote.")
        if d.get("version") != CHAIN_VERSION:
            raise BadInputError(f"Causal chain version {d.get('version')!r} is not "
                                f"{CHAIN_VERSION}: export it again with this eegdec.")
        return cls([_step_from_dict(s) for s in d.get("chain", [])])

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, sfreq: float, ch_names: Sequence[str],
                      strict: bool = True) -> CausalChain:
        """The streaming form of ``pipeline``'s continuous-signal steps.

        ``ch_names`` are the channels of a chunk, in order: the model's channels, as the
        decoder's channel map delivers them (``channels`` steps are that map's business and
        are skipped). A zero-phase filter (or braindecode's look-ahead EMS block) raises with
        ``strict``, else becomes its causal form with a logged warning; ``resample`` needs a
        stream already at its rate; other steps without a streaming form raise.
        """
        from eegdec.preprocessing import steps as st

        names = list(ch_names)
        out: list[StreamStep] = []
        raw_steps = [s for s in pipeline.steps if s.stage == "raw"]
        for i, step in enumerate(raw_steps):
            if getattr(step, "phase", "causal") != "causal" and not (
                    isinstance(step, st.ExponentialMovingStandardize)
                    and step.init_block_size is None):
                step = _causal_form(step, strict)
            if isinstance(step, st.BandPass):
                out.append(SOSFilter(design_bandpass(step.l_freq, step.h_freq, sfreq),
                                     len(names), step.describe()))
            elif isinstance(step, st.Notch):
                if len(step.frequencies(sfreq)):  # none below Nyquist: nothing to notch
                    out.append(SOSFilter(step.sos(sfreq), len(names), step.describe()))
            elif isinstance(step, st.FilterBank):
                out.append(StreamFilterBank(step.bands(sfreq), len(names), step.describe()))
                names = [f"{ch}_{f:g}Hz" for f in step.freqs for ch in names]
            elif isinstance(step, st.Rereference):
                if any(isinstance(s, st.PickChannels) for s in raw_steps[i + 1:]):
                    raise BadInputError(
                        "Pipeline step 'rereference' comes before 'channels': a stream holds "
                        "only the kept channels, so its reference would differ from training; "
                        "put the channels step first and train again.")
                out.append(StreamRereference(len(names), _ref_indices(step.ref, names)))
            elif isinstance(step, st.ExponentialMovingStandardize):
                out.append(StreamEMS(len(names), step.factor_new, step.init_block_size,
                                     step.eps))
            elif isinstance(step, st.Resample):
                if abs(step.sfreq - sfreq) > 1e-9:
                    raise BadInputError(
                        f"Pipeline step 'resample' (to {step.sfreq:g} Hz) has no streaming "
                        f"form and the stream runs at {sfreq:g} Hz: stream at "
                        f"{step.sfreq:g} Hz, or train without resampling.")
            elif not isinstance(step, st.PickChannels):
                raise BadInputError(f"Pipeline step {step.key!r} has no streaming form: "
                                    "remove it from the pipeline to decode online.")
        return cls(out)


def _causal_form(step: Step, strict: bool) -> Step:
    """The causal twin of a zero-phase/look-ahead ``step`` (an error when ``strict``)."""
    import dataclasses

    what = f"Pipeline step {step.key!r} ({step.describe()}) looks ahead in time"
    if strict:
        raise BadInputError(f"{what} and cannot run on a stream: train with --causal-filter "
                            f"(phase: causal in the step).")
    changes: dict[str, Any] = {"phase": "causal"}
    if getattr(step, "method", "iir") != "iir":
        changes["method"] = "iir"
    causal = dataclasses.replace(step, **changes)
    log.warning("%s; the stream uses its causal form instead (%s), which the model was not "
                "trained on: train with --causal-filter for offline/online parity.", what,
                causal.describe())
    return causal


def _ref_indices(ref: str | list[str], names: list[str]) -> Literal["average"] | list[int]:
    if ref == "average":
        return "average"
    from eegdec.data.channels import match_channels

    wanted = [ref] if isinstance(ref, str) else list(ref)
    return [names.index(n) for n in match_channels(wanted, names)]
