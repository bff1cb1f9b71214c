"""Paradigms: the one list of paradigm names, their aliases, and the classes each one asks for.

A paradigm names a kind of decoding task (MOABB's sense): which classes of a dataset it uses.
``eegdec run --paradigm``, the loaders and the MOABB pipeline filter all read this module.
``SSVEP`` (MOABB's ``SSVEP``: 7-45 Hz band-pass, every class including ``rest``) and
``FilterBankSSVEP`` (MOABB's: one 1 Hz band around each stimulation frequency, filtered on
the continuous signal) name their classes by frequency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from eegdec.errors import BadInputError, UnknownNameError, suggest

if TYPE_CHECKING:
    from eegdec.data.registry import DatasetSpec

PARADIGMS: tuple[str, ...] = ("MI", "LeftRightImagery", "seizure", "SSVEP", "FilterBankSSVEP")
ALIASES: dict[str, str] = {"mi": "MI", "motorimagery": "MI", "lr": "LeftRightImagery",
                           "leftrightimagery": "LeftRightImagery", "seizure": "seizure",
                           "ssvep": "SSVEP", "filterbankssvep": "FilterBankSSVEP",
                           "fbssvep": "FilterBankSSVEP"}
# MOABB paradigm names a pipeline YAML may list under ``paradigms:`` to run under each paradigm.
MOABB_NAMES: dict[str, frozenset[str]] = {
    "MI": frozenset({"MotorImagery"}),
    "LeftRightImagery": frozenset({"LeftRightImagery", "MotorImagery"}),
    "seizure": frozenset({"seizure", "Seizure"}),
    "SSVEP": frozenset({"SSVEP"}),
    "FilterBankSSVEP": frozenset({"FilterBankSSVEP"}),
}
# Paradigms whose epochs stack one band per stimulation frequency as channels, band-major:
# (n, n_bands * n_chans, T). MOABB's FilterBank paradigms give (n, n_chans, T, n_bands).
FILTER_BANK: frozenset[str] = frozenset({"FilterBankSSVEP"})
# Paradigms whose classes are named by their stimulation frequency (plus ``rest``).
FREQUENCY_TAGGED: frozenset[str] = frozenset({"SSVEP", "FilterBankSSVEP"})
NOT_MI = frozenset({"rest"})
# Paradigms whose runs also take the pipelines declared only for a variant of theirs (the same
# trials, other preprocessing), as MOABB's ``benchmark`` runs each pipeline under its own
# paradigm: an ``SSVEP`` run evaluates ``FilterBankSSVEP`` pipelines on filter-bank epochs.
VARIANTS: dict[str, tuple[str, ...]] = {"SSVEP": ("FilterBankSSVEP",)}


def base_paradigm(paradigm: str) -> str:
    """The paradigm whose trials a variant of :data:`VARIANTS` shares (``FilterBankSSVEP`` ->
    ``SSVEP``); any other name unchanged. Pipelines of a paradigm and its variants scored the
    same trials, so their scores are paired."""
    for base, variants in VARIANTS.items():
        if paradigm in variants:
            return base
    return paradigm


def check_paradigm(paradigm: str) -> str:
    """Canonical paradigm name; unknown names raise :class:`UnknownNameError`."""
    key = str(paradigm).lower().replace("_", "").replace("-", "")
    if key not in ALIASES:
        raise UnknownNameError(
            f"Unknown paradigm {paradigm!r}.{suggest(key, list(ALIASES))} "
            f"Use one of {', '.join(PARADIGMS)} (LR is short for LeftRightImagery)."
        )
    return ALIASES[key]


def resolve_events(spec: DatasetSpec, paradigm: str = "MI",
                   events: Sequence[str] | None = None) -> tuple[str, list[str]]:
    """``(paradigm, class names)`` for a request; checks both against the dataset."""
    paradigm = check_paradigm(paradigm)
    if paradigm.lower() not in {p.lower() for p in spec.paradigms}:
        raise BadInputError(
            f"{spec.name} offers paradigms {', '.join(spec.paradigms)}, not {paradigm}: "
            "pick one of those."
        )
    if events:
        unknown = [e for e in events if e not in spec.classes]
        if unknown:
            raise UnknownNameError(
                f"{spec.name} has no class {unknown[0]!r}.{suggest(unknown[0], list(spec.classes))}"
                f" Use its classes: {', '.join(spec.classes)}."
            )
        if len(set(events)) < 2:
            raise BadInputError(
                f"--events needs at least two different classes, got {list(events)}: give two "
                "or more."
            )
        return paradigm, list(dict.fromkeys(events))
    if paradigm == "LeftRightImagery":
        return paradigm, ["left_hand", "right_hand"]
    if paradigm == "MI":
        return paradigm, [c for c in spec.classes if c not in NOT_MI]
    return paradigm, list(spec.classes)


def stimulus_frequencies(classes: Sequence[str]) -> list[float]:
    """Stimulation frequencies named by SSVEP classes (``"13"``, ``"13Hz"``), in class order;
    other classes (``rest``) are skipped."""
    out = []
    for c in classes:
        try:
            out.append(float(str(c).lower().removesuffix("hz")))
        except ValueError:
            continue
    return out
