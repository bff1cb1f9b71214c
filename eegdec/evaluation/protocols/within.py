"""Within-subject protocols on each session: chronological (``within-co``) and k-fold
(``within-cv``); see ``../shared/specs/evaluation.md``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eegdec.evaluation.protocols.base import SubjectSplitProtocol
from eegdec.evaluation.splits import Split, within_co, within_cv

if TYPE_CHECKING:
    from eegdec.data.epochs import EpochsData
    from eegdec.evaluation.config import RunConfig


class WithinChronological(SubjectSplitProtocol):
    """Per session and class, the first 80 % of trials train and the rest test."""

    name = "within-co"
    description = "per session: first 80% of each class trains, the rest tests"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        return within_co(data.metadata, data.y)

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return len(sessions)


class WithinCrossValidation(SubjectSplitProtocol):
    """Per session, k folds (stratified shuffled, or contiguous blocks with ``--cv``)."""

    name = "within-cv"
    description = "per session: k-fold cross-validation"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        return within_cv(data.metadata, data.y, n_folds=cfg.n_folds, cv=cfg.cv,
                         seed=cfg.cv_seed)

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return len(sessions) * cfg.n_folds
