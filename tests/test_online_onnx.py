"""ONNX export: parity with PyTorch for every exportable zoo model, the export folder's manifest
and checksum, and a decoder side that runs without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from eegdec.errors import BadInputError, CorruptFileError, DataNotFoundError
from eegdec.models import create_model, list_models
from eegdec.online import onnx as onnx_mod
from eegdec.online.manifest import (
    FORMAT_VERSION,
    REQUIRED,
    read_export,
    write_export,
)
from eegdec.online.onnx import (
    NOT_EXPORTABLE,
    OnnxModel,
    export_onnx,
    exportable,
    softmax,
)

for _package in ("onnxruntime", "onnxscript"):
    pytest.importorskip(_package, reason=f"{_package} is missing: pip install -e '.[online]'")

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [m.name for m in list_models() if m.builder.__module__.startswith("eegdec.")]
# The default run checks the main decoders and a few backbones (exports take seconds each); the
# rest run with -m slow. WaveMix, whose code fixes the batch size, is checked below.
DEFAULT_RUN = {"dbconformer", "eegnet", "shallowconvnet", "deepconvnet", "eegconformer",
               "convnext", "inceptionnext"}
EXPORTABLE = [pytest.param(name, marks=() if name in DEFAULT_RUN else pytest.mark.slow)
              for name in SHIPPED if exportable(name)]
C, T, SFREQ, K = 8, 500, 250.0, 3  # reference input: 8 channels x 2 s at 250 Hz, 3 classes


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("name", EXPORTABLE)
def test_onnx_runtime_logits_equal_pytorch(name: str, tmp_path: Path) -> None:
    model = create_model(name, C, K, T, SFREQ, seed=0).eval()
    path = export_onnx(model, C, T, tmp_path / "model.onnx")
    assert sorted(tmp_path.iterdir()) == [path]  # weights inside the one file, no temp left
    x = torch.randn(3, C, T, generator=torch.Generator().manual_seed(1)) * 20  # microvolts
    with torch.no_grad():
        expected = model(x).numpy()
    onnx_model = OnnxModel(path)
    got = onnx_model.logits(x.numpy())
    assert got.shape == (3, K) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
    np.testing.assert_allclose(onnx_model.logits(x[:1].numpy()), expected[:1], rtol=0, atol=1e-4)


def test_every_registry_name_is_exportable_or_listed_with_a_reason() -> None:
    for name in SHIPPED:
        assert exportable(name) or len(NOT_EXPORTABLE[name]) > 20, name
    assert set(NOT_EXPORTABLE) <= set(SHIPPED)
    assert not exportable("csp-lda") and exportable("DBConformer")  # names as the registry's


def test_fixed_batch_models_run_a_batch_trial_by_trial(tmp_path: Path) -> None:
    model = create_model("wavemix", C, K, T, SFREQ, seed=0).eval()
    onnx_model = OnnxModel(export_onnx(model, C, T, tmp_path / "m.onnx"))
    assert onnx_model.fixed_batch == 1  # its code fixes the batch size: exported for batch 1
    x = np.random.default_rng(0).standard_normal((4, C, T)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(onnx_model.logits(x), expected, rtol=0, atol=1e-4)
    assert onnx_model.logits(x[:0]).shape == (0, K)


class DataDependent(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(T, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lin(x.mean(1))
        return out if x.mean() > 0 else -out  # a branch on the data: torch.export refuses it


def test_a_module_that_cannot_export_is_a_one_line_error(tmp_path: Path) -> None:
    module = DataDependent().train()
    with pytest.raises(BadInputError, match="cannot be exported to ONNX") as err:
        export_onnx(module, C, T, tmp_path / "m.onnx")
    assert "\n" not in str(err.value) and "NOT_EXPORTABLE" in str(err.value)
    assert module.training and not any(tmp_path.iterdir())  # mode restored, nothing written


def test_an_export_that_differs_from_pytorch_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(onnx_mod, "PARITY_ATOL", -1.0)  # any difference, even 0, now fails
    model = create_model("eegnet", C, K, T, SFREQ, seed=0)
    with pytest.raises(BadInputError, match="ONNX export differs from PyTorch"):
        export_onnx(model, C, T, tmp_path / "m.onnx")
    assert not any(tmp_path.iterdir())


@pytest.fixture(scope="module")
def eegnet_onnx(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    model = create_model("eegnet", C, K, T, SFREQ, seed=0).eval()
    return export_onnx(model, C, T, tmp_path_factory.mktemp("onnx") / "m.onnx"), model


def test_onnx_model_checks_its_input(eegnet_onnx) -> None:
    onnx_model = OnnxModel(eegnet_onnx[0], threads=1)
    assert (onnx_model.n_chans, onnx_model.n_times, onnx_model.n_outputs) == (C, T, K)
    with pytest.raises(BadInputError, match=r"expects input \(n, 8, 500\); got \(1, 7, 500\)"):
        onnx_model.logits(np.zeros((1, C - 1, T)))
    assert onnx_model.logits(np.zeros((2, C, T), np.float64)).dtype == np.float32
    with pytest.raises(DataNotFoundError, match="eegdec export"):
        OnnxModel(eegnet_onnx[0].with_name("absent.onnx"))
    with pytest.raises(CorruptFileError, match="cannot be loaded .*: re-export"):
        OnnxModel(eegnet_onnx[0].read_bytes()[:-100])  # truncated


def test_softmax_is_stable_and_normalised() -> None:
    p = softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, np.log(3.0), 0.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.2, 0.6, 0.2]], atol=1e-12)


def manifest(n: int = C) -> dict:
    rng = np.random.default_rng(0)
    return {"model": "eegnet", "channels": [f"C{i}" for i in range(n)], "sfreq": SFREQ,
            "window_s": 2.0, "hop_s": 0.1, "classes": ["left", "right", "feet"],
            "unit_scale": 1e6, "preprocessing": {"steps": [{"sos": [[1.0, 0, 0, 1.0, 0, 0]]}]},
            "alignment": {"mode": "incremental", "matrix": rng.standard_normal((n, n)),
                          "n_trials": np.int64(20)}}


def test_manifest_round_trip(tmp_path: Path, eegnet_onnx) -> None:
    given = manifest()
    folder = write_export(tmp_path / "export", eegnet_onnx[0], given)
    model_path, meta = read_export(folder)
    assert model_path == folder / "model.onnx"
    assert model_path.read_bytes() == eegnet_onnx[0].read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "model.onnx"]
    assert meta["format_version"] == FORMAT_VERSION and meta["eegdec_version"]
    assert len(meta["onnx_sha256"]) == 64
    np.testing.assert_array_equal(meta["alignment"]["matrix"], given["alignment"]["matrix"])
    assert meta["alignment"]["n_trials"] == 20
    for key in set(REQUIRED) - {"alignment"}:
        assert meta[key] == given[key], key
    assert json.loads((folder / "manifest.json").read_text()) == meta  # plain JSON


def test_manifest_from_bytes_without_alignment(tmp_path: Path) -> None:
    folder = write_export(tmp_path, b"onnx bytes", {**manifest(), "alignment": None})
    path, meta = read_export(folder)
    assert path.read_bytes() == b"onnx bytes" and meta["alignment"] is None


def test_changed_or_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = write_export(tmp_path, b"onnx bytes", manifest())
    (folder / "model.onnx").write_bytes(b"onnx bytez")
    with pytest.raises(CorruptFileError, match=r"model\.onnx does not match the sha256") as err:
        read_export(folder)
    assert "`eegdec export RUN_DIR --format onnx`" in str(err.value)
    (folder / "model.onnx").unlink()
    with pytest.raises(CorruptFileError, match=r"model\.onnx is missing: re-export with"):
        read_export(folder)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        read_export(tmp_path / "nowhere")


def test_bad_manifest_files_are_clear_errors(tmp_path: Path) -> None:
    folder = write_export(tmp_path, b"onnx bytes", manifest())
    meta = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(CorruptFileError, match="export format 99.*upgrade eegdec"):
        read_export(folder)
    del meta["classes"]
    (folder / "manifest.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError, match="lacks classes"):
        read_export(folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(CorruptFileError, match="not valid JSON"):
        read_export(folder)


@pytest.mark.parametrize(("change", "match"), [
    ({"classes": None}, "'classes' must be a non-empty list"),
    ({"channels": ["C0", "C0"]}, "'channels' must be a non-empty list of distinct"),
    ({"sfreq": 0}, "'sfreq' must be a positive number"),
    ({"unit_scale": float("nan")}, "'unit_scale' must be a positive number"),
    ({"preprocessing": "butter"}, "'preprocessing' must be a dict"),
    ({"alignment": {"mode": "euclidean", "matrix": np.eye(3)}}, r"finite \(8, 8\)"),
    ({"preprocessing": {"gain": float("inf")}}, "NaN or infinite"),
])
def test_write_export_rejects_unusable_manifests(tmp_path: Path, change: dict, match: str) -> None:
    with pytest.raises(BadInputError, match=match):
        write_export(tmp_path / "x", b"onnx", {**manifest(), **change})
    missing = {k: v for k, v in manifest().items() if k not in ("hop_s", "classes")}
    with pytest.raises(BadInputError, match="lacks hop_s, classes"):
        write_export(tmp_path / "x", b"onnx", missing)
    assert not (tmp_path / "x").exists()


BLOCKED = ("torch", "sklearn", "mne", "braindecode", "lightning", "pyriemann")


def test_an_export_decodes_without_torch(tmp_path: Path, eegnet_onnx) -> None:
    """read_export + OnnxModel, and a whole Decoder from the export, with torch, scikit-learn,
    MNE and braindecode blocked: the same logits, and the decisions of the torch decoder it was
    exported from."""
    from eegdec.online.decoder import Decoder, torch_model
    from eegdec.preprocessing.causal import CausalChain, SOSFilter, design_bandpass

    path, model = eegnet_onnx
    rng = np.random.default_rng(3)
    folder = write_export(tmp_path / "export", path, manifest())
    decoder = Decoder(torch_model(model), ch_names=[f"C{i}" for i in range(C)], sfreq=SFREQ,
                      classes=["left", "right", "feet"], window_s=T / SFREQ, hop_s=0.2,
                      preprocessing=CausalChain([SOSFilter(design_bandpass(8, 30, SFREQ), C)]),
                      alignment="euclidean", calibration=rng.standard_normal((10, C, T)) * 10)
    decoder.export(tmp_path / "decoder")
    x = rng.standard_normal((2, C, T)).astype(np.float32)
    stream = rng.standard_normal((C, 2 * T)) * 1e-5  # volts: 4 s, a reference update, 11 decisions
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "stream.npy", stream)
    code = (
        "import sys\n"
        "class Block:\n"  # any import of these raises ImportError
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {BLOCKED!r}:\n"
        "            raise ImportError(f'{name} is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from eegdec.online.decoder import Decoder\n"
        "from eegdec.online.manifest import read_export\n"
        "from eegdec.online.onnx import OnnxModel, softmax\n"
        f"path, meta = read_export({str(folder)!r})\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        f"np.save({str(tmp_path / 'p.npy')!r}, softmax(OnnxModel(path, threads=1).logits(x)))\n"
        f"decoder = Decoder.from_export({str(tmp_path / 'decoder')!r})\n"
        f"stream = np.load({str(tmp_path / 'stream.npy')!r})\n"
        "decisions = [d for i in range(0, stream.shape[1], 16) "
        "for d in decoder.push(stream[:, i:i + 16])]\n"
        f"np.save({str(tmp_path / 'd.npy')!r}, np.stack([d.proba for d in decisions]))\n"
        f"print(meta['classes'], [m for m in sys.modules if m.split('.')[0] in {BLOCKED!r}])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['left', 'right', 'feet'] []"
    with torch.no_grad():
        expected = torch.softmax(model(torch.from_numpy(x)), -1).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, atol=1e-5)
    streamed = np.stack([d.proba for d in decoder.push(stream)])
    assert streamed.shape == (11, 3)
    np.testing.assert_allclose(np.load(tmp_path / "d.npy"), streamed, atol=1e-5)
