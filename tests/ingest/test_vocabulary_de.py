"""German/English words of real exports -> SPEC.md codes: every mapping and rejection path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lotsen_match.core.vocab import DAYS, LEVELS, MODULES, NEED_TYPES, SLOTS
from lotsen_match.ingest.vocabulary_de import (
    GermanVocabulary,
    default_vocabulary,
    fold,
    label,
    split_cell,
)

V = default_vocabulary()


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("Arabisch", "ar"),
        ("arabisch", "ar"),
        ("ARABISCH", "ar"),
        ("Arabic", "ar"),
        ("Hocharabisch", "ar"),
        ("Ukrainisch", "uk"),
        ("Russisch", "ru"),
        ("Dari", "prs"),
        ("Farsi", "fa"),
        ("Persisch", "fa"),
        ("Farsi/Persisch", "fa"),
        ("Kurmandschi", "kmr"),
        ("Kurmanci", "kmr"),
        ("Kurdisch (Kurmandschi)", "kmr"),
        ("Kurdisch-Kurmandschi", "kmr"),
        ("Sorani", "ckb"),
        ("Kurdisch (Sorani)", "ckb"),
        ("Türkisch", "tr"),
        ("Tuerkisch", "tr"),
        ("Turkisch", "tr"),
        ("Tigrinya", "ti"),
        ("Tigrinja", "ti"),
        ("Paschtu", "ps"),
        ("Pashto", "ps"),
        ("Somali", "so"),
        ("Somalisch", "so"),
        ("Englisch", "en"),
        ("Französisch", "fr"),
        ("Franzoesisch", "fr"),
        ("Polnisch", "pl"),
        ("Amharisch", "am"),
        ("Tigre", "tig"),  # a minor language: found through the full ISO 639-3 index
        ("de", "de"),
        ("DEU", "de"),
        ("ger", "de"),
        ("en", "en"),  # the ISO code, not the language named "En"
        ("ckb", "ckb"),
    ],
)
def test_language_names_and_codes(word: str, code: str) -> None:
    res = V.language(word)
    assert (res.status, res.value) == ("ok", code)


@pytest.mark.parametrize(
    ("word", "codes"),
    [
        ("Kurdisch", {"kmr", "ckb"}),
        ("Kurdish", {"kmr", "ckb"}),
        ("Afghanisch", {"prs", "ps"}),
        ("Syrisch", {"ar", "syr"}),
        ("Dari/Farsi", {"prs", "fa"}),
    ],
)
def test_ambiguous_language_names_offer_each_reading(word: str, codes: set[str]) -> None:
    res = V.language(word)
    assert res.status == "ambiguous" and res.value == ""
    assert {code for _, code in res.suggestions} == codes


@pytest.mark.parametrize(
    ("word", "spelling", "code"),
    [
        ("Arabish", "Arabisch", "ar"),
        ("Tigrinia", "Tigrinya", "ti"),
        ("Französich", "Französisch", "fr"),
    ],
)
def test_unknown_language_suggests_closest_spelling(word: str, spelling: str, code: str) -> None:
    res = V.language(word)
    assert res.status == "unknown"
    assert res.suggestions[0] == (spelling, code)


def test_gibberish_language_has_no_suggestion() -> None:
    assert V.language("Qwzxy") == V.language("Qwzxy")
    assert V.language("Qwzxy").status == "unknown" and not V.language("Qwzxy").suggestions


@pytest.mark.parametrize(
    ("word", "level"),
    [
        ("Muttersprache", "native"),
        ("muttersprachlich", "native"),
        ("native", "native"),
        ("verhandlungssicher", "C2"),
        ("fließend", "C1"),
        ("fliessend", "C1"),
        ("fluent", "C1"),
        ("sehr gut", "B2"),
        ("sehr gute Kenntnisse", "B2"),
        ("gut", "B1"),
        ("Grundkenntnisse", "A2"),
        ("Anfänger", "A1"),
        ("B1", "B1"),
        ("b1", "B1"),
        ("B1+", "B1"),
        ("B1.2", "B1"),
        ("B1/B2", "B1"),
        ("C1-Niveau", "C1"),
        ("Niveau A2", "A2"),
    ],
)
def test_levels(word: str, level: str) -> None:
    assert V.level(word).value == level


def test_unknown_level_is_rejected() -> None:
    res = V.level("perfekt")
    assert res.status == "unknown" and res.value == ""


@pytest.mark.parametrize(
    ("entry", "code", "level"),
    [
        ("Arabisch (Muttersprache)", "ar", "native"),
        ("Arabisch: Muttersprache", "ar", "native"),
        ("Muttersprache Arabisch", "ar", "native"),
        ("Deutsch B1", "de", "B1"),
        ("Deutsch (B1)", "de", "B1"),
        ("Deutsch - gut", "de", "B1"),
        ("Englisch sehr gute Kenntnisse", "en", "B2"),
        ("Kurdisch (Sorani) Muttersprache", "ckb", "native"),
        ("Kurdisch (Kurmandschi) C1", "kmr", "C1"),
        ("Farsi/Persisch: fließend", "fa", "C1"),
        ("ar:native", "ar", "native"),
        ("de:A2", "de", "A2"),
    ],
)
def test_language_entries(entry: str, code: str, level: str) -> None:
    language, lvl, _ = V.language_entry(entry)
    assert language.value == code and lvl is not None and lvl.value == level


def test_language_entry_without_level_reports_none() -> None:
    language, lvl, name = V.language_entry("Deutsch")
    assert language.value == "de" and lvl is None and name == "Deutsch"


@pytest.mark.parametrize(
    ("word", "need"),
    [
        ("Schule", "school"),
        ("Elternabend", "school"),
        ("Kita", "school"),
        ("Gesamtschule", "school"),  # "amt" inside the word is not an authority
        ("Behördengang", "authority"),
        ("Behoerdengang", "authority"),
        ("Jobcenter", "authority"),
        ("Ausländerbehörde", "authority"),
        ("Schulamt", "authority"),
        ("Arzt", "health"),
        ("Kinderarzt", "health"),
        ("Arzttermin", "health"),
        ("Wohnungssuche", "housing"),
        ("Anerkennung", "work"),
        ("Ausbildung", "work"),
        ("Orientierung", "everyday"),
        ("Einkaufen", "everyday"),
        ("Digitales", "digital"),
        ("Sportverein", "leisure"),
        ("school", "school"),
        ("Health", "health"),
        ("job centre", "authority"),
    ],
)
def test_need_types(word: str, need: str) -> None:
    assert V.need_type(word).value == need


def test_compound_with_two_needs_is_ambiguous() -> None:
    res = V.need_type("Elternarbeit")  # parents (school) or work?
    assert res.status == "ambiguous"
    assert {code for _, code in res.suggestions} == {"school", "work"}


def test_unknown_need_suggests() -> None:
    res = V.need_type("Termin")
    assert res.status == "unknown" and res.value == ""


@pytest.mark.parametrize(
    ("phrase", "slots"),
    [
        ("Di abends", "tue-eve"),
        ("Dienstagabend", "tue-eve"),
        ("dienstagabends", "tue-eve"),
        ("Di. abends", "tue-eve"),
        ("tue-eve", "tue-eve"),
        ("mon-am, tue-pm", "mon-am;tue-pm"),
        ("Mittwoch", "wed-am;wed-pm;wed-eve"),
        ("Mo-Fr vormittags", "mon-am;tue-am;wed-am;thu-am;fri-am"),
        ("Mo.-Mi. abends", "mon-eve;tue-eve;wed-eve"),
        ("Mo bis Mi abends", "mon-eve;tue-eve;wed-eve"),
        ("abends Mo-Fr", "mon-eve;tue-eve;wed-eve;thu-eve;fri-eve"),
        ("werktags abends", "mon-eve;tue-eve;wed-eve;thu-eve;fri-eve"),
        ("Wochenende", "sat-am;sat-pm;sat-eve;sun-am;sun-pm;sun-eve"),
        ("am Wochenende nachmittags", "sat-pm;sun-pm"),
        ("Sa und So nachmittags", "sat-pm;sun-pm"),
        ("Di, Do abends", "tue-eve;thu-eve"),
        ("Mo vormittags, Mi abends", "mon-am;wed-eve"),
        ("Montag nachmittags und abends", "mon-pm;mon-eve"),
        ("täglich vormittags", ";".join(f"{d}-am" for d in DAYS)),
        ("Tuesday evenings", "tue-eve"),
    ],
)
def test_slot_phrases(phrase: str, slots: str) -> None:
    res = V.slots(phrase)
    assert (res.status, res.value) == ("ok", slots)


@pytest.mark.parametrize("phrase", ["nachts", "Fr-Mo", "bis Fr", "Mo bis", "irgendwann"])
def test_bad_slot_phrases_are_rejected(phrase: str) -> None:
    assert V.slots(phrase).status == "unknown"


@pytest.mark.parametrize(
    ("word", "gender"),
    [("w", "f"), ("W", "f"), ("weiblich", "f"), ("Frau", "f"), ("f", "f"), ("m", "m"),
     ("männlich", "m"), ("d", "d"), ("divers", "d"), ("egal", ""), ("-", ""),
     ("keine Präferenz", "")],
)  # fmt: skip
def test_genders(word: str, gender: str) -> None:
    res = V.gender(word)
    assert (res.status, res.value) == ("ok", gender)


def test_unknown_gender() -> None:
    assert V.gender("x").status == "unknown"


@pytest.mark.parametrize(
    ("word", "flag"),
    [("ja", True), ("Ja", True), ("x", True), ("j", True), ("yes", True), ("1", True),
     ("nein", False), ("Nein", False), ("n", False), ("no", False), ("0", False), ("keine", False),
     ("vielleicht", None)],
)  # fmt: skip
def test_booleans(word: str, flag: bool | None) -> None:
    assert V.boolean(word) is flag


def test_modules_and_statuses() -> None:
    assert V.module("Toleranz und Respekt").value == "tolerance"
    assert V.module("Interkulturelle Kommunikation").value == "intercultural"
    assert V.module("rechtliche Grundlagen").value == "law"
    assert V.module("law").value == "law"
    assert V.all_modules("alle Module") and not V.all_modules("Toleranz")
    assert V.status("aktiv").value == "active"
    assert V.status("abgelehnt").value == "declined"
    assert V.status("vorgeschlagen").value == "proposed"
    assert V.status("storniert").status == "unknown"


def test_profile_synonyms_extend_and_are_checked() -> None:
    vocab = GermanVocabulary(
        {"need_types": {"Begleitung Amt": "authority"}, "languages": {"Kurdisch": "kmr"}}
    )
    assert vocab.need_type("Begleitung Amt").value == "authority"
    assert vocab.language("Kurdisch").value == "kmr"  # the office decided what it means
    assert V.language("Kurdisch").status == "ambiguous"  # the default vocabulary is untouched
    with pytest.raises(ValueError, match="unknown code"):
        GermanVocabulary({"need_types": {"Amt": "authorities"}})
    with pytest.raises(ValueError, match="unknown vocabulary kinds"):
        GermanVocabulary({"needs": {"Amt": "authority"}})


def test_fold_and_split() -> None:
    assert fold("Göttingen") == fold("GOETTINGEN") == "goettingen"
    assert fold("Göttingen", umlauts="a") == "gottingen"
    assert fold("Straße") == "strasse"
    assert fold("Kurdisch (Kurmandschi)") == fold("kurdisch-kurmandschi")
    assert split_cell("Kurdisch (Kurmandschi, Sorani), Deutsch B1", [";", ","]) == [
        "Kurdisch (Kurmandschi, Sorani)",
        "Deutsch B1",
    ]
    assert split_cell(" a;; b ;", [";"]) == ["a", "b"]


def test_labels() -> None:
    assert label("slots", "tue-eve") == "Di abends"
    assert label("need_types", "authority") == "Behördengang"
    assert label("languages", "kmr") == "Kurdisch (Kurmandschi)"
    assert label("need_types", "authority", "en") == "authority"


LEVEL_WORDS = {"native": "Muttersprache", "C1": "fließend", "B2": "sehr gut", "B1": "gut"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ar", "uk", "ru", "fa", "prs", "tr", "kmr", "ckb", "ti", "ps", "so"]),
            st.sampled_from(LEVELS),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda t: t[0],
    )
)
def test_german_language_labels_parse_back(entries: list[tuple[str, str, bool]]) -> None:
    """Every language as a coordinator names it, with a level word or CEFR, parses back."""
    for code, level, use_word in entries:
        word = LEVEL_WORDS.get(level, level) if use_word else level
        language, lvl, _ = V.language_entry(f"{label('languages', code)} ({word})")
        assert language.value == code
        assert lvl is not None and lvl.value == level


@settings(max_examples=100, deadline=None)
@given(st.sets(st.sampled_from(SLOTS), min_size=1))
def test_german_slot_labels_parse_back(slots: set[str]) -> None:
    """Any set of slots written as "Di abends, Mo vormittags, ..." parses back to itself."""
    phrase = ", ".join(label("slots", s) for s in sorted(slots, key=SLOTS.index))
    res = V.slots(phrase)
    assert set(res.value.split(";")) == slots


def test_every_need_and_module_label_resolves() -> None:
    for need in NEED_TYPES:
        assert V.need_type(label("need_types", need)).value == need
    for module in MODULES:
        assert V.module(label("modules", module)).value == module
