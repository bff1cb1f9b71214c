"""Registration of DBConformer, braindecode baselines and classical pipelines.

Builders import torch, braindecode and pyRiemann only when called, so listing models is fast.
"""

from __future__ import annotations

from typing import Any

from eegdec.models.registry import register_model


@register_model("dbconformer", family="DBConformer", paper="Wang et al. 2025, arXiv:2506.21140",
                description="dual-branch (temporal + spatial) convolutional transformer",
                memory_format="channels_last")
def dbconformer(n_chans: int, n_outputs: int, n_times: int, sfreq: float,
                chs_info: Any = None, **kwargs: Any) -> Any:
    from eegdec.models.dbconformer import DBConformer

    return DBConformer(n_chans, n_outputs, n_times, sfreq, **kwargs)


def _braindecode(name: str, class_name: str, *, family: str, paper: str, **defaults: Any) -> None:
    """Register ``braindecode.models.<class_name>`` under ``name``."""

    def builder(n_chans: int, n_outputs: int, n_times: int, sfreq: float, **kwargs: Any) -> Any:
        from eegdec.models.braindecode_models import build_braindecode

        return build_braindecode(class_name, n_chans, n_outputs, n_times, sfreq, **kwargs)

    builder.__name__ = builder.__qualname__ = name.replace("-", "_")
    builder.__doc__ = f"braindecode's ``{class_name}`` ({paper})."
    register_model(name, family=family, paper=paper,
                   description=f"braindecode.models.{class_name}", **defaults)(builder)


# memory_format: the CPU layout benchmarks/bench_memory_format.py measured faster (EEGNet's
# channels-last kernels win 1.7x on one thread but do not scale to two: 0.9x there).
_braindecode("eegnet", "EEGNet", family="EEGNet", paper="Lawhern et al. 2018, J Neural Eng",
             memory_format="channels_last_single_thread")
_braindecode("shallowconvnet", "ShallowFBCSPNet", family="ConvNet",
             paper="Schirrmeister et al. 2017, Hum Brain Mapp")
_braindecode("deepconvnet", "Deep4Net", family="ConvNet",
             paper="Schirrmeister et al. 2017, Hum Brain Mapp", memory_format="channels_last")
_braindecode("eegconformer", "EEGConformer", family="Conformer",
             paper="Song et al. 2023, IEEE TNSRE", memory_format="channels_last")
_braindecode("ifnet", "IFNet", family="Filter-bank CNN", paper="Wang et al. 2023, IEEE TNSRE")
_braindecode("fbcnet", "FBCNet", family="Filter-bank CNN", paper="Mane et al. 2021, arXiv")
_braindecode("ctnet", "CTNet", family="Conformer", paper="Zhao et al. 2024, Sci Rep")
_braindecode("atcnet", "ATCNet", family="TCN", paper="Altaheri et al. 2023, IEEE TII")
_braindecode("msvtnet", "MSVTNet", family="Conformer", paper="Liu et al. 2024, IEEE JBHI")
_braindecode("eegtcnet", "EEGTCNet", family="TCN", paper="Ingolfsson et al. 2020, IEEE SMC")
_braindecode("eeginceptionmi", "EEGInceptionMI", family="Inception",
             paper="Zhang et al. 2021, J Neural Eng", memory_format="channels_last")
_braindecode("eegnex", "EEGNeX", family="EEGNet", paper="Chen et al. 2024, J Neural Eng",
             memory_format="channels_last")


@register_model("eegnet-paper", family="EEGNet", paper="Lawhern et al. 2018; as in DBConformer",
                description="EEGNet with F1=4, D=2, F2=8, temporal kernel = sfreq/2",
                F1=4, D=2, F2=8, kernel_seconds=0.5)
def eegnet_paper(n_chans: int, n_outputs: int, n_times: int, sfreq: float,
                 kernel_seconds: float = 0.5, **kwargs: Any) -> Any:
    from eegdec.models.braindecode_models import build_braindecode

    kwargs.setdefault("kernel_length", max(1, round(kernel_seconds * sfreq)))
    return build_braindecode("EEGNet", n_chans, n_outputs, n_times, sfreq, **kwargs)


def _classical(name: str, func: str, *, family: str, paper: str, description: str) -> None:
    """Register ``eegdec.models.classical.<func>`` under ``name`` (kind ``"sklearn"``)."""

    def builder(n_chans: int, n_outputs: int, n_times: int, sfreq: float, **kwargs: Any) -> Any:
        from eegdec.models import classical

        return getattr(classical, func)(sfreq=sfreq, **kwargs)

    builder.__name__ = builder.__qualname__ = func
    register_model(name, family=family, paper=paper, kind="sklearn",
                   description=description)(builder)


_classical("csp-lda", "csp_lda", family="CSP", paper="Ramoser et al. 2000; Blankertz et al. 2008",
           description="CSP (6 filters) + LDA")
_classical("fbcsp-svm", "fbcsp_svm", family="CSP", paper="Ang et al. 2008, IJCNN",
           description="filter-bank CSP (9 bands) + linear SVM")
_classical("ts-lr", "ts_lr", family="Riemannian", paper="Barachant et al. 2012, IEEE TBME",
           description="tangent space + logistic regression")
_classical("mdm", "mdm", family="Riemannian", paper="Barachant et al. 2012, IEEE TBME",
           description="minimum distance to Riemannian mean")
