"""A live :class:`~eegdec.online.decoder.Decoder` from a run directory.

The run's ``config.yaml`` gives the dataset, paradigm, alignment and filter; the fold's
checkpoint (``eegdec run --save-checkpoints``) gives the network, its channels, rate, window
and classes. The decoder's preprocessing is the run's pipeline in its causal form: a run
trained with ``--causal-filter`` decodes online exactly as it was evaluated; a zero-phase run
gets the causal filter of the same band and a warning, since its offline scores saw a filter
that looks ahead.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from eegdec.errors import BadInputError, DataNotFoundError, UnknownNameError, suggest
from eegdec.evaluation.results import FoldId, RunStore
from eegdec.online.decoder import Decoder

log = logging.getLogger(__name__)


def checkpoint_of(run_dir: str | os.PathLike, fold: str | None = None) -> tuple[FoldId, Any]:
    """``(fold id, path)`` of the fold's checkpoint (``None``: the run's first one)."""
    store = RunStore(run_dir)
    if not store.is_run_dir():
        raise DataNotFoundError(f"{store.root} is not a run directory (no config.yaml): pass the "
                                "--out folder of an `eegdec run`.")
    found = store.artefacts("checkpoints")
    if not found:
        raise DataNotFoundError(f"{store.root} holds no checkpoint: re-run it with "
                                "--save-checkpoints (deep models only).")
    if fold is None:
        return found[0]
    names = [p.stem for _, p in found]
    if fold not in names:
        raise UnknownNameError(f"No checkpoint for fold {fold!r} in {store.root}."
                               f"{suggest(fold, names)} Choose one of RUN_DIR/checkpoints/*.pt.")
    return found[names.index(fold)]


def decoder_from_run(run_dir: str | os.PathLike, fold: str | None = None, *,
                     hop_s: float = 0.1, **kw: Any) -> Decoder:
    """The decoder of one fold of a run (``fold``: a checkpoint's name; default the first)."""
    from eegdec.data.registry import get_dataset_spec
    from eegdec.models.checkpoint import load_checkpoint
    from eegdec.preprocessing.alignment import is_transductive
    from eegdec.preprocessing.pipeline import Pipeline

    fid, path = checkpoint_of(run_dir, fold)
    config = RunStore(run_dir).read_config() or {}
    _, meta = load_checkpoint(path)
    spec = get_dataset_spec(config.get("dataset", ""))
    pipeline = Pipeline.for_dataset(spec, None, config.get("paradigm"), meta.get("classes", ()))
    if config.get("causal_filter"):
        pipeline = pipeline.causal()
    else:
        log.warning("%s was trained with a zero-phase filter; the decoder runs its causal "
                    "counterpart, so expect lower accuracy than the run's: train with "
                    "--causal-filter to decode online as evaluated.", run_dir)
    alignment = config.get("alignment", "none")
    if alignment != "none" and is_transductive(alignment):
        log.warning("Transductive alignment needs future trials: the decoder aligns causally.")
    if not meta.get("ch_names"):
        raise BadInputError(f"{path} does not record its channels: re-run the fold with this "
                            "eegdec version and --save-checkpoints.")
    kw.setdefault("alignment", "none" if alignment == "none" else "euclidean")
    log.info("Decoder from %s fold %s", run_dir, fid.label)
    return Decoder.from_checkpoint(path, preprocessing=pipeline, hop_s=hop_s, **kw)
