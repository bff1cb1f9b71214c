"""Data augmentation of training batches with braindecode's transforms, chosen by name.

braindecode implements the transforms (and applies them per batch on any device); this module
only names them, validates a ``"frequency-shift,mixup"`` list, seeds them and turns Mixup's
``(y_a, y_b, lam)`` labels into soft targets so one cross-entropy handles every transform.
Validation and test batches are never augmented (:class:`~eegdec.training.module.
EEGDecModule` applies the augmenter in ``training_step`` only).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from eegdec.errors import BadInputError, suggest

AUGMENTATIONS: dict[str, str] = {
    "frequency-shift": "shift the spectrum by up to 2 Hz (p=0.5)",
    "smooth-time-mask": "zero a smoothly masked 0.4 s stretch (p=0.5)",
    "channels-dropout": "zero 20% of the channels (p=0.5)",
    "ft-surrogate": "randomise Fourier phases, keep the spectrum (p=0.5)",
    "mixup": "convex mix of trial pairs and of their labels (alpha=0.2, soft targets)",
}
Augmenter = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def parse_augment(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """The checked names of ``"frequency-shift,mixup"`` (or a list of names); ``[]`` for none."""
    if value is None:
        return []
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip().lower().replace("_", "-") for n in names if str(n).strip()]
    for name in names:
        if name not in AUGMENTATIONS:
            hint = suggest(name, list(AUGMENTATIONS))
            raise BadInputError(f"Unknown augmentation {name!r}.{hint} Use a comma-separated "
                                f"list of {', '.join(AUGMENTATIONS)}.")
    if len(set(names)) != len(names):
        raise BadInputError(f"Augmentation list {value!r} repeats a name: give each once.")
    return names


def _transform(name: str, sfreq: float, seed: int):
    import braindecode.augmentation as aug

    if name == "frequency-shift":
        return aug.FrequencyShift(0.5, sfreq=sfreq, max_delta_freq=2.0, random_state=seed)
    if name == "smooth-time-mask":
        return aug.SmoothTimeMask(0.5, mask_len_samples=max(int(0.4 * sfreq), 1),
                                  random_state=seed)
    if name == "channels-dropout":
        return aug.ChannelsDropout(0.5, p_drop=0.2, random_state=seed)
    if name == "ft-surrogate":
        return aug.FTSurrogate(0.5, phase_noise_magnitude=1.0, random_state=seed)
    return aug.Mixup(alpha=0.2, random_state=seed)


def make_augmenter(names: list[str], *, sfreq: float, n_classes: int, seed: int
                   ) -> Augmenter | None:
    """``augment(X, y) -> (X', targets)`` applying ``names`` in order (``None`` for none).

    ``targets`` are class probabilities ``(B, K)`` (one-hot, mixed by Mixup). Each transform
    draws from its own generator seeded from ``seed``, so a fit repeats exactly.
    """
    if not names:
        return None
    names = sorted(names, key=lambda n: n == "mixup")  # label mixing last
    transforms = [_transform(n, sfreq, seed + 101 * i) for i, n in enumerate(names)]

    def augment(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        targets = torch.nn.functional.one_hot(y, n_classes).to(X.dtype)
        for t in transforms:
            X, out = t(X, y)
            if isinstance(out, tuple):  # Mixup: (y, y[perm], lam)
                y_a, y_b, lam = out
                lam = lam.to(X.dtype)[:, None]
                targets = (lam * torch.nn.functional.one_hot(y_a, n_classes)
                           + (1 - lam) * torch.nn.functional.one_hot(y_b, n_classes)).to(X.dtype)
        return X, targets

    return augment
