"""Parameter counts of every torch model for one reference input, stored as packaged JSON.

``eegdec models`` reads the JSON so that it answers without importing torch;
``python benchmarks/bench_models.py --update-param-counts`` regenerates it and
``tests/test_models_registry.py`` checks it against freshly built models.
"""

from __future__ import annotations

import json
from pathlib import Path

#: The reference input: BNCI2014001 (22 channels, 4 s + 1 sample at 250 Hz, 4 classes).
REFERENCE = {"n_chans": 22, "n_times": 1001, "sfreq": 250.0, "n_outputs": 4}
PARAM_COUNTS_JSON = Path(__file__).with_name("param_counts.json")


def count_parameters(name: str) -> int | None:
    """Trainable parameters of model ``name`` built for :data:`REFERENCE` (``None`` if it can't)."""
    from eegdec.errors import EEGDecError
    from eegdec.models.registry import create_model

    try:
        model = create_model(name, **REFERENCE)
    except EEGDecError:
        return None
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def compute_param_counts() -> dict[str, int | None]:
    """Counts for every torch model that eegdec itself registers (not user or test plug-ins)."""
    from eegdec.models.registry import list_models

    return {m.name: count_parameters(m.name) for m in list_models("torch")
            if m.builder.__module__.startswith("eegdec.")}


def load_param_counts() -> dict[str, int | None]:
    """The stored counts (empty if the JSON has not been generated)."""
    if not PARAM_COUNTS_JSON.exists():
        return {}
    return json.loads(PARAM_COUNTS_JSON.read_text())["counts"]


def write_param_counts(counts: dict[str, int | None]) -> Path:
    """Store ``counts`` with the reference input they were measured for."""
    payload = {"reference": REFERENCE, "counts": dict(sorted(counts.items()))}
    PARAM_COUNTS_JSON.write_text(json.dumps(payload, indent=1) + "\n")
    return PARAM_COUNTS_JSON
