"""The seizure preprocessing default and how the loaders apply a pipeline to recordings.

Default, as in the DBConformer paper's seizure experiments: 50 Hz notch, 0.5-50 Hz FIR
band-pass, resample to 100 Hz. A dataset entry can replace it with ``options.pipeline`` (an
eegdec pipeline config) and a caller with its own :class:`~eegdec.preprocessing.Pipeline`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eegdec.data.registry import DatasetSpec
from eegdec.preprocessing.pipeline import Pipeline

DEFAULT_PIPELINE: dict[str, Any] = {"steps": [
    {"notch": {"freqs": 50.0}},
    {"bandpass": {"l_freq": 0.5, "h_freq": 50.0, "method": "fir"}},
    {"resample": {"sfreq": 100.0}},
]}
# Raw steps that act on each channel alone: segments may be stacked as channels of one Raw.
CHANNELWISE_STEPS = frozenset({"notch", "bandpass", "resample", "ems"})


def seizure_pipeline(spec: DatasetSpec | None = None, pipeline: Any = None) -> Pipeline:
    """``pipeline`` if given, else the entry's ``options.pipeline``, else the default."""
    if pipeline is not None:
        return Pipeline.coerce(pipeline)
    options = spec.options if spec is not None else {}
    return Pipeline.coerce(options.get("pipeline", DEFAULT_PIPELINE))


def is_channelwise(pipeline: Pipeline) -> bool:
    """True when every raw step filters channels independently (no picking, re-referencing)."""
    return all(s.key in CHANNELWISE_STEPS for s in pipeline.steps if s.stage == "raw")


def process_raw(raw: Any, pipeline: Pipeline) -> tuple[np.ndarray, float, list[str]]:
    """``pipeline.apply_raw`` on a loaded Raw: ``(data (n_chans, n_times), sfreq, ch_names)``."""
    raw = pipeline.apply_raw(raw)
    return raw.get_data(picks="data"), float(raw.info["sfreq"]), list(raw.ch_names)
