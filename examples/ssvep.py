"""SSVEP Exoskeleton (Kalunga2016): load both paradigms, then compare the classical SSVEP
pipelines within session on two subjects.

Needs the files under ``../shared/data/ssvepexo`` (or pass another data directory as the
first argument); about 30 s on one CPU core.

    python examples/ssvep.py [DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.runner import run_protocol
from eegdec.preprocessing.load import load_epochs

DATA = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[2]
                                                  / "shared" / "data")
PIPELINES = str(Path(__file__).resolve().parents[1] / "pipelines")

for paradigm in ("SSVEP", "FilterBankSSVEP"):
    ep = load_epochs("SSVEPExo", [1, 2], paradigm=paradigm, data_dir=DATA)
    print(f"{paradigm}: X {ep.X.shape}, classes {ep.classes}, channels {ep.ch_names[:3]}...")
    cfg = RunConfig(dataset="SSVEPExo", paradigm=paradigm, models=[], pipelines=PIPELINES,
                    protocol="within-cv", subjects=[1, 2], alignment="none", data_dir=DATA,
                    quiet=True)
    store = run_protocol(cfg, Path("eegdec_results/examples") / f"ssvep-{paradigm}")
    print((store.root / "summary.md").read_text())
