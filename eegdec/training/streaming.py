"""Fit any estimator on a :class:`~eegdec.data.stack.TrialStack` without concatenating it.

- Estimators that read stacks themselves (``accepts_trial_stacks``, e.g.
  :class:`~eegdec.training.classifier.EEGDecClassifier`) get the stack.
- Pipelines whose first steps work trial by trial and learn nothing (pyRiemann's
  ``Covariances``, a ``FunctionTransformer`` whose function is marked ``eegdec_per_trial``)
  run those steps block by block (at most one subject at a time); their outputs
  (covariance matrices: small) are concatenated and the remaining steps fit on them as the
  pipeline would.
- Anything else gets the concatenated trials (logged): memory as before.

The fitted estimator is the same object, fitted to the same numbers as ``est.fit`` on the
concatenation.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from eegdec.data.stack import TrialStack

log = logging.getLogger(__name__)


def is_per_trial(step: Any) -> bool:
    """Whether ``step`` transforms each trial on its own and learns nothing in ``fit``."""
    from pyriemann.estimation import Covariances
    from sklearn.preprocessing import FunctionTransformer

    if type(step) is Covariances:
        return True
    return (type(step) is FunctionTransformer
            and getattr(step.func, "eegdec_per_trial", False)
            and step.inverse_func is None and not step.validate)


def _leaves(est: Any) -> list[Any] | None:
    """The steps of a (possibly nested) sklearn ``Pipeline`` in order; ``None`` otherwise."""
    from sklearn.pipeline import Pipeline

    if not isinstance(est, Pipeline):
        return None
    out: list[Any] = []
    for _, step in est.steps:
        if step is None or step == "passthrough":
            continue
        inner = _leaves(step)
        out.extend(inner if inner is not None else [step])
    return out


def fit_trials(est: Any, X: TrialStack | np.ndarray, y: np.ndarray) -> Any:
    """``est.fit(X, y)`` for a :class:`TrialStack` ``X``, streaming where possible."""
    if not isinstance(X, TrialStack) or getattr(est, "accepts_trial_stacks", False):
        return est.fit(X, y)
    steps = _leaves(est)
    head = 0
    while steps is not None and head < len(steps) - 1 and is_per_trial(steps[head]):
        head += 1
    if not head:
        log.info("%s cannot stream its input: fitting on the %d trials concatenated (%.0f MB).",
                 type(est).__name__, len(X), X.nbytes / 1e6)
        return est.fit(X.materialize(), y)
    y = np.asarray(y)
    feats = []
    for b, block in enumerate(X.blocks()):
        for step in steps[:head]:
            block = step.fit_transform(block) if b == 0 else step.transform(block)
        feats.append(block)
    Z = np.concatenate(feats)
    del feats
    for step in steps[head:-1]:
        Z = step.fit_transform(Z, y)
    steps[-1].fit(Z, y)
    return est
