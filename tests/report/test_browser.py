"""The report in a real browser (headless Debian chromium): renders without script errors, the
sort and filter script works, and a screenshot is taken (kept in the pytest tmp dir, and copied
to ``$REPORT_SCREENSHOT_DIR`` when that is set, e.g. as a CI artifact)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import lotsen_match as lm
from lotsen_match.report.html import write_report

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
WIDTH, HEIGHT = 1280, 2000


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium on PATH: install Debian's chromium (apt-get install chromium)")


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = lm.MatchConfig.from_toml(SAMPLES / "sample_config.toml")
    result = lm.match(
        SAMPLES / "ehrenamt_lotsen.csv",
        SAMPLES / "anfragen.csv",
        SAMPLES / "zuordnungen.csv",
        cfg,
    )
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html")


def test_screenshot_without_script_errors(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    shot = tmp_path / "shot.png"
    done = _run(
        browser,
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
        report.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console(done.stderr) == [], _console(done.stderr)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (WIDTH, HEIGHT)
    # A blank page compresses to ~10 kB; tables, tiles and charts give far more.
    assert len(data) > 80_000, len(data)
    keep = os.environ.get("REPORT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / "report_sample.png")


class _Rows(HTMLParser):
    """Cells of the proposals table's body rows after the script ran (and whether hidden)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[list[str], bool]] = []
        self.root: dict[str, str | None] = {}
        self.buttons = 0
        self._in = False
        self._body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.root = a
        elif tag == "table":
            self._in = a.get("id") == "t-proposals"
        elif self._in and tag == "button":
            self.buttons += 1
        elif self._in and tag == "tbody":
            self._body = True
        elif self._in and self._body and tag == "tr":
            self._row, self._hidden = [], "hidden" in a
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in = self._body = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append((self._row, self._hidden))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_sorting_and_filtering_work_in_the_browser(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    # Drive the page like a user: sort by score (two clicks: descending), then filter.
    driver = """<script>
    (function () {
      var head = document.querySelectorAll("#t-proposals thead th");
      var score = Array.prototype.filter.call(head, function (th) {
        return th.textContent.trim().indexOf("Eignung") === 0; })[0];
      score.querySelector("button").click();
      score.querySelector("button").click();
      var input = document.querySelector('input[data-filter="t-proposals"]');
      input.value = "Hildesheim";
      input.dispatchEvent(new Event("input"));
      document.documentElement.setAttribute("data-sorted", score.getAttribute("aria-sort"));
    })();
    </script></body>"""
    page = tmp_path / "driven.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", driver), "utf-8")
    done = _run(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console(done.stderr) == [], _console(done.stderr)
    dom = _Rows()
    dom.feed(done.stdout)
    assert dom.root.get("data-tables") == "ready"  # the report's script ran to the end
    assert dom.root.get("data-sorted") == "descending"
    assert dom.buttons >= 10  # every header became a button
    assert len(dom.rows) > 20
    scores = [float(cells[7].replace(",", ".")) for cells, _ in dom.rows]
    assert scores == sorted(scores, reverse=True)
    ids = [cells[0] for cells, _ in dom.rows]
    assert ids != sorted(ids)  # the rows really moved
    visible = [cells for cells, hidden in dom.rows if not hidden]
    hidden = [cells for cells, h in dom.rows if h]
    assert visible and all("hildesheim" in " ".join(c).lower() for c in visible)
    assert hidden and not any("hildesheim" in " ".join(c).lower() for c in hidden)


# What the page shows a coordinator at 1280 px: measured in the browser after layout, written
# onto <html> as attributes, read back from the dumped DOM.
_MEASURE = """<script>
(function () {
  var root = document.documentElement;
  var wrap = document.getElementById("t-proposals").parentNode;
  var box = document.getElementById("next-steps");
  var rect = box ? box.getBoundingClientRect() : null;
  var wide = [];
  document.querySelectorAll(".tablewrap").forEach(function (w) {
    if (w.scrollWidth > w.clientWidth) { wide.push(w.firstElementChild.id); }
  });
  root.setAttribute("data-page-width", String(root.scrollWidth));
  root.setAttribute("data-proposals-fit", String(wrap.scrollWidth <= wrap.clientWidth));
  root.setAttribute("data-wide-tables", wide.join(" "));
  root.setAttribute("data-next-top", rect ? String(Math.round(rect.top)) : "none");
  root.setAttribute("data-next-height", rect ? String(Math.round(rect.height)) : "0");
  // The prose and tables as a reader sees them (chart labels are checked elsewhere).
  document.querySelectorAll("figure").forEach(function (f) { f.style.display = "none"; });
  root.setAttribute("data-text", document.body.innerText.replace(/\\s+/g, " "));
})();
</script></body>"""


class _Root(HTMLParser):
    """The attributes of <html>."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.attrs = {k: v or "" for k, v in attrs}


def test_german_words_page_width_and_next_steps(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    page = tmp_path / "measured.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", _MEASURE), "utf-8")
    done = _run(
        browser,
        tmp_path / "profile",
        f"--window-size={WIDTH},{HEIGHT}",
        "--dump-dom",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console(done.stderr) == [], _console(done.stderr)
    root = _Root()
    root.feed(done.stdout)
    got = root.attrs
    # No horizontal scrolling of the page at 1280 px; the proposals table fits its box.
    assert int(got["data-page-width"]) <= WIDTH, got["data-page-width"]
    assert got["data-proposals-fit"] == "true", got["data-wide-tables"]
    assert got["data-wide-tables"] == ""  # every table fits: no scrolling sideways in a box
    # The next-steps box is on the first screen, visible, with every step.
    assert 0 < int(got["data-next-top"]) < 900 and int(got["data-next-height"]) > 100
    text = got["data-text"]
    for word in (
        "Nächste Schritte",
        "Bestätigen:",
        "Ablehnen:",
        "Nächster Lauf:",
        "„active“",
        "„declined“",
        "„Anfrage-ID“, „Lotsen-ID“, „Status“",
        "Verfahren: exakt (Min-Cost-Flow)",
        "Eignung",
        "Die Eignung ist eine Punktzahl von 0 bis 1",
        "Lotsinnen/Lotsen sprechen",
    ):
        assert word in text, word
    # No English run words, and every count in its own number.
    for word in ("Score", "Verfahren flow", "Solver", "flow,"):
        assert word not in text, word
    assert not re.search(r"\b1 (Lotsinnen|Personen kämen|Anfragen|offene Anfragen)\b", text)
    assert not re.search(r"\b([02-9]|\d\d+) (Lotsin/Lotse spricht|Person käme)\b", text)
