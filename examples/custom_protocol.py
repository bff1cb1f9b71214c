"""Add an evaluation protocol in a few lines and run it through the `eegdec run` machinery.

The protocol below trains on the first half of each subject's trials (all sessions, in
recording order) and tests on the second half. Once registered, `--protocol first-half` is a
valid choice of the CLI and `run_protocol` plans, runs, stores and resumes it like any
built-in protocol (about 10 s on a 2-core CPU).

    python examples/custom_protocol.py
"""

from __future__ import annotations

from eegdec.cli import main
from eegdec.data.epochs import EpochsData
from eegdec.evaluation.config import RunConfig
from eegdec.evaluation.protocols import SubjectSplitProtocol, register_protocol
from eegdec.evaluation.splits import Split, recording_order


class FirstHalf(SubjectSplitProtocol):
    """The first half of a subject's trials trains, the second half tests."""

    name = "first-half"
    description = "first half of each subject's trials trains, the rest tests"

    def splits(self, data: EpochsData, cfg: RunConfig) -> list[Split]:
        order = recording_order(data.metadata)
        half = len(order) // 2
        return [Split(str(data.metadata["subject"].iloc[0]), "all", 0, order[:half],
                      order[half:])]


register_protocol(FirstHalf())
main(["run", "--dataset", "SimMI-2class", "--subjects", "1", "2", "--protocol", "first-half",
      "--model", "csp-lda", "--model", "ts-lr", "--out", "eegdec_results/examples/first-half",
      "--quiet"])
