"""Transfer methods on simulated data: augmentation, AdaBN, calibration strategies, source
selection and seed ensembles run, change the result, repeat by seed, and stay causal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from eegdec.data.epochs import EpochsData
from eegdec.data.stack import EpochsStack
from eegdec.errors import BadInputError
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols.loso import run_loso
from eegdec.evaluation.protocols.online import run_online
from eegdec.training.augmentation import AUGMENTATIONS, make_augmenter, parse_augment
from eegdec.training.classifier import EEGDecClassifier
from eegdec.training.finetune import trainable_modules
from eegdec.training.tta import MIN_TRIALS, adapt_predict

C, T, SFREQ = 6, 128, 64.0


def make_epochs(subject: int, n: int = 40, gain: float = 1.0) -> EpochsData:
    """Two classes differing in a 10 Hz rhythm on channel 0 vs 1; each subject has its own
    mixing and overall gain (a covariate shift that alignment and AdaBN can undo)."""
    rng = np.random.default_rng(100 + subject)
    mix = np.eye(C) + 0.3 * rng.standard_normal((C, C))
    t = np.arange(T) / SFREQ
    labels = rng.permutation(np.arange(n) % 2)
    X = rng.standard_normal((n, C, T))
    for i, lab in enumerate(labels):
        X[i, lab] += 2.0 * np.sin(2 * np.pi * 10 * t + rng.uniform(0, 2 * np.pi))
    X = gain * np.einsum("cd,ndt->nct", mix, X)
    meta = pd.DataFrame({"subject": subject, "session": "0", "run": 0, "trial": np.arange(n),
                         "onset": 4.0 * np.arange(n)})
    return EpochsData(X.astype(np.float32), labels, ["left_hand", "right_hand"], meta,
                      [f"E{i}" for i in range(C)], SFREQ, None, "Synth")


@pytest.fixture(scope="module")
def subjects():
    return [make_epochs(s, gain=g) for s, g in zip((1, 2, 3, 4), (3.0, 1.0, 1.2, 0.8))]


def _clf(**kw) -> EEGDecClassifier:
    return EEGDecClassifier("eegnet", epochs=kw.pop("epochs", 3), batch_size=16,
                            random_state=kw.pop("random_state", 1), sfreq=SFREQ, **kw)


def _weights(clf: EEGDecClassifier) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in clf.model_.state_dict().items()}


# -- augmentation ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_each_augmentation_changes_training_and_repeats_by_seed(subjects, name, one_thread):
    X, y = subjects[1].X, subjects[1].y
    plain = _weights(_clf().fit(X, y))
    a = _weights(_clf(augment=name).fit(X, y))
    b = _weights(_clf(augment=name).fit(X, y))
    c = _weights(_clf(augment=name, random_state=2).fit(X, y))
    key = "model.final_layer.conv_classifier.weight"
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.allclose(a[key], plain[key])
    assert not torch.allclose(a[key], c[key])


def test_mixup_gives_soft_targets_and_other_transforms_one_hot():
    X, y = torch.randn(8, C, T), torch.tensor([0, 1] * 4)
    _, soft = make_augmenter(["mixup"], sfreq=SFREQ, n_classes=2, seed=0)(X, y)
    assert soft.shape == (8, 2) and torch.allclose(soft.sum(1), torch.ones(8))
    assert ((soft > 0) & (soft < 1)).any()
    X2, hard = make_augmenter(["channels-dropout"], sfreq=SFREQ, n_classes=2, seed=0)(X, y)
    assert X2.shape == X.shape and torch.equal(hard.argmax(1), y)


def test_bad_augmentation_names_are_one_line_errors():
    with pytest.raises(BadInputError, match="Did you mean: mixup"):
        parse_augment("mixupp")
    with pytest.raises(BadInputError, match="repeats"):
        parse_augment("mixup,mixup")
    with pytest.raises(BadInputError, match="Unknown augmentation"):
        _clf(augment="rotate").fit(np.zeros((4, C, T)), [0, 1, 0, 1])


def test_sample_weights_change_training_and_are_checked(subjects, one_thread):
    X, y = subjects[1].X, subjects[1].y
    plain = _weights(_clf().fit(X, y))
    w = np.r_[np.ones(20), np.full(20, 0.1)]
    weighted = _weights(_clf().fit(X, y, sample_weight=w))
    key = "model.final_layer.conv_classifier.weight"
    assert not torch.allclose(plain[key], weighted[key])
    with pytest.raises(BadInputError, match="sample_weight"):
        _clf().fit(X, y, sample_weight=np.ones(3))


# -- calibration strategies ------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["head", "last-block", "all"])
def test_fine_tune_strategies_train_only_their_layers(subjects, strategy, one_thread):
    clf = _clf().fit(subjects[1].X, subjects[1].y)
    before = _weights(clf)
    clf.set_params(fine_tune_strategy=strategy, fine_tune_lr=1e-2)
    clf.fine_tune(subjects[0].X[:16], subjects[0].y[:16], epochs=3)
    after = _weights(clf)
    changed = {k for k in before if k.endswith(("weight", "bias"))
               and not torch.equal(before[k], after[k])}
    head = {"model.final_layer.conv_classifier.weight", "model.final_layer.conv_classifier.bias"}
    assert head <= changed
    first_conv = "model.conv_temporal.weight" in changed
    assert first_conv == (strategy == "all")
    assert ("model.conv_separable_point.weight" in changed) == (strategy != "head")
    # frozen batch norm keeps the source statistics
    assert torch.equal(before["model.bnorm_temporal.running_mean"],
                       after["model.bnorm_temporal.running_mean"]) == (strategy != "all")
    assert "val_loss" in clf.history_[-1]  # 16 trials: early stopping on a held-out 25%


def test_fine_tune_below_eight_trials_runs_fixed_epochs(subjects, one_thread):
    clf = _clf().fit(subjects[1].X, subjects[1].y)
    n = len(clf.history_)
    clf.set_params(fine_tune_strategy="head").fine_tune(subjects[0].X[:6], subjects[0].y[:6],
                                                        epochs=4)
    assert len(clf.history_) == n + 4 and "val_loss" not in clf.history_[-1]
    with pytest.raises(BadInputError, match="fine-tuning strategy"):
        clf.set_params(fine_tune_strategy="middle").fine_tune(subjects[0].X[:6],
                                                              subjects[0].y[:6])


def test_dbconformer_blocks_are_found():
    from eegdec.models.registry import create_model

    net = create_model("dbconformer", n_chans=C, n_outputs=2, n_times=T, sfreq=SFREQ, seed=0)
    head, *block = trainable_modules(net, "last-block")
    assert head is net.head and block[0] is net.t_encoder.blocks[-1]


# -- test-time adaptation --------------------------------------------------------------------
def test_adabn_causal_never_sees_future_trials(subjects, one_thread):
    clf = _clf().fit(np.concatenate([s.X for s in subjects[1:]]),
                     np.concatenate([s.y for s in subjects[1:]]))
    X = subjects[0].X
    plain = clf.predict_proba(X)
    p = adapt_predict(clf, "adabn", X).predict_proba(X)
    changed_future = X.copy()
    changed_future[-1] *= 50
    q = adapt_predict(clf, "adabn", changed_future).predict_proba(changed_future)
    np.testing.assert_allclose(p[:-1], q[:-1])  # trial i never depends on trials after it
    np.testing.assert_allclose(p[:MIN_TRIALS - 1], plain[:MIN_TRIALS - 1], atol=1e-6)
    assert not np.allclose(p[MIN_TRIALS:], plain[MIN_TRIALS:])  # adapted from 4 trials on
    np.testing.assert_array_equal(p, adapt_predict(clf, "adabn", X).predict_proba(X))
    np.testing.assert_array_equal(plain, clf.predict_proba(X))  # the estimator is untouched
    t = adapt_predict(clf, "adabn-transductive", X).predict_proba(X)
    t2 = adapt_predict(clf, "adabn-transductive", changed_future).predict_proba(changed_future)
    assert not np.allclose(t[:-1], t2[:-1])  # transductive: the future changes the past


def test_adabn_in_loso_undoes_a_gain_shift(subjects, one_thread):
    """Without alignment the target's 3x gain breaks the source statistics; AdaBN restores
    them (causally) and changes the decoded result."""
    source = EpochsStack(subjects[1:])
    build = lambda seed: _clf(epochs=8, random_state=seed)  # noqa: E731
    plain = run_loso(build, 1, source, subjects[0], "none")[0]
    ada = run_loso(build, 1, source, subjects[0], "none", tta="adabn")[0]
    assert not np.allclose(plain.proba, ada.proba)
    assert np.mean(ada.y_pred == ada.y_true) > np.mean(plain.y_pred == plain.y_true)


def test_adabn_needs_batch_norm_and_a_known_mode(subjects):
    with pytest.raises(BadInputError, match="--tta"):
        adapt_predict(_clf(), "adabn-future", subjects[0].X)

    class NoNorm:
        classes_ = np.arange(2)
        model = "linear"
        module_ = torch.nn.Module()
        module_.model = torch.nn.Linear(2, 2)

    with pytest.raises(BadInputError, match="batch normalisation"):
        adapt_predict(NoNorm(), "adabn", subjects[0].X)


# -- online protocol: strategies, TTA and source selection ----------------------------------
def test_online_source_selection_sees_only_the_calibration_block(subjects, monkeypatch,
                                                                  one_thread):
    import eegdec.evaluation.source_selection as sel

    seen = []
    real = sel.choose_sources

    def spy(source, X_target, **kw):
        seen.append(X_target.copy())
        return real(source, X_target, **kw)

    monkeypatch.setattr(sel, "choose_sources", spy)
    source, target = EpochsStack(subjects[1:]), subjects[0]
    build = lambda seed: _clf(random_state=seed)  # noqa: E731
    res = run_online(build, 1, source, target, "euclidean", [0, 8], kind="torch",
                     fine_tune_epochs=2, source_select=2, source_weight=True, tta="adabn")
    (X_target,) = seen
    np.testing.assert_array_equal(X_target, target.X[:8])  # the N_max block, no labels
    assert all(r.n_train - r.n_calib == 80 for r in res)  # 2 of the 3 sources kept
    assert res[0].info["sources"].count("(") == 2
    again = run_online(build, 1, source, target, "euclidean", [0, 8], kind="torch",
                       fine_tune_epochs=2, source_select=2, source_weight=True, tta="adabn")
    np.testing.assert_array_equal(res[1].proba, again[1].proba)


def test_source_selection_picks_the_nearest_subjects(subjects):
    from eegdec.evaluation.source_selection import choose_sources

    twin = make_epochs(1, gain=0.5)  # the target's own mixing, another gain and noise draw
    twin.metadata["subject"] = 9
    source = EpochsStack([*subjects[1:], twin])
    choice = choose_sources(source, subjects[0].X[:16], k=1, weighted=True)
    assert choice.kept == ["9"] and len(choice.distances) == 4
    assert choice.weight.shape == (40,) and np.isclose(choice.weight.mean(), 1)
    with pytest.raises(BadInputError, match="--source-select 4"):
        choose_sources(source, subjects[0].X[:16], k=4)
    with pytest.raises(BadInputError, match="--calib-sizes"):
        choose_sources(source, subjects[0].X[:2], k=1)


# -- run options -----------------------------------------------------------------------------
@pytest.mark.parametrize("options, match", [
    ({"tta": "adabn", "protocol": "within-cv"}, "--tta"),
    ({"tta": "bn"}, "Unknown --tta"),
    ({"finetune": "head", "protocol": "loso"}, "--finetune needs"),
    ({"finetune": "top", "protocol": "online"}, "fine-tuning strategy"),
    ({"source_select": 0, "protocol": "online"}, "--source-select must"),
    ({"source_weight": True, "protocol": "loso"}, "--source-weight needs"),
    ({"augment": "frequency_shift,blur"}, "Unknown augmentation 'blur'"),
])
def test_bad_transfer_options_are_one_line_errors(options, match):
    with pytest.raises(BadInputError, match=match) as err:
        RunConfig(**options).resolved()
    assert "\n" not in str(err.value)


def test_transfer_options_keep_old_hashes_and_normalise():
    plain = RunConfig().resolved()
    cfg = RunConfig(augment="Mixup, frequency_shift", protocol="online", tta="adabn").resolved()
    assert cfg.augment == "mixup,frequency-shift"
    assert set(plain.hashed()) < set(cfg.hashed())
    assert not {"augment", "tta", "finetune", "source_select", "source_weight"} & set(
        plain.hashed())


def test_run_records_methods_and_seed_ensemble(tmp_path, one_thread):
    from eegdec.evaluation.ensemble import write_ensemble
    from eegdec.evaluation.results import RunStore, summary_markdown
    from eegdec.evaluation.runner import run_protocol

    cfg = RunConfig(dataset="SimMI-2class", subjects=[1], models=["eegnet", "csp-lda"],
                    protocol="within-co", epochs=2, seeds=[1, 2], augment="mixup",
                    device="cpu", quiet=True)
    store = run_protocol(cfg, tmp_path / "run")
    rows = store.read_rows()
    assert set(rows.loc[rows["model"] == "eegnet", "methods"]) == {"augment mixup"}
    assert (rows.loc[rows["model"] == "csp-lda", "methods"].fillna("") == "").all()
    assert "Transfer methods (eegnet): augment mixup" in summary_markdown(
        store.write_summary())
    text = write_ensemble(RunStore(store.root))
    folds = pd.read_csv(store.root / "ensemble.csv")
    eeg = rows[rows["model"] == "eegnet"]
    assert set(folds["model"]) == {"eegnet"} and (folds["n_seeds"] == 2).all()
    assert len(folds) == len(eeg) // 2  # one ensemble per fold, over its two seeds
    assert np.isclose(folds["single_accuracy"].mean(), eeg["accuracy"].mean())
    assert "ensemble accuracy" in text and "| eegnet |" in text


@pytest.mark.slow  # about 90 s on one CPU thread
def test_cli_online_with_every_transfer_option(tmp_path, capsys, one_thread):
    from eegdec.cli import main

    out = tmp_path / "online"
    assert main(["run", "--dataset", "SimMI-2class", "--quiet", "--subjects", "1", "2", "3",
                 "--protocol", "online", "--model", "eegnet", "--calib-sizes", "0", "8",
                 "--epochs", "1", "--fine-tune-epochs", "2", "--seeds", "1", "2",
                 "--augment", "frequency-shift", "--tta", "adabn-transductive",
                 "--finetune", "last-block",
                 "--source-select", "1", "--source-weight", "--ensemble",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = pd.read_csv(out / "results.csv")
    assert len(rows) == 3 * 2 * 2 and (rows["n_train"] - rows["n_calib"] == 160).all()
    methods = rows["methods"].iloc[0]
    for part in ("augment frequency-shift", "AdaBN transductive", "fine-tune last-block",
                 "source weights", "1 nearest sources"):
        assert part in methods
    assert "Seed ensemble" in printed and (out / "ensemble.md").exists()
    assert "sources (distance)" in (out / "logs" / "run.log").read_text()
    assert main(["run", "--dataset", "SimMI-2class", "--quiet", "--subjects", "1", "2",
                 "--protocol", "loso", "--model", "csp-lda", "--finetune", "head",
                 "--out", str(tmp_path / "bad")]) == 2
    assert "--finetune needs" in capsys.readouterr().err


def test_benchmark_grid_keeps_online_only_methods_off_loso():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import transfer_physionet as bench

    grid = bench.cells(["loso", "online"], ["none", "adabn", "finetune-head"],
                       ["adabn", "finetune-head"])
    names = [(p, n) for p, n, _ in grid]
    assert ("loso", "finetune-head") not in names and ("online", "finetune-head") in names
    assert ("loso", "adabn") in names and names[-1] == ("online", "adabn+finetune-head")
    assert grid[-1][2] == {"tta": "adabn", "finetune": "head"}
    for protocol, _, opts in grid:  # every cell is a valid run configuration
        RunConfig(protocol=protocol, **opts).resolved()
