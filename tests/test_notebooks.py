"""The notebooks in notebooks/ are executed by nbmake, not here:

    pytest --nbmake --nbmake-timeout=60 notebooks/

(the test extras need ``nbmake`` and ``ipykernel``). This module checks what nbmake does not: the
committed notebooks carry no outputs (personal data must not end up in git, and diffs stay
readable), and every notebook the docs promise exists.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = (
    "01_quickstart",
    "02_recruitment_planning",
    "03_fairness_and_weights",
    "04_learning_from_outcomes",
    "05_ein_jahr_simuliert",
    "06_am_schreibtisch",
)


def test_the_promised_notebooks_exist() -> None:
    found = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_outputs_are_stripped(name: str) -> None:
    book = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    assert book["nbformat"] == 4
    assert book["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert code, name
    for cell in code:
        assert cell["outputs"] == [], (name, cell["id"])
        assert cell["execution_count"] is None, (name, cell["id"])
    assert book["cells"][0]["cell_type"] == "markdown"
    assert book["cells"][0]["source"][0].startswith("# ")
