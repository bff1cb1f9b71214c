"""benchmarks/memlimit.py: a point under a memory cgroup completes or is reported OOM-killed,
and a set's files can be evicted from the page cache (the "larger than memory" runs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import memlimit  # noqa: E402

needs_cgroup = pytest.mark.skipif(
    memlimit.unavailable() is not None, reason=str(memlimit.unavailable())
)
ALLOC = "import numpy as np; a = np.ones({mb} * 2**18, dtype=np.float32); print(a.nbytes >> 20)"


def test_parse_size_units_and_errors():
    assert memlimit.parse_size("2G") == 2 * 2**30
    assert memlimit.parse_size("512M") == 512 * 2**20
    assert memlimit.parse_size("1.5GiB") == 3 * 2**29
    assert memlimit.parse_size("4096") == 4096
    for bad in ("two", "0", "-1G", "3X"):
        with pytest.raises(ValueError, match="give e.g. 2G"):
            memlimit.parse_size(bad)


@needs_cgroup
def test_run_limited_completes_under_the_limit_and_is_oom_killed_above_it():
    ok = memlimit.run_limited([sys.executable, "-c", ALLOC.format(mb=50)], 400 * 2**20)
    assert ok.returncode == 0 and ok.stdout.strip() == "50" and not ok.oom_killed
    assert 50 <= ok.cgroup_peak_mb <= 400
    big = memlimit.run_limited([sys.executable, "-c", ALLOC.format(mb=600)], 200 * 2**20)
    assert big.oom_killed and big.returncode == -9
    assert big.cgroup_peak_mb <= 200 and big.seconds > 0
    assert not list(memlimit.ROOT.glob(f"eegdec-bench-{os.getpid()}-*"))  # groups removed


@pytest.mark.skipif(memlimit.resident_mb([]) is None, reason="util-linux fincore not installed")
def test_drop_page_cache_evicts_a_file(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"\1" * 8 * 2**20)
    f.read_bytes()
    assert memlimit.resident_mb([f]) > 0
    memlimit.drop_page_cache([f])
    assert memlimit.resident_mb([f]) < 1


def test_scale_summary_keeps_failed_points_and_fits_the_slope_on_the_rest(capsys):
    import bench_scale

    base = {"label": "before", "model": "csp-lda", "epochs_mb": 94.7}
    rows = [
        {
            **base,
            "subjects": 5,
            "epochs_mb": 473.5,
            "status": "ok",
            "peak_rss_mb": 1300.0,
            "wall_s": 70.0,
        },
        {
            **base,
            "subjects": 10,
            "epochs_mb": 947.0,
            "status": "ok",
            "peak_rss_mb": 1800.0,
            "wall_s": 150.0,
        },
        {
            **base,
            "subjects": 54,
            "epochs_mb": 5114.0,
            "status": "OOM-killed",
            "failed_after_s": 41.2,
            "exit_code": -9,
        },
    ]
    bench_scale._summary(rows)
    out = capsys.readouterr().out
    assert "| before | csp-lda | 54 | 5114 | - | failed after 41 | OOM-killed |" in out
    assert "csp-lda: 100 MB per added subject = 1.06x the epochs of one subject (95 MB)" in out
