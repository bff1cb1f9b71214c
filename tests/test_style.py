"""The code base stays ruff-clean (part of the default suite, so CI enforces it)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


RUFF = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(RUFF is None, reason="ruff not installed (pip install -e '.[dev]')")
def test_ruff_clean() -> None:
    ruff = str(RUFF)
    paths = [p for p in ("eegdec", "tests", "benchmarks", "examples") if (ROOT / p).exists()]
    proc = subprocess.run([ruff, "check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_help_is_fast_and_lazy() -> None:
    """`eegdec --help` must not import torch, MNE, MOABB, braindecode or MNE-LSL."""
    code = (
        "import sys; from eegdec.cli import build_parser; build_parser().format_help(); "
        "heavy = [m for m in ('torch', 'mne', 'moabb', 'braindecode', 'mne_lsl') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"heavy modules imported by --help: {out.stdout}"
