"""Built-in simulated motor-imagery datasets (``SimMI-*``): no download, deterministic by seed.

Physiology, kept simple but not white noise:

- electrodes at their 10-05 positions (MNE standard montage); sources are current dipoles
  (radial) a quarter of the head radius below the scalp; volume conduction mixes every source
  into every electrode through the potential of a dipole in an infinite homogeneous medium;
- background: 24 dipoles with 1/f^a activity spread over the cortex plus a posterior alpha
  generator (10 Hz, a distractor in the mu band), small sensor noise and 50 Hz line noise;
- sensorimotor sources under C3 (right hand), C4 (left hand), Cz (feet) and C5/C6 (tongue,
  lateral) carry mu (8-13 Hz) and beta (13-30 Hz) rhythms; imagery of a class desynchronises
  (ERD) its source from ~0.5 s after the cue to the end of the imagery period, with a little
  ipsilateral synchronisation (ERS); depth varies trial to trial;
- per subject: source positions, mu/beta peak frequencies, ERD depth (SNR), background
  layout and electrode gains; per session: cap placement shift, gain and noise drift, and a
  slow within-session amplitude trend.

Trials follow BNCI2014001: marker at t=0, cue at 2 s, imagery 2-6 s, 1.5-2.5 s break. The
result is an ``mne.io.RawArray`` in volts with one annotation per trial at the cue (MOABB's
convention), so MOABB data and simulated data share the epoching and preprocessing code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from eegdec.data.epochs import EpochsData, Preprocessor
    from eegdec.data.registry import DatasetSpec

# Class -> (sources with ERD, sources with mild ERS).
CLASS_SOURCES = {
    "left_hand": (("C4",), ("C3",)),
    "right_hand": (("C3",), ("C4",)),
    "feet": (("Cz",), ("C3", "C4")),
    "tongue": (("C5", "C6"), ()),
}
MOTOR_SOURCES = ("C3", "C4", "Cz", "C5", "C6")
N_BACKGROUND = 24
LINE_FREQ = 50.0


def _positions(names: list[str]) -> np.ndarray:
    from eegdec.data.channels import make_montage

    pos = make_montage("standard_1005").get_positions()["ch_pos"]
    lower = {k.lower(): v for k, v in pos.items()}
    return np.array([lower[n.lower()] for n in names])


def _leadfield(elec: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Potential at ``elec`` (E, 3) of unit radial dipoles at ``src`` (S, 3): (E, S)."""
    d = elec[:, None, :] - src[None, :, :]
    r = np.linalg.norm(d, axis=2)
    orient = src / np.linalg.norm(src, axis=1, keepdims=True)
    g = np.einsum("esk,sk->es", d, orient) / r**3
    return g / np.abs(g).max(axis=0, keepdims=True)


def _band_noise(rng: np.random.Generator, n: int, sfreq: float, f0: float, bw: float,
                size: int = 1) -> np.ndarray:
    """Gaussian noise shaped to a Gaussian spectral peak at ``f0`` (sd ``bw``), unit variance."""
    return _shaped_noise(rng, size, n, sfreq, lambda f: np.exp(-0.5 * ((f - f0) / bw) ** 2))


def _pink_noise(rng: np.random.Generator, n: int, sfreq: float, exponent: np.ndarray
                ) -> np.ndarray:
    """1/f^exponent noise (one exponent per row), high-passed at 0.5 Hz, unit variance."""

    def shape(f: np.ndarray) -> np.ndarray:
        return np.maximum(f, 0.5)[None, :] ** (-exponent[:, None] / 2) * (f >= 0.5)[None, :]

    return _shaped_noise(rng, len(exponent), n, sfreq, shape)


def _shaped_noise(rng: np.random.Generator, rows: int, n: int, sfreq: float, shape) -> np.ndarray:
    """White noise filtered by the amplitude response ``shape(freqs)``; unit variance rows."""
    from scipy import fft

    n_fft = fft.next_fast_len(n, real=True)
    f = fft.rfftfreq(n_fft, 1 / sfreq)
    spec = fft.rfft(rng.standard_normal((rows, n_fft), dtype=np.float32), axis=1) * shape(f)
    x = fft.irfft(spec, n=n_fft, axis=1)[:, :n]
    return x / x.std(axis=1, keepdims=True)


def _erd_course(n: int, sfreq: float, cues: np.ndarray, depth: np.ndarray, length: float
                ) -> np.ndarray:
    """Sum over trials of a smooth 0->depth->0 plateau from cue+0.5 s to cue+length."""
    t = np.arange(int((length + 1.0) * sfreq)) / sfreq
    rise = np.clip((t - 0.3) / 0.5, 0, 1)
    fall = np.clip((length + 0.8 - t) / 0.8, 0, 1)
    template = np.minimum(rise, fall) ** 2
    out = np.zeros(n)
    for cue, d in zip(cues, depth):
        start = int(round(cue * sfreq))
        seg = out[start:start + len(template)]
        seg += d * template[:len(seg)]
    return out


def _subject_params(spec: DatasetSpec, subject: int) -> dict:
    seed = int(spec.options.get("seed", 0))
    rng = np.random.default_rng([seed, subject])
    radius = 0.085
    bg_dirs = rng.standard_normal((N_BACKGROUND, 3))
    bg_dirs[:, 2] = np.abs(bg_dirs[:, 2]) + 0.2
    bg_dirs /= np.linalg.norm(bg_dirs, axis=1, keepdims=True)
    return {
        "rng_seed": [seed, subject],
        "motor_shift": rng.normal(0, 0.006, (len(MOTOR_SOURCES), 3)),
        "mu_freq": rng.uniform(9.0, 12.0),
        "beta_freq": rng.uniform(17.0, 24.0),
        "mu_amp": rng.uniform(2.0, 4.0),
        "erd_depth": rng.uniform(0.35, 0.7),
        "bg_src": bg_dirs * radius * rng.uniform(0.6, 0.8, (N_BACKGROUND, 1)),
        "bg_exponent": rng.uniform(1.0, 1.8, N_BACKGROUND),
        "bg_amp": rng.uniform(0.7, 1.4),
        "alpha_amp": rng.uniform(1.0, 3.0),
        "gains": rng.lognormal(0.0, 0.25, len(spec.channels)),
    }


def simulate_raw(spec: DatasetSpec, subject: int, session: str) -> mne.io.RawArray:
    """One session of ``subject`` as an MNE Raw (volts) with one annotation per trial."""
    import mne

    from eegdec.data.channels import make_montage

    p = _subject_params(spec, subject)
    s_idx = spec.sessions.index(session)
    rng = np.random.default_rng([*p["rng_seed"], s_idx])
    sfreq, ch = spec.sfreq, list(spec.channels)
    cue_delay, length = spec.window[0], spec.window[1] - spec.window[0]
    classes = list(spec.classes)
    per_class = int(spec.options.get("trials_per_class", 40))

    labels = rng.permutation(np.repeat(np.arange(len(classes)), per_class))
    breaks = rng.uniform(1.5, 2.5, len(labels))
    markers = 2.0 + np.concatenate([[0], np.cumsum(spec.window[1] + breaks[:-1])])
    cues = markers + cue_delay
    n = int((markers[-1] + spec.window[1] + 3.0) * sfreq)

    # Forward model: electrodes shifted with the cap placement of this session.
    elec = _positions(ch) + rng.normal(0, 0.003, 3)
    scalp = _positions(list(MOTOR_SOURCES))
    motor_src = scalp * 0.75 + p["motor_shift"]
    alpha_src = _positions(["POz"]) * 0.7
    lf_motor = _leadfield(elec, motor_src)
    lf_bg = _leadfield(elec, np.vstack([p["bg_src"], alpha_src]))

    # Background: 1/f sources + posterior alpha with slow amplitude fluctuation.
    bg = _pink_noise(rng, n, sfreq, p["bg_exponent"]) * p["bg_amp"] * 2.0
    alpha_env = 1 + 0.5 * _band_noise(rng, n, sfreq, 0.0, 0.2)[0]
    alpha = _band_noise(rng, n, sfreq, 10.0, 0.8) * p["alpha_amp"] * np.clip(alpha_env, 0.1, None)
    signal = lf_bg @ np.vstack([bg, alpha])

    # Sensorimotor rhythms with class-dependent ERD/ERS.
    trial_depth = p["erd_depth"] * np.clip(rng.normal(1.0, 0.35, len(labels)), 0.1, 1.6)
    motor = np.empty((len(MOTOR_SOURCES), n))
    for k, name in enumerate(MOTOR_SOURCES):
        erd = np.zeros(len(labels))
        for c, cls in enumerate(classes):
            down, up = CLASS_SOURCES.get(cls, ((), ()))
            if name in down:
                erd[labels == c] = trial_depth[labels == c]
            elif name in up:
                erd[labels == c] = -0.15 * trial_depth[labels == c]
        env = np.clip(1.0 - _erd_course(n, sfreq, cues, erd, length), 0.05, None)
        rhythm = (_band_noise(rng, n, sfreq, p["mu_freq"], 1.0)[0]
                  + 0.5 * _band_noise(rng, n, sfreq, p["beta_freq"], 2.5)[0])
        motor[k] = p["mu_amp"] * env * rhythm
    signal += lf_motor @ motor

    # Drift, gains, sensor and line noise; microvolts -> volts.
    trend = 1 + rng.uniform(-0.2, 0.2) * np.linspace(0, 1, n)
    gains = p["gains"] * rng.lognormal(0.0, 0.08, len(ch))
    t = np.arange(n) / sfreq
    line = rng.uniform(0.2, 1.0, (len(ch), 1)) * np.sin(2 * np.pi * LINE_FREQ * t)
    data = gains[:, None] * signal * trend + 0.5 * rng.standard_normal((len(ch), n)) + line
    info = mne.create_info(ch, sfreq, "eeg")
    raw = mne.io.RawArray(data * 1e-6, info, verbose=False)
    raw.set_montage(make_montage(spec.montage), verbose=False)
    raw.set_annotations(mne.Annotations(cues, length, [classes[i] for i in labels]))
    return raw


def load_subject(
    spec: DatasetSpec, subject: int, *, paradigm: str, events: list[str], pipeline: Preprocessor,
    data_dir: object = None, skip_bad_files: bool = False,
) -> EpochsData:
    """Simulate every session of ``subject`` and epoch it like any MOABB dataset."""
    from eegdec.data.epoching import epochs_from_raws

    return epochs_from_raws(load_raws(spec, subject), spec, subject, events, pipeline)


def load_raws(spec: DatasetSpec, subject: int, **_: object
              ) -> dict[str, dict[str, mne.io.RawArray]]:
    """Every session of ``subject`` as ``{session: {"0": raw}}`` (one run per session)."""
    return {s: {"0": simulate_raw(spec, subject, s)} for s in spec.sessions}
