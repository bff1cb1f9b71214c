"""Online calibration: pre-train on the other subjects, then calibrate on the first N labelled
trials of the target's last session and decode the rest one trial at a time."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eegdec.data.epochs import EpochsData
from eegdec.errors import BadInputError
from eegdec.evaluation.protocols.base import (
    Builder,
    CrossSubjectProtocol,
    FoldResult,
    ModelSpec,
    Unit,
    predict,
    timed_fit,
    trial_numbers,
)
from eegdec.evaluation.results import fold_id
from eegdec.evaluation.splits import calib_sizes_for, sessions_in_order

if TYPE_CHECKING:
    from eegdec.evaluation.config import RunConfig


def run_online(build: Builder, seed: int, source: EpochsData, target: EpochsData,
               alignment: str, calib_sizes: list[int], *, kind: str,
               fine_tune_epochs: int | None = None,
               fine_tune_lr: float | None = None, tta: str | None = None,
               source_select: int | None = None,
               source_weight: bool = False) -> list[FoldResult]:
    """Online calibration for one target subject; one result per calibration size N.

    The model is pre-trained once on ``source`` and reused for every N. The test set is
    trials ``N_max .. end`` of the target's last session for every N. The alignment reference
    is updated over the N calibration trials, then over each test trial as it arrives;
    predictions are made one trial at a time. Torch estimators are fine-tuned on the
    calibration trials (``fine_tune``); classical ones are refitted on source + calibration.
    N = 0 uses the pre-trained model as is. ``fit_seconds`` includes the shared pre-training.

    Transfer options: ``tta`` adapts batch-norm statistics to the target stream (calibration
    trials, then each test trial as it arrives); ``source_select`` keeps the K source subjects
    nearest to the target and ``source_weight`` weights their trials (torch models), both
    judged from the calibration block (the first ``N_max`` target trials, which precede every
    test trial; signals only, labels unused).
    """
    from eegdec.evaluation.source_selection import choose_sources
    from eegdec.preprocessing.alignment import align_domains, streaming_aligner
    from eegdec.training.tta import adapt_predict

    session, order = sessions_in_order(target.metadata)[-1]
    n_max = max(calib_sizes)
    if len(order) - n_max < 1:
        raise BadInputError(
            f"Target subject {target.metadata['subject'].iloc[0]} session {session} has "
            f"{len(order)} trials: none left to test after {n_max}; lower --calib-sizes."
        )
    weight, info = None, {}
    if source_select is not None or source_weight:
        choice = choose_sources(source, target.X[order[:n_max]], k=source_select,
                                weighted=source_weight and kind == "torch")
        source, weight = choice.source, choice.weight
        info["sources"] = choice.describe()
    X_src = align_domains(source.X, source.domains(), alignment)
    pre = build(seed)
    if weight is None:
        pre_s = timed_fit(pre, X_src, source.y)
    else:
        t0 = time.perf_counter()
        pre.fit(X_src, source.y, sample_weight=weight)
        pre_s = time.perf_counter() - t0
    test_idx = order[n_max:]
    subject = str(target.metadata["subject"].iloc[0])
    results = []
    for n in calib_sizes:
        cal_idx = order[:n]
        aligner = streaming_aligner(alignment, np.concatenate([target.X[cal_idx],
                                                               target.X[test_idx]]))
        X_cal = aligner.transform(target.X[cal_idx]) if aligner is not None and n \
            else target.X[cal_idx]
        y_cal = target.y[cal_idx]
        t0 = time.perf_counter()
        if n == 0:
            est = pre
        elif kind == "torch":
            est = copy.deepcopy(pre)
            est.fine_tune(X_cal, y_cal, epochs=fine_tune_epochs, lr=fine_tune_lr)
        else:
            est = build(seed)
            est.fit(np.concatenate([X_src, X_cal]), np.concatenate([source.y, y_cal]))
        fit_s = pre_s + time.perf_counter() - t0
        t0 = time.perf_counter()
        X_te = np.empty_like(target.X[test_idx])
        preds, probas = [], []
        X_all = None
        if tta == "adabn-transductive":  # every test trial, aligned as the stream will be
            X_all = target.X[test_idx] if aligner is None \
                else copy.deepcopy(aligner).transform(target.X[test_idx])
        adapted = adapt_predict(est, tta, X_all, seen=X_cal)
        decoder = adapted or est
        for j, i in enumerate(test_idx):  # streaming: align then predict each arriving trial
            x = target.X[i]
            X_te[j] = aligner.transform_one(x) if aligner is not None else x
            y_hat, p = predict(decoder, X_te[j:j + 1])
            preds.append(y_hat[0])
            probas.append(None if p is None else p[0])
        proba = None if probas[0] is None else np.stack(probas)
        counts = np.bincount(y_cal, minlength=len(target.classes)).tolist()
        results.append(FoldResult(subject, session, 0, source.n_trials + n, target.y[test_idx],
                                  np.asarray(preds, dtype=np.int64), proba,
                                  trial_numbers(target, test_idx), fit_s,
                                  time.perf_counter() - t0, est, X_te, n_calib=n,
                                  info={"calib_class_counts": counts,
                                        "calib_trials": trial_numbers(target, cal_idx), **info}))
    return results


class OnlineCalibration(CrossSubjectProtocol):
    """One unit per held-out subject; each calibration size N is one fold."""

    name = "online"
    default_seeds = (1, 2, 3)
    description = "pre-train on other subjects, calibrate on N target trials, decode the rest"
    test_time_adaptation = True

    def todo(self, target: EpochsData, spec: ModelSpec, seed: int, cfg: RunConfig,
             done: set[str]) -> list[Any]:
        session, order = sessions_in_order(target.metadata)[-1]
        subject = str(target.metadata["subject"].iloc[0])
        sizes = calib_sizes_for(len(order), tuple(cfg.calib_sizes))
        if all(fold_id(spec.name, subject, session, 0, seed, n) in done for n in sizes):
            return []
        return sizes  # pre-training is shared by every N: a started subject reruns whole

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return len(set(cfg.calib_sizes))  # an upper bound: sizes above half a session drop

    def fold_trials(self, unit: Unit, res: FoldResult
                    ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """The source trials and the N calibration trials trained; the rest tested."""
        source, test = super().fold_trials(unit, res)
        meta = unit.data.metadata
        calib = meta[((meta["session"].astype(str) == res.session)
                      & meta["trial"].isin(res.info["calib_trials"])).to_numpy()]
        return pd.concat([source, calib], ignore_index=True), test

    def run(self, unit: Unit, build: Builder, cfg: RunConfig) -> list[FoldResult]:
        from eegdec.training.recipes import load_recipe

        recipe = load_recipe(unit.model.name if unit.model.pipeline is None else "default",
                             self.name)
        return run_online(build, unit.seed, unit.source, unit.data, cfg.alignment, unit.todo,
                          kind=unit.model.kind,
                          fine_tune_epochs=cfg.fine_tune_epochs or recipe["fine_tune_epochs"],
                          fine_tune_lr=recipe["fine_tune_lr"], tta=cfg.tta,
                          source_select=cfg.source_select, source_weight=cfg.source_weight)
