"""EDF/BDF header check: MNE reads a truncated file without error (fewer trials, silently),
so loaders compare the file size with what the header announces before reading."""

from __future__ import annotations

from pathlib import Path

HEADER = 256  # bytes of the fixed header; then 256 bytes per signal
SAMPLES_AT = 216  # per-signal offset of "samples per data record" (x n_signals)


def check_edf_size(path: Path) -> None:
    """Raise ``ValueError`` when ``path`` is not an EDF/BDF file or is shorter than its header
    says (``n_records x samples per record``)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(HEADER)
        if len(head) < HEADER:
            raise ValueError(f"{size} bytes, shorter than an EDF header")
        try:
            header_bytes, n_records, n_signals = (int(head[a:b]) for a, b in
                                                  ((184, 192), (236, 244), (252, 256)))
            fh.seek(HEADER + n_signals * SAMPLES_AT)
            fields = fh.read(8 * n_signals)
            per_record = sum(int(fields[i:i + 8]) for i in range(0, 8 * n_signals, 8))
        except ValueError as exc:
            raise ValueError("not an EDF header") from exc
    width = 3 if head[:1] == b"\xff" else 2  # BDF (24-bit) starts with 0xFF "BIOSEMI"
    expected = header_bytes + max(n_records, 0) * per_record * width
    if size < expected:
        raise ValueError(f"truncated: {size} of the {expected} bytes its header announces")
