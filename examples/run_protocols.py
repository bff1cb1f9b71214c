"""Every evaluation protocol on the built-in simulated dataset, from Python.

Runs within-co, within-cv (contiguous folds), cross-session, loso and online calibration
with a classical pipeline (TS+LR) and a small EEGNet (5 epochs), then prints each run's
summary table. Run directories land in ``eegdec_results/examples``; run the script again
and every finished fold is skipped.

    python examples/run_protocols.py
"""

from __future__ import annotations

from pathlib import Path

from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols import protocol_names
from eegdec.evaluation.runner import run_protocol

OUT = Path("eegdec_results/examples")

for protocol in protocol_names():
    cfg = RunConfig(
        dataset="SimMI-2class", paradigm="LR", models=["ts-lr", "eegnet"],
        protocol=protocol, cv="contiguous", subjects=[1, 2, 3], epochs=5, seeds=[1],
        calib_sizes=[0, 8, 16, 32], fine_tune_epochs=5, device="cpu", quiet=True,
    )
    store = run_protocol(cfg, OUT / protocol)
    print(f"## {protocol}  ({store.root})")
    print((store.root / "summary.md").read_text())
