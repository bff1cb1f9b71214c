"""The decoders a run compares: registry models and MOABB-schema YAML pipelines, and the
``build(seed)`` callables that make a fresh estimator for each fold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eegdec.errors import BadInputError
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols import ModelSpec


def model_specs(cfg: RunConfig) -> list[ModelSpec]:
    """Registry models and MOABB-schema pipelines (``cfg.pipelines``) for the paradigm."""
    from eegdec.models.registry import get_model_info

    specs = [ModelSpec(get_model_info(m).name, get_model_info(m).kind) for m in cfg.models]
    if cfg.pipelines:
        specs += moabb_pipelines(cfg.pipelines, cfg.paradigm)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise BadInputError(f"Model names repeat in {names}: pass each --model once.")
    return specs


def moabb_pipelines(path: str, paradigm: str) -> list[ModelSpec]:
    """MOABB-schema YAML pipelines that declare ``paradigm`` (parsed by MOABB itself)."""
    from moabb.pipelines.utils import parse_pipelines_from_directory

    from eegdec.data.paradigms import MOABB_NAMES

    if not Path(path).exists():
        raise BadInputError(f"--pipelines {path} does not exist: pass a folder of .yml files.")
    wanted = MOABB_NAMES[paradigm]
    found = parse_pipelines_from_directory(str(path))
    specs = [ModelSpec(str(c["name"]), "sklearn", c["pipeline"]) for c in found
             if wanted & set(c.get("paradigms", []))]
    if not specs:
        raise BadInputError(
            f"No pipeline in {path} lists paradigm {sorted(wanted)[0]}: add it to the "
            "'paradigms' key of a YAML file."
        )
    return specs


def _float64(X: np.ndarray) -> np.ndarray:
    return np.asarray(X, dtype=np.float64)


def builder(spec: ModelSpec, cfg: RunConfig, sfreq: float, n_classes: int,
            classes: Sequence[str] = ()) -> Callable:
    """``build(seed) -> unfitted estimator``.

    Classical pipelines get float64 input: the first trial of an incrementally aligned
    stream has an exactly white covariance, on which pyriemann's OAS estimator breaks down
    in float32 (negative eigenvalues, NaN features). Under SSVEP paradigms, ``freqs``/``sfreq``
    parameters left ``None`` get the stimulation frequencies named by ``classes`` and the
    rate; MOABB-schema pipelines under a filter-bank paradigm get the bands last, as MOABB's
    filter-bank paradigms give them.
    """
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from eegdec.data.paradigms import FILTER_BANK, FREQUENCY_TAGGED, stimulus_frequencies
    from eegdec.models.ssvep import BandsLast, fill_stimulus
    from eegdec.training.estimators import make_estimator

    freqs = stimulus_frequencies(classes) if cfg.paradigm in FREQUENCY_TAGGED else []

    def build(seed: int) -> Any:
        if spec.pipeline is not None:
            est = clone(spec.pipeline)
        else:
            est = make_estimator(spec.name, sfreq=sfreq, n_classes=n_classes,
                                 protocol=cfg.protocol, seed=seed, device=cfg.device,
                                 epochs=cfg.epochs, lr=cfg.lr)
        if spec.kind != "torch":
            if freqs:
                est = fill_stimulus(est, sfreq, freqs)
            if spec.pipeline is not None and cfg.paradigm in FILTER_BANK:
                return make_pipeline(FunctionTransformer(_float64), BandsLast(len(freqs)), est)
            return make_pipeline(FunctionTransformer(_float64), est)
        if cfg.batch_size is not None:
            est.set_params(batch_size=cfg.batch_size)
        if cfg.class_weight == "balanced":
            est.set_params(class_weight="balanced")
        return est

    return build
