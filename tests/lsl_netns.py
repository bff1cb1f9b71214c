"""Run a command in a private network namespace that has only a loopback device, so that
the LSL streams it opens (discovered by UDP multicast) can never reach the host network.

This is docs/online.md's recipe; tests that open LSL streams run their scenario through
:func:`isolated` and skip, saying why, when :func:`unavailable` finds no namespace: they never
fall back to the host network.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Sequence

# lo up with multicast, and the whole multicast range routed to it; then the command itself.
SETUP = ("ip link set lo up && ip link set lo multicast on && "
         "ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$@\"")


def isolated(argv: Sequence[str]) -> list[str]:
    """``argv`` run inside a fresh network namespace (``unshare -n``, root or a user
    namespace needed); the setup failing stops the command before it runs."""
    return ["unshare", "-n", "sh", "-c", SETUP, *argv]


@functools.cache
def unavailable() -> str | None:
    """Why no isolated namespace can be made here, or ``None`` when one can (and it holds
    nothing but ``lo``)."""
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"`{tool}` not found: LSL tests need a private network namespace"
    try:
        done = subprocess.run(isolated(["ip", "-o", "link", "show"]), capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot create a private network namespace ({exc}); LSL tests never use the " \
               "host network"
    if done.returncode:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"cannot create a private network namespace (`unshare -n`: {detail}); LSL "
                "tests never use the host network (run them as root, e.g. in CI)")
    devices = [line.split(":")[1].strip() for line in done.stdout.splitlines() if ":" in line]
    if devices != ["lo"]:
        return f"the namespace holds {devices}, not only lo: refusing to open LSL streams"
    return None
