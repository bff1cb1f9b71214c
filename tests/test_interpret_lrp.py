"""Layer-wise relevance propagation: the rules conserve relevance, the two engines agree where
both apply, the listing of supported models holds, and on simulated left/right imagery LRP
relevance of a trained DBConformer and ShallowConvNet lands on the motor channels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from eegdec.errors import BadInputError
from eegdec.models import create_model, list_models
from eegdec.models.lrp import LRP_SUPPORTED, LRPUnsupportedError, lrp_attribution, lrp_engine
from eegdec.models.relevance import channel_relevance, top_channels

TORCH_MODELS = [m.name for m in list_models("torch") if m.builder.__module__.startswith("eegdec.")]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class BiasFreeTransformer(nn.Module):
    """Every rule of the conservative engine, and no bias: relevance must be conserved."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Conv1d(3, 8, 5, padding=2, bias=False)
        self.norm = nn.LayerNorm(8, elementwise_affine=False)
        self.qkv = nn.Linear(8, 24, bias=False)
        self.gate = nn.Linear(8, 8, bias=False)
        self.mlp = nn.Sequential(nn.Linear(8, 16, bias=False), nn.GELU(),
                                 nn.Linear(16, 8, bias=False))
        self.head = nn.Linear(8, 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.embed(x).transpose(1, 2)  # (B, T, 8)
        q, k, v = self.qkv(self.norm(t)).chunk(3, dim=-1)
        t = t + torch.softmax(q @ k.transpose(1, 2) / 8 ** 0.5, dim=-1) @ v
        t = t + self.gate(t) * t  # a product of two input-dependent factors
        t = t + nn.functional.scaled_dot_product_attention(t, t, t)
        t = t + self.mlp(t)
        return self.head(torch.relu(t).mean(dim=1))


def test_conservative_rules_conserve_relevance() -> None:
    torch.manual_seed(0)
    model = BiasFreeTransformer().eval()
    x = torch.randn(4, 3, 20)
    target = torch.tensor([0, 1, 0, 1])
    rel, engine = lrp_attribution(model, x, target, epsilon=1e-9)
    assert engine == "conservative" and rel.shape == x.shape
    with torch.no_grad():
        logits = model(x).gather(1, target[:, None])[:, 0]
    torch.testing.assert_close(rel.sum(dim=(1, 2)), logits, rtol=1e-4, atol=1e-5)
    assert all(p.requires_grad for p in model.parameters())  # parameters are unfrozen after


def test_epsilon_absorbs_relevance() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(3, 4, 3, bias=False), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 18, 2, bias=False)).eval()
    x = torch.randn(2, 3, 20)
    target = torch.tensor([0, 1])
    exact, _ = lrp_attribution(model, x, target, epsilon=1e-9, engine="conservative")
    damped, _ = lrp_attribution(model, x, target, epsilon=10.0, engine="conservative")
    assert damped.abs().sum() < exact.abs().sum()


@pytest.mark.parametrize("name", ["eegnet", "shallowconvnet", "deepconvnet"])
def test_captum_and_conservative_engines_agree_on_chains(name: str) -> None:
    """captum's rules on a chain of layers and the modified gradient are the same LRP."""
    model = create_model(name, 3, 2, 1126, 250.0, seed=0)
    with torch.no_grad():  # non-trivial BatchNorm statistics
        model.train()(torch.randn(16, 3, 1126) * 2 + 1)
    model.eval()
    x, target = torch.randn(3, 3, 1126), torch.tensor([0, 1, 1])
    a, engine = lrp_attribution(model, x, target, epsilon=1e-9)
    b, _ = lrp_attribution(model, x, target, epsilon=1e-9, engine="conservative")
    assert engine == "captum"
    torch.testing.assert_close(a, b, rtol=0.0, atol=5e-3 * float(a.abs().max()))
    assert not model.training and not hasattr(next(model.modules()), "rule")


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_lrp_support_listing(name: str) -> None:
    """Every listed model gets finite LRP maps from its listed engine; every other one fails
    with a one-line error that names the operation without a rule."""
    model = create_model(name, 3, 2, 1126, 250.0, seed=0).eval()
    x, target = torch.randn(2, 3, 1126), torch.tensor([0, 1])
    if name in LRP_SUPPORTED:
        rel, engine = lrp_attribution(model, x, target)
        assert engine == LRP_SUPPORTED[name] == lrp_engine(model)
        assert rel.shape == x.shape and torch.isfinite(rel).all() and rel.abs().sum() > 0
    else:
        with pytest.raises(LRPUnsupportedError, match="LRP has no rule for") as info:
            lrp_attribution(model, x, target)
        assert "\n" not in str(info.value)


def test_lrp_listing_names_only_registered_models() -> None:
    assert set(LRP_SUPPORTED) <= set(TORCH_MODELS)
    assert {"dbconformer", "eegnet", "shallowconvnet", "convit", "crossvit"} <= set(LRP_SUPPORTED)


def test_lrp_errors_are_one_line() -> None:
    spartan = create_model("spartan", 3, 2, 1126, 250.0).eval()
    with pytest.raises(LRPUnsupportedError, match=r"SpaRTAN1d: .*'cos'.*input_x_gradient"):
        channel_relevance(spartan, np.zeros((2, 3, 1126), np.float32), method="lrp")
    with pytest.raises(LRPUnsupportedError, match="not a chain of layers"):
        lrp_engine(create_model("convnext", 3, 2, 1126, 250.0), engine="captum")
    with pytest.raises(BadInputError, match="Unknown LRP engine"):
        lrp_engine(spartan, engine="deeplift")


def test_lrp_channel_relevance_finds_the_informative_channel() -> None:
    class OneChannelModel(nn.Module):
        def forward(self, x):
            m = x[:, 2].mean(dim=1, keepdim=True)
            return torch.cat([m, -m], dim=1)

    X = np.random.default_rng(0).normal(1.0, 0.1, (8, 4, 50))
    rel, used = channel_relevance(OneChannelModel(), X, method="lrp")
    assert used == "lrp" and rel.shape == (8, 4)
    np.testing.assert_allclose(rel[:, 2], 1.0, atol=1e-6)


# -- simulated imagery --------------------------------------------------------------------------
MOTOR = ("C3", "C4")
DECIMATE = 4


@pytest.fixture(scope="module")
def sim():
    from eegdec.preprocessing.load import load_epochs

    data = load_epochs("SimMI-2class", subjects=[1])
    X = data.X[:, :, ::DECIMATE]
    return (X / X.std()).astype(np.float32), data.y, data.ch_names, data.sfreq / DECIMATE


def _train(model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(Xt)).split(32):
            opt.zero_grad()
            nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return float((model(Xt).argmax(1) == yt).float().mean())


@pytest.mark.parametrize(("name", "engine"), [("dbconformer", "conservative"),
                                               ("shallowconvnet", "captum")])
def test_lrp_relevance_concentrates_on_motor_channels(sim, name: str, engine: str) -> None:
    """Sources under C3 and C4 (docs/interpret.md); 10 epochs of plain Adam."""
    X, y, names, sfreq = sim
    model = create_model(name, len(names), 2, X.shape[2], sfreq, seed=0)
    assert _train(model, X, y, epochs=10) > 0.8
    assert lrp_engine(model) == engine
    rel, used = channel_relevance(model, X, method="lrp", target=y)
    assert used == "lrp"
    np.testing.assert_allclose(rel.sum(axis=1), 1.0, rtol=1e-5)
    top = top_channels(rel, names, k=3)
    share = float(rel[:, [names.index(c) for c in MOTOR]].sum(axis=1).mean())
    assert set(MOTOR) <= set(top), top
    assert share > 2 * len(MOTOR) / len(names), share  # uniform would be 2/22 = 0.09
