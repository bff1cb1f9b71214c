"""Statistics of a benchmark table: binomial chance, paired tests per dataset, meta-analysis.

The input is a results table with one row per fold (the columns of
:data:`eegdec.evaluation.results.COLUMNS`, or a benchmark table that names the model column
``pipeline`` and the metric ``score``). The unit of every test is the subject: a subject's score
is the mean over its folds, sessions and seeds.

- Per dataset x classes x protocol (x N calibration trials), every ordered pair of pipelines is
  compared on the subjects that have both: a one-sided sign-flip permutation test of the mean
  difference for fewer than 20 subjects (exact over all 2^n sign flips up to 13 subjects,
  10000 random flips above), the Wilcoxon signed-rank test from 20 subjects on, and the
  standardised mean difference of the paired scores (SMD, Cohen's d_z) as effect size. These
  are MOABB's own tests (``moabb.analysis.meta_analysis``), called pair by pair.
- Across datasets of the same paradigm and protocol, the one-sided p-values are combined with
  Stouffer's method and the effects averaged, both weighted by sqrt(number of subjects), as
  MOABB's ``find_significant_differences`` means to. That function is not used: it orders the
  weights by first appearance of each dataset but the p-values alphabetically, so on a table
  whose datasets are not sorted the weights land on the wrong datasets (measured on a
  4-subject dataset listed before a 30-subject one: combined p 0.34 instead of 3e-6;
  tests/test_statistics.py keeps the case). p-values are not corrected for multiple pairs.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from eegdec.data.paradigms import base_paradigm
from eegdec.errors import BadInputError

# The columns that split a table into independent comparisons (those present are used), the
# ones of them a meta-analysis pools over, and the cut-offs of MOABB's tests.
GROUP_KEYS = ("dataset", "paradigm", "classes", "protocol", "n_calib")
PAIR_COLUMNS = ("pipe1", "pipe2", "nsub", "score1", "score2", "diff", "smd", "p", "test",
                "significant")  # a row of paired_comparisons after its group keys
POOLED_KEYS = ("dataset", "classes")
PERM_CUTOFF = 20  # fewer subjects: permutation test; more: Wilcoxon (MOABB's perm_cutoff)
EXACT_CUTOFF = 13  # up to this many subjects MOABB enumerates every sign flip
N_RANDOM_PERMS = 10000  # MOABB's number of random sign flips above EXACT_CUTOFF
ALPHA = 0.05


def binomial_chance(n_trials: int, n_classes: int, alpha: float = ALPHA) -> float:
    """Accuracy that guessing reaches with probability at most ``alpha`` on ``n_trials``.

    The ``1 - alpha`` quantile of Binomial(n_trials, 1 / n_classes) over ``n_trials``
    (Combrisson & Jerbi 2015): a score above it is better than chance at level ``alpha``.
    45 trials of 2 classes give 0.622, where 1/K says 0.5.
    """
    if not (isinstance(n_trials, (int, np.integer)) and n_trials >= 1):
        raise BadInputError(
            f"n_trials {n_trials!r} is not a positive integer: pass the number of test trials."
        )
    if not (isinstance(n_classes, (int, np.integer)) and n_classes >= 2):
        raise BadInputError(
            f"n_classes {n_classes!r} is not an integer >= 2: pass the number of classes."
        )
    if not 0 < alpha < 1:
        raise BadInputError(f"alpha {alpha!r} is not in (0, 1): pass e.g. 0.05.")
    from scipy.stats import binom

    return float(binom.ppf(1 - alpha, int(n_trials), 1 / int(n_classes)) / n_trials)


def _columns(table: pd.DataFrame, metric: str | None) -> tuple[str, str]:
    """The pipeline and score columns of ``table`` (BadInputError when absent)."""
    pipeline = next((c for c in ("pipeline", "model") if c in table), None)
    score = metric or next((c for c in ("accuracy", "score") if c in table), None)
    missing = [
        name
        for name, col in (
            ("pipeline (or model)", pipeline),
            (f"{metric or 'accuracy (or score)'}", score),
        )
        if col is None or col not in table
    ]
    missing += [c for c in ("dataset", "subject") if c not in table]
    if missing:
        raise BadInputError(
            f"The results table lacks the column(s) {', '.join(missing)}: pass "
            "a table of per-fold results (eegdec run's results.csv or eegdec "
            "benchmark's table)."
        )
    return str(pipeline), str(score)


def _keys(table: pd.DataFrame) -> list[str]:
    return [k for k in GROUP_KEYS if k in table]


def subject_scores(table: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """One row per group x pipeline x subject: ``score`` (mean over folds, sessions, seeds,
    ignoring missing scores), ``n_folds``, ``n_trials`` (test trials per seed) and
    ``n_classes`` where the table has them."""
    pipeline, score = _columns(table, metric)
    others = [c for c in ("pipeline", "score") if c in table and c not in (pipeline, score)]
    frame = table.drop(columns=others).rename(columns={pipeline: "pipeline", score: "score"})
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    if "paradigm" in frame:  # FB+MDM (FilterBankSSVEP) is paired with CCA (SSVEP): same trials
        frame["paradigm"] = frame["paradigm"].map(
            lambda p: base_paradigm(p) if isinstance(p, str) else p)
    keys = [*_keys(frame), "pipeline", "subject"]
    if "n_classes" not in frame and "classes" in frame:
        frame["n_classes"] = frame["classes"].astype(str).str.split(" vs ").str.len()
    grouped = frame.groupby(keys, dropna=False, sort=False)
    out = (
        grouped["score"]
        .agg(["mean", "count"])
        .rename(columns={"mean": "score", "count": "n_folds"})
    )
    if "n_classes" in frame:
        out["n_classes"] = grouped["n_classes"].first()
    out = out.reset_index()
    if "n_test" in frame:
        seed = ["seed"] if "seed" in frame else []
        per_seed = frame.groupby([*keys, *seed], dropna=False, sort=False)["n_test"].sum()
        trials = per_seed.reset_index().groupby(keys, dropna=False, sort=False)["n_test"].mean()
        out = out.merge(trials.rename("n_trials").reset_index(), on=keys, how="left")
    return out


def score_table(subjects: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Mean and sd over subjects per group x pipeline, with the binomial chance of one
    subject's test trials (``chance``; missing when the table lacks n_test or classes)."""
    keys = [*_keys(subjects), "pipeline"]
    grouped = subjects.groupby(keys, dropna=False, sort=False)
    out = grouped["score"].agg(["mean", "std", "count"]).rename(columns={"count": "n_subjects"})
    out = out.reset_index()
    out["chance"] = np.nan
    if {"n_trials", "n_classes"} <= set(subjects):
        trials = grouped["n_trials"].median().to_numpy()
        classes = grouped["n_classes"].first().to_numpy()
        out["chance"] = [
            binomial_chance(int(round(n)), int(k), alpha)
            if pd.notna(n) and pd.notna(k) and n >= 1 and k >= 2
            else np.nan
            for n, k in zip(trials, classes)
        ]
    return out


def _pair_test(diff_frame: pd.DataFrame, seed: int) -> tuple[float, float, str]:
    """One-sided p (first column better), SMD and test name for two paired score columns."""
    from moabb.analysis.meta_analysis import (
        compute_effect,
        compute_pvals_perm,
        compute_pvals_wilcoxon,
    )

    n = len(diff_frame)
    if n < PERM_CUTOFF:
        p = compute_pvals_perm(diff_frame, seed=seed)
        test = (
            "exact sign-flip permutation"
            if n <= EXACT_CUTOFF
            else f"sign-flip permutation ({N_RANDOM_PERMS} random)"
        )
    else:
        p = compute_pvals_wilcoxon(diff_frame)
        test = "Wilcoxon signed-rank"
    return float(p[0, 1]), float(compute_effect(diff_frame)[0, 1]), test


def paired_comparisons(
    subjects: pd.DataFrame, seed: int = 42, alpha: float = ALPHA
) -> pd.DataFrame:
    """Every ordered pair of pipelines per group, on the subjects scored by both.

    Columns: the group keys, ``pipe1``, ``pipe2``, ``nsub``, ``score1``, ``score2`` (means),
    ``diff`` (mean paired difference), ``smd``, ``p`` (one-sided: pipe1 better than pipe2),
    ``test``, ``significant`` (p < alpha). Pairs with fewer than 2 common subjects are left out.
    """
    keys = _keys(subjects)
    rows: list[dict[str, Any]] = []
    for key, part in subjects.groupby(keys, dropna=False, sort=False):
        wide = part.pivot_table(
            index="subject", columns="pipeline", values="score", aggfunc="mean", sort=False
        )
        for a, b in itertools.permutations(wide.columns, 2):
            pair = wide[[a, b]].dropna()
            if len(pair) < 2:
                continue
            p, smd, test = _pair_test(pair, seed)
            rows.append(
                {
                    **dict(zip(keys, key)),
                    "pipe1": a,
                    "pipe2": b,
                    "nsub": len(pair),
                    "score1": pair[a].mean(),
                    "score2": pair[b].mean(),
                    "diff": (pair[a] - pair[b]).mean(),
                    "smd": smd,
                    "p": p,
                    "test": test,
                    "significant": p < alpha,
                }
            )
    return pd.DataFrame(rows, columns=[*keys, *PAIR_COLUMNS])


def meta_analysis(pairs: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Each ordered pair of pipelines combined over the datasets (x class sets) of one
    paradigm x protocol that compared it: Stouffer's p and the mean effect, both weighted by
    sqrt(nsub) (MOABB's ``combine_pvalues`` / ``combine_effects``, with the weights aligned).

    Only pairs compared on at least two datasets get a row.
    """
    from moabb.analysis.meta_analysis import combine_effects, combine_pvalues

    keys = [k for k in GROUP_KEYS if k in pairs and k not in POOLED_KEYS]
    pooled = [k for k in POOLED_KEYS if k in pairs]
    rows: list[dict[str, Any]] = []
    for key, part in pairs.groupby([*keys, "pipe1", "pipe2"], dropna=False, sort=False):
        if len(part) < 2:
            continue
        nsub = part["nsub"].to_numpy(dtype=float)
        rows.append(
            {
                **dict(zip([*keys, "pipe1", "pipe2"], key)),
                "n_datasets": len(part),
                "nsub": int(nsub.sum()),
                "smd": float(combine_effects(part["smd"].to_numpy(), nsub)),
                "p": float(combine_pvalues(part["p"].to_numpy(), nsub)),
                "datasets": ", ".join(part[pooled].astype(str).agg(" ".join, axis=1)),
            }
        )
    out = pd.DataFrame(
        rows, columns=[*keys, "pipe1", "pipe2", "n_datasets", "nsub", "smd", "p", "datasets"]
    )
    out["significant"] = out["p"] < alpha
    return out


def benchmark_statistics(
    table: pd.DataFrame, metric: str | None = None, seed: int = 42, alpha: float = ALPHA
) -> dict[str, pd.DataFrame]:
    """All statistics of a results table: ``subjects`` (:func:`subject_scores`), ``scores``
    (:func:`score_table`), ``pairs`` (:func:`paired_comparisons`) and ``meta``
    (:func:`meta_analysis`). ``seed`` fixes the random sign flips (14-19 subjects)."""
    if table.empty:
        raise BadInputError("The results table is empty: run some folds first.")
    subjects = subject_scores(table, metric)
    pairs = paired_comparisons(subjects, seed, alpha)
    return {
        "subjects": subjects,
        "scores": score_table(subjects, alpha),
        "pairs": pairs,
        "meta": meta_analysis(pairs, alpha),
    }


def group_label(row: pd.Series | dict, keys: list[str]) -> str:
    """``dataset, paradigm, classes, protocol[, N=n]`` of a row: the values of ``keys`` it
    has, ``n_calib`` as ``N=n``."""
    parts = []
    for k in keys:
        value = row[k]
        if k == "n_calib":
            if pd.notna(value):
                parts.append(f"N={int(value)}")
        elif pd.notna(value) and str(value):
            parts.append(str(value))
    return ", ".join(parts)


def _label(row: pd.Series, keys: list[str]) -> str:
    return group_label(row, keys).replace("|", "\\|")  # a class set "a|b" in a Markdown cell


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"


def statistics_markdown(stats: dict[str, pd.DataFrame], alpha: float = ALPHA) -> str:
    """Markdown of :func:`benchmark_statistics`: scores with chance, each pair of pipelines in
    its better direction per dataset, and the meta-analysis (significant rows in bold)."""
    scores, pairs, meta = stats["scores"], stats["pairs"], stats["meta"]
    keys = [k for k in GROUP_KEYS if k in scores]
    lines = [
        "### Scores (mean ± sd over subjects)",
        "",
        "| group | pipeline | score | subjects | binomial chance |",
        "|---|---|---|---|---|",
    ]
    labels = [_label(r, keys) for _, r in scores.iterrows()]
    first = {label: i for i, label in reversed(list(enumerate(labels)))}
    order = sorted(range(len(scores)), key=lambda i: first[labels[i]])  # grouped, stable
    for _, r in scores.iloc[order].iterrows():
        sd = 0.0 if pd.isna(r["std"]) else r["std"]
        chance = "" if pd.isna(r["chance"]) else f"{r['chance']:.3f}"
        lines.append(
            f"| {_label(r, keys)} | {r['pipeline']} | {r['mean']:.3f} ± {sd:.3f} | "
            f"{int(r['n_subjects'])} | {chance} |"
        )
    lines += ["", f"### Paired comparisons (one-sided, alpha {alpha}, uncorrected)", ""]
    better = pairs[pairs["diff"] > 0] if len(pairs) else pairs
    if better.empty:
        lines.append("No pair of pipelines was scored on 2 or more common subjects.")
    else:
        lines += [
            "| group | comparison | diff | SMD (d_z) | p | test | subjects |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, r in better.iterrows():
            bold = "**" if r["significant"] else ""
            lines.append(
                f"| {_label(r, [k for k in keys if k in pairs])} | {bold}{r['pipe1']} > "
                f"{r['pipe2']}{bold} | {r['diff']:+.3f} | {r['smd']:.2f} | "
                f"{_p(r['p'])} | {r['test']} | {int(r['nsub'])} |"
            )
    lines += ["", "### Meta-analysis across datasets (Stouffer, weights sqrt(subjects))", ""]
    better = meta[meta["smd"] > 0] if len(meta) else meta
    if better.empty:
        lines.append("No pair of pipelines was compared on 2 or more datasets.")
    else:
        mkeys = [k for k in GROUP_KEYS if k in meta]
        lines += ["| group | comparison | SMD | p | datasets |", "|---|---|---|---|---|"]
        for _, r in better.iterrows():
            bold = "**" if r["significant"] else ""
            lines.append(
                f"| {_label(r, mkeys)} | {bold}{r['pipe1']} > {r['pipe2']}{bold} | "
                f"{r['smd']:.2f} | {_p(r['p'])} | {r['datasets']} |"
            )
    return "\n".join(lines) + "\n"
