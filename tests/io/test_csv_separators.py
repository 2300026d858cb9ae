"""CSV output stays safe when a spreadsheet splits it at the other separator (issue 12, part 4).

The result CSV is comma-separated, but German Excel opens a ``.csv`` with its list separator
``;``: a cell ``R9;=1+1`` written unquoted became the formula ``=1+1``. Every cell holding a
separator is quoted, and every part a spreadsheet could split off at ``;`` or ``,`` is
neutralised like the cell's start.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.io import read_table, write_table
from lotsen_match.io.writers import FORMULA_PREFIXES

HOSTILE = [
    "R9;=1+1",
    "R9,=1+1",
    "a;+1,-2;@x",
    "x;\t=1",
    "x,\r=1",
    '=HYPERLINK("http://x";"y")',
    "plain",
    "Müller; Schmidt",
]


def _cells_as_split(payload: bytes, delimiter: str) -> list[str]:
    """Every cell a spreadsheet gets when it splits the file at ``delimiter``."""
    text = payload.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    return [cell for row in reader for cell in row]


def _frame(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": values,
            "note": list(reversed(values)),
            "score": np.linspace(0.0, 1.0, len(values)),  # negative numbers are numbers
            "rank": np.arange(len(values), dtype=np.int64),
        }
    )


def test_german_excel_finds_no_formula_in_the_csv(tmp_path: Path) -> None:
    payload = write_table(_frame(HOSTILE), tmp_path / "proposals.csv").read_bytes()
    for delimiter in (";", ","):
        cells = _cells_as_split(payload, delimiter)
        risky = [c for c in cells if c.startswith(FORMULA_PREFIXES)]
        assert risky == [], f"split at {delimiter!r}: {risky}"


def test_cells_with_either_separator_are_quoted(tmp_path: Path) -> None:
    text = write_table(_frame(HOSTILE), tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert '"R9;\'=1+1"' in text
    assert '"R9,\'=1+1"' in text
    assert '"Müller; Schmidt"' in text
    assert "\nplain," in text  # cells without a separator stay unquoted
    assert ",0,0\n" in text and ",1,7\n" in text  # numbers are not quoted


def test_the_csv_still_reads_back_as_the_same_table(tmp_path: Path) -> None:
    frame = _frame(HOSTILE)
    back = read_table(write_table(frame, tmp_path / "p.csv"), table="proposals")
    assert back["request_id"].tolist()[-2:] == ["plain", "Müller; Schmidt"]
    assert back["request_id"].iloc[0] == "R9;'=1+1"
    assert np.allclose(back["score"].astype(float), frame["score"], rtol=1e-14, atol=0)


_ALPHABET = st.sampled_from(list("ab;,=+-@ \t\r\"'\n1"))


@given(st.lists(st.text(_ALPHABET, max_size=12), min_size=1, max_size=8))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_split_of_any_text_starts_a_formula(values: list[str]) -> None:
    payload = _csv_payload(_frame(values))
    for delimiter in (";", ","):
        cells = _cells_as_split(payload, delimiter)
        assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)], delimiter
    parsed = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False)
    assert len(parsed) == len(values)


def _csv_payload(frame: pd.DataFrame) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return write_table(frame, Path(folder) / "t.csv").read_bytes()
