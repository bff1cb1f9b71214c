"""Dataset registry and the `eegdec datasets` command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eegdec.data.registry import get_dataset_spec, list_datasets
from eegdec.errors import UnknownNameError

REQUIRED = ["BNCI2014001", "BNCI2014004", "BNCI2014002", "Zhou2016", "PhysionetMI",
            "Lee2019_MI", "Cho2017", "Schirrmeister2017", "Weibo2014", "Shin2017A", "Bonn",
            "CHB-MIT", "HelsinkiNeonatal", "SimMI-2class", "SimMI-4class"]


def test_every_required_dataset_is_registered_with_its_facts():
    names = list_datasets()
    assert set(REQUIRED) <= set(names)
    for name in names:
        spec = get_dataset_spec(name)
        assert spec.classes and spec.sfreq > 0 and spec.n_channels > 0 and spec.subjects
        assert spec.window[1] > spec.window[0]
        if spec.loader == "moabb":
            assert spec.moabb and spec.citation and spec.download_size and spec.layout["root"]
    bnci = get_dataset_spec("BNCI2014001")
    assert bnci.classes == {"left_hand": 1, "right_hand": 2, "feet": 3, "tongue": 4}
    assert bnci.sfreq == 250 and len(bnci.channels) == 22 and len(bnci.subjects) == 9
    assert get_dataset_spec("Bonn").loader == "bonn"
    assert get_dataset_spec("CHB-MIT").loader == "chbmit"
    assert get_dataset_spec("HelsinkiNeonatal").loader == "helsinki"


def test_every_loader_kind_has_a_loader():
    from eegdec.data.loaders import LOADERS

    assert {get_dataset_spec(n).loader for n in list_datasets()} <= set(LOADERS)


@pytest.mark.parametrize("alias", ["BNCI2014_001", "bnci2014001", "BNCI2014-001", "bci-iv-2a"])
def test_name_normalisation(alias):
    assert get_dataset_spec(alias).name == "BNCI2014001"


def test_unknown_dataset_suggests_close_names():
    with pytest.raises(UnknownNameError, match="Did you mean: BNCI2014001") as err:
        get_dataset_spec("BNCI2041001")
    assert "\n" not in str(err.value)


def test_presence_from_layout(tmp_path):
    spec = get_dataset_spec("PhysionetMI")
    assert spec.presence(tmp_path) == "no"
    for f in spec.subject_files(3, tmp_path):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.touch()
    assert spec.presence(tmp_path) == "partial (1/109 subjects)"
    assert get_dataset_spec("SimMI-2class").presence(tmp_path) == "built-in"


def test_datasets_command_is_fast_and_light(tmp_path):
    code = (
        "import sys; from eegdec.cli import main; "
        f"main(['datasets', '--data-dir', {str(tmp_path)!r}]); "
        "heavy = [m for m in ('torch', 'mne', 'moabb', 'braindecode') if m in sys.modules]; "
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert "SimMI-2class" in out and "built-in" in out and "PhysionetMI" in out
    assert "HEAVY []" in out
