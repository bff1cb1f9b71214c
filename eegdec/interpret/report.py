"""One self-contained HTML report for a run directory (images embedded as base64 PNG).

The report reads only the files listed in docs/design.md section 4; each section whose input
is missing or unusable is replaced by a short note, so a half-finished run still gets a report.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from eegdec.errors import BadInputError, EEGDecError
from eegdec.evaluation.results import FoldId, RunStore, read_npz
from eegdec.paths import atomic_write

ROW_COLUMNS = ("model", "subject", "session", "fold", "seed", "n_calib", "n_train", "n_test",
               "accuracy", "balanced_accuracy", "kappa", "fit_seconds")
MAX_CONFUSION_PANELS = 8
# attention/*.npz keys drawn as relevance sections, in this order, with their labels
RELEVANCE_KINDS = {"channel_attention": "channel attention", "relevance": "input x gradient",
                   "lrp": "LRP", "integrated_gradients": "integrated gradients"}
MAX_HEATMAP_TRIALS = 300

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em}
p.how{color:#444;font-size:.92em;max-width:80ch}p.note{color:#8a5a00;font-style:italic}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:right}th{background:#f3f3f3}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:.8em}
img{max-width:100%;height:auto;display:block;margin:.5em 0}
"""


@dataclass
class Section:
    """A report section: heading, how-to-read text and HTML body (or a note why skipped)."""

    title: str
    how: str
    body: str = ""
    note: str = ""

    def html(self) -> str:
        parts = [f"<h2>{html.escape(self.title)}</h2>"]
        if self.note:
            parts.append(f'<p class="note">{html.escape(self.note)}</p>')
        else:
            parts.append(f'<p class="how">{html.escape(self.how)}</p>')
            parts.append(self.body)
        return "\n".join(parts)


def _img(fig, alt: str) -> str:
    from eegdec.interpret.plots import figure_png

    data = base64.b64encode(figure_png(fig)).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_html(index=index, float_format=lambda v: f"{v:.3f}", na_rep="",
                         border=0, escape=True)


class RunReport:
    """The pieces of one run directory and the sections drawn from them."""

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.root = Path(run_dir)
        self.store = RunStore(self.root)
        if not self.store.is_run_dir():
            raise BadInputError(
                f"{run_dir} is not a run directory (no config.yaml or results.csv): pass the "
                "folder written by `eegdec run --out`."
            )
        self.rows = self.store.read_rows()

    @property
    def offline_rows(self) -> pd.DataFrame:
        return self.rows[self.rows["n_calib"].isna()] if "n_calib" in self.rows else self.rows

    @property
    def online_rows(self) -> pd.DataFrame:
        return self.rows[self.rows["n_calib"].notna()] if "n_calib" in self.rows else \
            self.rows.iloc[:0]

    # -- sections ----------------------------------------------------------------------------
    def config(self) -> Section:
        sec = Section("Configuration", "The resolved settings of this run; its hash is part of "
                      "every result row, so results from different settings never mix.")
        if not self.store.config_path.exists():
            sec.note = "No config.yaml in this run directory."
        else:
            sec.body = f"<pre>{html.escape(self.store.config_path.read_text())}</pre>"
        return sec

    def results(self) -> Section:
        sec = Section("Results", "Mean ± sd per dataset, model and protocol (online: per number "
                      "of calibration trials N). Compare each score with the chance level of its "
                      "class set; the per-fold rows below show the spread behind each mean.")
        if self.rows.empty:
            sec.note = "No finished folds yet (results.csv is missing or empty)."
            return sec
        from eegdec.evaluation.results import summarise

        summary = summarise(self.rows)
        compact = summary[[c for c in ("dataset", "protocol", "model", "alignment", "filter",
                                       "n_calib", "target_data_seen",
                                       "classes", "chance_level", "n", "sd_over")
                           if c in summary and summary[c].notna().any()
                           and summary[c].astype(str).str.len().any()]].copy()
        for m in ("accuracy", "balanced_accuracy", "kappa"):
            compact[m] = [f"{a:.3f} ± {0.0 if pd.isna(b) else b:.3f}"
                          for a, b in zip(summary[f"{m}_mean"], summary[f"{m}_std"])]
        cols = [c for c in ROW_COLUMNS if c in self.rows and self.rows[c].notna().any()]
        sec.body = (_table(compact) + "<details><summary>per-fold rows "
                    f"({len(self.rows)})</summary>{_table(self.rows[cols])}</details>")
        return sec

    def subject_scores(self) -> Section:
        sec = Section("Per-subject scores", "Bars are the mean accuracy per subject (error bars: "
                      "sd over folds and seeds), one colour per model; the dashed line is chance. "
                      "Subjects far below the others are the usual 'BCI-inefficient' users.")
        rows = self.offline_rows
        if rows.empty and not self.online_rows.empty:
            online = self.online_rows
            rows = online[online["n_calib"] == online["n_calib"].max()]
            sec.how += f" Online run: scores after N={int(rows['n_calib'].iloc[0])} trials."
        if rows.empty or "accuracy" not in rows:
            sec.note = "No per-subject scores (results.csv is missing or empty)."
            return sec
        from eegdec.interpret.plots import plot_subject_scores

        sec.body = _img(plot_subject_scores(rows), "per-subject accuracy")
        return sec

    def paired(self) -> Section | None:
        """Paired tests of every two models across subjects, and the plot of the best two."""
        rows = self.offline_rows
        if rows.empty and not self.online_rows.empty:
            online = self.online_rows
            rows = online[online["n_calib"] == online["n_calib"].max()]
        if rows.empty or rows["model"].nunique() < 2:
            return None
        from eegdec.evaluation.statistics import benchmark_statistics
        from eegdec.interpret.benchmark_report import best_pair, paired_section

        stats = benchmark_statistics(rows)
        return paired_section(stats, best_pair(stats))

    def confusion(self) -> Section:
        sec = Section("Confusion matrices", "Rows are the true class, columns the predicted one; "
                      "each row is normalised to 1 (trial counts in brackets), so the diagonal is "
                      "the recall of each class and off-diagonal cells show which classes mix.")
        groups: dict[str, list[dict[str, np.ndarray]]] = {}
        for fid, path in self.store.artefacts("predictions"):
            n = f" (N{fid.n_calib})" if fid.n_calib is not None else ""
            groups.setdefault(fid.model + n, []).append(read_npz(path))
        if not groups:
            sec.note = "No predictions/*.npz in this run directory."
            return sec
        from sklearn.metrics import confusion_matrix

        from eegdec.interpret.plots import plot_confusion_matrices

        panels = {}
        for title, preds in list(groups.items())[:MAX_CONFUSION_PANELS]:
            classes = [str(c) for c in preds[0]["classes"]]
            y_true = np.concatenate([p["y_true"] for p in preds])
            y_pred = np.concatenate([p["y_pred"] for p in preds])
            panels[f"{title}, {len(preds)} folds"] = (
                confusion_matrix(y_true, y_pred, labels=range(len(classes))), classes)
        sec.body = _img(plot_confusion_matrices(panels), "confusion matrices")
        if len(groups) > MAX_CONFUSION_PANELS:
            sec.body += f"<p>First {MAX_CONFUSION_PANELS} of {len(groups)} groups shown.</p>"
        return sec

    def curves(self) -> Section:
        sec = Section("Training curves", "Loss and accuracy per epoch: thin lines are folds, "
                      "thick lines their mean; solid is training, dashed validation. A training "
                      "loss still falling at the end suggests more epochs; validation loss rising "
                      "while training loss falls means overfitting.")
        curves: dict[str, list[pd.DataFrame]] = {}
        for fid, _ in self.store.artefacts("curves"):
            frame = self.store.read_curve(fid)
            if "epoch" in frame and len(frame):
                curves.setdefault(fid.model, []).append(frame)
        if not curves:
            sec.note = "No training curves (only torch models write curves/*.csv)."
            return sec
        from eegdec.interpret.plots import plot_training_curves

        sec.body = _img(plot_training_curves(curves), "training curves")
        return sec

    def online(self) -> Section | None:
        if self.online_rows.empty:
            return None
        sec = Section("Online calibration: accuracy vs N", "Accuracy on the same held-out test "
                      "trials after fine-tuning on the first N labelled trials of the new user "
                      "(N=0: the cross-subject model alone); the band is ± sd over subjects and "
                      "seeds. A rising curve means a few calibration trials pay off.")
        from eegdec.interpret.plots import plot_online_curve

        sec.body = _img(plot_online_curve(self.online_rows), "accuracy against N")
        return sec

    def pseudo_online(self) -> Section | None:
        found = self.store.artefacts("timecourse")
        if not found:
            return None
        sec = Section("Pseudo-online: accuracy vs time since cue onset", "Each decision of the "
                      "replayed run scored against the cue active at its time, per 0.1 s bin of "
                      "time since cue onset, averaged over folds (band: ± sd). Decisions just "
                      "after the onset still see mostly pre-cue signal in their window; the "
                      "curve shows when the decoder starts to know, and whether it holds to "
                      "the cue's end. The trial decision sums the log-probabilities from 0.5 s "
                      "to the end (trial_accuracy in the results).")
        curves: dict[str, list[pd.DataFrame]] = {}
        for fid, _ in found:
            frame = self.store.read_timecourse(fid)
            if {"t_start", "t_end", "accuracy"} <= set(frame.columns) and len(frame):
                curves.setdefault(fid.model, []).append(frame)
        if not curves:
            sec.note = "The timecourse/*.csv files hold no curve."
            return sec
        from eegdec.interpret.plots import plot_accuracy_vs_time

        rows = self.rows
        chance = float(rows["chance_level"].mean()) if len(rows) else None
        sec.body = _img(plot_accuracy_vs_time(curves, chance), "accuracy against time")
        return sec

    def relevance(self) -> list[Section]:
        how = ("Scalp maps of mean channel relevance on test trials, over all trials and per "
               "class: gradient x input for every torch model, layer-wise relevance propagation "
               "(LRP: the target logit divided back through the layers by the epsilon rule) "
               "for the models LRP supports and, for DBConformer, also its channel attention "
               "(each trial sums to 1). For motor imagery, weight over C3/C4 and their "
               "neighbours is the physiologically expected pattern; the heat map shows the same "
               "per trial (rows grouped by class), revealing whether the pattern is consistent. "
               "Gradient x input and LRP agree on simple convolutional chains and can differ "
               "for attention models, where LRP treats attention weights as fixed. Read "
               "DBConformer's attention next to its gradient and LRP maps: when the temporal "
               "branch carries the decision, the attention can stay near its initialisation "
               "(docs/interpret.md).")
        paths: dict[str, dict[int, list[tuple[FoldId, Path]]]] = {}
        for fid, path in self.store.artefacts("attention"):
            n = -1 if fid.n_calib is None else fid.n_calib
            paths.setdefault(fid.model, {}).setdefault(n, []).append((fid, path))
        groups = {}  # online runs: the maps after the most calibration trials
        for model, by_n in paths.items():
            n = max(by_n)
            groups[model + (f" (N{n})" if n >= 0 else "")] = [
                {**read_npz(p), "fold": fid} for fid, p in by_n[n]]
        if not groups:
            return [Section("Channel relevance", how,
                            note="No attention/*.npz (written for torch models only).")]
        return [self._relevance_section(title, parts, how, key)
                for title, parts in groups.items()
                for key in RELEVANCE_KINDS if key in parts[0]]

    def _classes(self, part: dict[str, np.ndarray]) -> list[str] | None:
        if "classes" in part:
            return [str(c) for c in part["classes"]]
        if not self.store.has("predictions", part["fold"]):
            return None
        return [str(c) for c in self.store.read_npz("predictions", part["fold"])["classes"]]

    def _relevance_section(self, title: str, parts: list[dict], how: str, key: str) -> Section:
        from eegdec.interpret.channels import normalize_ch_name
        from eegdec.interpret.topomap import plot_class_topomaps, plot_trial_heatmap
        from eegdec.models.relevance import aggregate_relevance

        kind = RELEVANCE_KINDS[key]
        sec = Section(f"Channel relevance: {title}, {kind}", how)
        raw_names = [str(c) for c in parts[0]["ch_names"]]
        parts = [p for p in parts if [str(c) for c in p["ch_names"]] == raw_names and key in p]
        ch_names = [normalize_ch_name(c) for c in raw_names]
        rel = np.concatenate([p[key] for p in parts])
        y_true = np.concatenate([p["y_true"] for p in parts])
        y_pred = np.concatenate([p["y_pred"] for p in parts]) if all(
            "y_pred" in p for p in parts) else None
        subject = np.concatenate([[p["fold"].subject] * len(p["y_true"]) for p in parts])
        classes = self._classes(parts[0]) or [f"class {c}" for c in range(int(y_true.max()) + 1)]
        montage = str(parts[0]["montage"]) if "montage" in parts[0] else None
        body = [f"<p>{kind}, {len(rel)} test trials from {len(parts)} folds.</p>"]
        try:
            fig = plot_class_topomaps(rel, y_true, ch_names, classes, montage or None,
                                      title=f"{title}: mean {kind}")
            body.append(_img(fig, f"{title} topomaps per class"))
        except EEGDecError as exc:
            body.append(f'<p class="note">Topomaps skipped: {html.escape(str(exc))}</p>')
        show = np.linspace(0, len(rel) - 1, min(len(rel), MAX_HEATMAP_TRIALS)).astype(int)
        body.append(_img(plot_trial_heatmap(rel[show], ch_names, y_true[show], classes,
                                            title=f"{title}: per-trial {kind}"),
                         f"{title} per-trial heat map"))
        table = aggregate_relevance(rel, ch_names, y_true, y_pred, subject, classes)
        top = table.drop(columns="n_trials").apply(
            lambda r: ", ".join(r.sort_values(ascending=False).index[:3]), axis=1)
        body.append("<p>Top-3 channels by mean relevance:</p>" + _table(
            pd.DataFrame({"n_trials": table["n_trials"], "top-3 channels": top}), index=True))
        sec.body = "\n".join(body)
        return sec

    def sections(self) -> list[Section]:
        makers: list[Callable[[], Section | list[Section] | None]] = [
            self.config, self.results, self.subject_scores, self.paired, self.confusion,
            self.curves,
            self.online, self.pseudo_online, self.relevance,
        ]
        out: list[Section] = []
        for make in makers:
            try:
                made = make()
            except EEGDecError as exc:
                name = make.__name__.replace("_", " ")
                made = Section(name.capitalize(), "", note=f"Skipped: {exc}")
            out.extend(made if isinstance(made, list) else [made] if made else [])
        return out


def render_report(run_dir: str | os.PathLike) -> str:
    """The report of ``run_dir`` as one HTML string."""
    from eegdec._version import __version__

    report = RunReport(run_dir)
    title = f"eegdec report: {report.root.name}"
    body = "\n".join(s.html() for s in report.sections())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>Written by eegdec {__version__} from "
        f"<code>{html.escape(str(report.root.resolve()))}</code>.</p>\n{body}\n</body></html>\n"
    )


def write_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``RUN_DIR/report.html`` (or ``out``) and return its path."""
    path = Path(out) if out is not None else Path(run_dir) / "report.html"
    if path.is_dir():
        raise BadInputError(f"--out {path} is a folder: pass the HTML file to write, e.g. "
                            f"{path / 'report.html'}.")
    text = render_report(run_dir)
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise BadInputError(f"Cannot write {path} ({exc.strerror or exc}): pass --out a file in "
                            "a folder you can write to.") from exc
    return path
