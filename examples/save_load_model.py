"""Save a trained classifier for sharing, load it back, and cache one with joblib.

Runs on the built-in simulated dataset (no download) in about 20 seconds on a 2-core CPU:

    python examples/save_load_model.py [--model eegnet] [--epochs 10] [--out eegnet-simmi]

See docs/reliability.md ("Saving and sharing a model") for which format to use when.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import joblib
import numpy as np
from sklearn.model_selection import train_test_split

from eegdec import EEGDecClassifier, load_epochs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="eegnet")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", type=Path, default=None,
                   help="directory to save the model in (default: a temporary one)")
    args = p.parse_args()

    data = load_epochs("SimMI-2class", subjects=[1])
    X, X_test, y, y_test = train_test_split(data.X, data.labels, test_size=0.25,
                                            stratify=data.labels, random_state=0)
    clf = EEGDecClassifier(args.model, epochs=args.epochs, lr=1e-2, sfreq=data.sfreq,
                           random_state=1, alignment="euclidean")
    clf.fit(X, y)
    proba = clf.predict_proba(X_test)
    print(f"{args.model} test accuracy: {clf.score(X_test, y_test):.3f} (chance 0.5)")

    with tempfile.TemporaryDirectory() as tmp:
        # Sharing: weights.pt (tensors only) + model.json (parameters, classes, checksum).
        out = clf.save(args.out or Path(tmp) / f"{args.model}-simmi")
        meta = json.loads((out / "model.json").read_text())
        print(f"saved to {out}: {sorted(f.name for f in out.iterdir())}, eegdec "
              f"{meta['eegdec_version']}, weights sha256 {meta['weights_sha256'][:12]}...")
        loaded = EEGDecClassifier.load(out)  # no pickled code runs; checksum and version checked
        print("loaded model gives identical probabilities:",
              np.array_equal(loaded.predict_proba(X_test), proba))

        # Same-environment cache (and what joblib workers exchange): trusted files only.
        joblib.dump(clf, Path(tmp) / "clf.joblib")
        cached = joblib.load(Path(tmp) / "clf.joblib")
        print("joblib copy gives identical probabilities:",
              np.array_equal(cached.predict_proba(X_test), proba))


if __name__ == "__main__":
    main()
