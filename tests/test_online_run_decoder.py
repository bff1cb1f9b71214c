"""A decoder from a run directory reproduces the run's own offline predictions on the stream."""

from __future__ import annotations

import mne
import numpy as np
import pytest
from conftest import PHYSIONET_DIR, requires_shared

from eegdec.cli import main
from eegdec.errors import DataNotFoundError, UnknownNameError
from eegdec.evaluation.results import RunStore
from eegdec.evaluation.run_decoder import checkpoint_of, decoder_from_run


@pytest.fixture(scope="module")
def physionet_run(tmp_path_factory) -> RunStore:
    out = tmp_path_factory.mktemp("run") / "eegnet"
    assert main(["run", "--dataset", "PhysionetMI", "--paradigm", "LeftRightImagery",
                 "--subjects", "1", "--data-dir", str(PHYSIONET_DIR.parents[3]),
                 "--model", "eegnet", "--epochs", "1", "--protocol", "within-cv",
                 "--n-folds", "2", "--alignment", "none", "--causal-filter",
                 "--save-checkpoints", "--device", "cpu", "--quiet", "--out", str(out)]) == 0
    return RunStore(out)


@requires_shared
def test_decisions_equal_the_runs_offline_predictions(physionet_run, one_thread) -> None:
    fid, _ = checkpoint_of(physionet_run.root)
    pred = physionet_run.read_npz("predictions", fid)
    rows = physionet_run.read_rows()
    assert rows["filter"].str.startswith("causal").all()
    # The test trials of this fold that come from run R04, the first imagery run.
    from eegdec.preprocessing.load import load_epochs

    epochs = load_epochs("PhysionetMI", [1], paradigm="LeftRightImagery",
                         data_dir=PHYSIONET_DIR.parents[3], causal=True)
    meta = epochs.metadata.iloc[pred["trial_index"]]
    in_r04 = np.flatnonzero(meta["run"].to_numpy() == "R04")[:3]
    assert len(in_r04) == 3
    raw = mne.io.read_raw_edf(PHYSIONET_DIR / "S001" / "S001R04.edf", preload=True,
                              verbose=False)
    sfreq = raw.info["sfreq"]
    for i in in_r04:
        start = int(round((meta["onset"].iloc[i] + epochs.info.get("tmin", 0.0)) * sfreq))
        dec = decoder_from_run(physionet_run.root, None,
                               hop_s=1.0)
        dec.hop_n = start  # one decision at the window end, another at the epoch's end
        dec.connect(raw.ch_names)
        decisions = []
        x, step = raw.get_data(), 77  # stream the whole run in odd-sized chunks
        for j in range(0, start + dec.window_n, step):
            decisions += dec.push(x[:, j:min(j + step, start + dec.window_n)])
        assert decisions[-1].sample == start + dec.window_n
        np.testing.assert_allclose(decisions[-1].proba, pred["proba"][i], atol=1e-5)


@requires_shared
def test_bad_run_directories_give_one_line_errors(physionet_run, tmp_path) -> None:
    with pytest.raises(DataNotFoundError, match="not a run directory"):
        decoder_from_run(tmp_path)
    with pytest.raises(UnknownNameError, match="No checkpoint for fold 'nope'"):
        decoder_from_run(physionet_run.root, "nope")


@requires_shared
def test_eegdec_export_gives_the_same_decisions_on_onnx_runtime(physionet_run, tmp_path,
                                                                 one_thread) -> None:
    from eegdec.online.decoder import Decoder

    out = tmp_path / "export"
    assert main(["export", str(physionet_run.root), "--format", "onnx", "--hop", "0.5",
                 "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"model.onnx", "manifest.json"}
    raw = mne.io.read_raw_edf(PHYSIONET_DIR / "S001" / "S001R04.edf", verbose=False)
    x = raw.get_data(stop=int(8 * raw.info["sfreq"]))
    torch_dec = decoder_from_run(physionet_run.root, hop_s=0.5).connect(raw.ch_names)
    onnx_dec = Decoder.from_export(out).connect(raw.ch_names)
    a, b = torch_dec.push(x), onnx_dec.push(x)
    assert len(a) == len(b) > 5
    np.testing.assert_allclose([d.proba for d in a], [d.proba for d in b], atol=1e-4)
