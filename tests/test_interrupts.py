"""Ctrl-C at safe points (eegdec.interrupts): deferred, raised or handed to a command's
``on_stop`` with the cleanups first; a second Ctrl-C at once."""

from __future__ import annotations

import os
import signal
import time

import pytest

from eegdec import interrupts


class _Stopped(Exception):
    """Stands for the process ending (a real ``on_stop`` calls ``os._exit``)."""


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # the Python-level handler runs at the next bytecode boundary


def test_deferred_ctrl_c_waits_for_the_safe_point_then_raises():
    with pytest.raises(KeyboardInterrupt):
        with interrupts.deferred():
            _ctrl_c()
            assert interrupts.requested()
            interrupts.check(raise_interrupt=False)  # a batch end under the library: no raise
            reached = True
            interrupts.check()
    assert reached and not interrupts.requested()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_interrupts_at_once():
    with pytest.raises(KeyboardInterrupt):
        with interrupts.deferred():
            _ctrl_c()
            _ctrl_c()
            pytest.fail("the second Ctrl-C did not interrupt")


def test_on_stop_runs_after_the_cleanups_innermost_first():
    calls: list[str] = []

    def on_stop() -> None:
        calls.append("stop")
        raise _Stopped

    with pytest.raises(_Stopped):
        with interrupts.deferred(on_stop), interrupts.cleanup(lambda: calls.append("outer")):
            with interrupts.cleanup(lambda: calls.append("inner")):
                _ctrl_c()
                calls.append("work after Ctrl-C")
                interrupts.check(raise_interrupt=False)
    assert calls == ["work after Ctrl-C", "inner", "outer", "stop"]
    with pytest.raises(KeyboardInterrupt):  # on_stop and the cleanups went with their blocks
        with interrupts.deferred():
            _ctrl_c()
            interrupts.check()
    assert calls == ["work after Ctrl-C", "inner", "outer", "stop"]


def test_without_ctrl_c_nothing_happens_and_outside_the_main_thread_it_is_a_no_op():
    import threading

    with interrupts.deferred(lambda: pytest.fail("on_stop without Ctrl-C")):
        interrupts.check()
    seen: list[object] = []

    def worker() -> None:
        with interrupts.deferred():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]
