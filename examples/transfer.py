"""Transfer to a new user on simulated subjects: augmentation, causal AdaBN, head-only
calibration, and a seed ensemble (docs/transfer.md). About a minute on one CPU thread.

    python examples/transfer.py
"""

import numpy as np
import torch

from eegdec import load_epochs
from eegdec.preprocessing.alignment import IncrementalEuclideanAlignment, align_domains
from eegdec.training.classifier import EEGDecClassifier
from eegdec.training.tta import adapt_predict

torch.set_num_threads(1)
subjects = [load_epochs("SimMI-2class", [s], paradigm="MI") for s in (1, 2, 3)]
target, sources = subjects[0], subjects[1:]
first = (target.metadata["session"] == target.metadata["session"].iloc[0]).to_numpy()
target = target.subset(np.flatnonzero(first))  # the new user's first session, in order
X_src = align_domains(np.concatenate([s.X for s in sources]),
                      np.concatenate([s.domains() for s in sources]), "euclidean")
y_src = np.concatenate([s.y for s in sources])
X_tgt = IncrementalEuclideanAlignment().transform(target.X)  # causal: trial i sees 0..i
cal, test = slice(0, 16), slice(16, None)

probas = []
for seed in (1, 2):
    clf = EEGDecClassifier("eegnet", epochs=5, batch_size=16, random_state=seed,
                           sfreq=target.sfreq, augment="frequency-shift,mixup",
                           fine_tune_strategy="head")
    clf.fit(X_src, y_src)
    plain = clf.predict_proba(X_tgt[test])
    # AdaBN: batch-norm statistics from the target trials seen so far (16 calibration first)
    adabn = adapt_predict(clf, "adabn", X_tgt[test], seen=X_tgt[cal]).predict_proba(X_tgt[test])
    clf.fine_tune(X_tgt[cal], target.y[cal], epochs=10)  # head only, early stopping (N >= 8)
    tuned = clf.predict_proba(X_tgt[test])
    for name, p in (("source model", plain), ("causal AdaBN", adabn), ("head fine-tuned", tuned)):
        print(f"seed {seed} {name:16s} accuracy {np.mean(p.argmax(1) == target.y[test]):.3f}")
    probas.append(tuned)
ensemble = np.mean(probas, axis=0).argmax(1)
print(f"ensemble of 2 seeds (fine-tuned)  accuracy {np.mean(ensemble == target.y[test]):.3f}")
