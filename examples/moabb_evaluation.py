"""eegdec models inside MOABB evaluations, next to MOABB-style classical pipelines.

Within-session 5-fold CV on PhysionetMI subject 1 (imagined hands vs feet) and, with
``--cross-subject``, a cross-subject evaluation where MOABB hands 20% of each target subject's
labelled trials to ``fit`` (``cs_mode="train_and_target_labeled_20p"``). Reads the files from
``--data-dir`` (default ``../shared/data``); nothing is downloaded.

    python examples/moabb_evaluation.py [--data-dir ../shared/data] [--cross-subject]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared/data"))
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--cross-subject", action="store_true",
                   help="also run CrossSubjectEvaluation on subjects 1-4, left vs right hand")
    args = p.parse_args()
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")
    os.environ["MNE_DATA"] = os.environ["MNE_DATASETS_EEGBCI_PATH"] = str(
        Path(args.data_dir).resolve())

    from moabb.datasets import PhysionetMI
    from moabb.evaluations import CrossSubjectEvaluation, WithinSessionEvaluation
    from moabb.paradigms import LeftRightImagery, MotorImagery

    from eegdec.training.estimators import make_estimator

    sfreq = 80.0  # MOABB resamples 160 -> 80 Hz below (8-32 Hz band-pass first)
    pipelines = {
        "EEGNet": make_estimator("eegnet", sfreq=sfreq, protocol="within-cv", seed=1,
                                 epochs=args.epochs),
        "ShallowConvNet": make_estimator("shallowconvnet", sfreq=sfreq, protocol="within-cv",
                                         seed=1, epochs=args.epochs),
        "CSP+LDA": make_estimator("csp-lda", sfreq=sfreq),
    }
    dataset = PhysionetMI(imagined=True)
    dataset.subject_list = [1]
    paradigm = MotorImagery(events=["hands", "feet"], n_classes=2, fmin=8, fmax=32,
                            resample=sfreq)
    ev = WithinSessionEvaluation(paradigm=paradigm, datasets=[dataset], overwrite=True,
                                 hdf5_path="moabb_results")
    res = ev.process(pipelines)
    print(res[["pipeline", "subject", "score", "time"]].to_string(index=False))

    if args.cross_subject:
        dataset.subject_list = [1, 2, 3, 4]
        cs = {"EEGNet+EA": make_estimator("eegnet", sfreq=sfreq, protocol="loso", seed=1,
                                          epochs=args.epochs, alignment="euclidean")}
        ev = CrossSubjectEvaluation(paradigm=LeftRightImagery(fmin=8, fmax=32, resample=sfreq),
                                    datasets=[dataset], overwrite=True,
                                    hdf5_path="moabb_results",
                                    cs_mode="train_and_target_labeled_20p")
        res = ev.process(cs)
        print(res[["pipeline", "subject", "score", "time"]].to_string(index=False))


if __name__ == "__main__":
    main()
