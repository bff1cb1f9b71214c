"""Every registered torch model: shapes on four inputs or a clear minimum-input error,
gradients to every parameter, and seeded builds that are identical."""

from __future__ import annotations

import re

import pytest
import torch

from eegdec.errors import EEGDecError
from eegdec.models import create_model, list_models

# Only the models eegdec ships; other test modules register tiny plug-ins of their own.
TORCH_MODELS = [m.name for m in list_models("torch") if m.builder.__module__.startswith("eegdec.")]
# (n_chans, n_times, sfreq, n_classes): BNCI2014001, BNCI2014004, PhysionetMI, 0.5 s at 100 Hz,
# Kalunga2016 (SSVEP)
CONFIGS = {
    "22ch-1001-250Hz": (22, 1001, 250.0, 4),
    "3ch-1126-250Hz": (3, 1126, 250.0, 2),
    "64ch-641-160Hz": (64, 641, 160.0, 2),
    "28ch-50-100Hz": (28, 50, 100.0, 2),
    "8ch-513-256Hz": (8, 513, 256.0, 4),  # SSVEP Exoskeleton, epochs 2-4 s (513 samples)
}

# Parameters that cannot get a gradient from the logits, by design (checked to stay ~zero):
# DBConformer's score bias b2 shifts every channel's score equally, and softmax ignores shifts;
# MSVTNet's per-branch heads only feed its optional deep-supervision loss.
NO_GRAD_BY_DESIGN = {
    "dbconformer": re.compile(r"s_score\.2\.bias"),
    "msvtnet": re.compile(r"model\.branch_head\..*"),
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=list(CONFIGS))
@pytest.mark.parametrize("name", TORCH_MODELS)
def test_builds_and_predicts_or_names_minimum(name: str, config: tuple) -> None:
    c, t, sfreq, k = config
    try:
        model = create_model(name, c, k, t, sfreq, seed=0)
    except EEGDecError as exc:
        match = re.search(r"n_times >= (\d+)", str(exc))
        assert match, f"{name}: error does not name the minimum n_times: {exc}"
        need = int(match.group(1))
        assert need > t and "\n" not in str(exc)
        model, t = create_model(name, c, k, need, sfreq, seed=0), need  # the minimum works
    model.eval()
    x = torch.randn(1, c, t)
    with torch.no_grad():
        out, out4 = model(x), model(x.unsqueeze(1))
    assert out.shape == (1, k) and torch.isfinite(out).all()
    assert torch.allclose(out, out4)  # (B, 1, C, T) is the same input


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_gradients_reach_every_parameter(name: str) -> None:
    c, t, sfreq, k = CONFIGS["3ch-1126-250Hz"]
    model = create_model(name, c, k, t, sfreq, seed=0).train()
    torch.manual_seed(0)
    loss = torch.nn.functional.cross_entropy(model(torch.randn(2, c, t)), torch.tensor([0, 1]))
    loss.backward()
    exempt = NO_GRAD_BY_DESIGN.get(name, re.compile("$^"))
    missing = []
    for pname, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if exempt.fullmatch(pname):
            assert p.grad is None or p.grad.abs().max() < 1e-6, f"{pname} now gets a gradient"
        elif p.grad is None or not torch.isfinite(p.grad).all() or p.grad.abs().sum() == 0:
            missing.append(pname)
    assert not missing, f"{name}: no gradient for {missing}"


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_seeded_builds_are_identical(name: str) -> None:
    c, t, sfreq, k = CONFIGS["3ch-1126-250Hz"]
    a = create_model(name, c, k, t, sfreq, seed=7).state_dict()
    b = create_model(name, c, k, t, sfreq, seed=7).state_dict()
    d = create_model(name, c, k, t, sfreq, seed=8).state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert any(not torch.equal(a[key], d[key]) for key in a if a[key].is_floating_point())


def test_eegnet_paper_variant_uses_half_second_kernel() -> None:
    model = create_model("eegnet-paper", 22, 4, 1001, 250.0).model
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs[0].kernel_size == (1, 125) and convs[0].out_channels == 4  # F1=4, sfreq/2
    assert create_model("eegnet-paper", 64, 2, 641, 160.0).model.kernel_length == 80
    assert sum(p.numel() for p in model.parameters()) < sum(
        p.numel() for p in create_model("eegnet", 22, 4, 1001, 250.0).parameters())


def test_baseline_rejects_wrong_channel_count() -> None:
    model = create_model("eegnet", 22, 4, 1001, 250.0)
    with pytest.raises(EEGDecError, match="expects input"):
        model(torch.randn(2, 21, 1001))
