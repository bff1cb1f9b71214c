"""Leakage audit: which trials trained and tested each fold, and what target data was seen.

Every fold records its train and test trials (``splits/<fold_id>.json``, written by
:meth:`~eegdec.evaluation.results.RunStore.save_split`) as the protocol really used them
(:meth:`~eegdec.evaluation.protocols.Protocol.fold_trials`). :func:`check_split` fails a fold
whose test trials also trained (always), whose training saw more of the held-out subject than
its declared calibration trials (cross-subject protocols), or whose training saw the test
session (cross-session protocols). :func:`target_data_seen` says in words what of the test
subject reached the model: ``none``, ``N labelled`` trials, unlabelled trials used
``causal``-ly (an alignment reference over the trials seen so far) or ``transductive``-ly
(a reference over the whole test set, future trials included), so a transductive method can
never pass as causal. :func:`audit_run` checks a whole run directory into ``audit.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eegdec.errors import EEGDecError

if TYPE_CHECKING:
    from eegdec.evaluation.protocols import FoldResult, Protocol, Unit

SCOPES = ("within", "cross-session", "cross-subject")
AUDIT_COLUMNS = ("fold_id", "scope", "train_subjects", "test_subjects", "n_train_trials",
                 "n_test_trials", "n_labelled_target", "target_data_seen", "status")
_EXAMPLES = 3  # ids quoted in a leak message


class LeakError(EEGDecError):
    """A fold's training saw what its test must not (the message names the fold and trials)."""


def _keys(meta: pd.DataFrame) -> pd.Series:
    return meta["subject"].astype(str) + "/" + meta["session"].astype(str)


def trials_by_session(meta: pd.DataFrame) -> dict[str, list[int]]:
    """``{"subject/session": [trial numbers]}``: a compact, JSON-ready list of trials."""
    keys = _keys(meta).to_numpy()
    trials = meta["trial"].to_numpy()
    return {k: sorted(int(t) for t in trials[keys == k]) for k in dict.fromkeys(keys)}


def _ids(trials: dict[str, list[int]]) -> set[str]:
    return {f"{k}/{t}" for k, ts in trials.items() for t in ts}


def _subject(key: str) -> str:
    return key.rsplit("/", 1)[0]


def target_data_seen(n_labelled: int, unlabelled: str | None) -> str:
    """``"none"``, ``"N labelled"``, ``"unlabelled, causal"``, ``"unlabelled, transductive"``
    or a labelled count and an unlabelled mode joined by ``" + "``."""
    parts = ([f"{n_labelled} labelled"] if n_labelled else []) + (
        [f"unlabelled, {unlabelled}"] if unlabelled else [])
    return " + ".join(parts) or "none"


def _unlabelled(alignment: str, own_reference: bool) -> str | None:
    """How the test trials themselves reach the model: through the alignment reference, never
    for ``none``; transductive always; causal unless the test trials reuse the reference of
    their training session (``own_reference``, within-subject splits): a new domain, a
    cross-subject target or a replayed stream grows its reference over the test trials."""
    from eegdec.preprocessing.alignment import check_alignment, is_transductive

    mode = check_alignment(alignment)
    if mode == "none":
        return None
    if is_transductive(mode):
        return "transductive"
    return None if own_reference else "causal"


def _adapted(unlabelled: str | None, tta: str | None) -> str | None:
    """The unlabelled mode once test-time adaptation (``--tta``) also reads the test trials:
    the less causal of the two."""
    if tta is None:
        return unlabelled
    mode = "transductive" if tta.endswith("transductive") else "causal"
    return "transductive" if "transductive" in (unlabelled, mode) else mode


def split_record(protocol: Protocol, unit: Unit, res: FoldResult, alignment: str,
                 tta: str | None = None) -> dict[str, Any] | None:
    """The audit record of one fold (``None`` when the protocol does not say its trials);
    ``tta``: the test-time adaptation the fold's model applied (torch models with ``--tta``)."""
    trials = protocol.fold_trials(unit, res)
    if trials is None:
        return None
    train, test = (trials_by_session(m) for m in trials)
    test_subjects = sorted({_subject(k) for k in test})
    n_labelled = sum(len(v) for k, v in train.items() if _subject(k) in test_subjects)
    return {
        "protocol": protocol.name, "scope": protocol.scope, "alignment": alignment,
        "n_calib": res.n_calib,
        "train_subjects": sorted({_subject(k) for k in train}), "test_subjects": test_subjects,
        "train_trials": train, "test_trials": test, "n_labelled_target": n_labelled,
        "target_data_seen": target_data_seen(n_labelled, _adapted(
            _unlabelled(alignment, protocol.scope != "cross-subject"
                        and not protocol.causal and set(test) <= set(train)), tta)),
    }


def split_problems(record: dict[str, Any]) -> list[str]:
    """What leaks in a fold's record, in words (empty: nothing)."""
    train, test = record["train_trials"], record["test_trials"]
    problems = []
    both = sorted(_ids(train) & _ids(test))
    if both:
        problems.append(f"{len(both)} test trial(s) also trained ({', '.join(both[:_EXAMPLES])})")
    scope = record["scope"]
    if scope == "cross-subject":
        allowed = record.get("n_calib") or 0
        if record["n_labelled_target"] > allowed:
            problems.append(
                f"{record['n_labelled_target']} trial(s) of held-out subject(s) "
                f"{', '.join(record['test_subjects'])} trained, {allowed} declared as "
                "calibration")
    if scope == "cross-session":
        shared = sorted(set(train) & set(test))
        if shared:
            problems.append(f"test session(s) {', '.join(shared)} also trained")
    return problems


def check_split(record: dict[str, Any], fid: str) -> None:
    """Raise :class:`LeakError` naming the fold and the overlap when ``record`` leaks."""
    problems = split_problems(record)
    if problems:
        raise LeakError(f"Leak in fold {fid} ({record['protocol']}, {record['scope']}): "
                        f"{'; '.join(problems)}. Fix the protocol's split; no row was kept.")


def audit_run(run_dir: str | Path, raise_on_leak: bool = True) -> pd.DataFrame:
    """Check every finished fold of ``run_dir`` into ``audit.csv`` (one row per fold, columns
    :data:`AUDIT_COLUMNS`; ``status`` is ``ok``, ``not recorded`` or ``LEAK: ...``) and raise
    :class:`LeakError` when a fold leaks (unless ``raise_on_leak`` is false)."""
    from eegdec.evaluation.results import RunStore

    store = RunStore(run_dir)
    out = []
    for fid in store.read_rows()["fold_id"].astype(str):
        record = store.read_split(fid)
        if record is None:
            out.append({"fold_id": fid, "status": "not recorded"})
            continue
        problems = split_problems(record)
        out.append({
            "fold_id": fid, "scope": record["scope"],
            "train_subjects": " ".join(record["train_subjects"]),
            "test_subjects": " ".join(record["test_subjects"]),
            "n_train_trials": sum(map(len, record["train_trials"].values())),
            "n_test_trials": sum(map(len, record["test_trials"].values())),
            "n_labelled_target": record["n_labelled_target"],
            "target_data_seen": record["target_data_seen"],
            "status": "LEAK: " + "; ".join(problems) if problems else "ok",
        })
    table = pd.DataFrame(out, columns=list(AUDIT_COLUMNS))
    store.write_audit(table)
    leaks = table[table["status"].str.startswith("LEAK")]
    if raise_on_leak and len(leaks):
        first = leaks.iloc[0]
        raise LeakError(f"{len(leaks)} leaking fold(s) in {store.root} (see audit.csv), e.g. "
                        f"{first['fold_id']}: {first['status'][6:]}.")
    return table


def merge_seen(values: Iterable[Any]) -> str:
    """The distinct ``target_data_seen`` of several folds in one phrase, the labelled counts
    as a range: ``["36 labelled", "37 labelled"]`` -> ``"36-37 labelled"``."""
    texts = [v for v in dict.fromkeys(values) if isinstance(v, str) and v]
    by_shape: dict[str, list[int]] = {}
    for text in texts:
        match = re.match(r"(\d+) labelled", text)
        shape = re.sub(r"^\d+ labelled", "{} labelled", text)
        by_shape.setdefault(shape, []).append(int(match.group(1)) if match else 0)
    out = []
    for shape, counts in by_shape.items():
        lo, hi = int(np.min(counts)), int(np.max(counts))
        out.append(shape.format(lo if lo == hi else f"{lo}-{hi}"))
    return "; ".join(out)
