"""The generated blocks of the docs: text between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->`` that a benchmark script rewrites (``--write``)."""

from __future__ import annotations

import re
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of block ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_block(path: Path, name: str, text: str, *, append: bool = False) -> None:
    """Put ``text`` between the markers of block ``name`` in ``path``; a missing block is an
    error naming the markers to add, or with ``append`` is added at the end."""
    start, end = markers(name)
    doc = path.read_text()
    block = f"{start}\n{text}\n{end}"
    if start in doc and end in doc:
        doc = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
    elif append:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    else:
        raise SystemExit(f"{path} lacks the markers {start} ... {end}: add the section first.")
    path.write_text(doc)
