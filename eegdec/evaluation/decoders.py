"""The decoders a run compares: registry models and MOABB-schema YAML pipelines, and the
``build(seed)`` callables that make a fresh estimator for each fold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eegdec.errors import BadInputError
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols import ModelSpec


def shipped_pipelines() -> Path:
    """The folder of pipelines shipped with eegdec: ``eegdec/pipelines`` in an installed wheel,
    ``pipelines/`` beside the package in a source checkout."""
    import eegdec

    package = Path(eegdec.__file__).resolve().parent
    installed = package / "pipelines"
    return installed if installed.is_dir() else package.parent / "pipelines"


def default_decoders(paradigm: str) -> tuple[list[str], str | None]:
    """``(models, pipelines)`` that ``eegdec run`` uses when given neither ``--model`` nor
    ``--pipelines``: for frequency-tagged paradigms (``SSVEP``, ``FilterBankSSVEP``) the
    shipped SSVEP pipelines (FB+MDM, FB+TS+LR, CCA, TRCA under ``SSVEP``), otherwise
    ``dbconformer`` and ``csp-lda``."""
    from eegdec.data.paradigms import FREQUENCY_TAGGED, check_paradigm

    if check_paradigm(paradigm) in FREQUENCY_TAGGED:
        return [], str(shipped_pipelines())
    return ["dbconformer", "csp-lda"], None


def default_alignment(paradigm: str, models: Sequence[str] = ()) -> str:
    """``eegdec run``'s ``--alignment`` when not given: ``none`` under frequency-tagged
    paradigms when no torch model runs (causal Euclidean alignment lowers the filter-bank
    pipelines on SSVEPExo, while the deep models need it: see docs/results.md), otherwise
    causal ``euclidean``."""
    from eegdec.data.paradigms import FREQUENCY_TAGGED, check_paradigm
    from eegdec.errors import UnknownNameError
    from eegdec.models.registry import get_model_info

    if check_paradigm(paradigm) not in FREQUENCY_TAGGED:
        return "euclidean"
    try:
        torch = any(get_model_info(m).kind == "torch" for m in models)
    except UnknownNameError:  # reported by RunConfig.resolved with the other checks
        torch = True
    return "euclidean" if torch else "none"


def model_specs(cfg: RunConfig) -> list[ModelSpec]:
    """Registry models and MOABB-schema pipelines (``cfg.pipelines``) for the paradigm; under
    a paradigm with variants (:data:`~eegdec.data.paradigms.VARIANTS`) the pipelines declared
    only for a variant the dataset offers run on that variant's epochs."""
    from eegdec.data.paradigms import VARIANTS
    from eegdec.data.registry import get_dataset_spec
    from eegdec.models.registry import get_model_info

    specs = [ModelSpec(get_model_info(m).name, get_model_info(m).kind) for m in cfg.models]
    if cfg.pipelines:
        offered = {p.lower() for p in get_dataset_spec(cfg.dataset).paradigms}
        variants = [v for v in VARIANTS.get(cfg.paradigm, ()) if v.lower() in offered]
        specs += moabb_pipelines(cfg.pipelines, cfg.paradigm, variants)
    names = [s.name for s in specs]
    repeated = [n for n in names if names.count(n) > 1]
    if repeated:
        raise BadInputError(f"Model {repeated[0]!r} is asked for twice: pass each --model once "
                            "(a --pipelines file counts under its 'name').")
    return specs


PIPELINE_KEYS = ("name", "paradigms", "pipeline", "citations", "param_grid")
STEP_KEYS = ("name", "from", "parameters")


def moabb_pipelines(path: str, paradigm: str, variants: Sequence[str] = ()) -> list[ModelSpec]:
    """MOABB-schema YAML pipelines that declare ``paradigm``, from a folder of ``.yml`` /
    ``.yaml`` files or one such file (the schema of MOABB's ``parse_pipelines_from_directory``;
    its Python pipeline files are not read). A pipeline that declares none of its names but
    one of ``variants`` (other eegdec paradigms) comes with ``paradigm`` set to that variant.

    Every file is checked before any is used; a problem raises a one-line
    :class:`~eegdec.errors.BadInputError` naming the file, the line where known, and the fix.
    """
    from eegdec.data.paradigms import MOABB_NAMES

    root = Path(path)
    if not root.exists():
        raise BadInputError(f"--pipelines {path} does not exist: pass a folder of .yml files.")
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
        if not files:
            raise BadInputError(f"--pipelines {path} holds no .yml file: pass a folder of "
                                "MOABB-schema pipelines (see pipelines/csp-lda.yml).")
    elif root.suffix in (".yml", ".yaml"):
        files = [root]
    else:
        raise BadInputError(f"--pipelines {path} is neither a folder nor a .yml file: pass a "
                            "folder of pipeline files, or one of them.")
    docs = {f: _pipeline_doc(f) for f in files}
    seen: dict[str, Path] = {}
    for f, doc in docs.items():
        if doc["name"] in seen:
            raise BadInputError(f"{seen[doc['name']]} and {f} both name the pipeline "
                                f"{doc['name']!r}: rename one.")
        seen[doc["name"]] = f
    wanted = MOABB_NAMES[paradigm]
    specs = []
    for f, doc in docs.items():
        declared = set(doc["paradigms"])
        own = None  # the run's paradigm
        if not wanted & declared:
            own = next((v for v in variants if MOABB_NAMES[v] & declared), None)
            if own is None:
                continue
        specs.append(ModelSpec(doc["name"], "sklearn", _build_pipeline(f, doc["pipeline"]),
                               paradigm=own))
    if not specs:
        raise BadInputError(
            f"No pipeline in {path} lists paradigm {sorted(wanted)[0]}: add it to the "
            "'paradigms' key of a YAML file."
        )
    return specs


class _Located(dict):
    """A YAML mapping that remembers its line and the line of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]


def _load_located(text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
        data = _Located()
        data.line = node.start_mark.line + 1
        data.lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        yield data
        data.update(loader.construct_mapping(node))

    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    return yaml.load(text, Loader=Loader)  # a SafeLoader: no arbitrary objects


def _where(file: Path, node: Any = None, key: str | None = None) -> str:
    line = getattr(node, "lines", {}).get(key) if key else getattr(node, "line", 0)
    return f"{file} line {line}" if line else str(file)


def _pipeline_doc(file: Path) -> dict[str, Any]:
    """The checked top-level mapping of one pipeline file."""
    import yaml

    from eegdec.errors import suggest
    from eegdec.validate import matches

    try:
        doc = _load_located(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{file} is not UTF-8 text: pass a YAML pipeline file.") from exc
    except OSError as exc:
        raise BadInputError(f"Cannot read {file} ({exc.strerror or exc}): check the file.") \
            from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "YAMLError"
        raise BadInputError(f"{file}{line}: invalid YAML ({problem}): fix the syntax.") from exc
    if doc is None:
        raise BadInputError(f"{file} is empty: write its name, paradigms and pipeline keys "
                            "(see pipelines/csp-lda.yml).")
    if not isinstance(doc, dict):
        raise BadInputError(f"{file}: the document must be a mapping with name, paradigms and "
                            f"pipeline keys, got {doc!r}: see pipelines/csp-lda.yml.")
    for key in doc:
        if key not in PIPELINE_KEYS:
            raise BadInputError(
                f"{_where(file, doc, key)}: unknown key {key!r}.{suggest(str(key), PIPELINE_KEYS)}"
                f" Use the keys {', '.join(PIPELINE_KEYS)}."
            )
    for key in PIPELINE_KEYS[:3]:
        if key not in doc:
            raise BadInputError(f"{file}: missing key {key!r}: add it (see pipelines/csp-lda.yml).")
    name, paradigms, steps = doc["name"], doc["paradigms"], doc["pipeline"]
    if not isinstance(name, str) or not name.strip() or "__" in name or not name.isprintable():
        raise BadInputError(f"{_where(file, doc, 'name')}: name {name!r} must be one line of "
                            "text without '__' (it names result files): rename the pipeline.")
    if not paradigms or not matches(paradigms, list[str]):
        raise BadInputError(f"{_where(file, doc, 'paradigms')}: paradigms must be a list of "
                            f"MOABB paradigm names, got {paradigms!r}: e.g. [LeftRightImagery].")
    if not steps or not isinstance(steps, list):
        raise BadInputError(f"{_where(file, doc, 'pipeline')}: pipeline must be a list of "
                            f"steps, got {steps!r}: write '- name: ..., from: ...' per step.")
    for step in steps:
        _check_step(file, doc, step)
    return doc


def _check_step(file: Path, doc: dict[str, Any], step: Any) -> None:
    from eegdec.errors import suggest

    where = _where(file, step) if isinstance(step, _Located) else _where(file, doc, "pipeline")
    if not isinstance(step, dict):
        raise BadInputError(f"{where}: a pipeline step must be a mapping with name, from and "
                            f"parameters, got {step!r}: write '- name: X' then 'from: module'.")
    for key in step:
        if key not in STEP_KEYS:
            raise BadInputError(f"{_where(file, step, key)}: unknown step key {key!r}."
                                f"{suggest(str(key), STEP_KEYS)} Use the keys "
                                f"{', '.join(STEP_KEYS)}.")
    for key in ("name", "from"):
        if not isinstance(step.get(key), str) or not step[key].strip():
            raise BadInputError(f"{where}: step {key!r} must be a non-empty string, got "
                                f"{step.get(key)!r}: e.g. name: CSP, from: "
                                "pyriemann.spatialfilters.")
    if not isinstance(step.get("parameters") or {}, dict):
        raise BadInputError(f"{_where(file, step, 'parameters')}: parameters of {step['name']} "
                            f"must be a mapping, got {step['parameters']!r}: write 'key: value' "
                            "lines.")


def _build_pipeline(file: Path, steps: list[dict[str, Any]]) -> Any:
    """The scikit-learn pipeline of checked ``steps``; import and parameter errors name the line."""
    import importlib
    import inspect

    from sklearn.pipeline import make_pipeline

    from eegdec.errors import UnknownNameError, suggest

    components = []
    for step in steps:
        where, name, module_name = _where(file, step, "from"), step["name"], step["from"]
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # ImportError, or whatever the module raises on import
            raise BadInputError(f"{where}: cannot import {module_name!r} ({type(exc).__name__}: "
                                f"{_first_line(exc)}): fix 'from:' or install the package.") \
                from exc
        cls = getattr(module, name, None)
        if not inspect.isclass(cls):
            classes = [n for n, v in vars(module).items() if inspect.isclass(v)]
            raise UnknownNameError(f"{_where(file, step, 'name')}: {module_name} has no class "
                                   f"{name!r}.{suggest(name, classes)} Fix 'name:'.")
        params = dict(step.get("parameters") or {})
        try:
            est = cls(**params)
            if hasattr(type(est), "_parameter_constraints"):  # scikit-learn's constraints
                est._validate_params()
            if type(est).__module__.startswith("eegdec.") and hasattr(est, "_check_params"):
                est._check_params()  # eegdec's own estimators check before training
        except Exception as exc:
            raise BadInputError(f"{_where(file, step, 'parameters')}: {name}(**{params!r}) fails "
                                f"({type(exc).__name__}: {_first_line(exc)}): fix its "
                                "parameters.") from exc
        if not (hasattr(est, "fit") and hasattr(est, "get_params")):
            raise BadInputError(f"{_where(file, step, 'name')}: {module_name}.{name} is not a "
                                "scikit-learn estimator: use a transformer or classifier class.")
        components.append(est)
    return make_pipeline(*components)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:160]


def _float64(X: np.ndarray) -> np.ndarray:
    return np.asarray(X, dtype=np.float64)


_float64.eegdec_per_trial = True  # trial by trial: out-of-core fits stream it per subject


def builder(spec: ModelSpec, cfg: RunConfig, sfreq: float, n_classes: int,
            classes: Sequence[str] = ()) -> Callable:
    """``build(seed, params=None) -> unfitted estimator``.

    ``params`` (nested model selection, :mod:`eegdec.evaluation.selection`) overrides the
    run's ``epochs`` and ``lr`` and sets ``dropout`` (the model's ``drop_prob``) of torch
    models; classical pipelines ignore them (``alignment`` is applied by the protocol).

    Classical pipelines get float64 input: the first trial of an incrementally aligned
    stream has an exactly white covariance, on which pyriemann's OAS estimator breaks down
    in float32 (negative eigenvalues, NaN features). Under SSVEP paradigms, ``freqs``/``sfreq``
    parameters left ``None`` get the stimulation frequencies named by ``classes`` and the
    rate; MOABB-schema pipelines under a filter-bank paradigm get the bands last, as MOABB's
    filter-bank paradigms give them.
    """
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from eegdec.data.paradigms import FILTER_BANK, FREQUENCY_TAGGED, stimulus_frequencies
    from eegdec.models.ssvep import BandsLast, fill_stimulus
    from eegdec.training.estimators import make_estimator

    paradigm = spec.paradigm or cfg.paradigm
    freqs = stimulus_frequencies(classes) if paradigm in FREQUENCY_TAGGED else []

    def build(seed: int, params: dict[str, Any] | None = None) -> Any:
        params = params or {}
        if spec.pipeline is not None:
            est = clone(spec.pipeline)
        else:
            extra = {"drop_prob": params["dropout"]} if "dropout" in params else {}
            est = make_estimator(spec.name, sfreq=sfreq, n_classes=n_classes,
                                 protocol=cfg.protocol, seed=seed, device=cfg.device,
                                 epochs=params.get("epochs", cfg.epochs),
                                 lr=params.get("lr", cfg.lr), **extra)
        if spec.kind != "torch":
            if freqs:
                est = fill_stimulus(est, sfreq, freqs)
            if spec.pipeline is not None and paradigm in FILTER_BANK:
                return make_pipeline(FunctionTransformer(_float64), BandsLast(len(freqs)), est)
            return make_pipeline(FunctionTransformer(_float64), est)
        if cfg.batch_size is not None:
            est.set_params(batch_size=cfg.batch_size)
        if cfg.class_weight == "balanced":
            est.set_params(class_weight="balanced")
        if cfg.augment or cfg.finetune:
            est.set_params(augment=cfg.augment, fine_tune_strategy=cfg.finetune)
        return est

    return build
