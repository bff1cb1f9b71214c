"""The HTML report: valid, self-contained, every section drawn; a real browser renders it."""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eegdec.errors import BadInputError
from eegdec.evaluation.results import COLUMNS, RunStore, fold_id
from eegdec.interpret.report import render_report, write_report

CH_NAMES = ["Fc3.", "Fcz.", "Fc4.", "C5..", "C3..", "C1..", "Cz..", "C2..", "C4..", "C6..",
            "Cp3.", "Cpz.", "Cp4."]
CLASSES = ["left_hand", "right_hand"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run_dir(root: Path, *, online: bool = False, attention: bool = True) -> Path:
    """A run directory in the layout of docs/design.md section 4, with known contents.

    Two models x two subjects x two folds; attention peaks at C3 for ``left_hand`` and C4 for
    ``right_hand``; model ``good`` is right on 90% of trials, ``bad`` on half. ``good`` also
    has a gradient relevance map (as DBConformer runs do), flat but for Cz, and an LRP map,
    flat but for C1.
    """
    rng = np.random.default_rng(0)
    store = RunStore(root)
    store.write_config({"dataset": "PhysionetMI", "protocol": "online" if online else
                        "within-cv", "models": ["good", "bad"], "montage": "standard_1005"},
                       "abc123")
    rows = []
    c3, c4 = CH_NAMES.index("C3.."), CH_NAMES.index("C4..")
    for model, acc in (("good", 0.9), ("bad", 0.5)):
        for subject in ("1", "2"):
            for fold in range(2):
                for n in ((0, 8, 16) if online else (None,)):
                    fid = fold_id(model, subject, "0", fold, 1, n)
                    y_true = np.tile([0, 1], 10)
                    wrong = rng.random(20) > acc
                    y_pred = np.where(wrong, 1 - y_true, y_true)
                    store.save_npz("predictions", fid, y_true=y_true, y_pred=y_pred,
                                   proba=np.eye(2)[y_pred], trial_index=np.arange(20),
                                   subject=np.full(20, subject), classes=np.array(CLASSES))
                    store.save_curve(fid, pd.DataFrame({
                        "epoch": range(5), "train_loss": np.linspace(0.7, 0.3, 5),
                        "train_acc": np.linspace(0.5, 0.9, 5),
                        "val_loss": np.linspace(0.7, 0.5, 5), "val_acc": np.linspace(.5, .7, 5)}))
                    if attention:
                        att = rng.random((20, len(CH_NAMES)))
                        att[:, c3] += 3 * (y_true == 0)
                        att[:, c4] += 3 * (y_true == 1)
                        att /= att.sum(1, keepdims=True)
                        maps = {"channel_attention": att}
                        if model == "good":
                            grad = np.ones((20, len(CH_NAMES)))
                            grad[:, CH_NAMES.index("Cz..")] = 5
                            maps["relevance"] = grad / grad.sum(1, keepdims=True)
                            lrp = np.ones((20, len(CH_NAMES)))
                            lrp[:, CH_NAMES.index("C1..")] = 5
                            maps["lrp"] = lrp / lrp.sum(1, keepdims=True)
                        store.save_npz("attention", fid, **maps,
                                       ch_names=np.array(CH_NAMES), y_true=y_true, y_pred=y_pred,
                                       montage=np.array("standard_1005"))
                    row = dict.fromkeys(COLUMNS, np.nan)
                    row.update(fold_id=fid, dataset="PhysionetMI", paradigm="LR",
                               protocol="online" if online else "within-cv", model=model,
                               subject=subject, session="0", fold=fold, seed=1,
                               alignment="none", n_calib=n, n_train=80, n_test=20, n_classes=2,
                               classes="left_hand|right_hand", chance_level=0.5,
                               accuracy=float((y_true == y_pred).mean()),
                               balanced_accuracy=float((y_true == y_pred).mean()), kappa=0.1,
                               fit_seconds=1.0, predict_seconds=0.1, eegdec_version="0",
                               config_hash="abc123")
                    rows.append(row)
    store.append_rows(rows)
    store.write_summary()
    return root


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.h2: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("img", "meta", "br", "link", "hr", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "h2":
            self.h2.append(data)


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed tags {parser.stack}"
    return parser


def _check_self_contained(text: str) -> int:
    """Every <img> is an embedded PNG; nothing points outside the file. Returns the image count."""
    parsed = _parse(text)
    imgs = [a for t, a in parsed.tags if t == "img"]
    for attrs in imgs:
        src = attrs["src"]
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1], validate=True).startswith(PNG_MAGIC)
    for tag, attrs in parsed.tags:
        for key in ("src", "href"):
            assert not re.match(r"(https?:)?//", attrs.get(key) or ""), (tag, attrs)
        assert tag not in ("script", "link", "iframe")
    return len(imgs)


@pytest.fixture(scope="module")
def offline_report(tmp_path_factory) -> tuple[Path, str]:
    run = make_run_dir(tmp_path_factory.mktemp("run"))
    path = write_report(run)
    return path, path.read_text()


def test_report_is_valid_self_contained_html(offline_report):
    path, text = offline_report
    assert path.name == "report.html"
    # bars, paired plot, confusion, curves, per map (good: attention + gradient + LRP, bad:
    # attention): topomaps + heat map
    assert _check_self_contained(text) == 4 + 4 * 2
    headings = _parse(text).h2
    for expected in ("Configuration", "Results", "Per-subject scores", "Paired comparisons",
                     "Confusion matrices",
                     "Training curves", "Channel relevance: good, channel attention",
                     "Channel relevance: good, input x gradient",
                     "Channel relevance: good, LRP",
                     "Channel relevance: bad, channel attention"):
        assert expected in headings
    assert not any("Online" in h for h in headings)


def test_report_paired_comparison_of_the_two_models(offline_report, tmp_path):
    _, text = offline_report
    assert 'alt="paired plot good vs bad"' in text
    # good beats bad on both subjects: 1 of the 4 sign flips reaches the observed sum
    row = re.search(r"<td>good</td>\s*<td>bad</td>\s*<td>2</td>.*?</tr>", text, re.S).group(0)
    assert "<td>0.250</td>" in row and "exact sign-flip permutation" in row
    one = make_run_dir(tmp_path / "one", attention=False)
    rows = RunStore(one).read_rows()
    (one / "results.csv").write_text(
        rows[rows.model == "good"].to_csv(index=False, lineterminator="\n"))
    assert set(RunStore(one).read_rows()["model"]) == {"good"}
    assert "Paired comparisons" not in _parse(render_report(one)).h2  # one model: no section


def test_report_shows_config_results_and_channel_findings(offline_report):
    _, text = offline_report
    assert "PhysionetMI" in text and "abc123" in text
    assert text.count('class="how"') >= 6  # every figure comes with how to read it
    # the fabricated attention peaks at C3 (left) and C4 (right): the top-3 table says so
    rows = re.findall(r"<th>(left_hand|right_hand)</th>\s*<td>\d+</td>\s*<td>([^<]+)</td>", text)
    first = {cls: sorted(v.split(",")[0] for c, v in rows if c == cls) for cls in CLASSES}
    # two attention sections (C3 / C4 first), model good's gradient (Cz) and LRP (C1) sections
    assert first == {"left_hand": ["C1", "C3", "C3", "Cz"],
                     "right_hand": ["C1", "C4", "C4", "Cz"]}


def test_report_online_curve_and_missing_parts(tmp_path):
    run = make_run_dir(tmp_path / "run", online=True, attention=False)
    text = render_report(run)
    headings = _parse(text).h2
    assert "Online calibration: accuracy vs N" in headings
    assert "No attention/*.npz" in text
    # config and results only: every figure section is skipped with a note, none crashes
    bare = tmp_path / "bare"
    bare.mkdir()
    (run / "config.yaml").rename(bare / "config.yaml")
    text = render_report(bare)
    assert _check_self_contained(text) == 0
    assert "No finished folds yet" in text and "No predictions/*.npz" in text


def test_report_rejects_a_directory_that_is_not_a_run(tmp_path):
    with pytest.raises(BadInputError, match="not a run directory"):
        write_report(tmp_path)
    with pytest.raises(BadInputError, match="not a run directory"):
        write_report(tmp_path / "missing")


def test_report_notes_a_corrupt_artefact(tmp_path):
    run = make_run_dir(tmp_path / "run", attention=False)
    next((run / "predictions").glob("*.npz")).write_bytes(b"not a zip")
    text = render_report(run)
    assert "Skipped: Cannot read" in text and "Per-subject scores" in text


def test_report_command(tmp_path, capsys):
    from eegdec.cli import main

    run = make_run_dir(tmp_path / "run", attention=False)
    assert main(["report", str(run), "--out", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert str(tmp_path / "r.html") in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "not a run directory" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

_PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.dataset.rendered = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.total = imgs.length;
});
</script></body>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(offline_report, tmp_path):
    _, text = offline_report
    probe = tmp_path / "probe.html"  # the test copy only gets the counting script
    probe.write_text(text.replace("</body>", _PROBE))
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,3000",
                    probe.as_uri()], check=True, capture_output=True, timeout=120)
    assert shot.read_bytes().startswith(PNG_MAGIC) and shot.stat().st_size > 10_000
    dom = subprocess.run([*flags, "--dump-dom", "--virtual-time-budget=5000", probe.as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    total = int(re.search(r'data-total="(\d+)"', dom).group(1))
    rendered = int(re.search(r'data-rendered="(\d+)"', dom).group(1))
    assert total == 12 and rendered == total


def test_png_payloads_are_checked(offline_report):
    """The self-containment check itself rejects a broken or external image."""
    _, text = offline_report
    with pytest.raises((AssertionError, binascii.Error)):
        _check_self_contained(text.replace("base64,iVBOR", "base64,AAAA", 1))
    with pytest.raises(AssertionError):
        _check_self_contained(text.replace("<h1>", '<h1><img src="https://x.org/a.png">', 1))
