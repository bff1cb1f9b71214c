"""Evaluate two decoders on simulated data, then write the HTML report and topomaps.

1. ``within-cv`` (2 folds) on SimMI-2class subject 1 with DBConformer (5 epochs) and CSP+LDA,
   saving checkpoints;
2. ``write_report(run_dir)``: RUN_DIR/report.html, one self-contained file (open it in any
   browser, mail it, attach it: images are embedded);
3. the maps of one DBConformer checkpoint (topomaps per class, per-trial attention, temporal
   and spatial self-attention), as ``eegdec topomap`` draws them.

A few minutes on two CPU cores; re-running skips finished folds.

    python examples/report.py
"""

from __future__ import annotations

from pathlib import Path

from eegdec.cli import main as eegdec
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.runner import run_protocol
from eegdec.interpret.report import write_report

OUT = Path("eegdec_results/examples/report")

cfg = RunConfig(dataset="SimMI-2class", paradigm="LR", models=["dbconformer", "csp-lda"],
                protocol="within-cv", n_folds=2, subjects=[1], epochs=5, device="cpu",
                save_checkpoints=True, quiet=True)
store = run_protocol(cfg, OUT)
print(f"report: {write_report(store.root)}")

checkpoint = sorted((store.root / "checkpoints").glob("dbconformer__*.pt"))[0]
eegdec(["topomap", "--checkpoint", str(checkpoint), "--dataset", "SimMI-2class",
        "--subjects", "1", "--out", str(store.root / "topomaps")])
