"""Ctrl-C at safe points: while deferred, SIGINT only records a request, and the code stops
where it is safe (a batch or a fold boundary) through :func:`check`.

A ``KeyboardInterrupt`` raised wherever SIGINT happens to land (inside torch's native code,
an extension module's import) was seen to corrupt the heap: glibc aborted the process ("double
free or corruption") before eegdec could say what was saved. Stopping a fit and unwinding it
after a deferred Ctrl-C was also seen to abort the process, rarely ("corrupted size vs.
prev_size", once in CI). So a command (the CLI) may pass ``on_stop``: at the first safe point
after Ctrl-C the registered :func:`cleanup` functions run, then ``on_stop``, which says what is
saved and ends the process without tearing anything down. Without ``on_stop`` (the library),
:func:`check` raises ``KeyboardInterrupt``. A second Ctrl-C interrupts at once.
Outside the layers, like :mod:`eegdec.errors`: training and evaluation both check requests.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

_requested = threading.Event()
_on_stop: list[Callable[[], None]] = []
_cleanups: list[Callable[[], None]] = []


def _handler(signum: int, frame: Any) -> None:
    if _requested.is_set():
        raise KeyboardInterrupt
    _requested.set()


@contextmanager
def deferred(on_stop: Callable[[], None] | None = None) -> Iterator[None]:
    """Defer Ctrl-C to :func:`check` calls (main thread, default handler only; else a no-op).

    ``on_stop`` ends the process at the first safe point after Ctrl-C (it must not return);
    without it :func:`check` raises ``KeyboardInterrupt``.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    _requested.clear()
    if on_stop is not None:
        _on_stop.append(on_stop)
    signal.signal(signal.SIGINT, _handler)
    try:
        yield
        check()  # a request that came after the last safe point
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _requested.clear()
        if on_stop is not None:
            _on_stop.remove(on_stop)


@contextmanager
def cleanup(fn: Callable[[], None]) -> Iterator[None]:
    """Run ``fn`` before ``on_stop`` ends the process, if Ctrl-C stops it inside this block
    (the work an ``except`` clause would otherwise do on the way out)."""
    _cleanups.append(fn)
    try:
        yield
    finally:
        _cleanups.remove(fn)


def requested() -> bool:
    """Whether Ctrl-C was pressed while deferred (and not acted on yet)."""
    return _requested.is_set()


def check(*, raise_interrupt: bool = True) -> None:
    """A safe point: after Ctrl-C, run the cleanups and ``on_stop`` when a command gave one;
    else raise ``KeyboardInterrupt`` (or, with ``raise_interrupt=False``, return)."""
    if not _requested.is_set():
        return
    if _on_stop:
        for fn in reversed(_cleanups):
            fn()
        _on_stop[-1]()
    if raise_interrupt:
        raise KeyboardInterrupt


def exit_after(message: Callable[[], str]) -> Callable[[], NoReturn]:
    """An ``on_stop`` for :func:`deferred`: print ``message()`` to stderr, then
    :func:`end_process`."""

    def stop() -> NoReturn:
        print(message(), file=sys.stderr)
        end_process()

    return stop


def end_process() -> NoReturn:
    """End the process with status 130 (Ctrl-C) at once, once stdout and stderr are out.

    Nothing is torn down: torch may have been stopped inside a native kernel, and tearing the
    interpreter down from there can crash or re-raise the signal, which would hide the exit
    status. Everything already computed is on disk by then.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)
