"""How the seizure loaders apply a preprocessing pipeline to recordings.

The default pipeline is each entry's ``options.pipeline`` in datasets.yaml (as in the
DBConformer paper's seizure experiments: 50 Hz notch, 0.5-50 Hz FIR band-pass, 100 Hz).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eegdec.data.epochs import Preprocessor

# Raw steps that act on each channel alone: segments may be stacked as channels of one Raw.
CHANNELWISE_STEPS = frozenset({"notch", "bandpass", "resample", "ems"})


def is_channelwise(pipeline: Preprocessor) -> bool:
    """True when every raw step filters channels independently (no picking, re-referencing)."""
    return all(s.key in CHANNELWISE_STEPS for s in pipeline.steps if s.stage == "raw")


def process_raw(raw: Any, pipeline: Preprocessor) -> tuple[np.ndarray, float, list[str]]:
    """``pipeline.apply_raw`` on a loaded Raw: ``(data (n_chans, n_times), sfreq, ch_names)``."""
    raw = pipeline.apply_raw(raw)
    return raw.get_data(picks="data"), float(raw.info["sfreq"]), list(raw.ch_names)
