"""Sub-commands of the ``eegdec`` CLI (see :mod:`eegdec.cli`)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence


class Choices(Sequence):
    """argparse ``choices`` read from the list's owner when first needed.

    ``Choices("eegdec.preprocessing.alignment:ALIGNMENTS")`` imports the owner only when a
    value is checked or the sub-command's help is shown, so ``eegdec --help`` and the light
    sub-commands never pay for scikit-learn or pandas. A callable attribute is called.
    """

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self._values: tuple[str, ...] | None = None

    @property
    def values(self) -> tuple[str, ...]:
        if self._values is None:
            module, _, attr = self.ref.partition(":")
            found = getattr(importlib.import_module(module), attr)
            self._values = tuple(found() if callable(found) else found)
        return self._values

    def __getitem__(self, index):  # type: ignore[override]
        return self.values[index]

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self.values

