"""braindecode baselines behind eegdec's model contract.

braindecode already implements and maintains these models; eegdec only fills the arguments they
need from the data (``n_chans``, ``n_outputs``, ``n_times``, ``sfreq``, ``chs_info``), accepts
``(B, 1, C, T)`` as well as ``(B, C, T)``, and turns braindecode's "output size is too small"
failures into one-line errors that name the shortest input the model can take.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import torch
from torch import nn

from eegdec.errors import BadInputError

#: Longest input searched for when looking for a model's minimum ``n_times`` (in seconds).
_MAX_SEARCH_SECONDS = 60.0


class BraindecodeModel(nn.Module):
    """A braindecode model that accepts ``(B, C, T)`` or ``(B, 1, C, T)`` and returns ``(B, K)``."""

    def __init__(self, model: nn.Module, n_chans: int, n_outputs: int, n_times: int,
                 sfreq: float) -> None:
        super().__init__()
        self.model = model
        self.n_chans, self.n_outputs, self.n_times, self.sfreq = n_chans, n_outputs, n_times, sfreq

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4 and x.shape[1] == 1:
            x = x.squeeze(1)
        if x.dim() != 3 or x.shape[1] != self.n_chans:
            raise BadInputError(
                f"{type(self.model).__name__} expects input (batch, {self.n_chans}, n_times), got "
                f"{tuple(x.shape)}; rebuild the model for this channel count."
            )
        return self.model(x).reshape(x.shape[0], self.n_outputs)


def _instantiate(cls: type[nn.Module], n_chans: int, n_outputs: int, n_times: int,
                 sfreq: float, kwargs: dict[str, Any]) -> nn.Module:
    """Build ``cls`` with the data arguments it accepts and check it on one zero trial."""
    accepted = inspect.signature(cls.__init__).parameters
    args = dict(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, sfreq=sfreq)
    args = {k: v for k, v in args.items() if k in accepted}
    if kwargs.get("chs_info") is None:
        kwargs.pop("chs_info", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(**args, **kwargs)
        model.eval()  # batch statistics of a single zero trial are meaningless
        with torch.no_grad():
            out = model(torch.zeros(1, n_chans, n_times))
    model.train()
    if out.numel() != n_outputs:
        raise RuntimeError(f"output shape {tuple(out.shape)} does not hold {n_outputs} logits")
    return model


def _builds(cls: type[nn.Module], n_chans: int, n_outputs: int, n_times: int, sfreq: float,
            kwargs: dict[str, Any]) -> bool:
    try:
        _instantiate(cls, n_chans, n_outputs, n_times, sfreq, dict(kwargs))
    except (RuntimeError, ValueError, AssertionError, IndexError, ZeroDivisionError):
        return False
    return True


def min_n_times(cls: type[nn.Module], n_chans: int, n_outputs: int, sfreq: float,
                kwargs: dict[str, Any], start: int = 1) -> int | None:
    """Smallest ``n_times >= start`` the model builds and runs on (``None`` if none up to 60 s).

    Assumes that a model which runs on ``T`` samples also runs on longer inputs; found by
    doubling then bisection, so it costs a few dozen small builds (only on the error path).
    """
    hi, limit = max(start, 1), int(_MAX_SEARCH_SECONDS * sfreq)
    while not _builds(cls, n_chans, n_outputs, hi, sfreq, kwargs):
        if hi >= limit:
            return None
        hi = min(2 * hi, limit)
    lo = max(start, hi // 2)
    while lo < hi:
        mid = (lo + hi) // 2
        if _builds(cls, n_chans, n_outputs, mid, sfreq, kwargs):
            hi = mid
        else:
            lo = mid + 1
    return hi


def build_braindecode(class_name: str, n_chans: int, n_outputs: int, n_times: int,
                      sfreq: float, **kwargs: Any) -> BraindecodeModel:
    """Build ``braindecode.models.<class_name>`` for ``(n_chans, n_times)`` input at ``sfreq``.

    Raises :class:`~eegdec.errors.BadInputError` naming the minimum ``n_times`` when the input
    is too short for the model's convolutions and poolings.
    """
    import braindecode.models

    cls = getattr(braindecode.models, class_name)
    try:
        model = _instantiate(cls, n_chans, n_outputs, n_times, sfreq, dict(kwargs))
    except (RuntimeError, ValueError, AssertionError, IndexError, ZeroDivisionError) as exc:
        need = min_n_times(cls, n_chans, n_outputs, sfreq, kwargs, start=n_times + 1)
        if need is None:
            raise BadInputError(
                f"braindecode {class_name} cannot be built for {n_chans} channels at "
                f"{sfreq:g} Hz ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}); "
                "try another model or resample the data."
            ) from exc
        raise BadInputError(
            f"{class_name} needs n_times >= {need} ({need / sfreq:.2f} s at {sfreq:g} Hz), got "
            f"{n_times}; use longer windows or another model."
        ) from exc
    return BraindecodeModel(model, n_chans, n_outputs, n_times, sfreq)
