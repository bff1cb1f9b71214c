"""``EEGDecClassifier``: any registered torch model as a scikit-learn classifier.

Trains through :mod:`eegdec.training` (Lightning, preloaded tensors), so it drops into sklearn
pipelines, ``cross_val_score`` and MOABB evaluations, including the target-calibration
keywords MOABB's ``CrossSubjectEvaluation`` routes to ``fit``.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from eegdec.errors import BadInputError


def _as_array(X: Any) -> tuple[np.ndarray, float | None, list | None]:
    """``(X, sfreq, chs_info)`` from an array or ``mne.Epochs`` (data in microvolts)."""
    if hasattr(X, "get_data") and hasattr(X, "info"):
        data = X.get_data(picks="data", units="uV")
        picks = [X.ch_names.index(ch) for ch in X.copy().pick("data").ch_names]
        return data, float(X.info["sfreq"]), [X.info["chs"][i] for i in picks]
    return X, None, None


class EEGDecClassifier(ClassifierMixin, BaseEstimator):
    """Scikit-learn classifier training a registered torch model with Lightning.

    Parameters
    ----------
    model : registry name (``eegdec models`` lists them).
    epochs, lr, batch_size, optimizer, weight_decay, scheduler : training recipe; defaults are
        the DBConformer paper's 5-fold CV recipe (``eegdec.training.load_recipe``).
    class_weight : ``None``, ``"balanced"`` or ``{label: weight}`` for the cross-entropy.
    device : ``"cpu"``, ``"cuda"`` or ``"auto"``.
    random_state : seed of weights, batch order and dropout; ``None`` draws one.
    alignment : a mode of :data:`eegdec.preprocessing.alignment.ALIGNMENTS` (``None`` is
        ``"none"``). Training data are aligned per domain (``domains`` or MOABB's ``subjects``
        in ``fit``; one domain otherwise). At prediction, a model fitted on one domain aligns
        test trials with the training reference; a model fitted on several domains treats the
        test trials as a new domain and aligns them causally (trial *i* with the reference over
        trials ``0..i``), seeded with target calibration. ``"euclidean-transductive"`` aligns
        the trials of each ``predict`` call with their own reference (future trials too).
    sfreq : sampling rate of array inputs (``mne.Epochs`` carry their own).
    model_kwargs : extra keyword arguments for the model builder.
    val_fraction, early_stopping_patience : hold out this share of the training trials and stop
        when ``val_loss`` has not improved for ``patience`` epochs (off by default).
    fine_tune_epochs, fine_tune_lr : defaults of :meth:`fine_tune` and of training on labelled
        target calibration trials.
    log_dir : write Lightning CSV (and TensorBoard) logs there.
    quiet : hide progress bars and Lightning messages.
    memory_format : ``"auto"`` (channels-last weights on CPU for the models the registry marks
        as faster that way), ``"contiguous"`` or ``"channels_last"``.
    callbacks : extra Lightning callbacks of :meth:`fit` (e.g.
        :class:`~eegdec.training.callbacks.EpochScores`, which nested model selection uses).
    augment : comma-separated braindecode augmentations of the training batches
        (:data:`eegdec.training.augmentation.AUGMENTATIONS`, e.g. ``"frequency-shift,mixup"``),
        seeded by ``random_state``; ``None``: none.
    fine_tune_strategy : ``None`` (every layer, fixed epochs) or a strategy of
        :data:`eegdec.training.finetune.FINETUNE_STRATEGIES` (``all``, ``head``,
        ``last-block``, with early stopping on held-out calibration trials when there are 8+).

    Attributes
    ----------
    classes_, module_ (the trained ``EEGDecModule``), model_ (its ``nn.Module``), history_
    (one dict per epoch: ``epoch, train_loss, train_acc[, val_loss, val_acc]``), sfreq_,
    n_train_trials_ (target calibration trials included), seed_.

    A fitted classifier pickles (``joblib.dump``, parallel workers) and has :meth:`save` /
    :meth:`load` for sharing (docs/reliability.md).
    """

    #: ``fit`` takes a :class:`~eegdec.data.stack.TrialStack` (out-of-core training).
    accepts_trial_stacks = True

    # MOABB (CrossSubjectEvaluation with cs_mode) routes these through metadata routing.
    __metadata_request__fit = {
        "subjects": True, "X_target_labeled": True, "y_target_labeled": True,
        "X_target_unlabeled": True,
    }

    def __init__(
        self,
        model: str = "dbconformer",
        *,
        epochs: int = 100,
        lr: float = 1e-3,
        batch_size: int = 32,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        scheduler: str | None = None,
        class_weight: str | dict | None = None,
        device: str = "cpu",
        random_state: int | None = None,
        alignment: str | None = None,
        sfreq: float = 250.0,
        model_kwargs: dict | None = None,
        val_fraction: float = 0.0,
        early_stopping_patience: int | None = None,
        fine_tune_epochs: int = 20,
        fine_tune_lr: float = 1e-4,
        log_dir: str | None = None,
        quiet: bool = True,
        memory_format: str = "auto",
        callbacks: list | None = None,
        augment: str | None = None,
        fine_tune_strategy: str | None = None,
    ) -> None:
        self.model = model
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.scheduler = scheduler
        self.class_weight = class_weight
        self.device = device
        self.random_state = random_state
        self.alignment = alignment
        self.sfreq = sfreq
        self.model_kwargs = model_kwargs
        self.val_fraction = val_fraction
        self.early_stopping_patience = early_stopping_patience
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_lr = fine_tune_lr
        self.log_dir = log_dir
        self.quiet = quiet
        self.memory_format = memory_format
        self.callbacks = callbacks
        self.augment = augment
        self.fine_tune_strategy = fine_tune_strategy

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    # -- input handling ------------------------------------------------------------------------
    def _validate_X(self, X: Any, reset: bool, y: Any = "no_validation") -> Any:
        """Validated C-contiguous float32 ``(n, C, T)`` array (and ``y`` when given).

        Integer and float64 arrays are converted; NaN/inf, complex values, a wrong number of
        dimensions and empty channel or time axes raise one-line errors before any training.
        """
        from scipy import sparse

        X, sfreq, chs_info = _as_array(X)
        if not (isinstance(X, np.ndarray) or sparse.issparse(X)):  # lists, array-likes
            X = np.asarray(X)
        if np.iscomplexobj(X):
            raise BadInputError("Complex data not supported: pass real-valued signals, e.g. "
                                "np.real(X) or np.abs(X).")
        shape = X.shape
        if len(shape) not in (2, 3):
            raise BadInputError(
                f"X has shape {shape}. Reshape your data to (n_trials, n_chans, n_times) or "
                "(n_trials, n_times)."
            )
        if not reset and len(shape) == 3 and shape[1] != getattr(self, "n_chans_", shape[1]):
            raise BadInputError(
                f"X has {shape[1]} channels but the model was fitted on {self.n_chans_}: pass "
                "the same channels, in the same order."
            )
        out = validate_data(self, X, y, reset=reset, allow_nd=True, dtype=np.float32,
                            ensure_all_finite=False)
        X, y = out if isinstance(out, tuple) else (out, y)
        if X.ndim == 2:  # single-channel signals
            X = X[:, None, :]
        if 0 in X.shape[1:]:
            raise BadInputError(f"X has shape {X.shape}: give at least one channel and one "
                                "time sample per trial.")
        bad = np.flatnonzero(~np.isfinite(X).all(axis=(1, 2)))
        if bad.size:
            raise BadInputError(
                f"X holds NaN or inf (or values beyond float32) in {bad.size} trial(s), first "
                f"trial {bad[0]}: drop or repair them (e.g. Pipeline(bad_channels='interpolate'))."
            )
        if reset:
            self.sfreq_ = float(sfreq if sfreq is not None else self.sfreq)
            self.chs_info_ = chs_info
            self.n_chans_ = X.shape[1]
            self.n_times_ = X.shape[2]
        elif X.shape[2] != self.n_times_:
            raise BadInputError(
                f"X has {X.shape[2]} time samples but the model was fitted on {self.n_times_}: "
                "epoch the data with the same window."
            )
        X = np.ascontiguousarray(X, dtype=np.float32)
        return X if isinstance(y, str) else (X, y)

    def _validate_stack(self, X: Any, y: Any) -> tuple[Any, np.ndarray]:
        """:meth:`_validate_X` for a :class:`~eegdec.data.stack.TrialStack` (out-of-core
        training): shapes from its first trial, values checked part by part."""
        from sklearn.utils.validation import column_or_1d

        if len(X) == 0:
            raise BadInputError("X holds no trial: give at least one trial to fit.")
        self._validate_X(X.take([0]), reset=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(X):
            raise BadInputError(f"y has {len(y)} labels for {len(X)} trials.")
        bad = X.nonfinite_trials()
        if bad.size:
            raise BadInputError(
                f"X holds NaN or inf (or values beyond float32) in {bad.size} trial(s), first "
                f"trial {bad[0]}: drop or repair them (e.g. Pipeline(bad_channels='interpolate'))."
            )
        return X, y

    def _check_params(self) -> None:
        from eegdec.models.registry import get_model_info
        from eegdec.preprocessing.alignment import check_alignment
        from eegdec.training.augmentation import parse_augment
        from eegdec.training.finetune import check_strategy

        self.alignment_ = check_alignment(self.alignment)
        parse_augment(self.augment)
        check_strategy(self.fine_tune_strategy)
        if int(self.batch_size) < 1:
            raise BadInputError(f"batch_size must be >= 1, got {self.batch_size}.")
        if get_model_info(self.model).kind != "torch":
            raise BadInputError(
                f"Model {self.model!r} is not a torch model: use "
                "eegdec.training.estimators.make_estimator for classical pipelines."
            )

    def _seed(self) -> int:
        if self.random_state is None:
            return int(np.random.randint(0, 2**31 - 1))
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(0, 2**31 - 1))
        return int(self.random_state)

    def _class_weight(self, y: np.ndarray):
        import torch
        from sklearn.utils.class_weight import compute_class_weight

        if self.class_weight is None:
            return None
        if not (self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise BadInputError(
                f"Unknown class_weight {self.class_weight!r}: use None, 'balanced' or a dict "
                "{label: weight}."
            )
        w = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return torch.as_tensor(w, dtype=torch.float32)

    # -- alignment -----------------------------------------------------------------------------
    def _align_train(self, X: np.ndarray, domains: np.ndarray | None) -> np.ndarray:
        """Each training domain whitened by its own reference (kept for one-domain fits)."""
        from eegdec.preprocessing.alignment import EuclideanAlignment, align_domains

        if domains is None or len(np.unique(domains)) == 1:
            self.test_aligner_ = EuclideanAlignment().fit(X)
            return self.test_aligner_.transform(X)
        return align_domains(X, domains, self.alignment_)

    def _align_train_stack(self, X: Any, domains: np.ndarray | None) -> Any:
        """:meth:`_align_train` for a :class:`~eegdec.data.stack.TrialStack`: references
        computed part by part, applied as batches are read."""
        from eegdec.preprocessing.alignment import aligned_trials, reference_of

        if X.filtered:
            raise BadInputError("The trial stack is aligned already: fit with alignment=None.")
        if domains is None or len(np.unique(domains)) == 1:
            self.test_aligner_ = reference_of(X.parts)
            W = self.test_aligner_.inv_sqrt_ref_[None]
            return type(X)(X.parts, [(W, np.zeros(len(p), np.int64)) for p in X.parts])
        labels = np.split(np.asarray(domains), X.offsets[1:-1])
        return aligned_trials(X.parts, labels, self.alignment_)

    def _align_target(self, X: np.ndarray) -> np.ndarray:
        """Align target trials causally; the aligner's state carries over to later trials."""
        from eegdec.preprocessing.alignment import IncrementalEuclideanAlignment

        if not isinstance(self.test_aligner_, IncrementalEuclideanAlignment):
            self.test_aligner_ = IncrementalEuclideanAlignment()
        return self.test_aligner_.transform(X)

    def _align_test(self, X: np.ndarray) -> np.ndarray:
        from eegdec.preprocessing.alignment import align_new_domain, is_transductive

        if self.alignment_ == "none":
            return X
        if self.test_aligner_ is None or is_transductive(self.alignment_):
            return align_new_domain(X, self.alignment_)
        return copy.deepcopy(self.test_aligner_).transform(X)

    # -- training ------------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        domains: Any = None,
        subjects: Any = None,
        X_target_labeled: Any = None,
        y_target_labeled: Any = None,
        X_target_unlabeled: Any = None,
        sample_weight: Any = None,
    ) -> EEGDecClassifier:
        """Train a fresh model on ``X`` ``(n, C, T)`` (or ``mne.Epochs``) and labels ``y``.

        ``X`` may also be a :class:`~eegdec.data.stack.TrialStack` (several subjects, memory-
        mapped): batches are then read from its parts and it is never concatenated.

        ``domains`` (alias ``subjects``, MOABB's name) gives each trial's recording domain for
        per-domain alignment. ``X_target_labeled, y_target_labeled`` (MOABB's labelled target
        calibration) are aligned causally as a new domain and join the training set;
        ``X_target_unlabeled`` only seeds the target alignment. ``sample_weight`` (one per
        trial of ``X``; calibration trials weigh 1) weights each trial's loss.
        """
        import torch

        from eegdec.data.stack import TrialStack
        from eegdec.models.registry import create_model
        from eegdec.training.augmentation import make_augmenter, parse_augment
        from eegdec.training.data import EpochsDataModule
        from eegdec.training.module import EEGDecModule
        from eegdec.training.trainer import fit_module

        self._check_params()
        stacked = isinstance(X, TrialStack)
        X, y = self._validate_stack(X, y) if stacked else self._validate_X(X, reset=True, y=y)
        check_classification_targets(y)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise BadInputError(
                f"Only one class ({self.classes_[0]!r}) in y: a classifier needs at least two."
            )
        y_idx = self._encoder.transform(y)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        domains = domains if domains is not None else subjects
        if domains is not None:
            domains = np.asarray(domains)
            if len(domains) != len(X):
                raise BadInputError(f"domains has {len(domains)} entries for {len(X)} trials.")
        self.test_aligner_ = None
        if self.alignment_ != "none":
            X = self._align_train_stack(X, domains) if stacked else self._align_train(X, domains)
        if X_target_unlabeled is not None and self.alignment_ != "none":
            self._align_target(self._validate_X(X_target_unlabeled, reset=False))
        if X_target_labeled is not None:
            if y_target_labeled is None:
                raise BadInputError("X_target_labeled was given without y_target_labeled.")
            Xt = self._validate_X(X_target_labeled, reset=False)
            if self.alignment_ != "none":
                Xt = self._align_target(Xt)
            X = X.with_part(Xt) if stacked else np.concatenate([X, Xt])
            y_idx = np.concatenate([y_idx, self._encode(y_target_labeled)])
            if weight is not None:
                weight = np.concatenate([weight, np.ones(len(Xt))])

        self.n_train_trials_ = len(X)
        seed = self._seed()
        self.seed_ = seed
        kwargs = dict(self.model_kwargs or {})
        if self.chs_info_ is not None:
            kwargs.setdefault("chs_info", self.chs_info_)
        # what rebuilds the network when the estimator is unpickled or loaded
        self._net_spec = {"model": self.model, "build": dict(
            n_chans=X.shape[1], n_outputs=len(self.classes_), n_times=X.shape[2],
            sfreq=self.sfreq_, **kwargs)}
        net = create_model(self.model, seed=seed, **self._net_spec["build"])
        if not isinstance(net, torch.nn.Module):
            raise BadInputError(
                f"Model {self.model!r} is not a torch model: use "
                "eegdec.training.estimators.make_estimator for classical pipelines."
            )
        self.module_ = EEGDecModule(
            net, lr=self.lr, optimizer=self.optimizer, weight_decay=self.weight_decay,
            scheduler=self.scheduler, class_weight=self._class_weight(self.classes_[y_idx]),
            augment=make_augmenter(parse_augment(self.augment), sfreq=self.sfreq_,
                                   n_classes=len(self.classes_), seed=seed),
        )
        data = EpochsDataModule(X, y_idx, batch_size=self.batch_size,
                                val_fraction=self.val_fraction, seed=seed, sample_weight=weight)
        self.history_ = fit_module(
            self.module_, data, epochs=self.epochs, seed=seed, device=self.device,
            quiet=self.quiet, early_stopping_patience=self.early_stopping_patience,
            log_dir=self.log_dir, name=self.model, memory_format=self.memory_format,
            callbacks=self.callbacks,
        )
        return self

    def _encode(self, y: Any) -> np.ndarray:
        y = np.asarray(y)
        unknown = set(np.unique(y)) - set(self.classes_)
        if unknown:
            raise BadInputError(
                f"Labels {sorted(map(str, unknown))} were not seen in fit "
                f"(classes: {list(map(str, self.classes_))})."
            )
        return self._encoder.transform(y)

    def fine_tune(self, X: Any, y: Any, *, epochs: int | None = None,
                  lr: float | None = None) -> EEGDecClassifier:
        """Continue training the fitted model on new labelled trials (online calibration).

        With alignment, ``X`` is treated as the target domain: aligned causally in the given
        order, and the aligner then continues over the trials passed to ``predict``. With
        ``fine_tune_strategy`` only its layers train, and from 8 trials a held-out 25% stops
        training early (:mod:`eegdec.training.finetune`). Augmentation is not applied here.
        """
        from eegdec.training.callbacks import KeepBest
        from eegdec.training.data import EpochsDataModule
        from eegdec.training.finetune import check_strategy, early_stopping_plan, frozen_except
        from eegdec.training.trainer import fit_module

        check_is_fitted(self, "module_")
        X = self._validate_X(X, reset=False)
        y_idx = self._encode(y)
        if len(y_idx) != len(X):
            raise BadInputError(f"y has {len(y_idx)} labels for {len(X)} trials.")
        if self.alignment_ != "none":
            X = self._align_target(X)
        self.module_.lr = float(lr if lr is not None else self.fine_tune_lr)
        strategy = check_strategy(self.fine_tune_strategy)
        val_fraction, patience = early_stopping_plan(len(X)) if strategy else (0.0, None)
        data = EpochsDataModule(X, y_idx, batch_size=self.batch_size, seed=self.seed_ + 1,
                                val_fraction=val_fraction)
        augment, self.module_.augment = self.module_.augment, None
        try:
            with frozen_except(self.module_.model, strategy or "all") as callbacks:
                self.history_ = self.history_ + fit_module(
                    self.module_, data,
                    epochs=epochs if epochs is not None else self.fine_tune_epochs,
                    seed=self.seed_ + 1, device=self.device, quiet=self.quiet,
                    log_dir=self.log_dir, name=f"{self.model}-fine-tune",
                    memory_format=self.memory_format, early_stopping_patience=patience,
                    callbacks=[*callbacks, *([KeepBest()] if patience is not None else [])],
                )
        finally:
            self.module_.augment = augment
        return self

    # -- persistence ---------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Pickle the trained network as its state dict: torch cannot pickle the parametrized
        modules of some models (EEGNet's max-norm constraint...)."""
        from eegdec.training.persistence import pack_module

        state = dict(super().__getstate__())
        if "module_" in state:
            state["module_"] = pack_module(state["module_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from eegdec.training.persistence import unpack_module

        if isinstance(state.get("module_"), dict):  # packed by __getstate__
            state = dict(state, module_=unpack_module(state["module_"], state["_net_spec"]))
        super().__setstate__(state)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted classifier to directory ``path`` for sharing: ``weights.pt`` (a
        tensor-only state dict) and ``model.json`` (parameters, fitted attributes, eegdec
        version, weights checksum). See docs/reliability.md; returns the directory."""
        from eegdec.training.persistence import save_classifier

        return save_classifier(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> EEGDecClassifier:
        """The classifier :meth:`save` wrote to ``path``, without running any pickled code.

        Refuses (eegdec errors, one line) a missing file, weights that do not match the saved
        checksum, and a file from another eegdec major version.
        """
        from eegdec.training.persistence import load_classifier

        return load_classifier(cls, path)

    # -- inference -----------------------------------------------------------------------------
    @property
    def model_(self):
        check_is_fitted(self, "module_")
        return self.module_.model

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_trials, n_classes)``, columns in ``classes_`` order."""
        from eegdec.training.trainer import predict_proba

        check_is_fitted(self, "module_")
        X = self._align_test(self._validate_X(X, reset=False))
        return predict_proba(self.module_.model, X, device=self.device)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (as given to ``fit``)."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def predict_with_extras(self, X: Any) -> tuple[np.ndarray, dict[str, Any]]:
        """``(proba, extras)``; ``extras`` holds what the model exposes with
        ``forward(x, return_features=True)`` (DBConformer: ``features``, ``channel_attention``,
        attention maps) as numpy arrays, or is empty for models without it."""
        import inspect

        import torch

        from eegdec.training.data import TensorBatches, as_tensors

        check_is_fitted(self, "module_")
        net = self.module_.model
        if "return_features" not in inspect.signature(net.forward).parameters:
            return self.predict_proba(X), {}
        X = self._align_test(self._validate_X(X, reset=False))
        probs, parts = [], []
        net.eval()
        with torch.no_grad():
            for (xb,) in TensorBatches(as_tensors(X)[0], None, 256):
                logits, extras = net(xb, return_features=True)
                probs.append(torch.softmax(logits, 1))
                parts.append(extras)
        return torch.cat(probs).numpy().astype(np.float64), _merge_extras(parts)


def _merge_extras(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Concatenate per-batch extras along the trial axis (lists: per layer)."""
    import torch

    out: dict[str, Any] = {}
    for key, first in parts[0].items():
        if isinstance(first, torch.Tensor):
            out[key] = torch.cat([p[key] for p in parts]).numpy()
        elif isinstance(first, (list, tuple)):
            out[key] = [torch.cat([p[key][i] for p in parts]).numpy() for i in range(len(first))]
    return out
