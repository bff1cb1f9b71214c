"""What ``eegdec run`` shows while it works.

On a terminal: one bar over the run's folds with their total and an ETA, and inside a fold the
epoch and training loss; each finished fold adds a line. Elsewhere (logs, CI): one plain line
per finished fold, with the count, the total and an ETA. Nothing is shown before the run is
checked, so an argument error prints only its own line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO, Any

from eegdec.evaluation.results import FoldId, RunStore
from eegdec.evaluation.runner import RunProgress

WIDTH = 100


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class RunReporter(RunProgress):
    """A :class:`RunProgress` that prints to ``stream`` (a bar on a terminal, lines elsewhere)."""

    def __init__(self, stream: IO[str], quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.root: Path | None = None
        self.total: int | None = None
        self.n = 0
        self.t0 = time.monotonic()
        self.bar: Any = None

    @property
    def live(self) -> bool:
        """Whether progress inside a fold (epochs) is shown."""
        return self.tty and not self.quiet

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, store: RunStore, total: int | None) -> None:
        self.root, self.total, self.t0 = store.root, total, time.monotonic()
        if self.quiet:
            return
        todo = "folds" if total is None else f"{total} folds"
        self._line(f"eegdec run: {todo} to run, results in {store.root}")
        if self.tty:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="folds", unit="fold", file=self.stream,
                            ncols=WIDTH, smoothing=0, bar_format="{desc}: {n_fmt}/{total_fmt} "
                            "[{elapsed}<{remaining}] {postfix}" if total is None else None)

    def loading(self, dataset: str, subject: int) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(f"loading {dataset} subject {subject}")
        else:
            self._line(f"loading {dataset} subject {subject}")

    def epoch(self, epoch: int, max_epochs: int, metrics: dict[str, float]) -> None:
        if self.bar is not None:
            loss = metrics.get("train_loss")
            self.bar.set_postfix_str(f"epoch {epoch}/{max_epochs}"
                                     + (f", loss {loss:.3f}" if loss is not None else ""))

    def fold_done(self, row: dict[str, Any]) -> None:
        self.n += 1
        if self.quiet:
            return
        text = f"{FoldId.parse(row['fold_id']).label}: accuracy {row['accuracy']:.3f}"
        if self.bar is not None:
            self.bar.update(1)
            self._line(text)
            return
        elapsed = time.monotonic() - self.t0
        count = f"[{self.n}/{self.total}]" if self.total else f"[{self.n}]"
        eta = ""
        if self.total and self.n <= self.total:
            eta = f", ETA {_duration(elapsed / self.n * (self.total - self.n))}"
        self._line(f"{count} {text} ({_duration(elapsed)} elapsed{eta})")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class BenchmarkReporter(RunReporter):
    """A :class:`RunReporter` over every cell of a benchmark: one count, total and ETA for the
    whole suite, and a line as each cell starts."""

    def __init__(self, stream: IO[str], total: int | None, n_cells: int, out: Path,
                 quiet: bool = False) -> None:
        super().__init__(stream, quiet)
        self.total, self.n_cells, self.out = total, n_cells, out
        if quiet:
            return
        todo = "folds" if total is None else f"{total} folds"
        self._line(f"eegdec benchmark: {n_cells} cells, {todo} to run, results in {out}")
        if self.tty:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="folds", unit="fold", file=self.stream,
                            ncols=WIDTH, smoothing=0)

    def cell(self, index: int, cell: Any) -> None:
        """Called as cell ``index`` (0-based) starts."""
        if not self.quiet:
            self._line(f"cell {index + 1}/{self.n_cells}: {cell.name}")

    def start(self, store: RunStore, total: int | None) -> None:
        self.root = store.root
