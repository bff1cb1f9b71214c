"""The benchmark report: every figure drawn from the statistics, notes where one cannot be."""

from __future__ import annotations

import numpy as np
import pytest
from test_report_html import _check_self_contained, _parse

from eegdec.errors import BadInputError
from eegdec.evaluation.statistics import benchmark_statistics, binomial_chance
from eegdec.interpret.benchmark_plots import (
    plot_benchmark_scores,
    plot_meta_analysis,
    plot_paired,
)
from eegdec.interpret.benchmark_report import (
    best_pair,
    save_benchmark_figures,
    write_benchmark_report,
)

SECTIONS = (
    "Scores per dataset and pipeline",
    "Paired comparisons",
    "Meta-analysis across datasets",
    "Accuracy vs calibration trials",
)


def test_report_has_every_figure(benchmark_table, tmp_path):
    path = write_benchmark_report(benchmark_table, tmp_path / "out")
    assert path == tmp_path / "out" / "benchmark_report.html"
    text = path.read_text()
    assert _check_self_contained(text) == 4
    headings = _parse(text).h2
    assert all(s in headings for s in SECTIONS)
    assert 'class="note"' not in text
    assert f"{binomial_chance(40, 2):.3f}" in text and "Wilcoxon signed-rank" in text
    assert "**good &gt; bad**" in text  # the Markdown of the statistics, escaped


def test_one_pipeline_one_dataset_and_nan_scores(benchmark_table, tmp_path):
    one_pipe = benchmark_table[benchmark_table.model == "good"]
    text = write_benchmark_report(one_pipe, tmp_path / "a").read_text()
    assert _check_self_contained(text) == 2  # scores and calibration curves
    assert "No paired comparison" in text and "No meta-analysis" in text
    one_set = benchmark_table[
        (benchmark_table.dataset == "SimA") & (benchmark_table.protocol == "within-cv")
    ]
    text = write_benchmark_report(one_set, tmp_path / "b").read_text()
    assert _check_self_contained(text) == 2  # scores and paired plot
    assert "No meta-analysis" in text and "Accuracy vs calibration" not in text
    holes = benchmark_table.copy()
    holes.loc[holes.index[::7], "accuracy"] = np.nan
    text = write_benchmark_report(holes, tmp_path / "c").read_text()
    assert _check_self_contained(text) == 4


def test_figures_as_png_match_the_report(benchmark_table, tmp_path):
    stats = benchmark_statistics(benchmark_table)
    paths = save_benchmark_figures(stats, tmp_path / "all", prefix="suite")
    assert [p.name for p in paths] == [
        "suite_scores.png", "suite_paired.png", "suite_meta.png", "suite_calibration.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" and p.stat().st_size > 5000 for p in paths)
    one_pipe = benchmark_statistics(benchmark_table[benchmark_table.model == "good"])
    names = [p.name for p in save_benchmark_figures(one_pipe, tmp_path / "one")]
    assert names == ["benchmark_scores.png", "benchmark_calibration.png"]  # as the report
    (tmp_path / "file").write_text("")
    with pytest.raises(BadInputError, match="Cannot write .*folder you can write to"):
        save_benchmark_figures(stats, tmp_path / "file")


def test_pair_choice(benchmark_table, tmp_path):
    stats = benchmark_statistics(benchmark_table)
    assert best_pair(stats) == ("good", "mid")
    text = write_benchmark_report(benchmark_table, tmp_path, stats, pair=("mid", "bad"))
    assert 'alt="paired plot mid vs bad"' in text.read_text()
    with pytest.raises(BadInputError, match="No pipeline 'nope'"):
        write_benchmark_report(benchmark_table, tmp_path, stats, pair=("good", "nope"))


def test_paired_and_meta_plots_show_the_data(benchmark_table):
    stats = benchmark_statistics(benchmark_table)
    fig = plot_paired(stats["subjects"], stats["pairs"], stats["scores"], "good", "bad")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2  # within-cv on SimA and SimB (online groups are not offline)
    points = [len(ax.lines[1].get_xdata()) for ax in panels]
    assert points == [10, 24]
    above = panels[0].lines[1].get_ydata() > panels[0].lines[1].get_xdata()
    assert above.all()  # good beats bad on every subject of the fabricated table
    fig = plot_meta_analysis(stats["pairs"], stats["meta"], "good", "bad")
    (ax,) = [a for a in fig.axes if a.get_visible()]
    meta = stats["meta"]
    expected = meta[(meta.pipe1 == "good") & (meta.pipe2 == "bad")]["smd"].item()
    diamond = ax.collections[-1].get_offsets()[0]
    assert diamond[0] == pytest.approx(expected) and diamond[1] == 0
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "meta-effect ***"


def test_score_panels_show_only_their_own_pipelines(benchmark_table):
    """SSVEP pipelines on one dataset, MI ones on another: no empty slots in a panel, and a
    pipeline keeps its colour across panels."""
    table = benchmark_table[benchmark_table.protocol == "within-cv"].copy()
    table.loc[(table.dataset == "SimB") & (table.model == "bad"), "model"] = "cca"
    table = table[~((table.dataset == "SimA") & (table.model == "mid"))]
    stats = benchmark_statistics(table)
    fig = plot_benchmark_scores(stats["subjects"], stats["scores"])
    ticks = [[t.get_text() for t in ax.get_xticklabels()] for ax in fig.axes if ax.has_data()]
    assert ticks == [["good", "bad"], ["good", "mid", "cca"]]
    colours = {ax.get_xticklabels()[0].get_text(): ax.patches[0].get_facecolor()[:3]
               for ax in fig.axes if ax.has_data()}
    assert len(set(colours.values())) == 1  # "good" first in both panels, one colour
