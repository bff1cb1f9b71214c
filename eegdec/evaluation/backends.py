"""Parallel backends of ``eegdec run --n-jobs``: the one list of their names, and the joblib
configuration each one needs."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

from eegdec.errors import BadInputError

BACKENDS: tuple[str, ...] = ("loky", "dask", "ray")


def check_backend(name: str) -> str:
    """``name`` if it is a known backend; else a one-line error listing them."""
    if name not in BACKENDS:
        raise BadInputError(f"Unknown --backend {name!r}: use {', '.join(BACKENDS)}.")
    return name


def is_sequential(n_jobs: int, name: str) -> bool:
    """Whether folds run one after another in this process (no joblib workers)."""
    return n_jobs == 1 and name == "loky"


def returns_lists(name: str) -> bool:
    """ray's joblib backend cannot return generators; the others stream results."""
    return name == "ray"


@contextlib.contextmanager
def backend(name: str, n_jobs: int) -> Iterator[None]:
    """joblib's ``parallel_config`` for ``name``.

    dask joins the cluster named by ``DASK_SCHEDULER_ADDRESS`` (else starts a local one), ray
    the one named by ``RAY_ADDRESS``. A task carries the epoch-cache file names of its
    subjects, not their arrays (a mapped ``EpochsData`` pickles as its file name), and the
    worker maps the files: workers need no data directory, but on a cluster the cache
    (``$EEGDEC_CACHE``) must be on a filesystem every worker sees at the same path. Data
    loaded without the cache is shipped as arrays (dask warns about such "large graphs").
    Subjects are read in this process while the backend is active, with MNE's and MOABB's
    own joblib calls kept sequential (:func:`~eegdec.preprocessing.load.iter_subject_epochs`).
    """
    from joblib import parallel_config

    check_backend(name)
    if name == "dask":
        try:
            from distributed import Client
        except ImportError as exc:
            raise BadInputError("--backend dask needs dask.distributed: pip install "
                                "'dask[distributed]'.") from exc
        with Client() as _client, parallel_config(backend="dask"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sending large graph")
            yield
    elif name == "ray":
        try:
            from ray.util.joblib import register_ray
        except ImportError as exc:
            raise BadInputError("--backend ray needs ray: pip install 'ray[default]'.") from exc
        register_ray()
        with parallel_config(backend="ray"):
            yield
    else:
        with parallel_config(backend="loky", n_jobs=n_jobs):
            yield
