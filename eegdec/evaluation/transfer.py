"""The transfer options of a run (``--augment``, ``--tta``, ``--finetune``, ``--source-select``,
``--source-weight``): their checks against the protocol, and the ``methods`` text of each
result row (what a row used, and what target data it saw)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eegdec.errors import BadInputError

if TYPE_CHECKING:
    from eegdec.evaluation.config import RunConfig

TRANSFER_FIELDS = ("augment", "tta", "finetune", "source_select", "source_weight")
ONLINE_ONLY = ("finetune", "source_select", "source_weight")


def check_transfer(cfg: RunConfig) -> None:
    """Normalise and check the transfer options of ``cfg`` in place (one-line errors)."""
    from eegdec.evaluation.config import flag
    from eegdec.evaluation.protocols import get_protocol, protocol_names
    from eegdec.training.augmentation import parse_augment
    from eegdec.training.finetune import check_strategy
    from eegdec.training.tta import check_tta

    if cfg.augment is not None:
        try:
            names = parse_augment(cfg.augment)
        except BadInputError as exc:
            raise BadInputError(f"--augment: {exc}") from exc
        if not names:
            raise BadInputError("--augment is empty: give names such as frequency-shift,mixup.")
        cfg.augment = ",".join(names)
    cfg.tta = check_tta(cfg.tta)
    check_strategy(cfg.finetune)
    if cfg.source_select is not None and cfg.source_select < 1:
        raise BadInputError(f"--source-select must be a positive number of source subjects, "
                            f"got {cfg.source_select}.")
    if cfg.tta is not None and not get_protocol(cfg.protocol).test_time_adaptation:
        adapting = [n for n in protocol_names() if get_protocol(n).test_time_adaptation]
        raise BadInputError(f"--tta adapts to a new subject: use it with --protocol "
                            f"{' or '.join(adapting)}, not {cfg.protocol}.")
    for name in ONLINE_ONLY:
        if getattr(cfg, name) not in (None, False) and cfg.protocol != "online":
            raise BadInputError(
                f"{flag(name)} needs target trials before the test trials, which only "
                f"--protocol online has (LOSO tests every target trial): use --protocol online."
            )


def methods_text(cfg: RunConfig, kind: str) -> str:
    """What transfer methods a row of a ``kind`` ("torch"/"sklearn") model used, ``""`` for
    none; target data other than the causal stream are named (``transductive``)."""
    from eegdec.training.finetune import EARLY_STOP_MIN
    from eegdec.training.tta import MIN_TRIALS

    parts = []
    if kind == "torch":
        if cfg.augment:
            parts.append(f"augment {cfg.augment.replace(',', '+')}")
        if cfg.tta == "adabn":
            parts.append(f"AdaBN causal (target trials seen so far, from {MIN_TRIALS})")
        elif cfg.tta == "adabn-transductive":
            parts.append("AdaBN transductive (every target trial, future ones too)")
        if cfg.finetune:
            parts.append(f"fine-tune {cfg.finetune} (early stop on 25% of N >= "
                         f"{EARLY_STOP_MIN})")
        if cfg.source_weight:
            parts.append("source weights (calibration block, unlabelled)")
    if cfg.source_select:
        parts.append(f"{cfg.source_select} nearest sources (calibration block, unlabelled)")
    return "; ".join(parts)
