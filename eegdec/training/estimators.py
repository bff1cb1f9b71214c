"""One factory turning any registered model name into an unfitted sklearn estimator."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from eegdec.errors import BadInputError
from eegdec.training.recipes import load_recipe


def make_estimator(
    name: str,
    *,
    n_classes: int | None = None,
    sfreq: float,
    recipe: dict[str, Any] | None = None,
    protocol: str | None = None,
    seed: int = 0,
    device: str = "cpu",
    epochs: int | None = None,
    lr: float | None = None,
    alignment: str | None = None,
    quiet: bool = True,
    **model_kwargs: Any,
) -> BaseEstimator:
    """Unfitted estimator for model ``name`` on ``(n, C, T)`` arrays sampled at ``sfreq``.

    Torch models become an :class:`~eegdec.training.classifier.EEGDecClassifier` trained with
    ``recipe`` (default: ``load_recipe(name, protocol)``); ``epochs`` and ``lr`` override it.
    Classical models come from their registry builder unchanged (they ignore the recipe,
    ``device`` and ``alignment``: put an alignment step in their pipeline instead).
    ``n_classes`` is only checked; the classifier reads the classes from ``y`` in ``fit``.
    """
    from eegdec.models.registry import get_model_info

    info = get_model_info(name)
    if n_classes is not None and int(n_classes) < 2:
        raise BadInputError(f"n_classes must be >= 2, got {n_classes}.")
    if info.kind == "sklearn":
        params = dict(info.defaults)
        params.update(model_kwargs)
        return info.builder(n_chans=None, n_outputs=n_classes, n_times=None, sfreq=sfreq,
                            **params)
    from eegdec.training.classifier import EEGDecClassifier

    rec = dict(load_recipe(info.name, protocol))
    rec.update(recipe or {})
    return EEGDecClassifier(
        info.name,
        epochs=int(epochs if epochs is not None else rec["epochs"]),
        lr=float(lr if lr is not None else rec["lr"]),
        batch_size=int(rec["batch_size"]),
        optimizer=rec["optimizer"],
        weight_decay=float(rec["weight_decay"]),
        scheduler=rec.get("scheduler"),
        fine_tune_epochs=int(rec["fine_tune_epochs"]),
        fine_tune_lr=float(rec["fine_tune_lr"]),
        device=device,
        random_state=seed,
        alignment=alignment,
        sfreq=sfreq,
        model_kwargs=model_kwargs or None,
        quiet=quiet,
    )
