"""Run a benchmark point under a hard memory limit, and start it with a cold page cache.

A "larger than memory" run is only real when the memory is really short: on a machine with
more RAM than the data, the kernel keeps every page of the set. ``run_limited`` runs a
command inside its own cgroup (v1 memory controller, ``/sys/fs/cgroup/memory``; needs root):
``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes`` where the kernel accounts swap,
else ``memory.swappiness=0``) caps anonymous memory and page cache together, so mapped epochs
must be dropped and re-read from disk, and a process that needs more anonymous memory than
the limit is OOM-killed. ``drop_page_cache`` evicts a set's files from the page cache
(``posix_fadvise(DONTNEED)``: only those files, not the whole machine's cache) so that the
pages a run reads are charged to its cgroup, not found warm in another one.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path("/sys/fs/cgroup/memory")
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """Bytes of ``"2G"``, ``"512M"``, ``"1.5G"`` or ``"1048576"`` (binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", str(text), re.IGNORECASE)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"memory size {text!r} is not understood: give e.g. 2G, 512M or bytes")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def unavailable() -> str | None:
    """Why a memory cgroup cannot be made here (``None`` when it can)."""
    if not (ROOT / "memory.limit_in_bytes").exists():
        return f"no cgroup v1 memory controller at {ROOT}: run without --cgroup-limit"
    if not os.access(ROOT, os.W_OK):
        return f"{ROOT} is not writable: run as root, or without --cgroup-limit"
    return None


@dataclasses.dataclass
class Limited:
    """How a command run under a memory limit ended."""

    returncode: int | None  # None: stopped at the timeout
    seconds: float
    stdout: str
    stderr: str
    oom_killed: bool
    cgroup_peak_mb: float  # memory.max_usage_in_bytes: anonymous memory and page cache


def run_limited(
    cmd: Sequence[str],
    limit: int,
    *,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> Limited:
    """Run ``cmd`` in a fresh memory cgroup capped at ``limit`` bytes, then remove the group."""
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    group = ROOT / f"eegdec-bench-{os.getpid()}-{time.monotonic_ns()}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(limit))
        memsw = group / "memory.memsw.limit_in_bytes"
        if memsw.exists():  # swap accounted: the same cap on memory + swap (no swap at all)
            memsw.write_text(str(limit))
        else:
            (group / "memory.swappiness").write_text("0")
        procs = str(group / "cgroup.procs")

        def enter() -> None:  # in the child, before exec: its pid joins the group
            with open(procs, "w") as fh:
                fh.write(str(os.getpid()))

        t0 = time.perf_counter()
        try:
            out = subprocess.run(
                list(cmd),
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                preexec_fn=enter,
            )
            code, stdout, stderr = out.returncode, out.stdout, out.stderr
        except subprocess.TimeoutExpired as exc:
            code = None
            stdout, stderr = _text(exc.stdout), _text(exc.stderr)
        seconds = time.perf_counter() - t0
        oom = re.search(r"oom_kill (\d+)", (group / "memory.oom_control").read_text())
        peak = int((group / "memory.max_usage_in_bytes").read_text()) / 2**20
        return Limited(code, seconds, stdout, stderr, bool(oom and int(oom.group(1))), peak)
    finally:
        _remove(group)


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else data or ""


def _remove(group: Path) -> None:
    """rmdir the group once its processes are gone (its page cache moves to the parent)."""
    for _ in range(50):
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.1)
    group.rmdir()


def drop_page_cache(files: Sequence[Path]) -> None:
    """Evict ``files`` from the page cache (written back first; clean pages are dropped)."""
    for f in files:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def resident_mb(files: Sequence[Path]) -> float | None:
    """MiB of ``files`` in the page cache (util-linux ``fincore``: Python has no mincore);
    ``None`` without ``fincore``."""
    exe = shutil.which("fincore")
    if exe is None or not files:
        return None if exe is None else 0.0
    out = subprocess.run(
        [exe, "--bytes", "--noheadings", "--raw", "--output", "RES", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return round(sum(int(v) for v in out.stdout.split()) / 2**20, 1)
