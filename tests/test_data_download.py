"""Offline behaviour: `eegdec download` arguments, fast failures with the fix (no retries)."""

from __future__ import annotations

import time

import pytest

from eegdec.cli import main
from eegdec.commands.download import parse_subjects
from eegdec.data.download import download
from eegdec.errors import BadInputError, DataNotFoundError
from eegdec.preprocessing.load import load_epochs


def test_parse_subjects_ranges():
    assert parse_subjects(["1", "3-5", "9"]) == [1, 3, 4, 5, 9]
    assert parse_subjects(None) is None
    with pytest.raises(BadInputError, match="1-x"):
        parse_subjects(["1-x"])


def test_offline_download_fails_fast_with_fix(tmp_path, monkeypatch):
    monkeypatch.setattr("eegdec.data.download.is_online", lambda url: False)
    t0 = time.perf_counter()
    with pytest.raises(DataNotFoundError, match="needs internet.*MNE-eegbci-data"):
        download("PhysionetMI", [3], data_dir=tmp_path)
    assert time.perf_counter() - t0 < 5


def test_local_only_datasets_say_where_to_get_them(tmp_path, capsys):
    with pytest.raises(BadInputError, match="not downloaded by eegdec.*bonn"):
        download("Bonn", data_dir=tmp_path)
    assert main(["download", "--dataset", "SimMI-2class"]) == 0
    assert "nothing to download" in capsys.readouterr().out
    assert main(["download", "--dataset", "NoSuch"]) == 2
    assert "Unknown dataset" in capsys.readouterr().err


def test_generic_moabb_dataset_missing_offline_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setattr("eegdec.data.moabb_loader.is_online", lambda url: False)
    t0 = time.perf_counter()
    with pytest.raises(DataNotFoundError, match=r"BNCI2014001 subject 1.*A01T\.mat.*download"):
        load_epochs("BNCI2014001", [1], data_dir=tmp_path, cache=False)
    assert time.perf_counter() - t0 < 5
