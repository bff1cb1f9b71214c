"""Vision backbones as EEG encoders: sizes, the scaling rule, downsampling plan, family-specific
behaviour, re-parameterisation, errors, and that every family learns a lateralised-rhythm task."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.models import create_model, get_model_info
from eegdec.models.backbones.common import MIN_TOKENS, plan_strides, scale_config

# the first nine keep their hand-set small sizes; the later ones derive small by scale_config
HAND_SIZED = ("convnext", "inceptionnext", "unireplknet", "hornet", "lsnet", "spartan",
              "wavemix", "transnext", "cvt")
SCALED = ("convit", "crossvit", "halonet", "ascan", "glmix", "ninformer", "duoformer", "tvconv",
          "inceptionresnet", "dico")
FAMILIES = HAND_SIZED + SCALED
REF = dict(n_chans=22, n_outputs=4, n_times=1001, sfreq=250.0)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These small models gain nothing from a second thread, which spins on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("family", FAMILIES)
def test_tiny_default_and_small_variant_sizes(family: str) -> None:
    tiny, small = create_model(family, **REF), create_model(f"{family}-small", **REF)
    if family in HAND_SIZED:
        assert 20_000 <= n_params(tiny) < n_params(small) <= 500_000
    else:  # budgets of the scaled families: tiny < 0.3 M, small < 1.5 M parameters
        assert 20_000 <= n_params(tiny) < 300_000 and n_params(tiny) < n_params(small) < 1_500_000
    assert get_model_info(family).family == get_model_info(f"{family}-small").family
    assert get_model_info(family).paper


def test_scaling_rule_grows_width_more_than_depth() -> None:
    """Dollar et al. 2021 with alpha = 0.8, 4x FLOPs, no resolution term: width x4^0.4,
    depth x4^0.2, widths in multiples of 8, extra blocks to the largest fractional share."""
    assert scale_config((24, 48, 96), (1, 1, 1)) == ((40, 80, 168), (1, 2, 1))
    assert scale_config((24, 48, 96), (1, 2, 1)) == ((40, 80, 168), (1, 3, 1))
    assert scale_config((24, 48), (1, 2)) == ((40, 80), (1, 3))
    assert scale_config((24, 48, 96, 48), (1, 1, 1, 1)) == ((40, 80, 168, 80), (1, 1, 2, 1))
    assert scale_config((64,), (4,), flops=2.0) == ((88,), (5,))
    dims, depths = scale_config((32, 64, 128), (2, 2, 2))
    cost = sum(d * w * w for d, w in zip(depths, dims)) / sum(2 * w * w for w in (32, 64, 128))
    assert 3.0 < cost < 5.0  # about the 4x asked for, after rounding
    with pytest.raises(BadInputError, match="one width per stage"):
        scale_config((24, 48), (1,))


@pytest.mark.parametrize("family", SCALED)
def test_small_variant_follows_the_scaling_rule(family: str) -> None:
    import importlib

    target = [t for n, t, *_ in __import__("eegdec.models.backbones", fromlist=["_FAMILIES"])
              ._FAMILIES if n == family][0]
    variants = importlib.import_module(f"eegdec.models.backbones.{target.split(':')[0]}").VARIANTS
    tiny, small = variants["tiny"], variants["small"]
    assert (small["dims"], small["depths"]) == scale_config(tiny["dims"], tiny["depths"])


def test_registration_does_not_import_torch() -> None:
    code = ("import sys, eegdec.models.backbones as b; from eegdec.models import list_models; "
            "names = [m.name for m in list_models() if m.family in ('ConvNeXt', 'WaveMix')]; "
            "print('torch' in sys.modules, sorted(names))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(" ", 1)[0] == "False"
    assert "'convnext', 'convnext-small'" in out.stdout and "'wavemix-small'" in out.stdout


@pytest.mark.parametrize(("n_times", "sfreq", "stem"), [
    (1001, 250.0, 5), (641, 160.0, 3), (50, 100.0, 2), (5000, 1000.0, 20), (8, 100.0, 2),
])
def test_stem_brings_signals_to_about_50_hz_and_stages_keep_tokens(
        n_times: int, sfreq: float, stem: int) -> None:
    stride, strides, lengths = plan_strides(n_times, sfreq, 3)
    assert stride == stem and strides[0] == 1
    assert all(s in (1, 2) for s in strides)
    assert min(lengths) >= min(MIN_TOKENS, lengths[0]) and lengths[0] == -(-n_times // stem)
    if n_times >= 1000:
        assert strides == [1, 2, 2]  # long windows are downsampled at every stage


def test_features_and_both_input_layouts() -> None:
    model = create_model("convnext", **REF, seed=0).eval()
    x = torch.randn(3, 22, 1001)
    with torch.no_grad():
        logits, extras = model(x, return_features=True)
        assert extras["features"].shape == (3, 96)
        assert torch.allclose(model.head(extras["features"]), logits)
        assert torch.allclose(model(x[:, None]), logits)


@pytest.mark.parametrize("layer_scale", [1e-6, 1.0])
def test_unireplknet_reparameterize_gives_same_outputs(layer_scale: float) -> None:
    from eegdec.models.backbones.unireplknet import DilatedReparamConv

    model = create_model("unireplknet-small", **REF, seed=0, layer_scale=layer_scale)
    x = torch.randn(4, 22, 1001)
    with torch.no_grad():
        model.train()
        for _ in range(3):  # non-trivial running statistics
            model(x)
        for bn in model.modules():  # and non-trivial affine parameters
            if isinstance(bn, torch.nn.BatchNorm1d):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.normal_()
        model.eval()
        before, feats_before = model(x), model.forward_features(x)
        size_before = n_params(model)
        model.reparameterize()
        after, feats_after = model(x), model.forward_features(x)
    assert not any(isinstance(m, DilatedReparamConv) for m in model.modules())
    assert n_params(model) < size_before
    assert (feats_before - feats_after).abs().max() < 1e-5
    assert (before - after).abs().max() < 1e-5
    assert feats_before.std() > 0.1  # the blocks changed the features, so the test can fail


def test_inception_dwconv_leaves_identity_split_untouched() -> None:
    from eegdec.models.backbones.inceptionnext import InceptionDWConv1d

    mixer = InceptionDWConv1d(32)
    x = torch.randn(2, 32, 40)
    out = mixer(x)
    n_id = mixer.splits[0]
    assert mixer.splits == (20, 4, 4, 4)
    assert torch.equal(out[:, :n_id], x[:, :n_id]) and not torch.allclose(out[:, n_id:],
                                                                          x[:, n_id:])


def test_lsconv_matches_explicit_dynamic_small_kernels() -> None:
    from eegdec.models.backbones.lsnet import LSConv1d

    conv = LSConv1d(16, large_kernel=7, small_kernel=3, groups=4).eval()
    x = torch.randn(2, 16, 12)
    with torch.no_grad():
        w = conv.perceive(x).view(2, 4, 3, 12)
        xp = torch.nn.functional.pad(x, (1, 1))
        ref = torch.zeros_like(x)
        for c in range(16):
            for t in range(12):
                ref[:, c, t] = (w[:, c // 4, :, t] * xp[:, c, t:t + 3]).sum(-1)
        assert torch.allclose(conv(x), conv.norm(ref), atol=1e-5)


def test_gnconv_interaction_is_of_the_given_order() -> None:
    from eegdec.models.backbones.hornet import GnConv1d

    torch.manual_seed(0)
    gn = GnConv1d(16, order=3).eval()
    x = torch.randn(1, 16, 20)
    with torch.no_grad():  # without biases, a product of order + 1 linear maps: degree 4
        for m in gn.modules():
            if isinstance(m, torch.nn.Conv1d):
                m.bias.zero_()
        assert torch.allclose(gn(2 * x), 16 * gn(x), atol=1e-5)
        assert not torch.allclose(gn(2 * x), 8 * gn(x), atol=1e-3)


def test_wavemix_uses_a_real_dwt_and_adapts_levels() -> None:
    import ptwt
    import pywt

    sig = np.random.default_rng(0).standard_normal(64)
    a, d = ptwt.wavedec(torch.tensor(sig)[None], "db2", level=1, mode="zero")
    ref_a, ref_d = pywt.dwt(sig, "db2", mode="zero")
    assert np.allclose(a[0].numpy(), ref_a) and np.allclose(d[0].numpy(), ref_d)
    long = create_model("wavemix", **REF)
    short = create_model("wavemix", n_chans=28, n_outputs=2, n_times=50, sfreq=100.0)
    assert [len(s[-1].mixers) for s in long.stages] == [3, 3, 3]
    assert [len(s[-1].mixers) for s in short.stages] == [3, 3, 2]  # 25, 13, 7 steps
    out = create_model("wavemix", **REF, wavelet="db2")(torch.randn(2, 22, 1001))
    assert out.shape == (2, 4) and torch.isfinite(out).all()


def test_gpsa_starts_as_a_temporal_convolution() -> None:
    from eegdec.models.backbones.convit import GPSA1d

    gpsa = GPSA1d(24, heads=3)
    pos = torch.softmax(gpsa.positional_scores(20, torch.device("cpu")), dim=-1)
    i = 10  # head h attends to the step c_h = -1, 0, +1 away: a 3-tap convolution
    assert [int(pos[h, i].argmax()) - i for h in range(3)] == [-1, 0, 1]
    assert (pos[:, i].max(dim=-1).values > 0.5).all()
    assert (torch.sigmoid(gpsa.gate) > 0.7).all()  # the gate starts towards position


def test_halo_attention_equals_masked_full_attention() -> None:
    """Blocks of 4 steps, halo 2, 11 steps: each query sees only its block +- 2 steps."""
    from eegdec.models.backbones.halonet import HaloAttention1d

    torch.manual_seed(0)
    attn = HaloAttention1d(16, heads=2, block=4, halo=2).eval()
    x = torch.randn(2, 16, 11)
    with torch.no_grad():
        q = attn.q(x).view(2, 2, 8, 11)
        k, v = attn.kv(x).view(2, 2, 2, 8, 11).unbind(1)
        i, j = torch.arange(11)[:, None], torch.arange(11)[None, :]
        rel = attn.rel[((j - i) + 4 + 2 - 1).clamp(0, 10)]  # (11, 11, 8); the rest is masked
        logits = torch.einsum("bhdi,bhdj->bhij", q, k) + torch.einsum("bhdi,ijd->bhij", q, rel)
        start = (i // 4) * 4
        allowed = (j >= start - 2) & (j < start + 4 + 2)
        att = torch.softmax((logits / 8 ** 0.5).masked_fill(~allowed, float("-inf")), dim=-1)
        ref = attn.proj(torch.einsum("bhij,bhdj->bhdi", att, v).reshape(2, 16, 11))
        assert torch.allclose(attn(x), ref, atol=1e-5)


def test_ascan_puts_convolutions_early_and_attention_late() -> None:
    assert create_model("ascan", **REF).layout == "C|CT|T"
    assert create_model("ascan-small", **REF).layout == "C|CCT|T"


def test_tvconv_kernels_vary_with_time_and_match_an_explicit_convolution() -> None:
    from eegdec.models.backbones.tvconv import TVConv1d

    torch.manual_seed(0)
    conv = TVConv1d(6, n_tokens=12, kernel_size=3).eval()
    x = torch.randn(2, 6, 12)
    with torch.no_grad():
        w = conv.kernels()  # (6, 3, 12)
        assert not torch.allclose(w[..., 3], w[..., 8])
        xp = torch.nn.functional.pad(x, (1, 1))
        ref = torch.stack([(xp[:, :, t:t + 3] * w[None, :, :, t]).sum(-1) for t in range(12)], -1)
        assert torch.allclose(conv(x), ref, atol=1e-5)


@pytest.mark.parametrize("family", ["tvconv", "ninformer", "crossvit", "duoformer"])
def test_length_tied_families_reject_other_lengths_in_one_line(family: str) -> None:
    model = create_model(family, **REF)
    with pytest.raises(BadInputError, match="n_times of the data") as info:
        model(torch.randn(1, 22, 1501))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("family", ["glmix", "ninformer", "crossvit", "duoformer", "ascan"])
def test_global_mixers_reach_across_the_whole_window(family: str) -> None:
    """The first time step's features depend on the last input samples (global token mixing),
    which no stack of these models' small kernels alone would give."""
    model = create_model(family, n_chans=4, n_outputs=2, n_times=400, sfreq=100.0, seed=0,
                         **({} if family in ("crossvit", "duoformer") else {"layer_scale": 1.0}))
    model.eval()
    x = torch.randn(1, 4, 400, requires_grad=True)
    model(x)[0, 0].backward()
    assert x.grad[..., -50:].abs().sum() > 0 and x.grad[..., :50].abs().sum() > 0


def test_inception_resnet_block_types_by_stage() -> None:
    from eegdec.models.backbones.inceptionresnet import InceptionResBlock1d

    model = create_model("inceptionresnet", **REF)
    blocks = [m for m in model.modules() if isinstance(m, InceptionResBlock1d)]
    assert [len(b.branches) for b in blocks] == [3, 2, 2]  # A, B, C
    dilations = [c.dilation[0] for c in blocks[1].modules() if isinstance(c, torch.nn.Conv1d)
                 and c.kernel_size[0] == 7]
    assert dilations == [1, 2]


def test_drop_path_drops_in_training_only() -> None:
    model = create_model("convnext", **REF, seed=0, drop_path=0.5, layer_scale=1.0)
    x = torch.randn(4, 22, 1001)
    torch.manual_seed(1)
    train_a, train_b = model.train()(x), model(x)
    model.eval()
    assert not torch.allclose(train_a, train_b)
    assert torch.equal(model(x), model(x))


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_times": 5}, BadInputError, "at least 8 samples"),
    ({"variant": "huge"}, UnknownNameError, "variant 'huge'"),
    ({"sfreq": 0.0}, BadInputError, "sfreq > 0"),
])
def test_bad_arguments_raise_one_line_errors(kwargs: dict, error: type, match: str) -> None:
    args = {**REF, **kwargs}
    with pytest.raises(error, match=match) as info:
        create_model("hornet", **args)
    assert "\n" not in str(info.value)


def test_family_specific_bad_arguments() -> None:
    with pytest.raises(UnknownNameError, match="wavelet 'haarr'.*haar"):
        create_model("wavemix", **REF, wavelet="haarr")
    with pytest.raises(BadInputError, match="kernel_size=12"):
        create_model("unireplknet", **REF, kernel_size=12)
    with pytest.raises(BadInputError, match="head_dim=7"):
        create_model("cvt", **REF, head_dim=7)
    with pytest.raises(BadInputError, match=r"expects \(batch, 22, time\)"):
        create_model("lsnet", **REF)(torch.randn(2, 21, 1001))


def lateralised_rhythm(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """8 channels, 1 s at 100 Hz: a 10 Hz rhythm on channels 0-1 (class 0) or 6-7 (class 1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = np.arange(100) / 100.0
    x = rng.standard_normal((n, 8, 100))
    phase = rng.uniform(0, 2 * np.pi, n)[:, None]
    for i, label in enumerate(y):
        x[i, [0, 1] if label == 0 else [6, 7]] += 1.5 * np.sin(2 * np.pi * 10 * t + phase[i])
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


@pytest.mark.parametrize("family", FAMILIES)
def test_family_learns_lateralised_rhythm(family: str) -> None:
    x, y = lateralised_rhythm(64, seed=0)
    x_test, y_test = lateralised_rhythm(64, seed=1)
    model = create_model(family, n_chans=8, n_outputs=2, n_times=100, sfreq=100.0, seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(15):
        for idx in torch.arange(64).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    assert acc >= 0.8, f"{family}: test accuracy {acc:.2f}"
