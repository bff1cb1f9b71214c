"""Benchmark statistics against scipy and MOABB on known inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from eegdec.errors import BadInputError
from eegdec.evaluation.statistics import (
    benchmark_statistics,
    binomial_chance,
    meta_analysis,
    paired_comparisons,
    statistics_markdown,
)


def _subjects(scores: dict[str, list[float]], dataset: str = "D") -> pd.DataFrame:
    """Subject scores of one dataset and protocol, one list per pipeline."""
    rows = [
        {"dataset": dataset, "protocol": "within-cv", "pipeline": p, "subject": str(i), "score": s}
        for p, values in scores.items()
        for i, s in enumerate(values)
    ]
    return pd.DataFrame(rows)


def _pair(pairs: pd.DataFrame, a: str, b: str, dataset: str | None = None) -> pd.Series:
    sel = (pairs["pipe1"] == a) & (pairs["pipe2"] == b)
    if dataset is not None:
        sel &= pairs["dataset"] == dataset
    (row,) = pairs[sel].itertuples(index=False)
    return pd.Series(row._asdict())


def test_binomial_chance_is_the_binomial_upper_bound():
    assert round(binomial_chance(45, 2), 3) == 0.622
    for n, k, alpha in ((45, 2, 0.05), (20, 4, 0.01), (300, 3, 0.05)):
        bound = binomial_chance(n, k, alpha)
        hits = round(bound * n)
        # guessing exceeds the bound with probability <= alpha, reaches it with more
        assert st.binom.sf(hits, n, 1 / k) <= alpha < st.binom.sf(hits - 1, n, 1 / k)
    assert binomial_chance(10_000, 2) == pytest.approx(0.5, abs=0.01)
    for bad in ((0, 2), (45, 1), (4.5, 2)):
        with pytest.raises(BadInputError, match="pass"):
            binomial_chance(*bad)
    with pytest.raises(BadInputError, match="alpha"):
        binomial_chance(45, 2, alpha=1.5)


def test_exact_permutation_p_computed_by_hand():
    # differences 0.1, 0.2, -0.05 (sum 0.25): of the 8 sign flips, only (+,+,+) = 0.25 and
    # (+,+,-) = 0.35 reach 0.25, so p = 2/8; the other direction: 7 of 8 reach -0.25, but an
    # exact test caps p at (2^n - 1) / 2^n as MOABB does
    pairs = paired_comparisons(_subjects({"a": [0.6, 0.7, 0.55], "b": [0.5, 0.5, 0.6]}))
    ab, ba = _pair(pairs, "a", "b"), _pair(pairs, "b", "a")
    assert ab["p"] == pytest.approx(2 / 8) and ab["test"] == "exact sign-flip permutation"
    assert ba["p"] == pytest.approx(7 / 8)
    diffs = np.array([0.1, 0.2, -0.05])
    assert ab["smd"] == pytest.approx(diffs.mean() / diffs.std(ddof=1))
    assert ab["diff"] == pytest.approx(diffs.mean()) and ab["nsub"] == 3


def test_random_permutation_between_14_and_19_subjects_is_seeded():
    rng = np.random.default_rng(1)
    base = rng.uniform(0.5, 0.8, 16)
    table = _subjects({"a": list(base + rng.normal(0.03, 0.03, 16)), "b": list(base)})
    one, two = paired_comparisons(table, seed=3), paired_comparisons(table, seed=3)
    assert _pair(one, "a", "b")["test"] == "sign-flip permutation (10000 random)"
    assert _pair(one, "a", "b")["p"] == _pair(two, "a", "b")["p"] < 0.05


def test_wilcoxon_from_20_subjects_matches_scipy():
    rng = np.random.default_rng(2)
    base = rng.uniform(0.5, 0.8, 25)
    a, b = base + rng.normal(0.02, 0.04, 25), base
    pairs = paired_comparisons(_subjects({"a": list(a), "b": list(b)}))
    ab, ba = _pair(pairs, "a", "b"), _pair(pairs, "b", "a")
    assert ab["test"] == "Wilcoxon signed-rank"
    assert ab["p"] == pytest.approx(st.wilcoxon(a, b, alternative="greater").pvalue)
    # the other direction is 1 - p (MOABB's convention; scipy's exact "less" adds P(W = w))
    assert ba["p"] == pytest.approx(1 - ab["p"])
    assert ab["smd"] == pytest.approx((a - b).mean() / (a - b).std(ddof=1))


def test_subjects_missing_a_pipeline_or_a_score_are_left_out_of_that_pair():
    table = _subjects(
        {
            "a": [0.6, 0.7, 0.8, np.nan],
            "b": [0.5, 0.6, 0.7, 0.6],
            "c": [0.9, np.nan, np.nan, np.nan],
        }
    )
    pairs = paired_comparisons(table)
    assert _pair(pairs, "a", "b")["nsub"] == 3
    assert not ((pairs["pipe1"] == "c") | (pairs["pipe2"] == "c")).any()  # 1 common subject


def test_stouffer_meta_analysis_matches_scipy():
    pairs = pd.DataFrame(
        {
            "dataset": ["X", "Y", "Z"],
            "protocol": "loso",
            "pipe1": "a",
            "pipe2": "b",
            "nsub": [9, 30, 4],
            "smd": [0.8, 0.3, -0.5],
            "p": [0.01, 0.2, 0.7],
        }
    )
    (row,) = meta_analysis(pairs).itertuples(index=False)
    w = np.sqrt([9, 30, 4])
    expected = st.combine_pvalues([0.01, 0.2, 0.7], method="stouffer", weights=w).pvalue
    assert row.p == pytest.approx(expected)
    assert row.smd == pytest.approx(np.dot(w, [0.8, 0.3, -0.5]) / w.sum())
    assert row.n_datasets == 3 and row.nsub == 43 and row.significant == (expected < 0.05)
    assert meta_analysis(pairs.iloc[:1]).empty  # one dataset: nothing to combine


def _two_datasets(order: tuple[str, str]) -> pd.DataFrame:
    """Per-fold rows: a small dataset where a is worse, a large one where a is better."""
    rng = np.random.default_rng(0)
    n_sub = {"Zeta": 4, "Alpha": 30}
    gap = {"Zeta": -0.02, "Alpha": 0.03}
    rows = []
    for d in order:
        for s in range(n_sub[d]):
            base = rng.normal(0.7, 0.05)
            for _fold in range(2):
                noise = rng.normal(0, 0.03)
                rows.append(dict(dataset=d, subject=s, pipeline="a", score=base + gap[d] + noise))
                rows.append(dict(dataset=d, subject=s, pipeline="b", score=base))
    return pd.DataFrame(rows)


def test_meta_analysis_matches_moabb_and_fixes_its_weights():
    from moabb.analysis.meta_analysis import (
        compute_dataset_statistics,
        find_significant_differences,
    )

    for order in (("Alpha", "Zeta"), ("Zeta", "Alpha")):
        table = _two_datasets(order)
        ours = benchmark_statistics(table)
        moabb = compute_dataset_statistics(table)
        for pipe1, pipe2 in (("a", "b"), ("b", "a")):
            for d in order:  # per-dataset tests and effects agree with MOABB's
                theirs = moabb[
                    (moabb.dataset == d) & (moabb.pipe1 == pipe1) & (moabb.pipe2 == pipe2)
                ].iloc[0]
                mine = _pair(ours["pairs"], pipe1, pipe2, d)
                assert mine["p"] == pytest.approx(theirs["p"])
                assert mine["smd"] == pytest.approx(theirs["smd"])
                assert mine["nsub"] == theirs["nsub"]
        p_moabb, t_moabb = find_significant_differences(moabb)
        fw = moabb[(moabb.pipe1 == "a") & (moabb.pipe2 == "b")].set_index("dataset")
        w = np.sqrt(fw.loc[list(order), "nsub"].to_numpy(dtype=float))
        correct = st.combine_pvalues(fw.loc[list(order), "p"], method="stouffer", weights=w).pvalue
        meta = ours["meta"]
        (row,) = meta[(meta.pipe1 == "a") & (meta.pipe2 == "b")].itertuples(index=False)
        assert row.p == pytest.approx(correct)
        assert row.smd == pytest.approx(np.dot(w, fw.loc[list(order), "smd"]) / w.sum())
        if order == tuple(sorted(order)):  # sorted datasets: MOABB is right
            assert p_moabb.loc["a", "b"] == pytest.approx(row.p)
            assert t_moabb.loc["a", "b"] == pytest.approx(row.smd)
        else:  # unsorted: MOABB weighs the 4-subject dataset by sqrt(30)
            assert row.p < 1e-4 < 0.2 < p_moabb.loc["a", "b"]


def test_benchmark_statistics_on_a_benchmark_table(benchmark_table):
    out = benchmark_statistics(benchmark_table)
    subjects, scores, pairs = out["subjects"], out["scores"], out["pairs"]
    one = benchmark_table[
        (benchmark_table.dataset == "SimA")
        & (benchmark_table.model == "good")
        & (benchmark_table.protocol == "within-cv")
        & (benchmark_table.subject == "3")
    ]
    got = subjects[
        (subjects.dataset == "SimA")
        & (subjects.pipeline == "good")
        & (subjects.protocol == "within-cv")
        & (subjects.subject == "3")
    ]
    assert got["score"].item() == pytest.approx(one["accuracy"].mean())
    assert got["n_folds"].item() == 2 and got["n_trials"].item() == 40
    # 40 test trials of 2 classes per subject
    assert scores["chance"].dropna().unique() == pytest.approx([binomial_chance(40, 2)])
    # within-cv x2 datasets + online N=0, 8, 16 on SimA: 5 groups x 6 ordered pairs
    assert len(pairs) == 5 * 6
    cv = pairs[pairs.protocol == "within-cv"]
    assert set(cv[cv.significant][["pipe1", "pipe2"]].itertuples(index=False, name=None)) >= {
        ("good", "bad"),
        ("good", "mid"),
    }
    assert set(cv[cv.dataset == "SimA"]["test"]) == {"exact sign-flip permutation"}
    assert set(cv[cv.dataset == "SimB"]["test"]) == {"Wilcoxon signed-rank"}
    assert not cv[(cv.pipe1 == "bad")]["significant"].any()
    meta = out["meta"]
    assert len(meta) == 6 and meta.protocol.unique().tolist() == ["within-cv"]
    text = statistics_markdown(out)
    assert "**good > bad**" in text and "SimA, LR, left_hand vs right_hand, online, N=8" in text


def test_pipeline_and_score_columns_and_bad_tables(benchmark_table):
    renamed = benchmark_table.rename(columns={"model": "pipeline", "accuracy": "score"})
    a = benchmark_statistics(benchmark_table)["pairs"]
    b = benchmark_statistics(renamed)["pairs"]
    pd.testing.assert_frame_equal(a, b)
    # n_classes read from the class names when the column is missing (runner: "a vs b")
    no_k = benchmark_statistics(benchmark_table.drop(columns="n_classes"))["scores"]
    assert no_k["chance"].unique() == pytest.approx([binomial_chance(40, 2)])
    kappa = benchmark_statistics(benchmark_table, metric="kappa")["scores"]
    both = benchmark_table.assign(score=0.0)  # a second score column is not the metric
    assert benchmark_statistics(both)["scores"]["mean"].min() > 0.5
    assert kappa["mean"].max() < 1 and kappa["mean"].min() > 0
    with pytest.raises(BadInputError, match="lacks the column"):
        benchmark_statistics(benchmark_table.drop(columns="model"))
    with pytest.raises(BadInputError, match="empty"):
        benchmark_statistics(benchmark_table.iloc[:0])


def test_nan_scores_and_a_single_pipeline(benchmark_table):
    table = benchmark_table.copy()
    # good, subject 1: both within-cv folds and one online fold (N=0) failed to score
    table.loc[table.index[:3], "accuracy"] = np.nan
    out = benchmark_statistics(table)
    subjects, pairs = out["subjects"], out["pairs"]
    lost = subjects[
        (subjects.pipeline == "good") & (subjects.subject == "1") & (subjects.dataset == "SimA")
    ]
    assert lost["n_folds"].tolist() == [0, 1, 2, 2] and lost["score"].isna().tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert np.isfinite(pairs["p"]).all()
    cv = pairs[(pairs.dataset == "SimA") & (pairs.protocol == "within-cv")]
    assert _pair(cv, "good", "bad")["nsub"] == 9 and _pair(cv, "mid", "bad")["nsub"] == 10
    single = benchmark_statistics(benchmark_table[benchmark_table.model == "good"])
    assert single["pairs"].empty and single["meta"].empty
    assert "No pair of pipelines" in statistics_markdown(single)


def test_paradigm_variants_are_paired_with_their_base(benchmark_table):
    """A FilterBankSSVEP pipeline scored the SSVEP trials: one group, one paired test."""
    table = benchmark_table[(benchmark_table.dataset == "SimA")
                            & (benchmark_table.protocol == "within-cv")
                            & benchmark_table.model.isin(["good", "bad"])].copy()
    table["paradigm"] = np.where(table.model == "good", "FilterBankSSVEP", "SSVEP")
    stats = benchmark_statistics(table)
    assert set(stats["scores"]["paradigm"]) == {"SSVEP"}
    pair = stats["pairs"].query("pipe1 == 'good' and pipe2 == 'bad'")
    assert len(pair) == 1 and pair["nsub"].item() == 10 and pair["p"].item() < 0.01
