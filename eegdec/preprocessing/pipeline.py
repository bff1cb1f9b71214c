"""An ordered list of preprocessing steps, declared in Python or YAML.

Example (YAML)::

    steps:
      - bandpass: {l_freq: 8, h_freq: 32}      # MNE IIR, zero-phase, as MOABB
      - resample: 128
      - channels: [C3, Cz, C4]
      - window: {tmin: 0.5, tmax: 2.5}          # seconds from the cue
      - standardize: {}
    bad_channels: interpolate                   # raise | interpolate | drop

A filter with ``phase: causal`` (``- bandpass: {l_freq: 8, h_freq: 30, phase: causal}``) runs
forward only, as a stream can; ``Pipeline.causal()`` makes every filter so
(``eegdec run --causal-filter``). ``Pipeline.default()`` is MOABB's ``MotorImagery`` default:
8-32 Hz IIR band-pass on the continuous signal, native sampling rate, the dataset's trial
window.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from eegdec.errors import BadInputError
from eegdec.preprocessing.bad_channels import BAD_CHANNEL_MODES, handle_bad_channels
from eegdec.preprocessing.steps import (
    BandPass,
    FilterBank,
    Notch,
    PickChannels,
    Step,
    Window,
    make_step,
)

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from eegdec.data.epochs import EpochsData
    from eegdec.data.registry import DatasetSpec


FILTERS = (BandPass, Notch, FilterBank)


class Pipeline:
    """Ordered preprocessing steps plus the policy for NaN/flat channels.

    Parameters
    ----------
    steps : steps or ``{name: params}`` mappings, in order
    bad_channels : what to do with channels that hold NaN or are flat: ``"raise"`` (default,
        naming them), ``"interpolate"`` (spherical splines from the montage) or ``"drop"``
    """

    def __init__(
        self,
        steps: Iterable[Step | dict[str, Any]] = (),
        bad_channels: Literal["raise", "interpolate", "drop"] = "raise",
    ) -> None:
        if bad_channels not in BAD_CHANNEL_MODES:
            raise BadInputError(
                f"bad_channels={bad_channels!r}: use one of {', '.join(BAD_CHANNEL_MODES)}."
            )
        self.steps = [make_step(s) for s in steps]
        self.bad_channels = bad_channels
        windows = [s for s in self.steps if isinstance(s, Window)]
        if len(windows) > 1:
            raise BadInputError("A pipeline may hold one window step only: remove the others.")

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def default(cls, **kw: Any) -> Pipeline:
        """MOABB ``MotorImagery`` defaults: 8-32 Hz IIR band-pass, native rate, dataset window."""
        return cls([BandPass(8.0, 32.0, "iir")], **kw)

    @classmethod
    def from_config(cls, config: dict[str, Any] | list) -> Pipeline:
        """From ``{"steps": [...], "bad_channels": ...}`` or a bare list of steps."""
        if isinstance(config, list):
            return cls(config)
        if not isinstance(config, dict) or "steps" not in config:
            raise BadInputError(
                "A pipeline config needs a 'steps' list: write e.g. "
                "steps: [{bandpass: {l_freq: 8}}]."
            )
        unknown = [k for k in config if k not in ("steps", "bad_channels")]
        if unknown:
            from eegdec.errors import suggest

            raise BadInputError(
                f"Unknown pipeline key {unknown[0]!r}.{suggest(str(unknown[0]), ['bad_channels'])}"
                " A pipeline config has only 'steps' and 'bad_channels'."
            )
        steps = config["steps"] or []
        if not isinstance(steps, list):
            raise BadInputError(
                f"'steps' must be a list of steps, got {steps!r}: write one '- name: params' "
                "line per step."
            )
        return cls(steps, config.get("bad_channels", "raise"))

    @classmethod
    def from_yaml(cls, source: str | Path) -> Pipeline:
        """From a YAML file path or a YAML string; errors name the file and the line."""
        import yaml

        from eegdec.errors import EEGDecError

        text, where = source, "Pipeline YAML"
        if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                        and source.endswith((".yaml", ".yml"))):
            path = Path(source)
            if not path.is_file():
                raise BadInputError(f"Pipeline file {path} does not exist: check the path.")
            where = f"Pipeline file {path}"
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise BadInputError(f"{where} is not UTF-8 text: pass a YAML file.") from exc
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise BadInputError(f"{where}{line}: invalid YAML ({problem}): fix the syntax.") \
                from exc
        try:
            return cls.from_config(config)
        except EEGDecError as exc:
            if where == "Pipeline YAML":
                raise
            raise type(exc)(f"{where}: {exc}") from exc

    @classmethod
    def coerce(cls, pipeline: Pipeline | dict | list | str | Path | None) -> Pipeline:
        """Accept a Pipeline, a config dict/list, a YAML path/string, or None (default)."""
        if pipeline is None:
            return cls.default()
        if isinstance(pipeline, Pipeline):
            return pipeline
        if isinstance(pipeline, (str, Path)):
            return cls.from_yaml(pipeline)
        return cls.from_config(pipeline)

    @classmethod
    def for_dataset(cls, spec: DatasetSpec, pipeline: Any = None, paradigm: str | None = None,
                    classes: Sequence[str] = ()) -> Pipeline:
        """``pipeline`` if given, else the entry's ``options.pipeline``, else the paradigm's
        default: MOABB's ``SSVEP`` (7-45 Hz), ``FilterBankSSVEP`` (1 Hz bands around each
        stimulation frequency of ``classes``) or ``MotorImagery`` (8-32 Hz)."""
        from eegdec.data.paradigms import FILTER_BANK, FREQUENCY_TAGGED, stimulus_frequencies

        if pipeline is None and spec.options.get("pipeline") is None:
            if paradigm in FILTER_BANK:
                return cls([FilterBank(stimulus_frequencies(classes))])
            if paradigm in FREQUENCY_TAGGED:
                return cls([BandPass(7.0, 45.0, "iir")])
        return cls.coerce(pipeline if pipeline is not None else spec.options.get("pipeline"))

    def causal(self) -> Pipeline:
        """A copy whose band-pass, notch and filter-bank steps run causally (the streaming
        filter, forward only; a FIR band-pass becomes the Butterworth IIR of the same band)
        and whose ``ems`` standardises its first block causally: what a stream can repeat."""
        steps = [dataclasses.replace(s, phase="causal",
                                     **({"method": "iir"} if isinstance(s, BandPass) else {}))
                 if hasattr(s, "phase") else s for s in self.steps]
        return Pipeline(steps, self.bad_channels)

    # -- description ----------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Plain dict (YAML/JSON-serialisable) that rebuilds this pipeline."""
        return {"steps": [s.config() for s in self.steps], "bad_channels": self.bad_channels}

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.config(), sort_keys=False)

    def hash(self) -> str:
        """Short stable hash of :meth:`config`."""
        blob = json.dumps(self.config(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def describe_filter(self) -> str:
        """The filters of the continuous signal in words, e.g. ``"zero-phase 8-32 Hz Butterworth
        order 4"`` (``"none"`` without one): the ``filter`` column of results."""
        filters = [s.describe() for s in self.steps if isinstance(s, FILTERS)]
        return "; ".join(filters) or "none"

    @property
    def window(self) -> Window | None:
        return next((s for s in self.steps if isinstance(s, Window)), None)

    def __repr__(self) -> str:
        names = ", ".join(type(s).__name__ for s in self.steps)
        return f"Pipeline([{names}], bad_channels={self.bad_channels!r})"

    # -- application ----------------------------------------------------------------------
    def apply_raw(self, raw: mne.io.BaseRaw) -> mne.io.BaseRaw:
        """Bad-channel policy, then the continuous-signal steps in order (in place).

        With a ``channels`` step, only the channels it keeps are checked for NaN/flat signal.
        """
        picks = [s for s in self.steps if isinstance(s, PickChannels)]
        only = None
        if picks:
            from eegdec.data.channels import match_channels

            only = match_channels(picks[-1].names, raw.ch_names)
        raw = handle_bad_channels(raw, self.bad_channels, only)
        for step in self.steps:
            if step.stage == "raw":
                raw = step.apply(raw)
        return raw

    def apply_epochs(self, epochs: EpochsData) -> EpochsData:
        """The epoch steps in order."""
        for step in self.steps:
            if step.stage == "epochs":
                epochs = step.apply(epochs)
        return epochs

    def epoch_window(self, trial_window: tuple[float, float]) -> tuple[float, float]:
        """``(tmin, tmax)`` from the cue, checked against the dataset's trial window.

        The trial runs from the event marker (``-trial_window[0]`` s before the cue) to the
        end of the window (``trial_window[1] - trial_window[0]`` s after the cue).
        """
        length = trial_window[1] - trial_window[0]
        w = self.window
        if w is None:
            return 0.0, length
        tmax = length if w.tmax is None else w.tmax
        earliest = -trial_window[0]
        if w.tmin < earliest - 1e-9 or tmax > length + 1e-9:
            raise BadInputError(
                f"Window [{w.tmin}, {tmax}] s lies outside the trial, which spans "
                f"[{earliest:g}, {length:g}] s from the cue: choose tmin/tmax inside it."
            )
        return w.tmin, tmax
