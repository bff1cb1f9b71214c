"""Protocols are objects in one registry: a protocol defined outside eegdec (here, in this
file) runs through exactly the machinery of `eegdec run`."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from eegdec.cli import main
from eegdec.data.epochs import EpochsData
from eegdec.errors import UnknownNameError
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols import (
    SubjectSplitProtocol,
    check_protocol,
    protocol_names,
    register_protocol,
    registry,
)
from eegdec.evaluation.splits import Split, recording_order


class FirstHalf(SubjectSplitProtocol):
    """Toy protocol: the first half of a subject's trials (all sessions) trains, the rest
    tests."""

    name = "first-half"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        order = recording_order(data.metadata)
        half = len(order) // 2
        return [Split(str(data.metadata["subject"].iloc[0]), "all", 0, order[:half],
                      order[half:])]


@pytest.fixture
def toy_protocol(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return register_protocol(FirstHalf())


def test_builtin_protocols_are_registered():
    assert protocol_names() == ("within-co", "within-cv", "cross-session",
                                "leave-one-session-out", "loso", "online", "pseudo-online",
                                "pseudo-online-loso")
    assert check_protocol("Within_CV") == "within-cv"
    with pytest.raises(UnknownNameError, match="Did you mean: loso"):
        check_protocol("loo")


def test_a_protocol_added_in_one_file_runs_through_eegdec_run(toy_protocol, tmp_path, capsys):
    assert "first-half" in protocol_names()
    out = tmp_path / "run"
    assert main(["run", "--dataset", "SimMI-2class", "--subjects", "1", "--protocol",
                 "first-half", "--model", "csp-lda", "--out", str(out), "--quiet"]) == 0
    rows = pd.read_csv(out / "results.csv")
    assert rows["fold_id"].tolist() == ["csp-lda__1__all__0__1"]
    assert rows["protocol"].tolist() == ["first-half"]
    assert rows[["n_train", "n_test"]].values.tolist() == [[80, 80]]  # 2 sessions x 80 trials
    assert rows["accuracy"].iloc[0] > 0.7
    assert "first-half" in capsys.readouterr().out


def test_the_cli_offers_registered_protocols(toy_protocol, capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = re.sub(r"-\n\s+", "-", capsys.readouterr().out)  # argparse wraps at hyphens
    assert "first-half" in help_text


def test_recipes_name_only_registered_protocols():
    import yaml

    from eegdec.training.recipes import RECIPES_FILE

    raw = yaml.safe_load(RECIPES_FILE.read_text())
    named = set(raw["default"].get("protocols", {}))
    for model in (raw.get("models") or {}).values():
        named |= set((model or {}).get("protocols") or {})
    assert named and named <= set(protocol_names())
