"""Seizure detection: continuous EEG cut into labelled windows, and the seizure datasets.

- :mod:`~eegdec.data.seizure.windows`: fixed-length windows labelled from seizure intervals.
- :mod:`~eegdec.data.seizure.preprocess`: the DBConformer seizure preprocessing (50 Hz notch,
  0.5-50 Hz band-pass, resample to 100 Hz).
- :mod:`~eegdec.data.seizure.splits`: CV splits that keep one recording's windows together.
- Loaders (``load_subject`` for ``eegdec.preprocessing.load``): :mod:`~eegdec.data.seizure.bonn`,
  :mod:`~eegdec.data.seizure.chbmit`, :mod:`~eegdec.data.seizure.helsinki`.
"""

CLASSES = ["non_seizure", "seizure"]
