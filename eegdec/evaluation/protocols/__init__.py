"""Evaluation protocols as objects (MOABB's evaluations are the model), one module each.

Adding a protocol means adding one module with a :class:`Protocol` subclass and registering
an instance: ``eegdec run --protocol`` choices, recipe lookups and config checks read the
registry (:func:`protocol_names`, :func:`check_protocol`, :func:`get_protocol`).
"""

from eegdec.evaluation.protocols.base import (
    CrossSubjectProtocol,
    FoldResult,
    InnerFold,
    ModelSpec,
    Protocol,
    SubjectSplitProtocol,
    Unit,
)
from eegdec.evaluation.protocols.cross_session import CrossSession, LeaveOneSessionOut
from eegdec.evaluation.protocols.loso import LeaveOneSubjectOut
from eegdec.evaluation.protocols.online import OnlineCalibration
from eegdec.evaluation.protocols.pseudo_online import PseudoOnline, PseudoOnlineCrossSubject
from eegdec.evaluation.protocols.registry import (
    check_protocol,
    get_protocol,
    protocol_names,
    register_protocol,
)
from eegdec.evaluation.protocols.within import WithinChronological, WithinCrossValidation

for _protocol in (WithinChronological(), WithinCrossValidation(), CrossSession(),
                  LeaveOneSessionOut(), LeaveOneSubjectOut(), OnlineCalibration(),
                  PseudoOnline(), PseudoOnlineCrossSubject()):
    register_protocol(_protocol)

__all__ = [
    "CrossSubjectProtocol", "FoldResult", "InnerFold", "ModelSpec", "Protocol",
    "SubjectSplitProtocol", "Unit", "check_protocol", "get_protocol", "protocol_names",
    "register_protocol",
]
