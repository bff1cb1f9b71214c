"""Cross-session: train on a subject's first session, test each later one as a new domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eegdec.evaluation.protocols.base import SubjectSplitProtocol
from eegdec.evaluation.splits import Split, cross_session

if TYPE_CHECKING:
    from eegdec.data.epochs import EpochsData
    from eegdec.evaluation.config import RunConfig


class CrossSession(SubjectSplitProtocol):
    """BNCI2014001: ``0train`` -> ``1test``; test sessions are aligned causally."""

    name = "cross-session"
    description = "train on the first session, test each later session"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        return cross_session(data.metadata)

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return max(len(sessions) - 1, 0)
