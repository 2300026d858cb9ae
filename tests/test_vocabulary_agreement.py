"""One German vocabulary: what the report, the explanations and the result files call a code is
what the import reads as that code, and the contract's description matches the result tables.
"""

from __future__ import annotations

import pytest

from lotsen_match.contract import INPUT_COLUMNS, MAPPABLE_COLUMNS, RESULT_COLUMNS
from lotsen_match.core.candidates import FUNNEL_STEPS
from lotsen_match.core.scoring import COMPONENTS, SUCCESS
from lotsen_match.core.vocab import (
    ASSIGNMENT_STATUSES,
    DECIDERS,
    END_REASONS,
    GENDERS,
    LEVELS,
    MODULES,
    NEED_TYPES,
    SLOTS,
    VOLUNTEER_STATUSES,
    language_label,
)
from lotsen_match.ingest.vocabulary_de import (
    NEED_LABELS_DE,
    PROPOSAL_STATUS_LABELS_DE,
    REASON_LABELS_DE,
    default_vocabulary,
    label,
)
from lotsen_match.records import Assignment
from lotsen_match.report.html_text import NEED
from lotsen_match.results.explain import COMPONENT_LABELS, NEED_LABELS, STEP_LABELS
from lotsen_match.results.tables import PROPOSAL_KEYS, PROPOSAL_TAIL
from lotsen_match.validation.tables import REQUIRED_COLUMNS

V = default_vocabulary()
#: The SPEC's languages and the others of the bundled samples.
LANGUAGES = ("de", "ar", "uk", "ru", "fa", "prs", "tr", "kmr", "ckb", "ti", "ps", "so", "en", "fr")


def test_report_and_explanations_name_needs_as_the_import_reads_them() -> None:
    assert NEED_LABELS["de"] == NEED_LABELS_DE
    assert NEED["de"] == NEED_LABELS_DE
    for need in NEED_TYPES:
        word = NEED_LABELS["de"][need]
        assert word == label("need_types", need)
        assert V.need_type(word).value == need, word


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_label_reads_back_as_its_code(code: str) -> None:
    assert V.language(language_label(code, "de")).value == code
    assert V.language(language_label(code, "en")).value == code


@pytest.mark.parametrize(
    ("kind", "codes", "resolve"),
    [
        ("modules", MODULES, V.module),
        ("genders", GENDERS, V.gender),
        ("statuses", ASSIGNMENT_STATUSES, V.status),
        ("end_reasons", END_REASONS, V.end_reason),
        ("deciders", DECIDERS, V.decider),
        ("volunteer_statuses", VOLUNTEER_STATUSES, V.volunteer_status),
        ("slots", SLOTS, V.slots),
    ],
)
def test_every_label_of_a_vocabulary_reads_back(kind: str, codes: tuple[str, ...], resolve) -> None:  # type: ignore[no-untyped-def]
    for code in codes:
        word = label(kind, code)  # type: ignore[arg-type]
        assert word != code or (kind == "genders" and code == "d") or kind == "slots"
        assert resolve(word).value == code, (kind, word)


def test_levels_and_result_words_read_back() -> None:
    for level in LEVELS:
        assert V.level(label("levels", level)).value == level
    # Proposals written back are yesterday's proposals when fed in as assignments.
    for status, word in PROPOSAL_STATUS_LABELS_DE.items():
        assert V.status(word).value == "proposed", (status, word)
    assert V.boolean("ja") is True and V.boolean("nein") is False


def test_result_words_cover_every_reason_step_and_component() -> None:
    assert set(REASON_LABELS_DE) == {*FUNNEL_STEPS, "household", "quality"}
    assert len(set(REASON_LABELS_DE.values())) == len(REASON_LABELS_DE)
    assert set(STEP_LABELS["de"]) == set(FUNNEL_STEPS)
    # Every component a run can have: the fixed ones and success (only with a success model).
    for lang in ("de", "en"):
        assert set(COMPONENT_LABELS[lang]) == {*COMPONENTS, SUCCESS}, lang
    assert len(set(COMPONENT_LABELS["de"].values())) == len(COMPONENT_LABELS["de"])
    # The contract's German titles of the component columns use the same words.
    titles = {c.name: c.header_de for c in RESULT_COLUMNS["proposals"]}
    for name in (*COMPONENTS, SUCCESS):
        assert titles[name] == f"Bewertung {COMPONENT_LABELS['de'][name]}", name


def test_the_contract_describes_the_result_tables_column_for_column() -> None:
    proposals = [c.name for c in RESULT_COLUMNS["proposals"]]
    # success is described too: the column proposals have with a success model, where they
    # have it (pipeline: PROPOSAL_KEYS + component names + PROPOSAL_TAIL).
    assert tuple(proposals) == PROPOSAL_KEYS + COMPONENTS + (SUCCESS,) + PROPOSAL_TAIL
    optional = {c.name for c in RESULT_COLUMNS["proposals"] if not c.required}
    assert optional == {"household_id", SUCCESS}
    unmatched = [c.name for c in RESULT_COLUMNS["unmatched"]]
    assert [c for c in unmatched if c.startswith("after_")] == [f"after_{s}" for s in FUNNEL_STEPS]
    for table, columns in RESULT_COLUMNS.items():
        titles = [c.header_de for c in columns]
        assert len(set(titles)) == len(titles), table


def test_the_contract_describes_every_input_column_and_the_required_ones() -> None:
    for table, columns in INPUT_COLUMNS.items():
        names = {c.name for c in columns}
        assert names == set(MAPPABLE_COLUMNS[table]), table
        required = {c.name for c in columns if c.required}
        assert required == set(REQUIRED_COLUMNS[table]), table
    # The history columns name their vocabularies, and the status names every status.
    assignments = {c.name: c for c in INPUT_COLUMNS["assignments"]}
    assert assignments["end_reason"].words == "end_reasons"
    assert assignments["decided_by"].words == "deciders"
    assert assignments["started_on"].type == assignments["ended_on"].type == "date"
    for status in ASSIGNMENT_STATUSES:
        assert status in assignments["status"].meaning, status
        assert label("statuses", status) in assignments["status"].meaning_de, status
    # Records (the desk API, `lotsen-match schema`) describe their fields in the same words.
    for name, column in assignments.items():
        assert Assignment.model_fields[name].description == column.meaning, name
