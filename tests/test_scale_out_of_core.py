"""Out-of-core epochs (issue #20): the memory-mapped epoch cache, LOSO on mapped subjects
(same numbers as the in-memory path), tasks that carry file names, and no concatenation of
the source subjects during a fold."""

from __future__ import annotations

import dataclasses
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

from eegdec.data.epochs import EpochsData
from eegdec.data.registry import get_dataset_spec
from eegdec.data.stack import EpochsStack, TrialStack
from eegdec.preprocessing.load import iter_subject_epochs, load_epochs


def _spec(trials_per_class: int = 10, sessions: tuple[str, ...] = ("0", "1"), **kw):
    s = get_dataset_spec("SimMI-2class")
    return dataclasses.replace(s, sessions=sessions, **kw,
                               options={**s.options, "trials_per_class": trials_per_class})


@pytest.fixture(scope="module")
def spec():
    return _spec()


@pytest.fixture(scope="module")
def cached(spec, tmp_path_factory):
    """Subjects 1-4 of a small simulated set, mapped from a module-wide cache."""
    root = tmp_path_factory.mktemp("cache")
    return root, list(iter_subject_epochs(spec, [1, 2, 3, 4], cache_dir=root))


def _files(root):
    return sorted(root.rglob("*.npz"))


# -- the mapped cache --------------------------------------------------------------------------
def test_mapped_cache_round_trips_bit_exactly(spec, tmp_path):
    fresh = load_epochs(spec, [1], cache=False)
    cold = next(iter_subject_epochs(spec, [1], cache_dir=tmp_path))  # built, saved, mapped
    warm = next(iter_subject_epochs(spec, [1], cache_dir=tmp_path))
    (path,) = _files(tmp_path)
    for ep in (cold, warm):
        assert ep.mapped_file == str(path.resolve())
        assert isinstance(ep.X.base, np.memmap) and not ep.X.flags.writeable
        assert ep.X.ctypes.data % 64 == 0
        assert ep.X.dtype == fresh.X.dtype and ep.X.shape == fresh.X.shape
        assert ep.X.tobytes() == fresh.X.tobytes()
        np.testing.assert_array_equal(ep.y, fresh.y)
        assert ep.metadata.equals(fresh.metadata) and ep.ch_names == fresh.ch_names
    with zipfile.ZipFile(path) as zf:  # still an ordinary .npz, stored uncompressed
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    np.testing.assert_array_equal(np.load(path)["X"], fresh.X)
    copy = pickle.loads(pickle.dumps(warm))
    assert copy.mapped_file == warm.mapped_file and copy.X.tobytes() == fresh.X.tobytes()
    assert len(pickle.dumps(warm)) < 300  # the file name, not the arrays


def test_mapped_cache_is_not_stale(spec, tmp_path):
    first = next(iter_subject_epochs(spec, [1], cache_dir=tmp_path))
    other = next(iter_subject_epochs(spec, [1], cache_dir=tmp_path,
                                     pipeline=[{"bandpass": {"l_freq": 4}}]))
    assert len(_files(tmp_path)) == 2 and not np.array_equal(first.X, other.X)
    assert first.mapped_file != other.mapped_file


@pytest.mark.parametrize("damage", ["truncated", "flipped byte in X", "earlier layout"])
def test_damaged_or_old_mapped_entry_is_rebuilt(spec, tmp_path, damage, caplog):
    good = load_epochs(spec, [1], cache=False)
    next(iter_subject_epochs(spec, [1], cache_dir=tmp_path))
    (path,) = _files(tmp_path)
    if damage == "truncated":
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    elif damage == "flipped byte in X":  # the zip structure is intact: only the CRC sees it
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        path.write_bytes(bytes(raw))
    else:  # an .npz of an earlier eegdec: X not aligned, read whole then rewritten mappable
        np.savez(path, X=good.X, y=good.y, header=np.load(path)["header"])
        assert EpochsData.load(path, mmap=True).mapped_file is None
    again = next(iter_subject_epochs(spec, [1], cache_dir=tmp_path))
    assert again.X.tobytes() == good.X.tobytes()
    assert again.mapped_file == str(path.resolve())
    if damage != "earlier layout":
        assert "Rebuilding" in caplog.text
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


def test_trial_stack_takes_like_an_array(cached):
    _, parts = cached
    stack = EpochsStack(parts)
    full = np.concatenate([p.X for p in parts])
    idx = np.random.default_rng(0).permutation(len(full))[:37]
    trials = stack.trials()
    assert trials.shape == full.shape and len(trials) == len(full)
    np.testing.assert_array_equal(trials.take(idx), full[idx])
    np.testing.assert_array_equal(trials.materialize(), full)
    np.testing.assert_array_equal(stack.X, full)
    np.testing.assert_array_equal(stack.domains(), EpochsData.concat(parts).domains())


@pytest.mark.parametrize("alignment", ["euclidean", "none"])
def test_lazily_aligned_trials_equal_the_aligned_concatenation(cached, alignment):
    from eegdec.preprocessing.alignment import align_domains, aligned_trials

    _, parts = cached
    full = EpochsData.concat(parts)
    expected = align_domains(full.X, full.domains(), alignment)
    stack = aligned_trials([p.X for p in parts], [p.domains() for p in parts], alignment)
    assert stack.materialize().tobytes() == np.ascontiguousarray(expected).tobytes()
    idx = np.random.default_rng(1).permutation(full.n_trials)[:50]
    assert stack.take(idx).tobytes() == np.ascontiguousarray(expected[idx]).tobytes()
    # a domain spread over two parts is referenced over all its trials, as before
    halves = [full.X[:15], full.X[15:]]
    doms = np.split(full.domains(), [15])
    split = aligned_trials(halves, doms, alignment)
    assert split.materialize().tobytes() == np.ascontiguousarray(expected).tobytes()


# -- LOSO on mapped subjects == LOSO in memory ---------------------------------------------------
def _builder(model, cfg, ref):
    from eegdec.evaluation.decoders import builder
    from eegdec.evaluation.protocols import ModelSpec
    from eegdec.models.registry import get_model_info

    return builder(ModelSpec(model, get_model_info(model).kind), cfg, ref.sfreq,
                   len(ref.classes), ref.classes)


def _loso_in_memory(build, seed, source: EpochsData, target: EpochsData, alignment):
    """The LOSO fold as eegdec ran it before out-of-core data (commit 2ac6c47)."""
    from eegdec.evaluation.protocols.base import predict
    from eegdec.evaluation.splits import sessions_in_order
    from eegdec.preprocessing.alignment import align_domains, align_new_domain

    est = build(seed)
    est.fit(align_domains(source.X, source.domains(), alignment), source.y)
    out = []
    for _, idx in sessions_in_order(target.metadata):
        out.append(predict(est, align_new_domain(target.X[idx], alignment)))
    return out


@pytest.mark.parametrize("model,alignment", [("csp-lda", "euclidean"), ("ts-lr", "none"),
                                             ("eegnet", "euclidean")])
def test_loso_on_mapped_data_equals_in_memory(cached, model, alignment):
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.protocols.loso import run_loso

    _, parts = cached
    cfg = RunConfig(dataset="SimMI-2class", protocol="loso", models=[model], epochs=2,
                    device="cpu", alignment=alignment).resolved()
    target, source = parts[0], parts[1:]
    assert all(p.mapped_file for p in parts)
    in_memory = [EpochsData.load(p.mapped_file) for p in parts]  # read whole, not mapped
    assert in_memory[0].mapped_file is None
    build = _builder(model, cfg, target)
    expected = _loso_in_memory(build, 1, EpochsData.concat(in_memory[1:]), in_memory[0],
                               alignment)
    results = run_loso(build, 1, EpochsStack(source), target, alignment)
    assert len(results) == len(expected) == 2
    for res, (y_pred, proba) in zip(results, expected):
        np.testing.assert_array_equal(res.y_pred, y_pred)
        assert res.proba.tobytes() == proba.tobytes()  # bit for bit
        assert res.n_train == sum(p.n_trials for p in source)


def test_classifier_fits_a_trial_stack_like_the_concatenation(cached):
    from eegdec.training.classifier import EEGDecClassifier

    _, parts = cached
    full = EpochsData.concat(parts)
    kw = dict(epochs=2, random_state=3, alignment="euclidean", val_fraction=0.25)
    a = EEGDecClassifier("eegnet", **kw).fit(full.X, full.y, domains=full.domains())
    b = EEGDecClassifier("eegnet", **kw).fit(EpochsStack(parts).trials(), full.y,
                                             domains=full.domains())
    test = parts[0].X[:8]
    assert a.predict_proba(test).tobytes() == b.predict_proba(test).tobytes()
    assert a.history_ == b.history_


# -- no concatenation of the source subjects during a fold ---------------------------------------
@pytest.mark.parametrize("model", ["csp-lda", "eegnet"])
def test_loso_fold_never_concatenates_the_source(tmp_path, monkeypatch, model):
    """Peak traced (numpy) allocation of a LOSO fold stays under half the source's bytes.

    The in-memory path allocates the concatenated source (1x), its aligned copy (1x) and a
    float64 copy for the covariances (2x); a fold over mapped subjects holds one block of
    trials (here made small) or one batch at a time, and the covariance matrices.
    """
    from eegdec.data import stack
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.protocols import ModelSpec, get_protocol
    from eegdec.evaluation.protocols.loso import run_loso
    from eegdec.models.registry import get_model_info

    spec = _spec(trials_per_class=12, sessions=("0",), subjects=tuple(range(1, 9)))
    parts = list(iter_subject_epochs(spec, [1, 2, 3, 4, 5, 6, 7, 8], cache_dir=tmp_path))
    parts[0] = parts[0].subset(np.arange(6))  # a small target: the bound is about the source
    cfg = RunConfig(dataset="SimMI-2class", protocol="loso", models=[model], epochs=1,
                    batch_size=8, device="cpu").resolved()
    source_bytes = EpochsStack(parts[1:]).trials().nbytes
    monkeypatch.setattr(stack, "BLOCK_BYTES", source_bytes // 40)
    build = _builder(model, cfg, parts[0])
    run_loso(build, 1, EpochsStack(parts[1:3]), parts[0], cfg.alignment)  # imports, outside
    protocol = get_protocol("loso")
    specs = [ModelSpec(model, get_model_info(model).kind)]
    tracemalloc.start()
    try:  # plan (which builds the source) and run the fold of the first target
        unit = next(iter(protocol.plan(iter(parts), specs, cfg, set())))
        results = protocol.run(unit, build, cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert results[0].n_train == 7 * 24
    assert peak < 0.5 * source_bytes, (peak, source_bytes)
    # the same bound catches a concatenation (sanity check of the test itself)
    tracemalloc.start()
    try:
        unit.source.X  # noqa: B018
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak >= source_bytes


def test_trial_stack_reads_only_requested_rows(cached):
    _, parts = cached
    trials = TrialStack([p.X for p in parts])
    tracemalloc.start()
    try:
        trials.take([0, 5, len(trials) - 1])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * parts[0].X[0].nbytes


# -- distributed runs: a task carries file names, workers map the files ------------------------
def _first_unit(parts, model="csp-lda"):
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.protocols import ModelSpec, get_protocol
    from eegdec.models.registry import get_model_info

    cfg = RunConfig(dataset="SimMI-2class", protocol="loso", models=[model],
                    device="cpu").resolved()
    protocol = get_protocol("loso")
    specs = [ModelSpec(model, get_model_info(model).kind)]
    return protocol, next(iter(protocol.plan(iter(parts), specs, cfg, set()))), cfg


def test_dask_task_size_does_not_grow_with_the_data(tmp_path):
    pytest.importorskip("distributed")
    import cloudpickle
    from distributed import Client, LocalCluster

    from eegdec.evaluation.runner import _execute

    sizes, tasks = {}, {}
    for per_class in (4, 40):  # 10x the epochs
        parts = list(iter_subject_epochs(_spec(trials_per_class=per_class, sessions=("0",)),
                                         [1, 2, 3, 4], cache_dir=tmp_path / f"c{per_class}"))
        protocol, unit, cfg = _first_unit(parts)
        task = (protocol, unit, cfg, "0123456789", str(tmp_path / f"run{per_class}"))
        sizes[per_class] = len(cloudpickle.dumps(task))
        tasks[per_class] = task
        epochs_bytes = sum(p.X.nbytes for p in parts)
    assert max(sizes.values()) < 3000, sizes
    assert abs(sizes[40] - sizes[4]) < 64, sizes  # independent of the epochs (last: 7 MB)
    assert epochs_bytes > 1000 * sizes[40]
    protocol, unit, cfg, digest, root = tasks[40]
    expected = _execute(protocol, unit, cfg, digest, str(tmp_path / "local"))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        rows = client.submit(_execute, protocol, unit, cfg, digest, root, pure=False).result()
    keys = ("fold_id", "accuracy", "balanced_accuracy", "n_train", "n_test")
    assert [{k: r[k] for k in keys} for r in rows] == [{k: r[k] for k in keys}
                                                       for r in expected]


def test_nothing_of_a_fold_outlives_it(tmp_path, monkeypatch):
    """A whole LOSO run's memory must not grow fold by fold: once a unit's rows are saved, no
    Lightning module of its estimator is left alive, not even as cyclic garbage waiting for
    Python's next full collection (a 20-subject EEGNet run grew 3.4x the epochs per subject
    that way)."""
    import gc

    import lightning as L

    from eegdec.evaluation import runner
    from eegdec.evaluation.config import RunConfig

    alive: list[int] = []
    execute = runner._execute

    def spy(*args, **kwargs):
        rows = execute(*args, **kwargs)
        alive.append(sum(isinstance(o, L.LightningModule) for o in gc.get_objects()))
        return rows

    monkeypatch.setattr(runner, "_execute", spy)
    gc.disable()  # only the run's own collection may free the folds' cycles
    try:
        store = runner.run_protocol(RunConfig(dataset="SimMI-2class", subjects=[1, 2],
                                              models=["eegnet"], protocol="loso", epochs=1,
                                              device="cpu", quiet=True), tmp_path / "run")
    finally:
        gc.enable()
    assert len(store.read_rows()) == 4 and alive == [0, 0]
