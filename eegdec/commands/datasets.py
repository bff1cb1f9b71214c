"""List registered datasets and whether their files are on disk.

Presence is checked from the file layout in datasets.yaml (no MNE/MOABB import):
``built-in`` (simulated), ``yes``, ``partial (k/n subjects)``, ``no``.

Examples:
  eegdec datasets
  eegdec datasets --data-dir ../shared/data
  eegdec datasets --paradigm seizure
  eegdec datasets --paradigm SSVEP --data-dir ../shared/data
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default=None,
                        help="data directory (default: $EEGDEC_DATA, $MNE_DATA, ~/mne_data)")
    parser.add_argument("--paradigm", default=None,
                        help="only datasets offering this paradigm (MI, LeftRightImagery or LR, "
                             "seizure, SSVEP, FilterBankSSVEP)")


WIDTH = 100  # terminal columns the table fits in


def command(args: argparse.Namespace) -> int:
    from eegdec.data.paradigms import check_paradigm
    from eegdec.data.registry import get_dataset_spec, list_datasets
    from eegdec.paths import data_dir

    wanted = check_paradigm(args.paradigm).lower() if args.paradigm is not None else None
    rows = [("name", "paradigms", "subj", "sess", "chans", "sfreq", "on disk", "classes",
             "also named")]
    for name in list_datasets():
        spec = get_dataset_spec(name)
        if wanted and wanted not in {p.lower() for p in spec.paradigms}:
            continue
        rows.append((
            spec.name, ",".join(spec.paradigms), str(len(spec.subjects)),
            str(len(spec.sessions)), str(spec.n_channels), f"{spec.sfreq:g}",
            spec.presence(args.data_dir), ", ".join(spec.classes), ", ".join(spec.aliases),
        ))
    for line in _table(rows, below=2):
        print(line)
    print(f"\ndata directory: {data_dir(args.data_dir)}")
    return 0


def _table(rows: list[tuple[str, ...]], width: int = WIDTH, below: int = 1) -> list[str]:
    """Columns padded to their widest cell; the last ``below`` columns (classes, other names)
    go on lines below each row, ``header: cell``, wrapped so that no line is wider than
    ``width`` (empty cells are left out)."""
    import textwrap

    inline = len(rows[0]) - below
    widths = [max(len(r[i]) for r in rows) for i in range(inline)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()[:width])
        for head, cell in zip(rows[0][inline:], row[inline:]):
            if i and cell:
                lines += textwrap.wrap(f"{head}: {cell}", width, initial_indent="    ",
                                       subsequent_indent="      ", break_on_hyphens=False)
    return lines
