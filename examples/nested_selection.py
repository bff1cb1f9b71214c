"""Nested model selection: choose the alignment of TS+LR per held-out subject on inner folds of
the other subjects only, and see what was chosen and why (a few minutes on a 2-core CPU).

    python examples/nested_selection.py

The same from the command line:

    eegdec run --dataset SimMI-2class --subjects 1 2 3 4 --protocol loso --model ts-lr \\
        --select --select-grid 'alignment=none,euclidean' --select-folds 2
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.runner import run_protocol

cfg = RunConfig(dataset="SimMI-2class", subjects=[1, 2, 3, 4], protocol="loso",
                models=["ts-lr"], select=True, select_grid="alignment=none,euclidean",
                select_folds=2, quiet=True)
store = run_protocol(cfg, Path(tempfile.mkdtemp()) / "run")
rows = store.read_rows()
for _, row in rows.iterrows():
    chosen = json.loads(row["selected"])
    inner = store.read_selection(row["fold_id"])
    means = inner.groupby("alignment")["score"].mean().round(3).to_dict()
    print(f"target {row['subject']}/{row['session']}: chose {chosen} (inner balanced accuracy "
          f"{means}); outer accuracy {row['accuracy']:.3f}")
print(f"mean outer accuracy {rows['accuracy'].mean():.3f} over {len(rows)} folds; "
      f"inner scores in {store.root / 'selection'}")
