"""Topomaps, heat maps and self-attention maps; the `eegdec topomap` command on a checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.interpret.maps import model_figures, save_figures
from eegdec.interpret.topomap import (
    plot_class_topomaps,
    plot_self_attention,
    plot_topomaps,
    plot_trial_heatmap,
)
from eegdec.models import create_model

PHYSIONET = ["Fc3.", "Fcz.", "Fc4.", "C3..", "Cz..", "C4..", "Cp3.", "Cpz.", "Cp4."]


def _image_arrays(fig):
    return [im.get_array() for ax in fig.axes for im in ax.get_images()]


def test_topomaps_per_class_on_physionet_names():
    rel = np.full((4, 9), 1 / 9)
    rel[:2, 3] += 0.5  # class 0 peaks at C3
    fig = plot_class_topomaps(rel, np.array([0, 0, 1, 1]), PHYSIONET, ["left", "right"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["all (4)", "left (2)", "right (2)"]
    images = _image_arrays(fig)
    assert len(images) == 3  # one interpolated head per map
    left, right = images[1], images[2]
    assert np.nanmax(left) > np.nanmax(right) + 0.3  # the C3 peak only in the left map


def test_topomap_errors_name_the_problem():
    with pytest.raises(UnknownNameError, match="'Xx1'"):
        plot_topomaps({"a": np.ones(3)}, ["C3", "Cz", "Xx1"])
    with pytest.raises(BadInputError, match="one value per channel"):
        plot_topomaps({"a": np.ones(4)}, ["C3", "Cz", "C4"])
    with pytest.raises(BadInputError, match="at least 3 channels"):
        plot_topomaps({"a": np.ones(2)}, ["C3", "C4"])
    with pytest.raises(BadInputError, match="No maps"):
        plot_topomaps({}, ["C3", "Cz", "C4"])


def test_trial_heatmap_groups_trials_by_class():
    rel = np.eye(3)[[0, 1, 0, 1]]
    fig = plot_trial_heatmap(rel, ["C3", "Cz", "C4"], np.array([1, 0, 1, 0]), ["a", "b"])
    shown = _image_arrays(fig)[0]
    np.testing.assert_array_equal(shown, rel[[1, 3, 0, 2]])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    with pytest.raises(BadInputError, match="relevance must be"):
        plot_trial_heatmap(rel, ["C3", "Cz"])


def test_self_attention_one_panel_per_layer():
    fig = plot_self_attention(np.random.default_rng(0).random((2, 5, 5)), list("abcde"))
    assert len(_image_arrays(fig)) == 2
    with pytest.raises(BadInputError, match=r"\(n_layers, N, N\)"):
        plot_self_attention(np.ones((2, 3, 4)))


def test_model_figures_for_dbconformer_and_a_gradient_model(tmp_path):
    names = ["C3", "Cz", "C4", "FCz", "CPz"]
    X = np.random.default_rng(0).standard_normal((6, 5, 200)).astype(np.float32)
    y = np.array([0, 1] * 3)
    model = create_model("dbconformer", 5, 2, 200, 100.0, seed=0)
    figs, summary = model_figures(model, X, y, names, ["l", "r"])
    assert set(figs) == {"topomap", "trials", "temporal_attention", "spatial_attention"}
    assert summary["method"] == "attention" and len(summary["top3"]) == 3
    paths = save_figures(figs, tmp_path, prefix="m_")
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(5 * 200, 2))
    figs, summary = model_figures(linear, X, y, names, ["l", "r"])
    assert set(figs) == {"topomap", "trials"} and summary["method"] == "input_x_gradient"


def _checkpoint(run_dir, n_chans: int = 22, n_times: int = 1001, classes=None):
    """A checkpoint in the format of eegdec.evaluation.artefacts.checkpoint, inside a run."""
    import yaml

    model = create_model("dbconformer", n_chans, 2, n_times, 250.0, seed=0)
    path = run_dir / "checkpoints" / "dbconformer__1__0__0__1.pt"
    path.parent.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(
        {"paradigm": "LeftRightImagery", "alignment": "none", "events": None}))
    torch.save({"model": "dbconformer", "state_dict": model.state_dict(),
                "build": {"n_chans": n_chans, "n_outputs": 2, "n_times": n_times,
                          "sfreq": 250.0},
                "classes": classes or ["left_hand", "right_hand"], "montage": "standard_1005",
                "ch_names": [], "eegdec_version": "0"}, path)
    return path, model


def test_load_checkpoint_rebuilds_the_model(tmp_path):
    from eegdec.errors import CorruptFileError, DataNotFoundError
    from eegdec.models.checkpoint import load_checkpoint

    path, original = _checkpoint(tmp_path, n_chans=4, n_times=250)
    model, meta = load_checkpoint(path)
    x = torch.randn(2, 4, 250)
    original.eval()
    torch.testing.assert_close(model(x), original(x))
    assert meta["classes"] == ["left_hand", "right_hand"] and "state_dict" not in meta
    with pytest.raises(DataNotFoundError, match="No checkpoint at"):
        load_checkpoint(tmp_path / "nope.pt")
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(CorruptFileError, match="Cannot read checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CorruptFileError, match="not an eegdec checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_topomap_command_on_simulated_data(tmp_path, capsys):
    from eegdec.cli import main

    path, _ = _checkpoint(tmp_path / "run")
    out = tmp_path / "maps"
    args = ["topomap", "--checkpoint", str(path), "--dataset", "SimMI-2class", "--subjects",
            "1", "--out", str(out)]
    assert main(args) == 0
    pngs = sorted(p.name.removeprefix(f"{path.stem}_") for p in out.glob("*.png"))
    assert pngs == ["spatial_attention.png", "temporal_attention.png", "topomap.png",
                    "trials.png"]
    printed = capsys.readouterr().out
    assert "method: attention; top-3 channels:" in printed and "left_hand:" in printed
    # a checkpoint built for other data fails with one line, not a traceback
    bad, _ = _checkpoint(tmp_path / "other", n_chans=8)
    assert main([*args[:2], str(bad), *args[3:]]) == 2
    assert "expects 8 channels" in capsys.readouterr().err
