"""Classical pipelines: accuracy on synthetic data with signal, errors, MOABB-readable YAML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from eegdec.errors import BadInputError, EEGDecError
from eegdec.models import create_model, get_model_info, list_models
from eegdec.models.classical import FilterBankCSP

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
SFREQ = 250.0


def synthetic_mi(n: int = 80, c: int = 8, t: int = 500, seed: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Two classes that differ by which mixed source carries a 12 Hz rhythm (an ERD-like cue)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    time = np.arange(t) / SFREQ
    sources = rng.standard_normal((n, c, t))
    phase = rng.uniform(0, 2 * np.pi, n)
    rhythm = 3 * np.sin(2 * np.pi * 12 * time[None] + phase[:, None])
    sources[np.arange(n), y] += rhythm  # source 0 for class 0, source 1 for class 1
    mixing = np.random.default_rng(42).standard_normal((c, c)) + 3 * np.eye(c)  # one "head"
    return np.einsum("ij,njt->nit", mixing, sources).astype(np.float32), y


@pytest.mark.parametrize("name", [m.name for m in list_models("sklearn")])
def test_classical_pipeline_learns_signal(name: str) -> None:
    X, y = synthetic_mi(seed=1)
    Xt, yt = synthetic_mi(seed=2)
    clf = create_model(name, n_chans=8, n_outputs=2, n_times=500, sfreq=SFREQ)
    assert get_model_info(name).kind == "sklearn"
    acc = (clf.fit(X, y).predict(Xt) == yt).mean()
    assert acc >= 0.85, f"{name}: held-out accuracy {acc:.2f}"


def test_filter_bank_csp_shapes_and_prefiltered_input() -> None:
    X, y = synthetic_mi(n=40)
    fb = FilterBankCSP(sfreq=SFREQ, bands=[(8, 12), (12, 16), (20, 24)], nfilter=4).fit(X, y)
    assert fb.transform(X).shape == (40, 12)
    stacked = np.stack([X, X], axis=-1)  # MOABB's filter-bank paradigms: (n, C, T, n_bands)
    assert FilterBankCSP(nfilter=2).fit(stacked, y).transform(stacked).shape == (40, 4)


def test_filter_bank_errors() -> None:
    X, y = synthetic_mi(n=20)
    with pytest.raises(BadInputError, match="needs sfreq"):
        FilterBankCSP().fit(X, y)
    with pytest.raises(BadInputError, match="Nyquist"):
        FilterBankCSP(sfreq=50.0, bands=[(20, 30)]).fit(X, y)
    with pytest.raises(BadInputError, match="got shape"):
        FilterBankCSP(sfreq=SFREQ).fit(X[:, 0], y)
    with pytest.raises(EEGDecError, match="no filter band below Nyquist"):
        create_model("fbcsp-svm", 8, 2, 500, sfreq=6.0)
    # bands the sampling rate cannot carry are dropped at build time
    fb = create_model("fbcsp-svm", 8, 2, 500, sfreq=100.0).steps[0][1]
    assert max(hi for _, hi in fb.bands) < 50


def _pipeline_files(deep: bool) -> list[Path]:
    files = sorted(PIPELINES.glob("*.yml"))
    return [f for f in files if ("EEGDecClassifier" in f.read_text()) == deep]


@pytest.mark.parametrize("path", _pipeline_files(deep=False), ids=lambda p: p.stem)
def test_classical_yaml_loads_with_moabb(path: Path) -> None:
    from moabb.pipelines.utils import parse_pipelines_from_directory

    (config,) = parse_pipelines_from_directory(str(path))
    assert config["name"] and config["paradigms"]
    if _is_ssvep(path):  # SSVEP pipelines: 4 frequency-tagged classes, see test_ssvep.py
        from test_ssvep import FREQS, synthetic_ssvep
        from test_ssvep import SFREQ as SSVEP_SFREQ

        from eegdec.models.ssvep import fill_stimulus

        X, y = synthetic_ssvep(seed=3)
        pipe = fill_stimulus(config["pipeline"], SSVEP_SFREQ, FREQS)
        if "FilterBankSSVEP" in config["paradigms"]:  # MOABB's (n, C, T, n_bands)
            from mne.filter import filter_data

            X = np.stack([filter_data(X, SSVEP_SFREQ, f - 0.5, f + 0.5, method="iir",
                                      verbose=False) for f in FREQS], axis=-1)
        assert (pipe.fit(X, y).predict(X) == y).mean() >= 0.85
        return
    X, y = synthetic_mi(seed=3)
    if "FilterBankLeftRightImagery" in config["paradigms"]:
        from mne.filter import filter_data

        X = np.stack([filter_data(X.astype(float), SFREQ, lo, lo + 4, method="iir",
                                  verbose=False) for lo in range(8, 36, 4)], axis=-1)
    assert (config["pipeline"].fit(X, y).predict(X) == y).mean() >= 0.85


def _is_ssvep(path: Path) -> bool:
    """SSVEP pipelines (pipelines/ssvep-*.yml) are YAML-only: they need the stimulation
    frequencies, which registry builders do not get."""
    return path.stem.startswith("ssvep-")


def test_every_classical_model_has_a_yaml() -> None:
    names = {f.stem for f in _pipeline_files(deep=False) if not _is_ssvep(f)}
    assert names == {m.name for m in list_models("sklearn")}


@pytest.mark.parametrize("path", _pipeline_files(deep=True), ids=lambda p: p.stem)
def test_deep_yaml_names_a_registered_model(path: Path) -> None:
    config = yaml.safe_load(path.read_text())
    assert set(config) >= {"name", "paradigms", "pipeline"}
    (step,) = config["pipeline"]
    assert (step["name"], step["from"]) == ("EEGDecClassifier", "eegdec")
    assert get_model_info(step["parameters"]["model"]).kind == "torch"
    from moabb.pipelines.utils import parse_pipelines_from_directory

    (parsed,) = parse_pipelines_from_directory(str(path))
    assert parsed["pipeline"].steps[0][1].model == step["parameters"]["model"]
