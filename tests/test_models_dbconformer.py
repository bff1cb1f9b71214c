"""DBConformer: size against the spec, shapes, ablations, attention outputs, errors, overfitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import requires_shared

from eegdec.errors import BadInputError, EEGDecError
from eegdec.models import create_model
from eegdec.models.dbconformer import DBConformer


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def spec_count(c: int, p: int, k: int, depth_t: int = 2, depth_s: int = 2) -> int:
    return 80 * c + 40 * p + 12_721 + 19_720 * (depth_t + depth_s) + 33 * k


@pytest.mark.parametrize(("c", "t", "k", "expected"), [
    (22, 1001, 4, 93_813), (22, 1001, 2, 93_747), (3, 1126, 2, 92_267),
])
def test_parameter_count_matches_paper(c: int, t: int, k: int, expected: int) -> None:
    assert n_params(DBConformer(c, k, t, 250.0)) == expected


@pytest.mark.parametrize(("c", "t", "sfreq", "k", "dt", "ds"), [
    (64, 641, 160.0, 2, 2, 2), (28, 50, 100.0, 2, 2, 2), (15, 2561, 512.0, 2, 6, 6),
    (22, 1000, 250.0, 4, 1, 3),
])
def test_parameter_count_follows_formula(c: int, t: int, sfreq: float, k: int, dt: int,
                                         ds: int) -> None:
    model = DBConformer(c, k, t, sfreq, depth_t=dt, depth_s=ds)
    assert model.n_tokens == t // round(0.5 * sfreq)
    assert n_params(model) == spec_count(c, model.n_tokens, k, dt, ds)


def test_features_and_attention_maps() -> None:
    model = DBConformer(22, 4, 1001, 250.0).eval()
    x = torch.randn(3, 22, 1001)
    with torch.no_grad():
        logits, extras = model(x, return_features=True)
        plain = model(x.unsqueeze(1))  # (B, 1, C, T) gives the same logits
    assert logits.shape == (3, 4) and torch.allclose(logits, plain, atol=1e-5)
    assert extras["features"].shape == (3, 80)
    alpha = extras["channel_attention"]
    assert alpha.shape == (3, 22) and torch.allclose(alpha.sum(1), torch.ones(3))
    assert not torch.allclose(alpha, torch.full_like(alpha, 1 / 22))  # learned, not uniform
    assert [a.shape for a in extras["temporal_attention"]] == [(3, 8, 8)] * 2
    assert [a.shape for a in extras["spatial_attention"]] == [(3, 22, 22)] * 2
    for att in extras["temporal_attention"] + extras["spatial_attention"]:
        assert torch.allclose(att.sum(-1), torch.ones(att.shape[:2]), atol=1e-5)
    # the explicit attention path equals the fused kernel used without return_features
    assert torch.allclose(model.head(extras["features"]), logits, atol=1e-5)


def test_ablations() -> None:
    x = torch.randn(2, 22, 1001)
    temporal = DBConformer(22, 4, 1001, 250.0, branches="temporal").eval()
    spatial = DBConformer(22, 4, 1001, 250.0, branches="spatial").eval()
    meanpool = DBConformer(22, 4, 1001, 250.0, channel_attention=False).eval()
    both = spec_count(22, 8, 4)
    # one branch: its stem, encoder and a 40-d head input (40 * 64 fewer head weights)
    assert n_params(temporal) == 40 * 22 + 80 + 2520 + 80 + 40 * 8 + 2 * 19_720 + 2560 + 2144 + 132
    assert n_params(spatial) == 416 + 680 + 40 * 22 + 2 * 19_720 + 1681 + 2560 + 2144 + 132
    assert n_params(meanpool) == both - 1681
    with torch.no_grad():
        _, ext_t = temporal(x, return_features=True)
        _, ext_s = spatial(x, return_features=True)
        _, ext_m = meanpool(x, return_features=True)
    assert "channel_attention" not in ext_t and ext_t["features"].shape == (2, 40)
    assert ext_s["temporal_attention"] == [] and ext_s["channel_attention"].shape == (2, 22)
    assert torch.allclose(ext_m["channel_attention"], torch.full((2, 22), 1 / 22))
    assert n_params(DBConformer(22, 4, 1001, 250.0, depth_t=6, depth_s=6)) == spec_count(
        22, 8, 4, 6, 6)


def test_shortest_input_and_errors() -> None:
    model = DBConformer(28, 2, 50, 100.0)  # 0.5 s at 100 Hz: exactly one token
    assert model.n_tokens == 1
    with pytest.raises(BadInputError, match=r"n_times >= 125"):
        DBConformer(22, 4, 100, 250.0)
    with pytest.raises(EEGDecError, match=r"n_times >= 125"):
        create_model("dbconformer", 22, 4, 124, 250.0)
    DBConformer(22, 4, 100, 250.0, branches="spatial")  # the spatial branch has no patch
    with pytest.raises(BadInputError, match="branches"):
        DBConformer(22, 4, 1001, 250.0, branches="left")
    with pytest.raises(BadInputError, match=r"expects input \(batch, 22, 1001\)"):
        DBConformer(22, 4, 1001, 250.0)(torch.randn(2, 22, 1000))


def test_spec_initialisation() -> None:
    model = create_model("dbconformer", 22, 4, 1001, 250.0, seed=0)
    pointwise, depthwise = model.t_stem[0].weight, model.t_stem[2].weight
    for w in (pointwise, depthwise):
        assert 0.007 < w.std().item() < 0.011 and w.abs().max().item() <= 0.02 + 1e-6
    assert 0.8 < model.t_pos.std().item() < 1.2 and 0.8 < model.s_pos.std().item() < 1.2


@requires_shared
def test_overfits_32_real_trials(shared_data: Path) -> None:
    from eegdec.preprocessing.load import load_epochs

    data = load_epochs("PhysionetMI", [1], events=["left_hand", "right_hand"],
                       data_dir=shared_data)
    X, y = data.X[:32], data.y[:32]
    assert X.shape[:2] == (32, 64) and set(np.unique(y)) == {0, 1}
    X = (X - X.mean(axis=(0, 2), keepdims=True)) / X.std(axis=(0, 2), keepdims=True)
    x, target = torch.from_numpy(X), torch.from_numpy(y).long()
    model = create_model("dbconformer", 64, 2, X.shape[2], data.sfreq, seed=1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small ops: one thread wastes no CPU on a busy 2-core machine
    try:
        acc, step = _train_until(model, opt, x, target)
    finally:
        torch.set_num_threads(threads)
    assert acc >= 0.95, f"training accuracy {acc:.2f} after {step + 1} steps"


def _train_until(model: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor,
                 target: torch.Tensor, goal: float = 0.95) -> tuple[float, int]:
    """Full-batch steps until training accuracy reaches ``goal`` (checked every 10, max 300)."""
    for step in range(300):
        model.train()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), target).backward()
        opt.step()
        if step % 10 == 9:
            model.eval()
            with torch.no_grad():
                acc = (model(x).argmax(1) == target).float().mean().item()
            if acc >= goal:
                break
    return acc, step
