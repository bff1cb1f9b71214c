"""SSVEP Exoskeleton reference points with plain MNE + pyRiemann, beside eegdec, in one run.

The reference reads the authors' files directly (``ssvepexo/subjectNN/record-*_raw.fif`` and
``-eve.fif``), leaves out the session the authors excluded, filters the continuous signal
with one 1 Hz IIR band around 13, 17 and 21 Hz (MNE's default Butterworth, as MOABB's
``FilterBankSSVEP``), cuts epochs 2-4 s after the cue, stacks the bands as channels
(24 x 24 Ledoit-Wolf covariances) and fits pyRiemann's MDM and tangent space + logistic
regression. Two protocols, as MOABB's evaluations define them:

- within-session: 5-fold stratified shuffled CV per session (seed 42), mean over folds;
- cross-session: leave-one-session-out per subject (train on every other session of the
  subject, test on the held-out one: MOABB's ``CrossSessionEvaluation``).

Scores are averaged over the sessions of a subject, then over subjects. With ``--eegdec`` the
same subjects run through ``eegdec.evaluation.runner.run_protocol`` (``FilterBankSSVEP``,
pipelines/ssvep-mdm.yml and ssvep-ts-lr.yml, ``--alignment none``) and both tables print side
by side.

    python benchmarks/ssvep_reference.py                      # reference only, subjects 1-8
    python benchmarks/ssvep_reference.py --eegdec             # plus eegdec, same subjects
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EXCLUDED = {8: ["record-[2013.04.06-16.22.32]"]}  # the authors' exclusion (MOABB's too)
FREQS = (13.0, 17.0, 21.0)
CODES = {1: "rest", 2: "13", 3: "21", 4: "17"}  # MOABB's event codes
TMIN, TMAX = 2.0, 4.0


def subject_epochs(data_dir: Path, subject: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(session file, X (n, 24, T), y)`` per session, bands stacked band-major."""
    import mne

    folder = data_dir / "ssvepexo" / f"subject{subject:02d}"
    out = []
    for raw_file in sorted(folder.glob("record-*_raw.fif")):
        name = raw_file.name.removesuffix("_raw.fif")
        if name in EXCLUDED.get(subject, []):
            continue
        raw = mne.io.read_raw_fif(raw_file, preload=True, verbose="ERROR").pick("eeg")
        events = mne.read_events(folder / f"{name}-eve.fif", verbose="ERROR")
        bands = []
        for f in FREQS:
            band = raw.copy().filter(f - 0.5, f + 0.5, method="iir", verbose="ERROR")
            ep = mne.Epochs(band, events, event_id={CODES[c]: c for c in CODES}, tmin=TMIN,
                            tmax=TMAX, baseline=None, preload=True, verbose="ERROR")
            bands.append(ep.get_data(copy=True))
        out.append((name, np.concatenate(bands, axis=1), ep.events[:, 2].copy()))
    return out


def pipelines() -> dict:
    from pyriemann.classification import MDM
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return {
        "MDM": make_pipeline(Covariances("lwf"), MDM(metric="riemann")),
        "TS+LR": make_pipeline(Covariances("lwf"), TangentSpace(metric="riemann"),
                               LogisticRegression(C=1.0, max_iter=1000)),
    }


def reference(data_dir: Path, subjects: list[int]) -> pd.DataFrame:
    """Rows ``protocol, pipeline, subject, session, accuracy``."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    rows = []
    for s in subjects:
        sessions = subject_epochs(data_dir, s)
        for name, pipe in pipelines().items():
            for k, (sess, X, y) in enumerate(sessions):
                cv = StratifiedKFold(5, shuffle=True, random_state=42)
                acc = cross_val_score(clone(pipe), X, y, cv=cv).mean()
                rows.append(("within-session", name, s, sess, acc))
                rest = [j for j in range(len(sessions)) if j != k]
                X_tr = np.concatenate([sessions[j][1] for j in rest])
                y_tr = np.concatenate([sessions[j][2] for j in rest])
                acc = clone(pipe).fit(X_tr, y_tr).score(X, y)
                rows.append(("cross-session", name, s, sess, acc))
    return pd.DataFrame(rows, columns=["protocol", "pipeline", "subject", "session", "accuracy"])


def eegdec_scores(data_dir: Path, subjects: list[int]) -> pd.DataFrame:
    from eegdec.evaluation.config import RunConfig
    from eegdec.evaluation.runner import run_protocol

    rows = []
    names = {"FB+MDM": "MDM", "FB+TS+LR": "TS+LR"}
    for protocol, label in (("within-cv", "within-session"),
                            ("leave-one-session-out", "cross-session")):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = RunConfig(dataset="SSVEPExo", paradigm="FilterBankSSVEP", models=[],
                            pipelines=str(ROOT / "pipelines"), protocol=protocol,
                            subjects=subjects, alignment="none", data_dir=str(data_dir),
                            quiet=True)
            df = pd.DataFrame(run_protocol(cfg, Path(tmp) / "run").read_rows())
        df = df[df["model"].isin(names)]
        per_session = df.groupby(["model", "subject", "session"])["accuracy"].mean()
        for (model, subject, session), acc in per_session.items():
            rows.append((label, names[model], int(subject), session, acc))
    return pd.DataFrame(rows, columns=["protocol", "pipeline", "subject", "session", "accuracy"])


def table(df: pd.DataFrame) -> pd.DataFrame:
    per_subject = df.groupby(["protocol", "pipeline", "subject"])["accuracy"].mean()
    wide = per_subject.unstack("subject")
    wide["mean"] = wide.mean(axis=1)
    return wide.round(3)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("EEGDEC_DATA", str(SHARED)))
    p.add_argument("--subjects", nargs="+", type=int, default=list(range(1, 9)))
    p.add_argument("--eegdec", action="store_true", help="also run eegdec on the same subjects")
    args = p.parse_args()
    data_dir = Path(args.data_dir)
    t0 = time.perf_counter()
    ref = reference(data_dir, args.subjects)
    print(f"MNE + pyRiemann reference ({time.perf_counter() - t0:.0f} s)")
    print(table(ref).to_string())
    if args.eegdec:
        t0 = time.perf_counter()
        ours = eegdec_scores(data_dir, args.subjects)
        print(f"\neegdec ({time.perf_counter() - t0:.0f} s)")
        print(table(ours).to_string())
        both = pd.concat({"reference": table(ref)["mean"], "eegdec": table(ours)["mean"]},
                         axis=1)
        print("\nmeans side by side")
        print(both.to_string())


if __name__ == "__main__":
    main()
