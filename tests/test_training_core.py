"""Trainer core: tensor batches, data module, Lightning module, recipes, estimator factory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from eegdec.errors import BadInputError, UnknownNameError
from eegdec.models.registry import _REGISTRY, register_model
from eegdec.training import (
    EEGDecModule,
    EpochsDataModule,
    TensorBatches,
    fit_module,
    load_recipe,
    make_estimator,
    predict_proba,
    resolve_device,
)

TINY = "tiny-logpower-training"


class LogPower(nn.Module):
    """Spatio-temporal filters -> log power -> linear: learns band-power differences fast."""

    def __init__(self, n_chans: int, n_outputs: int, n_filters: int = 4, kernel: int = 15):
        super().__init__()
        self.conv = nn.Conv1d(n_chans, n_filters, kernel, padding=kernel // 2)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(n_filters, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(torch.log(self.conv(x).pow(2).mean(-1) + 1e-6)))


if TINY not in _REGISTRY:
    register_model(TINY, family="test", paper="test")(
        lambda n_chans, n_outputs, n_times, sfreq, **kw: LogPower(n_chans, n_outputs)
    )


pytestmark = pytest.mark.usefixtures("one_thread")


def band_power_data(n: int = 96, n_chans: int = 4, n_times: int = 128, seed: int = 0):
    """Noise plus a 10 Hz rhythm whose power on channel 0 vs 1 depends on the class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.arange(n_times) / 128.0
    X = rng.standard_normal((n, n_chans, n_times)).astype(np.float32)
    wave = np.sin(2 * np.pi * 10 * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    X[:, 0] += np.where(y == 1, 2.0, 0.3)[:, None] * wave
    X[:, 1] += np.where(y == 1, 0.3, 2.0)[:, None] * wave
    return X, y


def test_tensor_batches_cover_every_trial_and_repeat_by_seed():
    X, y = torch.arange(65.0).view(65, 1, 1), torch.arange(65)
    batches = list(TensorBatches(X, y, 32, shuffle=True, seed=3))
    # 65 = 32 + 33: a last batch of one trial is merged (BatchNorm cannot train on it)
    assert [len(b[1]) for b in batches] == [32, 33]
    assert sorted(torch.cat([b[1] for b in batches]).tolist()) == list(range(65))
    again = list(TensorBatches(X, y, 32, shuffle=True, seed=3))
    assert torch.equal(batches[0][1], again[0][1])
    loader = TensorBatches(X, y, 32, shuffle=True, seed=3)
    first, second = [torch.cat([b[1] for b in loader]) for _ in range(2)]
    assert not torch.equal(first, second)  # a new order every epoch
    assert len(TensorBatches(X[:64], y[:64], 32)) == 2


def test_datamodule_validation_split_is_stratified_and_from_training_data():
    X, y = band_power_data(40)
    dm = EpochsDataModule(X, y, batch_size=8, val_fraction=0.25, seed=0)
    assert len(dm.train[1]) == 30 and len(dm.val[1]) == 10
    assert dm.val[1].sum().item() == 5
    assert EpochsDataModule(X, y).val is None
    with pytest.raises(BadInputError, match="val_fraction"):
        EpochsDataModule(X, y, val_fraction=1.0)
    X[0, 0, 0] = np.nan
    with pytest.raises(BadInputError, match="NaN"):
        EpochsDataModule(X, y)


def _fit(seed: int, epochs: int = 15, val_fraction: float = 0.0, patience: int | None = None):
    X, y = band_power_data()
    torch.manual_seed(seed)
    module = EEGDecModule(LogPower(4, 2), lr=2e-2)
    data = EpochsDataModule(X, y, batch_size=16, seed=seed, val_fraction=val_fraction)
    history = fit_module(module, data, epochs=epochs, seed=seed, early_stopping_patience=patience)
    return module, history


def test_module_learns_logs_history_and_is_deterministic():
    Xte, yte = band_power_data(64, seed=1)
    module, history = _fit(seed=5)
    assert [h["epoch"] for h in history] == list(range(15))
    assert set(history[0]) == {"epoch", "train_loss", "train_acc"}
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    proba = predict_proba(module.model, Xte)
    assert proba.shape == (64, 2) and np.allclose(proba.sum(1), 1)
    assert (proba.argmax(1) == yte).mean() > 0.85
    again, _ = _fit(seed=5)
    assert np.array_equal(predict_proba(again.model, Xte), proba)
    other, _ = _fit(seed=6)
    assert not np.array_equal(predict_proba(other.model, Xte), proba)


def test_validation_metrics_and_early_stopping():
    module, history = _fit(seed=0, epochs=60, val_fraction=0.25, patience=0)
    assert {"val_loss", "val_acc"} <= set(history[0])
    assert len(history) < 60  # stopped at the first epoch without improvement
    with pytest.raises(BadInputError, match="validation split"):
        fit_module(module, EpochsDataModule(*band_power_data()), epochs=1,
                   early_stopping_patience=3)
    with pytest.raises(BadInputError, match="epochs"):
        fit_module(module, EpochsDataModule(*band_power_data()), epochs=0)


def test_csv_logger_lr_monitor_and_checkpoint(tmp_path):
    X, y = band_power_data(32)
    module = EEGDecModule(LogPower(4, 2), lr=1e-3, optimizer="adamw", scheduler="cosine")
    fit_module(module, EpochsDataModule(X, y, batch_size=16), epochs=2, log_dir=tmp_path / "logs",
               checkpoint_dir=tmp_path / "ckpt")
    import pandas as pd

    metrics = pd.read_csv(next((tmp_path / "logs").rglob("metrics.csv")))
    assert {"train_loss", "train_acc", "lr-AdamW"} <= set(metrics.columns)
    assert metrics["lr-AdamW"].dropna().iloc[-1] < 1e-3  # cosine annealing lowered it
    assert (tmp_path / "ckpt" / "last.ckpt").exists()


def test_bad_optimizer_scheduler_and_device():
    with pytest.raises(BadInputError, match="optimizer"):
        EEGDecModule(LogPower(4, 2), optimizer="lbfgs")
    with pytest.raises(BadInputError, match="scheduler"):
        EEGDecModule(LogPower(4, 2), scheduler="step")
    with pytest.raises(BadInputError, match="device"):
        resolve_device("tpu")
    assert resolve_device("auto") in ("cpu", "cuda")


def test_recipes_follow_the_paper_and_braindecode():
    co, cv = load_recipe("dbconformer", "within-co"), load_recipe("DBConformer", "within_cv")
    assert (co["optimizer"], co["lr"], co["epochs"], co["batch_size"]) == ("adam", 1e-4, 200, 32)
    assert (cv["lr"], cv["epochs"], cv["weight_decay"]) == (1e-3, 100, 0.0)
    assert load_recipe("eegnet", "loso")["lr"] == 1e-3  # no documented recipe: the paper's
    shallow = load_recipe("shallowconvnet", "within-co")
    assert (shallow["optimizer"], shallow["lr"], shallow["epochs"]) == ("adamw", 6.25e-4, 200)
    assert load_recipe("dbconformer", "within_cv") == load_recipe("dbconformer", "within-cv")


def test_make_estimator_for_torch_and_classical_models():
    from sklearn.base import clone

    from eegdec.training.classifier import EEGDecClassifier

    est = make_estimator("dbconformer", sfreq=160, protocol="within-co", seed=3)
    assert isinstance(est, EEGDecClassifier)
    assert (est.lr, est.epochs, est.random_state, est.sfreq) == (1e-4, 200, 3, 160)
    est = make_estimator("shallowconvnet", sfreq=250, protocol="loso", epochs=5, lr=0.1,
                         alignment="euclidean")
    assert (est.epochs, est.lr, est.optimizer, est.alignment) == (5, 0.1, "adamw", "euclidean")
    clone(est)
    X, y = band_power_data(40)
    csp = make_estimator("csp-lda", sfreq=128, n_classes=2).fit(X, y)
    assert (csp.predict(X) == y).mean() > 0.9
    with pytest.raises(UnknownNameError, match="dbconformer"):
        make_estimator("dbconformr", sfreq=250)


class Conv2dNet(nn.Module):
    """(B, C, T) -> Conv2d over (C, T) -> log power: a model with 4-D weights."""

    def __init__(self, n_chans: int, n_outputs: int):
        super().__init__()
        self.temporal = nn.Conv2d(1, 4, (1, 15), padding=(0, 7))
        self.conv = nn.Conv2d(4, 4, (n_chans, 3))
        self.head = nn.Linear(4, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.conv(self.temporal(x.unsqueeze(1)))
        return self.head(torch.log(z.pow(2).mean((2, 3)) + 1e-6))


def test_memory_format_follows_the_registry_hint_and_keeps_the_maths():
    from eegdec.models.registry import create_model
    from eegdec.training.trainer import resolve_memory_format

    hints = {name: create_model(name, 4, 2, 256, 128.0).eegdec_memory_format
             for name in ("eegconformer", "eegnet", "shallowconvnet")}
    assert hints == {"eegconformer": "channels_last", "eegnet": "channels_last_single_thread",
                     "shallowconvnet": "contiguous"}
    eegnet = create_model("eegnet", 4, 2, 256, 128.0)
    assert resolve_memory_format(eegnet, "auto", "cpu") == "channels_last"  # one thread here
    torch.set_num_threads(2)
    assert resolve_memory_format(eegnet, "auto", "cpu") == "contiguous"
    torch.set_num_threads(1)
    assert resolve_memory_format(eegnet, "auto", "cuda") is None
    X, y = band_power_data()
    probas = {}
    for fmt in ("contiguous", "channels_last"):
        torch.manual_seed(0)
        module = EEGDecModule(Conv2dNet(4, 2), lr=1e-2)
        fit_module(module, EpochsDataModule(X, y, batch_size=16, seed=0), epochs=3, seed=0,
                   memory_format=fmt)
        weight = module.model.conv.weight
        assert weight.is_contiguous(memory_format=torch.channels_last) == (fmt == "channels_last")
        probas[fmt] = predict_proba(module.model, X)
    # same maths, another summation order: equal up to float rounding
    np.testing.assert_allclose(probas["channels_last"], probas["contiguous"], atol=1e-4)
    net = Conv2dNet(4, 2)
    net.eegdec_memory_format = "channels_last"  # what create_model sets for marked models
    fit_module(EEGDecModule(net), EpochsDataModule(X, y, batch_size=16), epochs=1)
    assert net.conv.weight.is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(BadInputError, match="memory_format"):
        fit_module(EEGDecModule(net), EpochsDataModule(X, y), epochs=1, memory_format="nhwc")


def test_fit_restores_global_determinism_flags():
    import torch.utils.deterministic as det

    assert not torch.are_deterministic_algorithms_enabled()
    _fit(seed=0, epochs=1)
    # Lightning's deterministic=True is global; the fit must not leave it (or NaN-filling) on
    assert not torch.are_deterministic_algorithms_enabled()
    assert det.fill_uninitialized_memory
