"""The explained HTML report: self-contained, escaped, accessible, deterministic, and its numbers
equal independent computations from the result tables."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.analysis import RECRUITABLE_REASONS
from lotsen_match.report.html import render_report, write_report
from tests.report_page import Page, num
from tests.sample_run import SAMPLES

AS_OF = pd.Timestamp("2026-11-02")


@pytest.fixture(scope="module")
def html_de(sample: lm.MatchResult) -> str:
    return render_report(sample)


def test_self_contained_and_accessible(html_de: str) -> None:
    page = Page(html_de)
    assert html_de.startswith("<!DOCTYPE html>")
    assert re.search(r'<html lang="de">', html_de)
    # No external resources of any kind.
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        for key in ("src", "href", "action", "srcset"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith("#"), (tag, key, value)
    # url() only for the charts' own clip paths on this page; no import, no address.
    assert re.findall(r"url\((?!#fig-)", html_de) == [] and "@import" not in html_de
    for ref in re.findall(r'(?:url\(#|href="#)([^)"]+)', html_de):
        assert f'id="{ref}"' in html_de, ref
    namespaces = (
        'xmlns="http://www.w3.org/2000/svg"',
        'xmlns:xlink="http://www.w3.org/1999/xlink"',
    )
    rest = html_de
    for ns in namespaces:
        rest = rest.replace(ns, "")
    assert "http://" not in rest and "https://" not in rest
    # Ids are unique on the page (four charts share one document).
    ids = re.findall(r'\sid="([^"]+)"', html_de)
    assert len(ids) == len(set(ids))
    assert html_de.count("<script>") == 1 and "<script src" not in html_de
    # Headings, captions and header scopes.
    assert html_de.count("<h1>") == 1 and html_de.count("<h2") >= 5
    assert page.tables
    for tid, table in page.tables.items():
        assert table["caption"], tid
        assert table["head"] and table["rows"], tid
        for part, scope in table["scopes"]:
            assert scope == ("col" if part == "thead" else "row"), (tid, part, scope)
    for _, attrs in page.tags:
        if attrs.get("role") == "img":
            assert attrs.get("aria-label")
    # Filters are labelled inputs (hidden until the script runs).
    assert html_de.count("<label>Filtern: <input") == html_de.count("data-filter=")


def test_tiles_match_the_result_tables(sample: lm.MatchResult, html_de: str) -> None:
    tiles = {label: value for value, label in Page(html_de).tiles}
    open_ids = set(sample.requests["request_id"]) - set(sample.active_request_ids)
    served = set(sample.proposals["request_id"])
    assert num(tiles["offene Anfragen"]) == len(open_ids)
    assert tiles["mit Vorschlag 24,6 %"] == str(len(served))
    assert round(100 * len(served) / len(open_ids), 1) == 24.6
    assert num(tiles["ohne Vorschlag"]) == len(open_ids - served) == len(sample.unmatched)
    active = sample.assignments[sample.assignments["status"] == "active"]
    assert num(tiles["laufende Begleitungen"]) == active["request_id"].nunique()
    assert num(tiles["davon mit Vorschlag"]) == sample.proposals["volunteer_id"].nunique()
    vol = sample.volunteers
    ok = (
        vol["certified_on"].notna()
        & (vol["certified_on"] <= AS_OF)
        & (vol["available_from"].isna() | (vol["available_from"] <= AS_OF))
        & (vol["available_until"].isna() | (vol["available_until"] >= AS_OF))
    )
    assert num(tiles[f"Lotsinnen und Lotsen verfügbar von {len(vol)}"]) == ok.sum()
    # Free places: capacity minus households (active or newly proposed), available people only.
    hh = {
        r: h or "own:" + r
        for r, h in zip(sample.requests["request_id"], sample.requests["household_id"], strict=True)
    }
    pairs = set(zip(active["volunteer_id"], active["request_id"].map(hh), strict=True))
    pairs |= set(
        zip(sample.proposals["volunteer_id"], sample.proposals["request_id"].map(hh), strict=True)
    )
    taken = Counter(v for v, _ in pairs)
    free = sum(
        max(int(c) - taken.get(v, 0), 0)
        for v, c, a in zip(vol["volunteer_id"], vol["capacity"], ok, strict=True)
        if a
    )
    assert num(tiles["freie Plätze danach"]) == free
    assert num(tiles["abgewiesene Zeilen"]) == 0


def test_need_and_language_tables_match_groupbys(sample: lm.MatchResult, html_de: str) -> None:
    page = Page(html_de)
    req = sample.requests[~sample.requests["request_id"].isin(sample.active_request_ids)]
    served = req["request_id"].isin(sample.proposals["request_id"])
    by_need = pd.DataFrame({"need": req["need_type"], "s": served}).groupby("need")["s"]
    labels = {"Schule/Kita": "school", "Behördengang": "authority", "Gesundheit": "health"}
    rows = {r[0]: r for r in page.rows("t-need_type")}
    assert len(rows) == by_need.ngroups
    for label, code in labels.items():
        row = rows[label]
        assert num(row[1]) == by_need.size()[code]
        assert num(row[2]) == by_need.sum()[code]
        assert num(row[3]) == by_need.size()[code] - by_need.sum()[code]
        assert num(row[4]) == pytest.approx(100 * by_need.mean()[code], abs=0.05)
    first = req["languages"].str.split(":").str[0]
    by_lang = pd.DataFrame({"lang": first, "s": served}).groupby("lang")["s"].agg(["size", "sum"])
    rows = {r[0]: r for r in page.rows("t-language")}
    for label, code in (("Arabisch", "ar"), ("Tigrinya", "ti"), ("Ukrainisch", "uk")):
        assert num(rows[label][1]) == by_lang.at[code, "size"]
        assert num(rows[label][2]) == by_lang.at[code, "sum"]
    assert sum(num(r[1]) for r in rows.values()) == len(req)


def test_proposals_unmatched_and_recruitment_tables(sample: lm.MatchResult, html_de: str) -> None:
    page = Page(html_de)
    prop = page.rows("t-proposals")
    assert [r[0] for r in prop] == sorted(sample.proposals["request_id"])
    first = sample.proposals.sort_values("request_id").iloc[0]
    assert prop[0][4] == first["volunteer_id"]
    assert num(prop[0][6]) == pytest.approx(first["distance_km"], abs=0.05)
    assert num(prop[0][7]) == pytest.approx(first["score"], abs=0.005)
    head = page.tables["t-proposals"]["head"][0]
    assert head[8:15] == [
        "Sprache",
        "Entfernung",
        "Zeit",
        "Module",
        "Kontinuität",
        "Dringlichkeit",
        "Stabilität",
    ]
    # Alternatives are named with their ids.
    alts = sample.alternatives[sample.alternatives["request_id"] == first["request_id"]]
    for vid in alts["volunteer_id"]:
        assert vid in prop[0][-1]
    # Unmatched: the reason table and one table per reason, sentences included.
    reasons = sample.unmatched["reason"].value_counts()
    rows = page.rows("t-reasons")
    assert sum(num(r[1]) for r in rows) == len(sample.unmatched)
    assert [num(r[1]) for r in rows] == sorted(reasons.to_numpy(), reverse=True)
    for reason, count in reasons.items():
        group = page.rows(f"t-unmatched-{reason}")
        assert len(group) == count
        ids = set(sample.unmatched.loc[sample.unmatched["reason"] == reason, "request_id"])
        assert {r[0] for r in group} == ids
    dist = page.rows("t-unmatched-distance")[0]
    assert "im eigenen Umkreis" in dist[-1]
    # What would help: the recruitment list covers every recruitable unmatched request.
    recruit = page.rows("t-recruits")
    recruitable = sample.unmatched["reason"].isin(RECRUITABLE_REASONS).sum()
    assert sum(num(r[3]) for r in recruit) == recruitable
    assert "Etwa" in html_de and "zusätzliche Personen" in html_de


def test_english_report(sample: lm.MatchResult) -> None:
    html = render_report(sample, lang="en", title="Hildesheim <weekly>")
    assert '<html lang="en">' in html
    assert "<h1>Hildesheim &lt;weekly&gt;</h1>" in html
    for word in ("At a glance", "What would help", "Requests without a proposal", "Volunteer"):
        assert word in html
    for word in ("Anfragen ohne Vorschlag", "Lotsin", "Begründung", "Stichtag"):
        assert word not in html
    page = Page(html)
    assert "Arabic" in {r[0] for r in page.rows("t-language")}
    assert page.rows("t-unmatched-distance")[0][-1].endswith("km).")
    assert "within their travel radius" in html
    with pytest.raises(ValueError, match="report language"):
        render_report(sample, lang="fr")


def _escaping_caseload() -> tuple[pd.DataFrame, pd.DataFrame]:
    volunteers = pd.DataFrame(
        {
            "volunteer_id": ['V<b>"1"&'],
            "languages": ["ar:native;de:C1"],
            "lat": [52.15],
            "lon": [9.95],
            "need_types": ["school"],
            "capacity": [1],
            "certified_on": ["2025-01-01"],
            "place": ["<img src=x onerror=alert(1)>"],
        }
    )
    requests = pd.DataFrame(
        {
            "request_id": ["<script>alert(1)</script>", "R2"],
            "household_id": ["", "H</td><td>"],
            "languages": ["ar:native", "ti:native"],
            "lat": [52.16, 52.16],
            "lon": [9.95, 9.95],
            "need_type": ["school", "school"],
            "created_on": ["2026-10-01", "2026-10-01"],
            "place": ["<img src=x onerror=alert(1)>", "Ort & <i>Stadt</i>"],
        }
    )
    return volunteers, requests


def test_every_cell_is_escaped() -> None:
    volunteers, requests = _escaping_caseload()
    result = lm.match(volunteers, requests, None, lm.MatchConfig(as_of="2026-11-02"))
    assert len(result.proposals) == 1 and len(result.unmatched) == 1
    html = render_report(result)
    assert "<script>alert" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "V&lt;b&gt;&#34;1&#34;&amp;" in html
    assert "H&lt;/td&gt;&lt;td&gt;" in html
    page = Page(html)
    prop = page.rows("t-proposals")
    assert prop[0][0] == "<script>alert(1)</script>" and prop[0][4] == 'V<b>"1"&'
    assert page.rows("t-unmatched-language")[0][1] == "H</td><td>"


def test_same_result_same_bytes_whatever_the_row_order(sample: lm.MatchResult) -> None:
    cfg = lm.MatchConfig.from_toml(SAMPLES / "sample_config.toml").model_copy(
        update={"columns": {}}
    )
    spec = SAMPLES / "spec"
    vol = pd.read_csv(spec / "volunteers.csv", dtype=str, keep_default_na=False)
    req = pd.read_csv(spec / "requests.csv", dtype=str, keep_default_na=False)
    asg = pd.read_csv(spec / "assignments.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(5)
    shuffled = lm.match(
        vol.iloc[rng.permutation(len(vol))],
        req.iloc[rng.permutation(len(req))],
        asg.iloc[rng.permutation(len(asg))],
        cfg,
    )
    plain = lm.match(vol, req, asg, cfg)
    assert render_report(shuffled) == render_report(plain)
    assert render_report(sample) == render_report(sample)


def test_long_tables_are_cut_with_a_note(sample: lm.MatchResult) -> None:
    html = render_report(sample, max_rows=5, file_names={"proposals": "proposals.csv"})
    page = Page(html)
    assert len(page.rows("t-proposals")) == 5
    n = len(sample.proposals)
    assert f"Die ersten 5 von {n} Zeilen; alle stehen in der Datei „proposals.csv“." in html
    biggest = sample.unmatched["reason"].value_counts()
    assert len(page.rows(f"t-unmatched-{biggest.index[0]}")) == 5
    assert f"Die ersten 5 von {biggest.iloc[0]} Zeilen" in html
    # Counts and charts still describe everything.
    assert sum(num(r[1]) for r in page.rows("t-reasons")) == len(sample.unmatched)
    with pytest.raises(ValueError, match="max_rows"):
        render_report(sample, max_rows=0)


def test_write_report_is_atomic_and_equal_to_render(sample: lm.MatchResult, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("yesterday", encoding="utf-8")
    path = write_report(sample, target, lang="en")
    assert path == target
    assert target.read_text(encoding="utf-8") == render_report(sample, lang="en")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_result_without_inputs_is_refused(sample: lm.MatchResult) -> None:
    from dataclasses import replace

    bare = replace(sample, requests=pd.DataFrame(), volunteers=pd.DataFrame())
    with pytest.raises(ValueError, match="validated inputs"):
        render_report(bare)


def test_generated_district_stays_small_and_fast() -> None:
    """2,000 volunteers x 10,000 requests: every table capped, a file of a few MB."""
    cl = lm.generate_caseload(2000, 10000, seed=7)
    result = lm.match(
        cl.volunteers, cl.requests, cl.assignments, lm.MatchConfig(as_of="2026-11-02")
    )
    html = render_report(result, max_rows=500)
    size = len(html.encode("utf-8"))
    assert size < 4_000_000, size
    page = Page(html)
    assert all(len(t["rows"]) <= 500 for t in page.tables.values())
    assert len(page.rows("t-proposals")) == min(500, len(result.proposals))
    tiles = {label: value for value, label in page.tiles}
    assert num(tiles["offene Anfragen"]) == result.summary["counts"]["requests_open"]
    assert sum(num(r[1]) for r in page.rows("t-reasons")) == len(result.unmatched)


def test_rejected_rows_and_a_run_without_proposals() -> None:
    cfg = lm.MatchConfig.from_toml(SAMPLES / "sample_config.toml").model_copy(
        update={"strict": False}
    )
    broken = lm.match(
        SAMPLES / "ehrenamt_lotsen.csv", SAMPLES / "broken" / "anfragen_fehlerhaft.csv", None, cfg
    )
    html = render_report(broken)
    page = Page(html)
    n_rejected = broken.summary["counts"]["rejected_rows"]
    assert n_rejected > 0
    assert f"Abgewiesene Eingabezeilen ({n_rejected})" in html
    rows = page.rows("t-rejected")
    assert len(rows) == len(broken.problems)
    assert {r[0] for r in rows} == {"anfragen_fehlerhaft.csv"}
    # Nobody has capacity: no proposals, every open request in the gap.
    cl = lm.generate_caseload(3, 30, seed=1)
    none = lm.match(
        cl.volunteers.assign(capacity=0), cl.requests, None, lm.MatchConfig(as_of="2026-11-02")
    )
    assert none.proposals.empty
    html = render_report(none)
    page = Page(html)
    assert "Keine Vorschläge in diesem Lauf." in html and "t-proposals" not in page.tables
    assert sum(num(r[1]) for r in page.rows("t-reasons")) == len(none.unmatched)


def test_counts_take_their_own_number_and_the_solver_is_named(
    sample: lm.MatchResult, html_de: str
) -> None:
    page = Page(html_de)
    assert sample.summary["counts"]["unmatched_by_reason"]["exclusions"] == 1
    assert (
        page.tables["t-unmatched-exclusions"]["caption"]
        == "Ausgeschlossen oder abgelehnt: 1 Anfrage"
    )
    assert page.tables["t-unmatched-active"]["caption"] == (
        "Nicht aktiv oder nicht zertifiziert: 4 Anfragen"
    )
    assert "Verfahren: exakt (Min-Cost-Flow)" in html_de and "Verfahren flow" not in html_de
    assert re.search(r"\d+ offene Anfragen haben keinen Vorschlag\.", html_de)
    assert "Score" not in html_de and "Eignung" in page.tables["t-proposals"]["head"][0]
    english = Page(render_report(sample, lang="en"))
    assert english.tables["t-unmatched-exclusions"]["caption"] == "Excluded or declined: 1 request"
    # A single unmatched request reads in the singular.
    volunteers, requests = _escaping_caseload()
    one = lm.match(volunteers, requests, None, lm.MatchConfig(as_of="2026-11-02"))
    text = render_report(one)
    assert "1 offene Anfrage hat keinen Vorschlag." in text
    assert "Keine passende Sprache: 1 Anfrage<" in text


def test_next_steps_name_the_run_s_own_columns_and_words(sample: lm.MatchResult) -> None:
    text = render_report(sample)
    box = text[text.index('<aside id="next-steps"') : text.index("</aside>")]
    assert "Nächste Schritte" in box
    assert "(Spalten „Anfrage-ID“, „Lotsen-ID“, „Status“)" in box
    assert "„active“" in box and "„declined“" in box and "„proposed“" in box
    assert "Stand vom 02.11.2026" in box
    # With German vocabulary the German status words are named first; without a column
    # mapping, the contract's column names.
    german = lm.MatchConfig(as_of="2026-11-02", vocabulary="de")
    volunteers, requests = _escaping_caseload()
    text = render_report(lm.match(volunteers, requests, None, german))
    box = text[text.index('<aside id="next-steps"') : text.index("</aside>")]
    assert "„aktiv“ (oder „active“)" in box and "„abgelehnt“ (oder „declined“)" in box
    assert "(Spalten „request_id“, „volunteer_id“, „status“)" in box
    english = render_report(sample, lang="en")
    box = html.unescape(
        english[english.index('<aside id="next-steps"') : english.index("</aside>")]
    )
    assert "Next steps" in box and "'active'" in box and "'Anfrage-ID'" in box
