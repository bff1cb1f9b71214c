"""Cross-session protocols, each test session a new domain.

- ``cross-session``: train on the subject's first session, test each later one (the
  designated split of BNCI2014001, ``0train`` -> ``1test``); one direction only.
- ``leave-one-session-out``: MOABB's ``CrossSessionEvaluation``: every session is tested once
  by a model trained on all the subject's other sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eegdec.evaluation.protocols.base import SubjectSplitProtocol
from eegdec.evaluation.splits import Split, cross_session, leave_one_session_out

if TYPE_CHECKING:
    from eegdec.data.epochs import EpochsData
    from eegdec.evaluation.config import RunConfig


class CrossSession(SubjectSplitProtocol):
    """BNCI2014001: ``0train`` -> ``1test``; test sessions are aligned causally."""

    name = "cross-session"
    scope = "cross-session"
    description = "train on the first session, test each later session"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        return cross_session(data.metadata)

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return max(len(sessions) - 1, 0)


class LeaveOneSessionOut(SubjectSplitProtocol):
    """MOABB's ``CrossSessionEvaluation``: each session held out once, the model trained on
    every other session of the subject (each training session aligned with its own
    reference, the held-out one causally as a new domain)."""

    name = "leave-one-session-out"
    scope = "cross-session"
    description = "MOABB's cross-session: train on all other sessions, test the held-out one"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        return leave_one_session_out(data.metadata)

    def n_folds(self, cfg: RunConfig, sessions: tuple[str, ...]) -> int:
        return len(sessions)
