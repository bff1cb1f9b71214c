"""What produced a run: package versions, BLAS, CPU, threads, Python, OS and the project's git
commit, so a number in ``results.csv`` can be traced to the software and machine behind it.

:func:`fingerprint` collects it; the run directory stores it as ``fingerprint.json``
(:meth:`~eegdec.evaluation.results.RunStore.save_fingerprint` owns the file).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

# The distributions whose versions decide a result (distribution names, as pip knows them).
PACKAGES = ("torch", "numpy", "scipy", "mne", "moabb", "braindecode", "scikit-learn",
            "lightning", "pyriemann", "pandas")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo`` on Linux; ``platform`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> list[dict[str, Any]]:
    """The BLAS/OpenMP libraries loaded in this process, with their thread counts
    (threadpoolctl reads them from the shared libraries themselves, numpy's config does not
    say how many threads they use)."""
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "version", "num_threads", "threading_layer")
    return [{k: info.get(k) for k in keys} for info in threadpool_info()]


def _git(root: Path) -> dict[str, Any]:
    """``{"commit": sha, "dirty": bool}`` of the checkout holding eegdec (``None``s when it is
    not a git checkout, e.g. an installed wheel)."""
    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                                 text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def fingerprint() -> dict[str, Any]:
    """The fingerprint of this process: a JSON-serialisable dict."""
    import numpy  # noqa: F401 (loads its BLAS, so threadpoolctl sees it)

    import eegdec

    torch_threads = None
    if "torch" in sys.modules:  # only report torch's threads when the run used torch
        torch_threads = sys.modules["torch"].get_num_threads()
    return {
        "eegdec": eegdec.__version__,
        "git": _git(Path(eegdec.__file__).resolve().parent.parent),
        "packages": {p: _version(p) for p in PACKAGES},
        "python": platform.python_version(),
        "os": platform.platform(),
        "cpu": {"model": _cpu_model(), "logical_cores": os.cpu_count(),
                "usable_cores": len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity") else os.cpu_count()},
        "threads": {"torch": torch_threads,
                    **{v: os.environ.get(v) for v in THREAD_VARIABLES}},
        "blas": _blas(),
    }


def fingerprint_line(fp: dict[str, Any]) -> str:
    """One line for a summary: ``eegdec 0.5 (git 1a2b3c4, dirty), torch 2.5, numpy 2.1, ...,
    AMD EPYC, 2 cores``."""
    git = fp.get("git") or {}
    commit = git.get("commit")
    where = f" (git {commit[:7]}{', dirty' if git.get('dirty') else ''})" if commit else ""
    packages = ", ".join(f"{k} {v}" for k, v in fp.get("packages", {}).items() if v)
    cpu = fp.get("cpu", {})
    return (f"eegdec {fp.get('eegdec')}{where}, {packages}, Python {fp.get('python')}, "
            f"{cpu.get('model')}, {cpu.get('usable_cores')} cores")
