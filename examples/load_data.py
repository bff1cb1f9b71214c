"""Load data, preprocess it and align it: a tour of eegdec's data layer.

Runs offline in about a minute: the built-in simulated dataset always, PhysionetMI when
``../shared/data`` (or ``$EEGDEC_DATA``) holds it.

    python examples/load_data.py
"""

from __future__ import annotations

import os
from pathlib import Path

from eegdec.data.registry import get_dataset_spec
from eegdec.errors import EEGDecError
from eegdec.preprocessing import Pipeline
from eegdec.preprocessing.alignment import EuclideanAlignment, IncrementalEuclideanAlignment
from eegdec.preprocessing.load import load_epochs

# 1. Built-in simulated motor imagery (MOABB MotorImagery defaults: 8-32 Hz IIR, 4 s window).
ep = load_epochs("SimMI-2class", subjects=[1, 2])
print(ep)
print(ep.metadata.head(3))

# 2. A custom pipeline, from YAML: 3 channels, 128 Hz, 0.5-2.5 s after the cue, z-scored.
pipe = Pipeline.from_yaml("""
steps:
  - bandpass: {l_freq: 8, h_freq: 30}
  - resample: 128
  - channels: [C3, Cz, C4]
  - window: {tmin: 0.5, tmax: 2.5}
  - standardize: {}
""")
small = load_epochs("SimMI-2class", subjects=[1], pipeline=pipe)
print(pipe, "->", small.X.shape, small.ch_names, small.sfreq)

# 3. Euclidean alignment: per subject on training data, causal on a new subject.
train, new = ep.subset(ep.metadata.subject == 1), ep.subset(ep.metadata.subject == 2)
X_train = EuclideanAlignment().fit_transform(train.X, domains=train.metadata.session)
online = IncrementalEuclideanAlignment().fit(new.X[:8])  # seed with 8 calibration trials
X_new = online.transform(new.X[8:])                      # then one trial at a time, in order
print("aligned:", X_train.shape, X_new.shape)

# 4. Errors name the problem and the fix.
for bad in ("BNCI2041001", "SimMI-2class"):
    try:
        load_epochs(bad, subjects=[], pipeline=[{"channels": ["C44"]}])
    except EEGDecError as exc:
        print(f"{type(exc).__name__}: {exc}")

# 5. Real data, offline, when present: only runs R04/R08/R12 are read for left/right.
data_dir = Path(os.environ.get("EEGDEC_DATA", Path(__file__).resolve().parents[2] / "shared"
                               / "data"))
if get_dataset_spec("PhysionetMI").presence(data_dir).startswith(("yes", "partial")):
    real = load_epochs("PhysionetMI", [1, 2], paradigm="LR", data_dir=data_dir)
    print(real, sorted(real.metadata.run.unique()))
