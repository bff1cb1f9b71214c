"""Source subjects chosen or weighted by how close their aligned covariances are to a target's.

A subject's signature is the Riemannian (geometric) mean of its trial covariances after
Euclidean alignment of each of its recording domains. Alignment makes every arithmetic mean
the identity, so what remains in the geometric mean is the shape of the spread of the trial
covariances (which directions vary how much), which differs between users. The distance of
a source subject to the target is the affine-invariant Riemannian distance (pyRiemann) of
their signatures.

The target's signature comes from the trials the caller passes, and only from their signals:
the online protocol passes the calibration block (the first ``N_max`` trials of the target
session, which precede every test trial). Labels never enter here, and the function has no
access to the test trials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eegdec.data.epochs import EpochsData
from eegdec.data.stack import EpochsStack
from eegdec.errors import BadInputError

MIN_TARGET_TRIALS = 4


def signature(X: np.ndarray, domains: np.ndarray | None = None) -> np.ndarray:
    """Riemannian mean of the trial covariances of ``X`` after per-domain Euclidean alignment."""
    from pyriemann.utils.mean import mean_riemann

    from eegdec.preprocessing.alignment import align_domains

    X = np.asarray(X, dtype=np.float64)
    aligned = align_domains(X, domains, "euclidean")
    covs = np.einsum("nct,ndt->ncd", aligned, aligned) / X.shape[2]
    covs += 1e-6 * np.trace(covs, axis1=1, axis2=2)[:, None, None] / X.shape[1] \
        * np.eye(X.shape[1])[None]
    return mean_riemann(covs)


@dataclass
class SourceChoice:
    """The chosen source subjects, their distances and per-trial loss weights."""

    source: EpochsStack
    distances: dict[str, float]
    kept: list[str]
    weight: np.ndarray | None

    def describe(self) -> str:
        return ", ".join(f"{s} ({self.distances[s]:.2f})" for s in self.kept)


def choose_sources(source: EpochsStack | EpochsData, X_target: np.ndarray, *,
                   k: int | None = None, weighted: bool = False) -> SourceChoice:
    """Keep the ``k`` source subjects nearest to ``X_target`` (all when ``None``) and, with
    ``weighted``, weight each kept subject's trials by ``exp(-d^2 / (2 median(d)^2))``,
    normalised to mean 1 over the kept trials."""
    parts = source.parts if isinstance(source, EpochsStack) else [source]
    if len(X_target) < MIN_TARGET_TRIALS:
        raise BadInputError(
            f"Source selection needs at least {MIN_TARGET_TRIALS} target trials before the test "
            f"trials, got {len(X_target)}: add a calibration size of 4 or more to --calib-sizes."
        )
    if k is not None and not 1 <= k < len(parts):
        raise BadInputError(f"--source-select {k} must be between 1 and {len(parts) - 1} (there "
                            f"are {len(parts)} source subjects): lower it.")
    target = signature(X_target)
    from pyriemann.utils.distance import distance_riemann

    names = [str(p.metadata["subject"].iloc[0]) for p in parts]
    dist = {n: float(distance_riemann(signature(p.X, p.domains()), target))
            for n, p in zip(names, parts)}
    order = sorted(range(len(parts)), key=lambda i: (dist[names[i]], names[i]))
    keep = sorted(order[:k] if k is not None else order)
    chosen = [parts[i] for i in keep]
    weight = None
    if weighted:
        d = np.array([dist[names[i]] for i in keep])
        scale = max(float(np.median(d)), 1e-12)
        w_subject = np.exp(-(d ** 2) / (2 * scale ** 2))
        weight = np.concatenate([np.full(p.n_trials, w) for p, w in zip(chosen, w_subject)])
        weight = weight / weight.mean()
    return SourceChoice(EpochsStack(chosen), dist, [names[i] for i in keep], weight)
