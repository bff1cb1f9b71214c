"""A live decoder from a fitted classifier: stream chunks, get decisions, export to ONNX.

Runs on the simulated dataset in about a minute. For real streams see docs/online.md
(`eegdec export`, `eegdec replay`, `eegdec stream`).
"""

import tempfile

import numpy as np

from eegdec import EEGDecClassifier, load_epochs
from eegdec.online.decoder import Decoder

epochs = load_epochs("SimMI-2class", subjects=[1])
clf = EEGDecClassifier(model="eegnet", epochs=5, sfreq=epochs.sfreq, alignment="euclidean",
                       random_state=1).fit(epochs.X, epochs.labels)

# A decision every 0.25 s on the last window, alignment seeded with the first 20 trials.
decoder = Decoder.from_classifier(clf, epochs.ch_names, hop_s=0.25,
                                  calibration=epochs.X[:20])
stream = np.concatenate(list(epochs.X[20:30]), axis=1) / 1e6  # volts, as LSL delivers EEG
rng = np.random.default_rng(0)
decisions, i = [], 0
while i < stream.shape[1]:  # chunks of any size
    n = int(rng.integers(5, 60))
    decisions += decoder.push(stream[:, i:i + n])
    i += n
print(f"{len(decisions)} decisions, last: {decisions[-1].label} "
      f"p={decisions[-1].proba.round(2)} in {decisions[-1].latency * 1e3:.1f} ms")

with tempfile.TemporaryDirectory() as folder:  # model.onnx + manifest.json
    decoder.export(folder)
    exported = Decoder.from_export(folder)  # ONNX Runtime: numpy, scipy, onnxruntime only
    same = exported.push(stream[:, :2000])
    print(f"exported decoder: {len(same)} decisions, first label {same[0].label}")
