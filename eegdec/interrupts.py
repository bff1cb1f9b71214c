"""Ctrl-C at safe points: while deferred, SIGINT only records a request, and the code raises
``KeyboardInterrupt`` where it is safe to stop (a batch or a fold boundary).

A ``KeyboardInterrupt`` raised wherever SIGINT happens to land (inside torch's native code,
an extension module's import) was seen to corrupt the heap: glibc aborted the process ("double
free or corruption") before eegdec could say what was saved. A second Ctrl-C interrupts at once.
Outside the layers, like :mod:`eegdec.errors`: training and evaluation both check requests.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_requested = threading.Event()


def _handler(signum: int, frame: Any) -> None:
    if _requested.is_set():
        raise KeyboardInterrupt
    _requested.set()


@contextmanager
def deferred() -> Iterator[None]:
    """Defer Ctrl-C to :func:`check` calls (main thread, default handler only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    _requested.clear()
    signal.signal(signal.SIGINT, _handler)
    try:
        yield
        check()  # a request that came after the last safe point
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _requested.clear()


def requested() -> bool:
    """Whether Ctrl-C was pressed while deferred (and not raised yet)."""
    return _requested.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed while deferred."""
    if _requested.is_set():
        raise KeyboardInterrupt
