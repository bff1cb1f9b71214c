"""EEGDecClassifier in a scikit-learn pipeline with cross-validation, then online fine-tuning.

Runs on the built-in simulated dataset (no download) in about a minute on a 2-core CPU:

    python examples/sklearn_pipeline.py [--model eegnet] [--epochs 20]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from eegdec import EEGDecClassifier, load_epochs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="eegnet")
    p.add_argument("--epochs", type=int, default=20)
    args = p.parse_args()

    data = load_epochs("SimMI-2class", subjects=[1])
    session0 = data.subset(data.metadata["session"] == "0")
    X, y = session0.X, session0.labels  # string labels: "left_hand", "right_hand"
    X = X[:, :, ::2]  # 250 -> 125 Hz keeps the example quick (the data are low-passed)
    sfreq = data.sfreq / 2

    clf = EEGDecClassifier(args.model, epochs=args.epochs, lr=1e-3, batch_size=32,
                           sfreq=sfreq, random_state=1, alignment="euclidean")
    # Any sklearn step can precede it; here a per-trial mean removal.
    pipe = make_pipeline(FunctionTransformer(lambda Z: Z - Z.mean(-1, keepdims=True)), clf)
    cv = StratifiedKFold(5, shuffle=True, random_state=42)
    scores = cross_val_score(pipe, X, y, cv=cv)
    print(f"{args.model} 5-fold accuracy on SimMI-2class subject 1: "
          f"{scores.mean():.3f} +- {scores.std():.3f} (chance 0.5)")

    # Online calibration: train on session 0, fine-tune on the first 16 trials of session 1.
    session1 = data.subset(data.metadata["session"] == "1")
    X1, y1 = session1.X[:, :, ::2], session1.labels
    clf.fit(X, y)
    before = clf.score(X1[16:], y1[16:])
    clf.fine_tune(X1[:16], y1[:16], epochs=10, lr=1e-4)
    after = clf.score(X1[16:], y1[16:])
    print(f"session 1 accuracy: {before:.3f} before, {after:.3f} after fine-tuning on 16 trials")
    last = clf.history_[-1]
    print(f"last epoch: train_loss {last['train_loss']:.3f}, train_acc {last['train_acc']:.3f}; "
          f"{len(clf.history_)} epochs in history; classes {list(np.asarray(clf.classes_))}")


if __name__ == "__main__":
    main()
