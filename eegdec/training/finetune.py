"""Calibration strategies: which layers fine-tuning on the target's labelled trials updates.

``all`` trains every layer, ``head`` only the classifier layer, ``last-block`` the classifier
and the last feature block. Frozen layers keep their weights and their batch-norm statistics
(frozen batch-norm layers stay in eval mode). With at least :data:`EARLY_STOP_MIN` calibration
trials, a stratified :data:`VAL_FRACTION` of them is held out, training stops when its loss
has not improved for :data:`PATIENCE` epochs, and the best epoch's weights are kept; with
fewer, the fixed number of epochs runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from eegdec.errors import BadInputError

if TYPE_CHECKING:
    from torch import nn

FINETUNE_STRATEGIES: dict[str, str] = {
    "all": "every layer",
    "head": "the classifier layer only",
    "last-block": "the classifier layer and the last feature block",
}
EARLY_STOP_MIN = 8
VAL_FRACTION = 0.25
PATIENCE = 5
_HEADS = ("final_layer", "head")
# The last feature block of models whose top-level layers do not make one child each.
_LAST_BLOCKS = {
    "EEGNet": ("conv_separable_depth", "conv_separable_point", "bnorm_2"),
    "DBConformer": ("t_encoder.blocks.-1", "s_encoder.blocks.-1", "s_score"),
}


def check_strategy(name: str | None) -> str | None:
    """``name`` if it is a strategy (``None`` passes), else a one-line error."""
    if name is not None and name not in FINETUNE_STRATEGIES:
        raise BadInputError(f"Unknown fine-tuning strategy {name!r}: use "
                            f"{', '.join(FINETUNE_STRATEGIES)}.")
    return name


def _core(model: nn.Module) -> nn.Module:
    """The network inside single-child wrappers (eegdec's braindecode adapter)."""
    while True:
        children = list(model.children())
        if len(children) != 1:
            return model
        model = children[0]


def _get(root: nn.Module, path: str) -> nn.Module:
    for part in path.split("."):
        root = root[int(part)] if part.lstrip("-").isdigit() else getattr(root, part)
    return root


def trainable_modules(model: nn.Module, strategy: str) -> list[nn.Module]:
    """The modules whose parameters ``strategy`` trains (``[model]`` for ``all``)."""
    check_strategy(strategy)
    if strategy == "all":
        return [model]
    core = _core(model)
    layers = [(n, m) for n, m in core.named_children() if any(True for _ in m.parameters())]
    if not layers:
        raise BadInputError(f"{type(core).__name__} has no trainable layer to fine-tune.")
    head = next(((n, m) for n, m in layers if n in _HEADS), layers[-1])
    if strategy == "head":
        return [head[1]]
    names = _LAST_BLOCKS.get(type(core).__name__)
    if names is not None:
        return [head[1], *(_get(core, n) for n in names)]
    before = [m for n, m in layers if n != head[0]]
    return [head[1], *before[-1:]]


@contextmanager
def frozen_except(model: nn.Module, strategy: str) -> Iterator[list[Any]]:
    """Freeze every parameter outside ``strategy``'s modules for the block; yield the callbacks
    the fit needs; restore ``requires_grad`` after."""
    from torch import nn

    from eegdec.training.callbacks import FrozenNormInEval
    keep = {id(p) for m in trainable_modules(model, strategy) for p in m.parameters()}
    saved = [(p, p.requires_grad) for p in model.parameters()]
    trainable_norms = {id(m) for k in trainable_modules(model, strategy) for m in k.modules()}
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
             and id(m) not in trainable_norms]
    for p, _ in saved:
        p.requires_grad_(id(p) in keep)
    try:
        yield [FrozenNormInEval(norms)] if norms else []
    finally:
        for p, flag in saved:
            p.requires_grad_(flag)


def early_stopping_plan(n_trials: int) -> tuple[float, int | None]:
    """``(val_fraction, patience)`` for ``n_trials`` calibration trials: held-out 25% and
    early stopping from :data:`EARLY_STOP_MIN` trials, else no validation (fixed epochs)."""
    if n_trials >= EARLY_STOP_MIN:
        return VAL_FRACTION, PATIENCE
    return 0.0, None


def describe(strategy: str) -> str:
    """One line for the results: what was trained and how it stopped."""
    return (f"fine-tune {strategy} ({FINETUNE_STRATEGIES[strategy]}); early stopping on a "
            f"held-out {VAL_FRACTION:.0%} of the calibration trials when N >= {EARLY_STOP_MIN}, "
            "else the fixed fine-tuning epochs")
