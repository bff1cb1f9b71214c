"""Channel relevance: attention of DBConformer, captum gradients otherwise, aggregation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.interpret.channels import normalize_ch_name, resolve_ch_names
from eegdec.models import create_model
from eegdec.models.relevance import (
    aggregate_relevance,
    channel_relevance,
    explain_forward,
    top_channels,
)


class OneChannelModel(torch.nn.Module):
    """Logits from the mean of channel 2 only: all gradient relevance must land there."""

    def forward(self, x):
        m = x[:, 2].mean(dim=1, keepdim=True)
        return torch.cat([m, -m], dim=1)


@pytest.fixture(scope="module")
def dbconformer():
    return create_model("dbconformer", 6, 2, 200, 100.0, seed=0).eval()


def test_normalise_physionet_and_case_variants():
    assert [normalize_ch_name(n) for n in ("C3..", "Fc5.", "EEG Fp1-REF", "Cz", "T9..")] == \
        ["C3", "Fc5", "Fp1", "Cz", "T9"]
    assert resolve_ch_names(["Fc5.", "CZ", "fp1", "Afz.", "EEG C4-LE"]) == \
        ["FC5", "Cz", "Fp1", "AFz", "C4"]


def test_unknown_or_duplicate_channels_raise_naming_them():
    with pytest.raises(UnknownNameError, match="'Foo1' has no position"):
        resolve_ch_names(["C3", "Foo1"])
    with pytest.raises(BadInputError, match=r"\['C3'\] map to the same"):
        resolve_ch_names(["C3..", "c3"])
    with pytest.raises(UnknownNameError, match="Unknown montage 'standard_9999'"):
        resolve_ch_names(["C3"], "standard_9999")


@pytest.mark.parametrize("method", ["input_x_gradient", "integrated_gradients"])
def test_gradient_relevance_finds_the_informative_channel(method):
    X = np.random.default_rng(0).normal(1.0, 0.1, (8, 4, 50))
    rel, used = channel_relevance(OneChannelModel(), X, method=method)
    assert used == method and rel.shape == (8, 4)
    np.testing.assert_allclose(rel.sum(axis=1), 1.0)
    np.testing.assert_allclose(rel[:, 2], 1.0, atol=1e-6)


def test_auto_uses_dbconformer_attention(dbconformer):
    X = np.random.default_rng(1).standard_normal((5, 6, 200)).astype(np.float32)
    rel, used = channel_relevance(dbconformer, X, batch_size=2)
    assert used == "attention" and rel.shape == (5, 6)
    with torch.no_grad():
        _, extras = dbconformer(torch.as_tensor(X), return_features=True)
    np.testing.assert_allclose(rel, extras["channel_attention"].numpy(), rtol=1e-5)
    # gradients are available for DBConformer too, and differ from attention
    grad, used = channel_relevance(dbconformer, X, method="input_x_gradient")
    assert used == "input_x_gradient" and not np.allclose(grad, rel)


def test_explain_forward_stacks_self_attention_per_layer(dbconformer):
    X = np.zeros((3, 6, 200), np.float32)
    out = explain_forward(dbconformer, X, batch_size=2)
    p = dbconformer.n_tokens
    assert out["temporal_attention"].shape == (2, 3, p, p)
    assert out["spatial_attention"].shape == (2, 3, 6, 6)
    np.testing.assert_allclose(out["spatial_attention"].sum(-1), 1.0, rtol=1e-4)
    assert dbconformer.training is False


def test_relevance_rejects_bad_input(dbconformer):
    X = np.zeros((4, 4, 50))
    with pytest.raises(BadInputError, match="no channel attention"):
        channel_relevance(OneChannelModel(), X, method="attention")
    with pytest.raises(BadInputError, match="Unknown relevance method"):
        channel_relevance(OneChannelModel(), X, method="saliency")
    with pytest.raises(BadInputError, match="target has 3 entries"):
        channel_relevance(OneChannelModel(), X, method="input_x_gradient", target=[0, 1, 0])
    with pytest.raises(BadInputError, match=r"\(n_trials, n_chans, n_times\)"):
        channel_relevance(OneChannelModel(), X[0], method="input_x_gradient")
    with pytest.raises(BadInputError, match="no forward"):
        explain_forward(OneChannelModel(), X)


def test_aggregate_per_class_subject_and_outcome():
    rel = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], float)
    table = aggregate_relevance(rel, ["C3", "Cz", "C4"], y_true=np.array([0, 0, 1, 1]),
                                y_pred=np.array([0, 1, 1, 1]), subject=np.array([1, 1, 2, 2]),
                                classes=["left", "right"])
    assert table.loc[("all", "all"), "n_trials"] == 4
    np.testing.assert_allclose(table.loc[("class", "left"), ["C3", "Cz", "C4"]], [.5, .5, 0])
    np.testing.assert_allclose(table.loc[("subject", "2"), ["C3", "Cz", "C4"]], [.5, 0, .5])
    np.testing.assert_allclose(table.loc[("outcome", "incorrect"), ["C3", "Cz", "C4"]], [0, 1, 0])
    assert table.loc[("outcome", "correct"), "n_trials"] == 3
    assert top_channels(np.array([[.2, .5, .3]]), ["C3", "Cz", "C4"], k=2) == ["Cz", "C4"]
    with pytest.raises(BadInputError, match="relevance must be"):
        aggregate_relevance(rel, ["C3", "Cz"], np.zeros(4, int))
    with pytest.raises(BadInputError, match="y_true has 2 labels"):
        aggregate_relevance(rel, ["C3", "Cz", "C4"], np.zeros(2, int))
