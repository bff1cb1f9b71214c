"""Warm eegdec epoch-cache load vs MOABB ``paradigm.get_data``, side by side in one run.

Same subject (PhysionetMI S001), same settings (left/right imagery, 8-32 Hz IIR band-pass,
native 160 Hz, MOABB's 0-3 s window). Offline: reads ../shared/data (or --data-dir).

    python benchmarks/bench_cache.py [--data-dir ../shared/data] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def _timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    root = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(root))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"

    import mne
    from moabb.datasets import PhysionetMI
    from moabb.paradigms import LeftRightImagery

    from eegdec.data.moabb_loader import mne_data_env
    from eegdec.preprocessing.load import load_epochs

    mne.set_log_level("ERROR")
    data_dir = Path(args.data_dir).resolve()

    def moabb_load():
        with mne_data_env(data_dir):
            return LeftRightImagery(fmin=8, fmax=32).get_data(PhysionetMI(), [1])

    with tempfile.TemporaryDirectory() as cache:
        def eegdec_load():
            return load_epochs("PhysionetMI", [1], paradigm="LR", data_dir=data_dir,
                               cache_dir=cache)

        t_moabb, (X_m, y_m, _) = _timed(moabb_load, max(1, args.repeats // 2))
        t0 = time.perf_counter()
        eegdec_load()
        t_cold = time.perf_counter() - t0
        t_warm, ep = _timed(eegdec_load, args.repeats)

    same = X_m.shape == ep.X.shape and list(y_m) == list(ep.labels)
    diff = float(np.abs(X_m - ep.X).max()) if same else float("nan")
    print(f"MOABB LeftRightImagery.get_data, PhysionetMI S001: {t_moabb * 1e3:8.1f} ms "
          f"(X {X_m.shape})")
    print(f"eegdec load_epochs, cold (fills cache):            {t_cold * 1e3:8.1f} ms")
    print(f"eegdec load_epochs, warm (epoch cache):            {t_warm * 1e3:8.1f} ms "
          f"(X {ep.X.shape})")
    print(f"speed-up warm vs MOABB: {t_moabb / t_warm:.0f}x; same trials and labels: {same}; "
          f"max |X_moabb - X_eegdec| = {diff:.3g} uV")


if __name__ == "__main__":
    main()
