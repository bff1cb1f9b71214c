"""Training recipes (optimiser, learning rate, epochs, batch size) read from ``recipes.yaml``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RECIPES_FILE = Path(__file__).with_name("recipes.yaml")


@lru_cache(maxsize=1)
def _recipes() -> dict[str, Any]:
    with open(RECIPES_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _key(name: str) -> str:
    return name.lower().replace("_", "-")


def load_recipe(model: str, protocol: str | None = None) -> dict[str, Any]:
    """Resolved recipe for ``model`` under ``protocol`` (``None``: the model's base recipe).

    ``protocol`` is a name checked by the protocol registry (:mod:`eegdec.evaluation.
    protocols`); a protocol without its own section in ``recipes.yaml`` uses the base recipe.

    Keys: ``optimizer, lr, weight_decay, scheduler, batch_size, epochs, fine_tune_epochs,
    fine_tune_lr, source``. Models without an entry use the DBConformer paper recipe.
    """
    raw = _recipes()
    recipe = {k: v for k, v in raw["default"].items() if k != "protocols"}
    if protocol is not None:
        recipe.update(raw["default"]["protocols"].get(_key(protocol), {}))
    model_recipe = (raw.get("models") or {}).get(_key(model)) or {}
    recipe.update({k: v for k, v in model_recipe.items() if k != "protocols"})
    if protocol is not None:
        recipe.update((model_recipe.get("protocols") or {}).get(_key(protocol), {}))
    return recipe
