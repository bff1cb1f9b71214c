"""SSVEP Exoskeleton (Kalunga2016): load both paradigms, then compare the classical SSVEP
pipelines within session on two subjects.

One ``SSVEP`` run evaluates every shipped SSVEP pipeline: CCA and TRCA on the 7-45 Hz epochs,
FB+MDM and FB+TS+LR on the filter-bank epochs loaded for them (the pipelines that list only
``FilterBankSSVEP``), on the same trials and folds. ``eegdec run --paradigm SSVEP --dataset
SSVEPExo --subjects 1 2`` does the same from the command line.

Needs the files under ``../shared/data/ssvepexo`` (or pass another data directory as the
first argument); about 30 s on one CPU core.

    python examples/ssvep.py [DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.decoders import shipped_pipelines
from eegdec.evaluation.runner import run_protocol
from eegdec.preprocessing.load import load_epochs

DATA = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[2]
                                                  / "shared" / "data")

for paradigm in ("SSVEP", "FilterBankSSVEP"):
    ep = load_epochs("SSVEPExo", [1, 2], paradigm=paradigm, data_dir=DATA)
    print(f"{paradigm}: X {ep.X.shape}, classes {ep.classes}, channels {ep.ch_names[:3]}...")
cfg = RunConfig(dataset="SSVEPExo", paradigm="SSVEP", models=[],
                pipelines=str(shipped_pipelines()), protocol="within-cv", subjects=[1, 2],
                alignment="none", data_dir=DATA, quiet=True)
store = run_protocol(cfg, Path("eegdec_results/examples") / "ssvep")
print((store.root / "summary.md").read_text())
