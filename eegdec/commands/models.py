"""List registered models: name, family, kind, parameter count and paper.

Parameter counts are for the reference input (22 channels x 1001 samples at 250 Hz, 4 classes),
read from a packaged table so that the listing does not import torch; "-" means the model has
no count (classical pipelines, or a model that cannot take the reference input).

Examples:
  eegdec models
  eegdec models --kind torch
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=["torch", "sklearn"], default=None,
                        help="only deep (torch) or classical (sklearn) models")


def _fmt(count: int | None) -> str:
    return "-" if count is None else f"{count:,}"


def command(args: argparse.Namespace) -> int:
    from eegdec.models.param_counts import REFERENCE, load_param_counts
    from eegdec.models.registry import list_models

    counts = load_param_counts()
    rows = [("name", "family", "kind", "params", "paper")]
    rows += [(m.name, m.family, m.kind, _fmt(counts.get(m.name)), m.paper)
             for m in list_models(args.kind)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.rjust(w) if i == 3 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r[:4], widths))) + "  " + r[4])
    ref = REFERENCE
    print(f"\nparams: for {ref['n_chans']} channels x {ref['n_times']} samples at "
          f"{ref['sfreq']:g} Hz, {ref['n_outputs']} classes.")
    return 0
