"""Layers point one way: data -> preprocessing -> models -> training -> online -> evaluation ->
interpret -> commands. A module may import its own layer and the layers before it, never a
later one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eegdec"
LAYERS = ("data", "preprocessing", "models", "training", "online", "evaluation", "interpret",
          "commands")


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "eegdec" or len(parts) < 2 or parts[1] not in LAYERS:
        return None  # eegdec, eegdec.errors, eegdec.paths, eegdec.cli: outside the layers
    return LAYERS.index(parts[1])


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every eegdec import in the file, lazy ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" if node.module == "eegdec" else node.module
                     for a in node.names]
            out += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(line, m) for line, m in out if m.split(".")[0] == "eegdec"]


def upward_imports(root: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(("eegdec", *path.relative_to(root).with_suffix("").parts))
        own = _layer(module)
        if own is None:
            continue
        for line, target in _imports(path):
            layer = _layer(target)
            if layer is not None and layer > own:
                bad.append(f"{path.relative_to(root.parent)}:{line} imports {target} "
                           f"({LAYERS[own]} -> {LAYERS[layer]})")
    return bad


def test_no_import_runs_back_up_the_layers() -> None:
    assert upward_imports() == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    pkg = tmp_path / "eegdec"
    (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "x.py").write_text("def f():\n    from eegdec.training import fit\n")
    (pkg / "interpret").mkdir()
    (pkg / "interpret" / "y.py").write_text("from eegdec.evaluation.results import RunStore\n")
    assert upward_imports(pkg) == ["eegdec/data/x.py:2 imports eegdec.training "
                                   "(data -> training)"]


@pytest.mark.parametrize("module", ["eegdec.cli", "eegdec"])
def test_doors_sit_outside_the_layers(module: str) -> None:
    assert _layer(module) is None


# -- one owner per list of names ----------------------------------------------------------------
def _owners() -> dict[str, tuple[str, ...]]:
    from eegdec.data.paradigms import PARADIGMS
    from eegdec.evaluation.backends import BACKENDS
    from eegdec.evaluation.protocols import protocol_names
    from eegdec.preprocessing.alignment import ALIGNMENTS

    return {
        "eegdec/data/paradigms.py": PARADIGMS,
        "eegdec/evaluation/backends.py": BACKENDS,
        "eegdec/evaluation/protocols/__init__.py": protocol_names(),
        "eegdec/preprocessing/reference.py": ALIGNMENTS,
    }


def literal_lists(root: Path, names: tuple[str, ...]) -> list[str]:
    """Places outside the owner that spell two or more of ``names`` in one literal list,
    tuple, set or dict."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
            if not isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)) or not items:
                continue
            spelled = {n.value for n in items if isinstance(n, ast.Constant)} & set(names)
            if len(spelled) >= 2:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def test_each_list_of_names_is_spelled_only_by_its_owner() -> None:
    for owner, names in _owners().items():
        assert len(names) >= 3
        places = [p for p in literal_lists(PACKAGE, names) if not p.startswith(owner + ":")]
        assert places == [], f"{names} spelled outside {owner}"


def test_the_owner_check_sees_a_copied_list(tmp_path: Path) -> None:
    pkg = tmp_path / "eegdec"
    pkg.mkdir()
    (pkg / "x.py").write_text('CHOICES = ["loky", "dask"]\nOK = ["loky"]\n')
    assert literal_lists(pkg, ("loky", "dask", "ray")) == ["eegdec/x.py:1"]
