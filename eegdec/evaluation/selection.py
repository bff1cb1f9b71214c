"""Nested model selection (``eegdec run --select``): hyper-parameters chosen per outer fold on
inner folds of that fold's training data only.

The protocol cuts the inner folds (:meth:`~eegdec.evaluation.protocols.Protocol.inner`):
leave-one-subject-out over the source subjects for cross-subject protocols, stratified k-fold
over the training trials for within-subject ones. The held-out subject or test trials never
reach this module. Each setting of a small grid (:data:`GRID_KEYS`) is scored by balanced
accuracy on every inner fold and the setting with the best mean wins (ties: the first in grid
order). Epochs cost one fit per setting: :class:`~eegdec.training.callbacks.EpochScores`
scores the inner validation trials after each epoch of one fit of the longest count (models
with a learning-rate scheduler, whose schedule depends on the count, get one fit per count).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, suggest

if TYPE_CHECKING:
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.protocols import InnerFold

GRID_KEYS = ("epochs", "lr", "dropout", "alignment")
#: Keys that apply to each kind of decoder (classical pipelines only see the alignment).
KIND_KEYS = {"torch": GRID_KEYS, "sklearn": ("alignment",)}
Grid = dict[str, list[Any]]


# -- the grid -----------------------------------------------------------------------------------
def _value(key: str, text: str) -> Any:
    """One checked grid value (a one-line error names the key, the value and the fix)."""
    from eegdec.preprocessing.alignment import ALIGNMENTS

    if key == "alignment":
        if text not in ALIGNMENTS:
            raise BadInputError(
                f"--select-grid alignment={text!r} is unknown: use {', '.join(ALIGNMENTS)}."
            )
        return text
    try:
        value = int(text) if key == "epochs" else float(text)
    except ValueError:
        kind = "an integer" if key == "epochs" else "a number"
        raise BadInputError(
            f"--select-grid {key}={text!r} is not {kind}: give values such "
            "as epochs=10,30;lr=1e-3,3e-4."
        ) from None
    ok = {
        "epochs": value >= 1,
        "lr": math.isfinite(value) and value > 0,
        "dropout": 0 <= value < 1,
    }[key]
    if not ok:
        bounds = {"epochs": "at least 1", "lr": "a positive finite number", "dropout": "in [0, 1)"}[
            key
        ]
        raise BadInputError(f"--select-grid {key}={text} must be {bounds}.")
    return value


def parse_grid(text: str) -> Grid:
    """``"epochs=10,30;lr=1e-3,3e-4"`` -> ``{"epochs": [10, 30], "lr": [0.001, 0.0003]}``.

    Keys are :data:`GRID_KEYS`, each at most once, values comma-separated and distinct; keys
    come out in :data:`GRID_KEYS` order, epochs sorted.
    """
    example = "e.g. --select-grid 'epochs=10,30;lr=1e-3,3e-4'"
    if not str(text).strip():
        raise BadInputError(f"--select-grid is empty: give key=values pairs, {example}.")
    grid: Grid = {}
    for item in str(text).split(";"):
        if not item.strip():
            continue
        key, sep, values = (p.strip() for p in item.partition("="))
        if not sep:
            raise BadInputError(
                f"--select-grid item {item.strip()!r} has no '=': write key=v1,v2 ({example})."
            )
        if key not in GRID_KEYS:
            raise BadInputError(
                f"--select-grid key {key!r} is unknown:{suggest(key, GRID_KEYS)}"
                f" use {', '.join(GRID_KEYS)}."
            )
        if key in grid:
            raise BadInputError(f"--select-grid gives {key} twice: give each key once.")
        texts = [v.strip() for v in values.split(",") if v.strip()]
        if not texts:
            raise BadInputError(f"--select-grid {key}= has no value: give at least one, {example}.")
        parsed = [_value(key, v) for v in texts]
        if len(set(parsed)) != len(parsed):
            raise BadInputError(f"--select-grid {key} repeats a value in {texts}: give each once.")
        grid[key] = sorted(parsed) if key == "epochs" else parsed
    if not grid:
        raise BadInputError(f"--select-grid is empty: give key=values pairs, {example}.")
    return {k: grid[k] for k in GRID_KEYS if k in grid}


def format_grid(grid: Grid) -> str:
    """The canonical text of a grid (:func:`parse_grid` reads it back)."""
    return ";".join(f"{k}={','.join(str(v) for v in vs)}" for k, vs in grid.items())


def default_grid(kind: str, model: str, cfg: RunConfig) -> Grid:
    """The grid searched when ``--select-grid`` is not given.

    Torch models: a quarter, half and all of the run's epochs (``--epochs`` or the recipe's)
    and its learning rate and a third of it. Classical pipelines: alignment none or Euclidean.
    """
    if kind != "torch":
        from eegdec.preprocessing.alignment import CAUSAL_ALIGNMENTS

        return {"alignment": list(CAUSAL_ALIGNMENTS)}
    from eegdec.training.recipes import load_recipe

    recipe = load_recipe(model, cfg.protocol)
    epochs = int(cfg.epochs or recipe["epochs"])
    lr = float(cfg.lr or recipe["lr"])
    return {
        "epochs": sorted({max(1, epochs // 4), max(1, epochs // 2), epochs}),
        "lr": [lr, lr / 3],
    }


def grid_for(kind: str, model: str, cfg: RunConfig) -> Grid:
    """The grid of one decoder: ``--select-grid`` (the keys that apply to its kind) or
    :func:`default_grid`. Empty: nothing to choose, the run's settings stand."""
    if cfg.select_grid is None:
        return default_grid(kind, model, cfg)
    return {k: v for k, v in parse_grid(cfg.select_grid).items() if k in KIND_KEYS[kind]}


# -- one inner fold -----------------------------------------------------------------------------
def _prepared(fold: InnerFold, alignment: str) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_val, y_val)`` aligned as the outer fold would be."""
    from eegdec.data.stack import EpochsStack
    from eegdec.evaluation.protocols.base import align_split
    from eegdec.evaluation.splits import sessions_in_order
    from eegdec.preprocessing.alignment import align_new_domain, aligned_trials

    if not fold.new_domain:  # one subject: train and val are parts of the same sessions
        joined = fold.train.concat([fold.train, fold.val])
        n = fold.train.n_trials
        X_tr, X_val = align_split(joined, np.arange(n), np.arange(n, joined.n_trials), alignment)
        return X_tr, fold.train.y, X_val, fold.val.y
    train = fold.train if isinstance(fold.train, EpochsStack) else EpochsStack([fold.train])
    X_tr = aligned_trials([p.X for p in train.parts], [p.domains() for p in train.parts], alignment)
    order = [idx for _, idx in sessions_in_order(fold.val.metadata)]
    X_val = np.concatenate([align_new_domain(fold.val.X[idx], alignment) for idx in order])
    return X_tr, train.y, X_val, fold.val.y[np.concatenate(order)]


def score_fold(
    build: Callable,
    seed: int,
    params: dict[str, Any],
    epochs: list[int],
    data: tuple[Any, np.ndarray, np.ndarray, np.ndarray],
) -> dict[int | None, float]:
    """Balanced accuracy on the validation trials of one inner fold for one setting:
    ``{epochs: score}`` for each count of ``epochs`` (``{None: score}`` when empty)."""
    from sklearn.metrics import balanced_accuracy_score

    from eegdec.evaluation.protocols.base import predict
    from eegdec.training.callbacks import EpochScores
    from eegdec.training.streaming import fit_trials

    X_tr, y_tr, X_val, y_val = data
    if not epochs:
        est = build(seed, params)
        fit_trials(est, X_tr, y_tr)
        return {None: float(balanced_accuracy_score(y_val, predict(est, X_val)[0]))}
    codes = np.searchsorted(np.unique(y_tr), y_val)
    est = build(seed, {**params, "epochs": max(epochs)})
    if getattr(est, "scheduler", None) is not None:  # the schedule depends on the count
        return {e: score_fold(build, seed, {**params, "epochs": e}, [], data)[None] for e in epochs}
    callback = EpochScores(X_val, codes, set(epochs))
    est.set_params(callbacks=[callback])
    fit_trials(est, X_tr, y_tr)
    return {e: callback.scores[e] for e in epochs}


# -- the selection ------------------------------------------------------------------------------
@dataclass
class Selection:
    """The chosen ``params`` and the ``table`` of inner scores (one row per inner fold and
    candidate: ``inner_fold``, the grid keys, ``score``)."""

    params: dict[str, Any]
    table: pd.DataFrame

    def text(self) -> str:
        """The ``selected`` column: the chosen params as JSON (``{}``: nothing to choose)."""
        return json.dumps(self.params, sort_keys=True)

    def config(self, cfg: RunConfig) -> RunConfig:
        """``cfg`` with the chosen alignment (the one setting the protocol applies)."""
        if "alignment" not in self.params:
            return cfg
        return dataclasses.replace(cfg, alignment=self.params["alignment"])


def select(
    folds: list[InnerFold], build: Callable, seed: int, grid: Grid, alignment: str
) -> Selection:
    """Score every setting of ``grid`` on ``folds`` (``alignment``: the run's, unless the grid
    has its own) and keep the best mean; deterministic for a ``seed``."""
    if not grid:
        return Selection({}, pd.DataFrame())
    epochs = list(grid.get("epochs", []))
    others = [k for k in grid if k != "epochs"]
    rows = []
    for fold in folds:
        cache: dict[str, Any] = {}
        for values in itertools.product(*(grid[k] for k in others)):
            params = dict(zip(others, values))
            align = params.get("alignment", alignment)
            if align not in cache:
                cache[align] = _prepared(fold, align)
            model_params = {k: v for k, v in params.items() if k != "alignment"}
            for e, value in score_fold(build, seed, model_params, epochs, cache[align]).items():
                rows.append(
                    {
                        "inner_fold": fold.name,
                        **({"epochs": e} if epochs else {}),
                        **params,
                        "score": value,
                    }
                )
    table = pd.DataFrame(rows)
    keys = [k for k in GRID_KEYS if k in grid]
    means = table.groupby(keys, sort=False)["score"].mean()
    best = means.index[int(np.argmax(means.to_numpy()))]
    best = best if isinstance(best, tuple) else (best,)
    return Selection({k: _plain(v) for k, v in zip(keys, best)}, table)


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def selected_builder(build: Callable, params: dict[str, Any]) -> Callable[[int], Any]:
    """``build(seed)`` of the outer model with the chosen parameters."""
    model_params = {k: v for k, v in params.items() if k != "alignment"}
    return lambda seed: build(seed, model_params)


def selected_line(rows: pd.DataFrame) -> str:
    """``Selected: ts-lr alignment=euclidean x9, alignment=none x5; ...`` from the rows'
    ``selected`` column (empty when the run made no selection)."""
    if "selected" not in rows:
        return ""
    parts = []
    for model, group in rows.groupby("model", sort=False):
        counts = group["selected"].dropna().map(_params_text).value_counts()
        counts = counts[counts.index != ""]
        if len(counts):
            parts.append(f"{model} " + ", ".join(f"{t} x{n}" for t, n in counts.items()))
    return "Selected: " + "; ".join(parts) if parts else ""


def _params_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        return ""
    return " ".join(f"{k}={v}" for k, v in json.loads(text).items())
