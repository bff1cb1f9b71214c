"""One registry for every decoder (timm style).

A torch model registers a builder ``builder(n_chans, n_outputs, n_times, sfreq, **kwargs)``
returning an ``nn.Module`` that maps ``(batch, n_chans, n_times)`` to logits
``(batch, n_outputs)``. A classical model registers a builder returning an unfitted sklearn
estimator that accepts ``(n_trials, n_chans, n_times)`` arrays.

Builders live in modules listed in ``_MODULES``; they are imported only when the registry is
first queried, and importing them must not import torch at module level (so ``eegdec models``
stays fast): import torch inside the builder or the model module it points to.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from eegdec.errors import UnknownNameError, suggest

# Modules that call ``register_model`` at import time. Keep them light to import.
_MODULES = (
    "eegdec.models.zoo",
    "eegdec.models.backbones",
)


MemoryFormat = Literal["contiguous", "channels_last", "channels_last_single_thread"]


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model."""

    name: str
    family: str
    paper: str
    kind: Literal["torch", "sklearn"]
    builder: Callable[..., Any]
    defaults: tuple[tuple[str, Any], ...] = ()
    description: str = ""
    memory_format: MemoryFormat = "contiguous"


_REGISTRY: dict[str, ModelInfo] = {}
_LOADED = False


def _key(name: str) -> str:
    return name.lower().replace("_", "-")


def register_model(
    name: str,
    *,
    family: str,
    paper: str,
    kind: Literal["torch", "sklearn"] = "torch",
    description: str = "",
    memory_format: MemoryFormat = "contiguous",
    **defaults: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``builder`` under ``name`` (case and ``_``/``-`` insensitive).

    Extra keyword ``defaults`` are passed to the builder unless the caller overrides them, which
    is how named variants (e.g. ``eegnet-paper``, ``convnext-small``) share one builder.
    ``memory_format="channels_last"`` marks models that train faster on CPU with channels-last
    weights, ``"channels_last_single_thread"`` those that do only with one torch thread
    (measured by ``benchmarks/bench_memory_format.py``); the trainer reads the mark.
    """

    def deco(builder: Callable[..., Any]) -> Callable[..., Any]:
        key = _key(name)
        if key in _REGISTRY:
            raise ValueError(f"Model {name!r} is registered twice.")
        _REGISTRY[key] = ModelInfo(
            key, family, paper, kind, builder, tuple(sorted(defaults.items())), description,
            memory_format,
        )
        return builder

    return deco


def _load() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        for mod in _MODULES:
            importlib.import_module(mod)


def list_models(kind: str | None = None) -> list[ModelInfo]:
    """All registered models (optionally only ``"torch"`` or ``"sklearn"``), sorted by name."""
    _load()
    return [m for _, m in sorted(_REGISTRY.items()) if kind is None or m.kind == kind]


def get_model_info(name: str) -> ModelInfo:
    """Registry entry for ``name``; unknown names raise with close suggestions."""
    _load()
    key = _key(name)
    if key not in _REGISTRY:
        raise UnknownNameError(
            f"Unknown model {name!r}.{suggest(key, list(_REGISTRY))} "
            "Run `eegdec models` to list them."
        )
    return _REGISTRY[key]


def create_model(
    name: str,
    n_chans: int,
    n_outputs: int,
    n_times: int,
    sfreq: float,
    **kwargs: Any,
) -> Any:
    """Build model ``name`` for inputs ``(batch, n_chans, n_times)`` sampled at ``sfreq``.

    ``kwargs`` override the registered defaults; torch models also accept ``chs_info``
    (MNE ``info["chs"]``) and ``seed`` (seeds torch before building so weights are repeatable).
    A torch model carries the registry's layout hint as ``model.eegdec_memory_format``.
    """
    info = get_model_info(name)
    params = dict(info.defaults)
    params.update(kwargs)
    seed = params.pop("seed", None)
    if info.kind == "torch" and seed is not None:
        import torch

        torch.manual_seed(int(seed))
    model = info.builder(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, sfreq=sfreq,
                         **params)
    if info.kind == "torch":
        model.eegdec_memory_format = info.memory_format
    return model
