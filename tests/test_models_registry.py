"""Registry, packaged parameter counts and the ``eegdec models`` command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eegdec.cli import main
from eegdec.errors import UnknownNameError
from eegdec.models import create_model, get_model_info, list_models
from eegdec.models.param_counts import compute_param_counts, load_param_counts

EXPECTED = {"dbconformer", "eegnet", "eegnet-paper", "shallowconvnet", "deepconvnet",
            "eegconformer", "ifnet", "fbcnet", "ctnet", "atcnet", "msvtnet", "eegtcnet",
            "eeginceptionmi", "eegnex", "csp-lda", "ts-lr", "mdm", "fbcsp-svm"}


def test_registry_lists_the_zoo() -> None:
    names = {m.name for m in list_models()}
    assert EXPECTED <= names
    assert {m.name for m in list_models("sklearn")} == {"csp-lda", "ts-lr", "mdm", "fbcsp-svm"}
    assert get_model_info("DBConformer").name == "dbconformer"
    assert get_model_info("EEGNet_Paper").name == "eegnet-paper"


def test_unknown_model_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean: dbconformer"):
        create_model("dbconformr", 22, 4, 1001, 250.0)


def test_packaged_param_counts_match_fresh_builds() -> None:
    stored, fresh = load_param_counts(), compute_param_counts()
    assert stored == fresh, (
        "eegdec/models/param_counts.json is stale: run "
        "`python benchmarks/bench_models.py --update-param-counts`"
    )
    assert stored["dbconformer"] == 93_813 and stored["eegconformer"] == 789_572


def test_models_command_lists_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "93,813" in lines["dbconformer"] and "arXiv:2506.21140" in lines["dbconformer"]
    assert lines["csp-lda"].split()[3] == "-"
    assert main(["models", "--kind", "sklearn"]) == 0
    assert "dbconformer" not in capsys.readouterr().out


def test_models_command_does_not_import_torch() -> None:
    code = ("import sys; from eegdec.cli import main; main(['models']); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)
