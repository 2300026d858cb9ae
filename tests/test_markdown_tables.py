"""Every Markdown table the project ships renders: header, separator and rows have one cell count.

GitHub and mkdocs drop a table whose separator row has another cell count than its header (the
README's benchmark table once had 17 header cells and 18 separator cells and showed as text).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from .benchmark_scripts import benchmark_script

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("**/*.md"))
SEPARATOR_CELL = re.compile(r"^:?-{3,}:?$")


def split_cells(line: str) -> list[str]:
    """Cells of one table row: split at unescaped pipes, outer pipes dropped (GFM rules)."""
    text = line.strip()
    text = text.removeprefix("|")
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", text)]


def tables(markdown: str) -> list[tuple[int, list[list[str]]]]:
    """(first line number, rows of cells) of every table outside fenced code blocks."""
    found: list[tuple[int, list[list[str]]]] = []
    current: list[list[str]] = []
    start = 0
    fenced = False
    for number, line in enumerate([*markdown.splitlines(), ""], start=1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.lstrip().startswith("|"):
            if not current:
                start = number
            current.append(split_cells(line))
            continue
        if current:
            found.append((start, current))
            current = []
    return found


def check(markdown: str, name: str) -> int:
    """Assert every table of ``markdown`` is well formed; returns how many were checked."""
    found = tables(markdown)
    for start, rows in found:
        where = f"{name}, table at line {start}"
        assert len(rows) >= 2, f"{where}: a header row needs a separator row"
        header, separator, *body = rows
        assert all(SEPARATOR_CELL.match(c) for c in separator), f"{where}: bad separator row"
        assert len(separator) == len(header), (
            f"{where}: {len(header)} header cells but {len(separator)} separator cells"
        )
        for offset, row in enumerate(body, start=2):
            assert len(row) == len(header), (
                f"{where}, line {start + offset}: {len(row)} cells, header has {len(header)}"
            )
    return len(found)


def test_the_checker_finds_the_old_readme_defect() -> None:
    good = "| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert check(good, "good") == 1
    with pytest.raises(AssertionError, match="2 header cells but 3 separator cells"):
        check("| a | b |\n|---|---|---|\n| 1 | 2 |\n", "bad")
    with pytest.raises(AssertionError, match="3 cells, header has 2"):
        check("| a | b |\n|---|---|\n| 1 | 2 | 3 |\n", "bad")
    # Escaped pipes stay inside a cell; tables in code blocks are not tables.
    assert split_cells(r"| `a \| b` | c |") == [r"`a \| b`", "c"]
    assert check("```\n| a |\n|---|---|\n```\n", "code") == 0


def test_readme_tables_render() -> None:
    assert check((ROOT / "README.md").read_text(encoding="utf-8"), "README.md") >= 3


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_tables_render(page: Path) -> None:
    check(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))


def test_docs_have_their_pages_and_pictures() -> None:
    assert {p.name for p in DOCS} >= {"index.md", "contract.md", "handreichung.md", "api.md"}
    guide = (ROOT / "docs" / "handreichung.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]+\]\((img/[^)]+\.png)\)", guide)
    assert len(pictures) >= 4
    for picture in pictures:
        assert (ROOT / "docs" / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture


def _bench_module() -> ModuleType:
    return benchmark_script("run")


def test_benchmark_generator_writes_tables_that_render() -> None:
    bench = _bench_module()
    loaded = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "benchmarks" / "results").glob("*.json"))
    ]
    reports = [r for r in loaded if "size" in r]  # learning.json etc. have their own tables
    assert reports
    text = bench.render_table(reports)
    assert check(text, "render_table()") == 2
    stage_table = tables(text)[0][1]
    assert len(stage_table[0]) == 4 + len(bench.STAGES) + 6  # match(), peak, CLI, bare, ratio, load
