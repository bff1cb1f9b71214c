"""Per-trial channel relevance of a trained torch model, and its aggregation.

DBConformer explains itself: its channel attention ``alpha`` (softmax over channels) is read
from ``forward(x, return_features=True)``. Any other torch model gets a gradient attribution
from captum (input x gradient or integrated gradients) or layer-wise relevance propagation
(``"lrp"``, :mod:`eegdec.models.lrp`), aggregated as ``sum_t |attr|`` and normalised to sum 1
per trial so all kinds live on the same scale.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, EEGDecError

if TYPE_CHECKING:
    import torch

Method = Literal["auto", "attention", "input_x_gradient", "integrated_gradients", "lrp"]
METHODS = ("auto", "attention", "input_x_gradient", "integrated_gradients", "lrp")


def _supports_features(model: torch.nn.Module) -> bool:
    return "return_features" in inspect.signature(model.forward).parameters


def _batches(X: np.ndarray, batch_size: int):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size]


def _as_tensor(X: np.ndarray, device: str) -> torch.Tensor:
    import torch

    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 3:
        raise BadInputError(f"X must be (n_trials, n_chans, n_times), got shape {X.shape}.")
    return torch.as_tensor(X, device=device)


def explain_forward(
    model: torch.nn.Module, X: np.ndarray, *, batch_size: int = 64, device: str = "cpu"
) -> dict[str, np.ndarray]:
    """Run a self-explaining model once over ``X`` and return its extras as numpy.

    Returns ``logits`` ``(n, K)`` and every tensor extra concatenated over batches
    (``channel_attention`` ``(n, C)``); list extras (self-attention per layer) become arrays
    ``(n_layers, n, ., .)``.
    """
    import torch

    if not _supports_features(model):
        raise BadInputError(
            f"{type(model).__name__} has no forward(x, return_features=True): "
            "use a gradient method (method='input_x_gradient')."
        )
    was_training = model.training
    model.eval().to(device)
    parts: dict[str, list] = {}
    try:
        with torch.no_grad():
            for xb in _batches(X, batch_size):
                logits, extras = model(_as_tensor(xb, device), return_features=True)
                parts.setdefault("logits", []).append(logits.cpu().numpy())
                for key, val in extras.items():
                    if isinstance(val, (list, tuple)) and len(val):
                        val = torch.stack(list(val))
                    if isinstance(val, torch.Tensor):
                        parts.setdefault(key, []).append(val.cpu().numpy())
    finally:
        model.train(was_training)
    layered = {k for k, v in parts.items() if v[0].ndim == 4}
    return {k: np.concatenate(v, axis=1 if k in layered else 0) for k, v in parts.items()}


def channel_relevance(
    model: torch.nn.Module,
    X: np.ndarray,
    *,
    target: np.ndarray | None = None,
    method: Method = "auto",
    batch_size: int = 64,
    device: str = "cpu",
) -> tuple[np.ndarray, str]:
    """Channel relevance ``(n_trials, n_chans)``, each row non-negative and summing to 1.

    ``method="auto"`` uses the model's channel attention when it has one (DBConformer), else
    captum's input x gradient. Gradients and LRP explain ``target`` (class index per trial;
    default: the predicted class). ``"lrp"`` raises
    :class:`~eegdec.models.lrp.LRPUnsupportedError` (one line) for a model with a layer it has
    no rule for (:data:`eegdec.models.lrp.LRP_SUPPORTED` lists the registered models it
    supports). Returns the relevance and the method actually used.
    """
    if method not in METHODS:
        raise BadInputError(f"Unknown relevance method {method!r}: choose one of {METHODS}.")
    if method in ("auto", "attention") and _supports_features(model):
        out = explain_forward(model, X, batch_size=batch_size, device=device)
        if "channel_attention" in out:
            return out["channel_attention"].astype(np.float64), "attention"
    if method == "attention":
        raise BadInputError(
            f"{type(model).__name__} has no channel attention: use method='input_x_gradient'."
        )
    method = "input_x_gradient" if method == "auto" else method
    attr = _gradient_attribution(model, X, target, method, batch_size, device)
    rel = np.abs(attr).sum(axis=-1)
    return rel / np.maximum(rel.sum(axis=1, keepdims=True), 1e-12), method


def _gradient_attribution(
    model: torch.nn.Module, X: np.ndarray, target: np.ndarray | None, method: str,
    batch_size: int, device: str,
) -> np.ndarray:
    import torch

    try:
        from captum.attr import InputXGradient, IntegratedGradients
    except ImportError as exc:
        raise EEGDecError(
            "Gradient relevance needs captum: pip install 'captum>=0.7'."
        ) from exc

    if target is not None and len(target) != len(X):
        raise BadInputError(f"target has {len(target)} entries but X has {len(X)} trials.")
    was_training = model.training
    model.eval().to(device)
    if method == "lrp":
        from eegdec.models.lrp import lrp_attribution

        def explain(xb: torch.Tensor, target: torch.Tensor, **_: object) -> torch.Tensor:
            return lrp_attribution(model, xb, target)[0]
    else:
        explain = (InputXGradient if method == "input_x_gradient"
                   else IntegratedGradients)(model).attribute
    out = []
    try:
        for start in range(0, len(X), batch_size):
            xb = _as_tensor(X[start:start + batch_size], device).requires_grad_(True)
            if target is None:
                with torch.no_grad():
                    tb = model(xb).argmax(dim=1)
            else:
                tb = torch.as_tensor(np.asarray(target[start:start + batch_size]), device=device)
            kwargs = {"n_steps": 32, "internal_batch_size": len(xb)} if (
                method == "integrated_gradients") else {}
            out.append(explain(xb, target=tb.long(), **kwargs).detach().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out).reshape(len(X), X.shape[1], -1)


def aggregate_relevance(
    relevance: np.ndarray,
    ch_names: list[str],
    y_true: np.ndarray,
    y_pred: np.ndarray | None = None,
    subject: np.ndarray | None = None,
    classes: list[str] | None = None,
) -> pd.DataFrame:
    """Mean relevance over all trials, per class, per subject and per correct/incorrect trial.

    Returns a frame indexed by ``(group, key)`` — group in ``all, class, subject, outcome`` —
    with an ``n_trials`` column followed by one column per channel.
    """
    relevance = np.asarray(relevance, dtype=np.float64)
    y_true = np.asarray(y_true)
    if relevance.ndim != 2 or relevance.shape[1] != len(ch_names):
        raise BadInputError(
            f"relevance must be (n_trials, {len(ch_names)}) for {len(ch_names)} channels, "
            f"got shape {relevance.shape}."
        )
    if len(y_true) != len(relevance):
        raise BadInputError(f"y_true has {len(y_true)} labels for {len(relevance)} trials.")
    names = list(classes) if classes is not None else [str(c) for c in range(y_true.max() + 1)]
    groups: list[tuple[str, str, np.ndarray]] = [("all", "all", np.ones(len(y_true), bool))]
    groups += [("class", names[c], y_true == c) for c in np.unique(y_true)]
    if subject is not None:
        subject = np.asarray(subject)
        groups += [("subject", str(s), subject == s) for s in pd.unique(subject)]
    if y_pred is not None:
        ok = np.asarray(y_pred) == y_true
        groups += [("outcome", "correct", ok), ("outcome", "incorrect", ~ok)]
    rows = {
        (g, k): [int(m.sum()), *relevance[m].mean(axis=0)] for g, k, m in groups if m.any()
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["n_trials", *ch_names])
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["group", "key"])
    return frame


def top_channels(relevance: np.ndarray, ch_names: list[str], k: int = 3) -> list[str]:
    """The ``k`` channels with the highest mean relevance, most relevant first."""
    mean = np.asarray(relevance, dtype=np.float64).reshape(-1, len(ch_names)).mean(axis=0)
    return [ch_names[i] for i in np.argsort(mean)[::-1][:k]]
