"""Preprocessing steps.

A step runs either on the continuous recording (``stage = "raw"``, an ``mne.io.Raw`` modified
in place, as MOABB does) or on the epochs (``stage = "epochs"``, an :class:`EpochsData`
returned anew). ``Window`` is read by the epoching code. Each step's ``config()`` is a plain
dict used for YAML round trips and for the epoch-cache key (``phase`` is left out when it is
the default ``"zero"``, so keys written before the option existed still match).

The filters and ``ems`` take ``phase``: ``"zero"`` (default) is MOABB's offline processing,
which looks ahead in time (a zero-phase filter runs forward and backward); ``"causal"`` runs
the streaming code of :mod:`eegdec.preprocessing.causal` from the start of each continuous
run, so an epoch filtered offline equals a stream's output at the same samples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from eegdec.errors import BadInputError
from eegdec.validate import mismatch

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from eegdec.data.epochs import EpochsData

STEPS: dict[str, type[Step]] = {}
Phase = Literal["zero", "causal"]


@dataclass
class Step:
    """Base class; subclasses set ``key`` (their YAML name) and ``stage``."""

    key: ClassVar[str] = ""
    stage: ClassVar[Literal["raw", "epochs", "window"]] = "raw"

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.key:
            STEPS[cls.key] = cls

    def __post_init__(self) -> None:
        problem = mismatch(self)
        if problem:
            raise BadInputError(f"Pipeline step {self.key!r}: {problem}; change that value.")
        self.check()

    def check(self) -> None:
        """Value checks beyond the annotations (types are checked before)."""

    def fail(self, problem: str) -> None:
        """Raise a one-line error about this step's parameters."""
        raise BadInputError(f"Pipeline step {self.key!r}: {problem}")

    def config(self) -> dict[str, Any]:
        params = asdict(self)
        if params.get("phase") == "zero":  # the default: keeps older cache keys and hashes
            del params["phase"]
        return {self.key: params}

    def describe(self) -> str:
        """Short text for results, without commas (the filters say which filter ran)."""
        return self.key

    def apply(self, data: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


# -- continuous-signal steps ----------------------------------------------------------------
@dataclass
class BandPass(Step):
    """Band-pass filter (high-/low-pass with an edge None): MNE's IIR (Butterworth order 4,
    zero-phase; MOABB's choice) or FIR, or with ``phase: causal`` the same Butterworth run
    forward only (:func:`~eegdec.preprocessing.causal.design_bandpass`, ``sosfilt``)."""

    key: ClassVar[str] = "bandpass"
    l_freq: float | None = 8.0
    h_freq: float | None = 32.0
    method: Literal["iir", "fir"] = "iir"
    phase: Phase = "zero"

    def check(self) -> None:
        for name in ("l_freq", "h_freq"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                self.fail(f"{name} must be positive (or None for no edge), got "
                          f"{getattr(self, name)}.")
        if self.l_freq is not None and self.h_freq is not None and self.l_freq >= self.h_freq:
            self.fail(f"{self.l_freq}-{self.h_freq} Hz: l_freq must be below h_freq.")
        if self.phase == "causal" and self.method != "iir":
            self.fail("phase causal runs a Butterworth IIR filter: use method: iir.")
        if self.phase == "causal" and self.l_freq is None and self.h_freq is None:
            self.fail("phase causal needs l_freq or h_freq: give at least one edge.")

    def describe(self) -> str:
        from eegdec.preprocessing.causal import IIR_ORDER, band_text

        band = band_text(self.l_freq, self.h_freq)
        if self.phase == "causal":
            return f"causal {band} Butterworth order {IIR_ORDER}"
        if self.method == "fir":
            return f"zero-phase {band} FIR"
        return f"zero-phase {band} Butterworth order {IIR_ORDER}"

    def apply(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        nyq = raw.info["sfreq"] / 2
        if self.h_freq is not None and self.h_freq >= nyq:
            raise BadInputError(
                f"bandpass h_freq {self.h_freq} Hz is not below Nyquist ({nyq} Hz): lower it."
            )
        if self.phase == "causal":
            from eegdec.preprocessing.causal import design_bandpass

            return _causal(raw, design_bandpass(self.l_freq, self.h_freq, raw.info["sfreq"]))
        return raw.filter(self.l_freq, self.h_freq, method=self.method, picks="data",
                          verbose=False)


@dataclass
class FilterBank(Step):
    """One band of ``width`` Hz around each of ``freqs`` (MNE IIR, as MOABB's
    ``FilterBankSSVEP``; with ``phase: causal`` the same Butterworth run forward only), on the
    continuous signal; the bands replace the EEG channels, stacked band-major
    (``Oz_13Hz, O1_13Hz, ..., Oz_17Hz, ...``). Stim channels stay."""

    key: ClassVar[str] = "filterbank"
    freqs: list[float] = field(default_factory=list)
    width: float = 1.0
    phase: Phase = "zero"

    def check(self) -> None:
        if not self.freqs or self.width <= 0 or min(self.freqs) - self.width / 2 <= 0:
            self.fail(f"freqs={self.freqs} width={self.width}: give positive frequencies "
                      "above width/2 and a positive width.")

    def bands(self, sfreq: float) -> list[np.ndarray]:
        """The causal filters' second-order sections, one array per band."""
        from eegdec.preprocessing.causal import design_bandpass

        return [design_bandpass(f - self.width / 2, f + self.width / 2, sfreq)
                for f in self.freqs]

    def describe(self) -> str:
        from eegdec.preprocessing.causal import IIR_ORDER

        kind = "causal" if self.phase == "causal" else "zero-phase"
        return (f"{kind} Butterworth order {IIR_ORDER} filter bank of {self.width:g} Hz bands "
                f"at {'/'.join(f'{f:g}' for f in self.freqs)} Hz")

    def apply(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        nyq = raw.info["sfreq"] / 2
        if max(self.freqs) + self.width / 2 >= nyq:
            raise BadInputError(
                f"filterbank band around {max(self.freqs):g} Hz is not below Nyquist "
                f"({nyq:g} Hz): drop that frequency or keep a higher sampling rate."
            )
        from eegdec.preprocessing.causal import design_bandpass

        eeg = [raw.ch_names[i] for i in _eeg_picks(raw)]
        bands = []
        for f in self.freqs:
            lo, hi = f - self.width / 2, f + self.width / 2
            band = raw.copy().pick(eeg)
            band = (_causal(band, design_bandpass(lo, hi, raw.info["sfreq"]))
                    if self.phase == "causal" else
                    band.filter(lo, hi, method="iir", verbose=False))
            bands.append(band.rename_channels({ch: f"{ch}_{f:g}Hz" for ch in eeg}))
        others = [ch for ch in raw.ch_names if ch not in eeg]
        if not others:
            return bands[0].add_channels(bands[1:])
        return raw.pick(others).add_channels(bands, force_update_info=True)


@dataclass
class Notch(Step):
    """Notch filter at ``freqs`` (and optionally harmonics below Nyquist): MNE's default FIR
    (zero-phase), or with ``phase: causal`` second-order IIR notches (quality factor 30,
    :func:`~eegdec.preprocessing.causal.design_notch`) run forward only."""

    key: ClassVar[str] = "notch"
    freqs: float | list[float] = 50.0
    harmonics: bool = False
    phase: Phase = "zero"

    def check(self) -> None:
        freqs = np.atleast_1d(np.asarray(self.freqs, dtype=float))
        if freqs.size == 0 or (freqs <= 0).any():
            self.fail(f"freqs must be positive frequencies in Hz, got {self.freqs}.")

    def frequencies(self, sfreq: float) -> np.ndarray:
        """The notched frequencies below Nyquist (harmonics included when asked)."""
        base = np.atleast_1d(np.asarray(self.freqs, dtype=float))
        nyq = sfreq / 2
        freqs = np.concatenate([np.arange(f, nyq, f) for f in base]) if self.harmonics else base
        return freqs[freqs < nyq]

    def sos(self, sfreq: float) -> np.ndarray:
        """The causal notches' second-order sections, cascaded (empty if none is below
        Nyquist)."""
        from eegdec.preprocessing.causal import NOTCH_QUALITY, design_notch

        freqs = self.frequencies(sfreq)
        return (np.vstack([design_notch(f, sfreq, NOTCH_QUALITY) for f in freqs])
                if len(freqs) else np.empty((0, 6)))

    def describe(self) -> str:
        from eegdec.preprocessing.causal import NOTCH_QUALITY

        freqs = "/".join(f"{f:g}" for f in np.atleast_1d(np.asarray(self.freqs, dtype=float)))
        where = f"{freqs} Hz" + (" and harmonics" if self.harmonics else "")
        if self.phase == "causal":
            return f"causal {where} IIR notch (Q {NOTCH_QUALITY:g})"
        return f"zero-phase {where} FIR notch"

    def apply(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        freqs = self.frequencies(raw.info["sfreq"])
        if not len(freqs):
            return raw
        if self.phase == "causal":
            return _causal(raw, self.sos(raw.info["sfreq"]))
        return raw.notch_filter(freqs, picks="data", verbose=False)


@dataclass
class Resample(Step):
    """Resample the continuous signal to ``sfreq`` Hz (MNE, anti-aliased)."""

    key: ClassVar[str] = "resample"
    sfreq: float = 128.0

    def check(self) -> None:
        if self.sfreq <= 0:
            self.fail(f"sfreq must be positive, got {self.sfreq}.")

    def apply(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        if raw.info["sfreq"] == self.sfreq:
            return raw
        return raw.resample(self.sfreq, verbose=False)


@dataclass
class PickChannels(Step):
    """Keep these EEG channels, in this order (names match across spellings: ``C3..``, ``C3``,
    ``c3``); stim channels stay, so events can still be read."""

    key: ClassVar[str] = "channels"
    names: list[str] = field(default_factory=list)

    def check(self) -> None:
        if not self.names:
            self.fail("names is empty: give the channels to keep, e.g. channels: [C3, Cz, C4].")

    def apply(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        import mne

        from eegdec.data.channels import match_channels

        eeg = [raw.ch_names[i] for i in _eeg_picks(raw)]
        stim = [raw.ch_names[i] for i in mne.pick_types(raw.info, eeg=False, stim=True)]
        return raw.pick(match_channels(self.names, eeg) + stim)


@dataclass
class Rereference(Step):
    """Re-reference: ``"average"`` (common average) or a list of reference channels."""

    key: ClassVar[str] = "rereference"
    ref: str | list[str] = "average"

    def check(self) -> None:
        if not self.ref:
            self.fail("ref is empty: use 'average' or name the reference channels.")

    def apply(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        from eegdec.data.channels import match_channels

        names = [self.ref] if isinstance(self.ref, str) else list(self.ref)
        ref = self.ref if self.ref == "average" else match_channels(names, raw.ch_names)
        raw.set_eeg_reference(ref, projection=False, verbose=False)
        return raw


@dataclass
class ExponentialMovingStandardize(Step):
    """Exponential moving standardisation (braindecode's), on the signal in microvolts.

    With ``phase: zero`` (default) the first ``init_block_size`` samples are standardised with
    the whole block's mean and sd, as braindecode does, which looks ahead; ``phase: causal``
    runs :class:`~eegdec.preprocessing.causal.StreamEMS`, which uses the mean and sd of the
    block's samples seen so far and equals braindecode's output after the block.
    """

    key: ClassVar[str] = "ems"
    factor_new: float = 1e-3
    init_block_size: int | None = 1000
    eps: float = 1e-4
    phase: Phase = "zero"

    def check(self) -> None:
        if not 0 < self.factor_new <= 1:
            self.fail(f"factor_new must be in (0, 1], got {self.factor_new}.")
        if self.init_block_size is not None and self.init_block_size < 1:
            self.fail(f"init_block_size must be a positive number of samples (or None), got "
                      f"{self.init_block_size}.")
        if self.eps <= 0:
            self.fail(f"eps must be positive, got {self.eps}.")

    def describe(self) -> str:
        if self.phase == "causal" or self.init_block_size is None:
            return f"causal EMS (factor_new {self.factor_new:g})"
        return (f"EMS (factor_new {self.factor_new:g}, first {self.init_block_size} samples "
                "standardised as a block)")

    def apply(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        picks = _eeg_picks(raw)
        if self.phase == "causal":
            from eegdec.preprocessing.causal import StreamEMS

            ems = StreamEMS(len(picks), self.factor_new, self.init_block_size, self.eps)
            raw._data[picks] = ems.process(raw._data[picks])
            return raw
        from braindecode.preprocessing.preprocess import exponential_moving_standardize

        data = raw.get_data(picks=picks) * 1e6
        out = exponential_moving_standardize(
            data, factor_new=self.factor_new, init_block_size=self.init_block_size, eps=self.eps
        )
        # Epoching multiplies by 1e6 (V -> uV); store the unitless result scaled back.
        raw._data[picks] = out * 1e-6
        return raw


# -- trial window -------------------------------------------------------------------------
@dataclass
class Window(Step):
    """Trial window in seconds from the cue (``None`` keeps the dataset's own window)."""

    key: ClassVar[str] = "window"
    stage: ClassVar[str] = "window"
    tmin: float = 0.0
    tmax: float | None = None

    def check(self) -> None:
        if self.tmax is not None and self.tmax <= self.tmin:
            self.fail(f"tmin={self.tmin} s must be before tmax={self.tmax} s.")


# -- epoch steps --------------------------------------------------------------------------
@dataclass
class Baseline(Step):
    """Subtract each trial's per-channel mean over ``[tmin, tmax]`` s from the cue."""

    key: ClassVar[str] = "baseline"
    stage: ClassVar[str] = "epochs"
    tmin: float | None = None
    tmax: float = 0.0

    def check(self) -> None:
        if self.tmin is not None and self.tmin > self.tmax:
            self.fail(f"tmin={self.tmin} s must not be after tmax={self.tmax} s.")

    def apply(self, ep: EpochsData) -> EpochsData:
        t0 = float(ep.info.get("tmin", 0.0))
        times = t0 + np.arange(ep.n_times) / ep.sfreq
        lo = times[0] if self.tmin is None else self.tmin
        mask = (times >= lo - 1e-9) & (times <= self.tmax + 1e-9)
        if not mask.any():
            raise BadInputError(
                f"baseline [{self.tmin}, {self.tmax}] s lies outside the epoch "
                f"[{times[0]:.3f}, {times[-1]:.3f}] s: widen the window or move the baseline."
            )
        X = ep.X - ep.X[:, :, mask].mean(axis=2, keepdims=True)
        return _replace_X(ep, X)


@dataclass
class Standardize(Step):
    """Per-trial, per-channel z-score over time."""

    key: ClassVar[str] = "standardize"
    stage: ClassVar[str] = "epochs"
    eps: float = 1e-8

    def check(self) -> None:
        if self.eps < 0:
            self.fail(f"eps must be >= 0, got {self.eps}.")

    def apply(self, ep: EpochsData) -> EpochsData:
        mu = ep.X.mean(axis=2, keepdims=True)
        sd = ep.X.std(axis=2, keepdims=True)
        return _replace_X(ep, (ep.X - mu) / (sd + self.eps))


def _replace_X(ep: EpochsData, X: np.ndarray) -> EpochsData:
    from eegdec.data.epochs import EpochsData

    return EpochsData(X, ep.y, list(ep.classes), ep.metadata, list(ep.ch_names), ep.sfreq,
                      ep.montage, ep.dataset, dict(ep.info))


def _causal(raw: mne.io.BaseRaw, sos: np.ndarray) -> mne.io.BaseRaw:
    """``raw``'s data channels through the streaming filter, from its first sample."""
    from eegdec.preprocessing.causal import SOSFilter

    return raw.apply_function(lambda x: SOSFilter(sos, len(x)).process(x),
                              picks="data", channel_wise=False)


def _eeg_picks(raw: mne.io.BaseRaw) -> np.ndarray:
    import mne

    return mne.pick_types(raw.info, eeg=True, exclude=[])


def make_step(entry: dict[str, Any] | Step) -> Step:
    """Build a step from ``{"bandpass": {"l_freq": 8, "h_freq": 32}}`` (one key per entry)."""
    if isinstance(entry, Step):
        return entry
    if not isinstance(entry, dict) or len(entry) != 1:
        raise BadInputError(
            f"Pipeline step {entry!r} must be a mapping with one key, e.g. "
            "{'bandpass': {'l_freq': 8, 'h_freq': 32}}."
        )
    (key, params), = entry.items()
    if key not in STEPS:
        from eegdec.errors import UnknownNameError, suggest

        raise UnknownNameError(
            f"Unknown preprocessing step {key!r}.{suggest(str(key), list(STEPS))} "
            f"Steps: {', '.join(STEPS)}."
        )
    names = [f.name for f in fields(STEPS[key])]
    if params is None:
        params = {}
    elif not isinstance(params, dict):  # shorthand: {"resample": 128}, {"channels": [...]}
        params = {names[0]: params}
    unknown = [p for p in params if p not in names]
    if unknown:
        from eegdec.errors import suggest

        raise BadInputError(
            f"Pipeline step {key!r} has no parameter {unknown[0]!r}."
            f"{suggest(str(unknown[0]), names)} Its parameters: {', '.join(names)}."
        )
    return STEPS[key](**params)
