"""Seed ensembles: average the predicted probabilities of a run's seeds, fold by fold.

Read from the saved predictions (``RUN_DIR/predictions/<fold_id>.npz``), so any finished run
with several seeds gets its ensemble without training again. Each fold (model, subject,
session, fold, N) is scored once with the mean of its seeds' probabilities, beside the mean of
the single-seed scores of the same folds; subjects are then averaged as in the summary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eegdec.errors import CorruptFileError
from eegdec.evaluation.metrics import score
from eegdec.evaluation.results import RunStore
from eegdec.paths import atomic_write

FOLD_KEYS = ("dataset", "protocol", "model", "subject", "session", "fold", "n_calib")
GROUP_KEYS = ("dataset", "protocol", "model", "n_calib")


def ensemble_rows(store: RunStore) -> pd.DataFrame:
    """One row per fold with at least two seeds holding probabilities: ``n_seeds``,
    ``single_accuracy`` (mean over the seeds) and ``ensemble_accuracy`` (and kappa)."""
    rows = store.read_rows()
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(n_calib=rows["n_calib"].fillna(-1).astype(int))
    out = []
    for key, group in rows.groupby(list(FOLD_KEYS), sort=False):
        probas, y_true = [], None
        for fid in group["fold_id"]:
            pred = store.read_npz("predictions", fid)
            if pred["proba"].size == 0:
                break  # a model without probabilities
            if y_true is not None and not np.array_equal(pred["y_true"], y_true):
                raise CorruptFileError(f"predictions/{fid}.npz tests other trials than the "
                                       "other seeds of its fold: re-run that fold.")
            y_true = pred["y_true"]
            probas.append(pred["proba"])
        if len(probas) < 2 or len(probas) != len(group):
            continue
        classes = np.arange(probas[0].shape[1])
        mean = np.mean(probas, axis=0)
        metrics = score(y_true, classes[mean.argmax(1)], mean)
        out.append({**dict(zip(FOLD_KEYS, key)), "n_seeds": len(probas),
                    "single_accuracy": group["accuracy"].mean(),
                    "ensemble_accuracy": metrics["accuracy"],
                    "single_kappa": group["kappa"].mean(), "ensemble_kappa": metrics["kappa"]})
    return pd.DataFrame(out)


def ensemble_table(folds: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd across subjects of the single-seed and ensemble scores."""
    if folds.empty:
        return folds
    cols = ["single_accuracy", "ensemble_accuracy", "single_kappa", "ensemble_kappa"]
    per_subject = folds.groupby([*GROUP_KEYS, "subject"], sort=False)[[*cols, "n_seeds"]] \
        .mean().reset_index()
    table = per_subject.groupby(list(GROUP_KEYS), sort=False)[cols].agg(["mean", "std"])
    table.columns = [f"{c}_{s}" for c, s in table.columns]
    table = table.reset_index()
    table["n_subjects"] = per_subject.groupby(list(GROUP_KEYS), sort=False).size().to_numpy()
    table["n_seeds"] = per_subject.groupby(list(GROUP_KEYS), sort=False)["n_seeds"] \
        .max().to_numpy().astype(int)
    return table


def ensemble_markdown(table: pd.DataFrame) -> str:
    """The table as markdown: single-seed and ensemble accuracy/kappa side by side."""
    if table.empty:
        return "Seed ensemble: no fold has two or more seeds with probabilities.\n"
    lines = ["Seed ensemble (mean of the seeds' probabilities; sd across subjects)", "",
             "| dataset | protocol | model | N | seeds | single-seed accuracy | ensemble "
             "accuracy | single-seed kappa | ensemble kappa | subjects |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        n = "" if r["n_calib"] < 0 else str(int(r["n_calib"]))
        cells = [r["dataset"], r["protocol"], r["model"], n, str(r["n_seeds"]),
                 *(f"{r[f'{c}_mean']:.3f} ± {np.nan_to_num(r[f'{c}_std']):.3f}" for c in
                   ("single_accuracy", "ensemble_accuracy", "single_kappa", "ensemble_kappa")),
                 str(int(r["n_subjects"]))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_ensemble(store: RunStore) -> str:
    """Write ``RUN_DIR/ensemble.csv`` (per fold) and ``ensemble.md``; return the markdown."""
    folds = ensemble_rows(store)
    text = ensemble_markdown(ensemble_table(folds))
    atomic_write(store.root / "ensemble.csv", folds.to_csv(index=False).encode())
    atomic_write(store.root / "ensemble.md", text.encode())
    return text
