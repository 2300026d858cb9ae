"""The synthetic caseload generator: contract, determinism, realism, scale."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.core.vocab import LEVELS, MODULES, NEED_TYPES, SLOTS, canonical_language
from lotsen_match.generate import Caseload, generate_caseload
from lotsen_match.ingest.places import load_places, places_within

AS_OF = dt.date(2026, 11, 2)
VOLUNTEER_COLUMNS = [
    "volunteer_id",
    "languages",
    "lat",
    "lon",
    "max_distance_km",
    "need_types",
    "availability",
    "capacity",
    "gender",
    "certified_on",
    "modules",
    "police_check_until",
    "available_from",
    "available_until",
    "place",
]
REQUEST_COLUMNS = [
    "request_id",
    "household_id",
    "languages",
    "lat",
    "lon",
    "need_type",
    "availability",
    "created_on",
    "due_on",
    "involves_minors",
    "preferred_gender",
    "excluded_volunteers",
    "previous_volunteer_id",
    "place",
]
B1_OR_BETTER = {"B1", "B2", "C1", "C2", "native"}


@pytest.fixture(scope="module")
def caseload() -> Caseload:
    return generate_caseload(3_000, 20_000, seed=7)


def tokens(column: pd.Series) -> pd.Series:
    """All `;`-separated items of a column, one per row (missing cells dropped)."""
    return column.dropna().str.split(";").explode()


def languages_at_b1(column: pd.Series) -> list[set[str]]:
    """Per row (in order), the set of language codes spoken at B1 or better."""
    column = column.reset_index(drop=True)
    pairs = column.str.split(";").explode().str.split(":", expand=True)
    ok = pairs[pairs[1].isin(B1_OR_BETTER)]
    return list(ok.groupby(level=0)[0].agg(set).reindex(column.index))


def household_of(requests: pd.DataFrame) -> pd.Series:
    """Household key per request id: the household_id, or the request itself when it has none."""
    key = requests["household_id"].fillna(requests["request_id"])
    return pd.Series(key.to_numpy(), index=requests["request_id"])


def assert_contract(c: Caseload) -> None:
    v, r, a = c.volunteers, c.requests, c.assignments
    assert list(v.columns) == VOLUNTEER_COLUMNS
    assert list(r.columns) == REQUEST_COLUMNS
    assert list(a.columns) == ["request_id", "volunteer_id", "status"]

    assert v["volunteer_id"].str.fullmatch(r"V\d{6}").all()
    assert r["request_id"].str.fullmatch(r"R\d{7}").all()
    assert r["household_id"].dropna().str.fullmatch(r"H\d{7}").all()
    assert v["volunteer_id"].is_unique and r["request_id"].is_unique

    for table in (v, r):
        pairs = tokens(table["languages"]).str.split(":", expand=True)
        if len(pairs):
            codes = pairs[0].unique()
            assert all(canonical_language(code) == code for code in codes), codes
            assert set(pairs[1]) <= set(LEVELS)
        assert table["languages"].notna().all()
        assert table["lat"].between(51.0, 54.2).all() and table["lon"].between(6.4, 11.9).all()
        assert set(tokens(table["availability"])) <= set(SLOTS)
        assert (table["availability"].dropna() != "").all()
    assert v["languages"].str.contains("de:").all()
    assert set(tokens(v["need_types"])) <= set(NEED_TYPES)
    assert v["need_types"].notna().all()
    assert set(r["need_type"]) <= set(NEED_TYPES)
    assert set(tokens(v["modules"])) <= set(MODULES)
    assert set(v["gender"].dropna()) <= {"f", "m", "d"}
    assert set(r["preferred_gender"].dropna()) <= {"f", "m", "d"}
    assert v["capacity"].dtype == np.int64 and (v["capacity"] >= 0).all()
    assert (v["max_distance_km"].dropna() > 0).all()
    assert r["involves_minors"].dtype == bool

    for table, cols in (
        (v, ["certified_on", "police_check_until", "available_from", "available_until"]),
        (r, ["created_on", "due_on"]),
    ):
        for col in cols:
            assert pd.api.types.is_datetime64_dtype(table[col]), col
    assert r["created_on"].notna().all()
    assert (r["created_on"] <= pd.Timestamp(AS_OF)).all()
    assert (r["due_on"].dropna() >= pd.Timestamp(AS_OF)).all()
    both = v["available_from"].notna() & v["available_until"].notna()
    assert (v.loc[both, "available_from"] <= v.loc[both, "available_until"]).all()

    vol_ids = set(v["volunteer_id"])
    assert set(tokens(r["excluded_volunteers"])) <= vol_ids
    assert set(r["previous_volunteer_id"].dropna()) <= vol_ids
    assert set(a["request_id"]) <= set(r["request_id"])
    assert set(a["volunteer_id"]) <= vol_ids
    assert set(a["status"]) <= {"active", "proposed", "declined"}
    assert not a.duplicated(["request_id", "volunteer_id"]).any()

    household = household_of(r)
    active = a[a["status"] == "active"]
    assert active["request_id"].map(household).is_unique
    capacity = v.set_index("volunteer_id")["capacity"]
    assert (active["volunteer_id"].map(capacity) >= 1).all()


def test_contract(caseload: Caseload) -> None:
    assert_contract(caseload)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_volunteers=st.integers(0, 40),
    n_requests=st.integers(0, 120),
    seed=st.integers(0, 2**32 - 1),
)
def test_contract_holds_for_any_small_caseload(
    n_volunteers: int, n_requests: int, seed: int
) -> None:
    c = generate_caseload(n_volunteers, n_requests, seed=seed)
    assert len(c.volunteers) == n_volunteers and len(c.requests) == n_requests
    assert_contract(c)


def test_same_seed_same_frames_other_seed_differs() -> None:
    a = generate_caseload(300, 1_000, seed=3)
    b = generate_caseload(300, 1_000, seed=3)
    c = generate_caseload(300, 1_000, seed=4)
    for name in ("volunteers", "requests", "assignments"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.volunteers.equals(c.volunteers)
    assert not a.requests.equals(c.requests)
    assert not a.assignments.equals(c.assignments)


def test_volunteer_pool_does_not_depend_on_request_count() -> None:
    small = generate_caseload(200, 500, seed=11)
    large = generate_caseload(200, 5_000, seed=11)
    pd.testing.assert_frame_equal(small.volunteers, large.volunteers)


def test_households_share_id_location_and_place(caseload: Caseload) -> None:
    r = caseload.requests
    grouped = r.dropna(subset=["household_id"]).groupby("household_id")
    assert (grouped[["lat", "lon", "place", "created_on"]].nunique() == 1).all().all()
    sizes = grouped.size()
    assert sizes.max() <= 6 and (sizes >= 2).mean() > 0.5
    # Members of a household are registered together: consecutive request ids.
    rows = r.dropna(subset=["household_id"]).reset_index().groupby("household_id")["index"]
    assert (rows.max() - rows.min() + 1 == rows.size()).all()
    # Languages are mostly shared: the first language always is.
    first = r["languages"].str.split(":").str[0]
    assert (first.groupby(r["household_id"]).nunique() == 1).all()


def test_assignment_pairs_share_a_language_and_use_free_households(caseload: Caseload) -> None:
    v, r, a = caseload.volunteers, caseload.requests, caseload.assignments
    with_capacity = int((v["capacity"] > 0).sum())
    counts = a["status"].value_counts()
    assert 0.10 * with_capacity <= counts["active"] <= 0.16 * with_capacity
    assert counts["proposed"] > 0 and counts["declined"] > 0
    vol_langs = languages_at_b1(v.set_index("volunteer_id").loc[a["volunteer_id"], "languages"])
    req_langs = languages_at_b1(r.set_index("request_id").loc[a["request_id"], "languages"])
    shared = [bool(x & y) for x, y in zip(vol_langs, req_langs, strict=True)]
    assert all(shared)
    household = household_of(r)
    assert a["request_id"].map(household).is_unique  # one pair per household at most


def test_language_distribution_is_skewed_as_in_lower_saxony(caseload: Caseload) -> None:
    first = caseload.requests["languages"].str.split(":").str[0]
    share = first.value_counts(normalize=True)
    expected = {"ar": 0.28, "uk": 0.18, "kmr": 0.08, "ru": 0.08, "tr": 0.07, "en": 0.04}
    for code, p in expected.items():
        assert share[code] == pytest.approx(p, abs=0.02), code
    assert share[["prs", "fa"]].sum() == pytest.approx(0.12, abs=0.02)
    assert share[["ti", "ps", "so", "ckb"]].sum() == pytest.approx(0.10, abs=0.02)
    # German at B1 or better is rare on the request side ...
    german = caseload.requests["languages"].str.extract(r"de:(\w+)")[0]
    assert german.isin(["B1", "B2"]).mean() == pytest.approx(0.14, abs=0.04)
    # ... while almost every volunteer is a native speaker and ~45% bring another language.
    v = caseload.volunteers["languages"]
    assert v.str.contains("de:native").mean() > 0.9
    others = v.str.split(";").explode().str.split(":").str[0]
    heritage = ~others.isin(["de", "en", "fr"])
    assert heritage.groupby(level=0).any().mean() == pytest.approx(0.45, abs=0.03)
    speakers_ti = others[others == "ti"].index.nunique() / len(v)
    speakers_ar = others[others == "ar"].index.nunique() / len(v)
    assert speakers_ti < 0.02 < speakers_ar


def test_needs_and_cities_are_realistic(caseload: Caseload) -> None:
    r, v = caseload.requests, caseload.volunteers
    need = r["need_type"].value_counts(normalize=True)
    assert need["authority"] == pytest.approx(0.25, abs=0.02)
    assert need["school"] == pytest.approx(0.20, abs=0.02)
    assert r.loc[r["need_type"] == "school", "involves_minors"].mean() > 0.7
    assert r["involves_minors"].mean() == pytest.approx(0.35, abs=0.04)
    cities = ["Hannover", "Braunschweig", "Osnabrück", "Oldenburg", "Wolfsburg", "Göttingen"]
    assert r["place"].isin(cities).mean() > v["place"].isin(cities).mean() > 0.1
    assert r["place"].nunique() > 300  # rural districts are present too
    assert v["availability"].isna().mean() == pytest.approx(0.15, abs=0.03)
    assert r["availability"].isna().mean() == pytest.approx(0.30, abs=0.03)
    assert v["certified_on"].isna().mean() == pytest.approx(0.05, abs=0.02)
    assert (v["certified_on"] > pd.Timestamp(AS_OF)).any()
    assert (v["police_check_until"] < pd.Timestamp(AS_OF)).any()


def test_places_restrict_the_region() -> None:
    hildesheim = load_places().query("name == 'Hildesheim'").iloc[0]
    region = places_within(hildesheim["lat"], hildesheim["lon"], 25.0)
    c = generate_caseload(100, 400, seed=1, places=region)
    names = set(region["name"])
    assert set(c.volunteers["place"]) <= names and set(c.requests["place"]) <= names
    assert c.requests["lat"].between(hildesheim["lat"] - 0.4, hildesheim["lat"] + 0.4).all()
    with pytest.raises(ValueError, match="empty"):
        generate_caseload(1, 1, places=region.iloc[:0])
    with pytest.raises(ValueError, match="population"):
        generate_caseload(1, 1, places=region.drop(columns="population"))
    with pytest.raises(ValueError, match="n_requests"):
        generate_caseload(1, -1)


def test_scales_linearly_in_memory() -> None:
    """Speed is the benchmarks' business (a shared machine makes wall-clock asserts flaky)."""
    big = generate_caseload(50_000, 200_000, seed=0)
    assert len(big.requests) == 200_000

    def peak(n_requests: int) -> int:
        tracemalloc.start()
        generate_caseload(n_requests // 4, n_requests, seed=0)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(25_000), peak(100_000)
    assert 2.5 < large / small < 6.0, (small, large)


# --- density ---------------------------------------------------------------------------------


def test_sparse_density_is_the_default_caseload() -> None:
    from lotsen_match.generate import SPARSE

    plain = generate_caseload(300, 1_500, seed=11, as_of=AS_OF)
    sparse = generate_caseload(300, 1_500, seed=11, as_of=AS_OF, density=SPARSE)
    for name in ("volunteers", "requests", "assignments"):
        pd.testing.assert_frame_equal(getattr(plain, name), getattr(sparse, name))


def test_dense_caseload_clusters_into_the_largest_towns_with_wider_radii() -> None:
    from lotsen_match.generate import DENSE

    c = generate_caseload(1_000, 5_000, seed=5, as_of=AS_OF, density=DENSE)
    assert_contract(c)
    largest = set(load_places().nlargest(DENSE.towns or 0, "population")["name"])
    assert set(c.volunteers["place"]) <= largest
    assert set(c.requests["place"]) <= largest
    low, high = DENSE.radius_km or (0.0, 0.0)
    radius = c.volunteers["max_distance_km"].dropna()
    assert radius.between(low, high).all()
    assert radius.max() > 0.8 * high  # the whole range is used, not a corner of it


def test_dense_caseload_has_several_times_the_candidates_per_request() -> None:
    from lotsen_match import MatchConfig
    from lotsen_match.core.candidates import find_candidates
    from lotsen_match.core.problem import build_problem
    from lotsen_match.generate import DENSE, SPARSE
    from lotsen_match.validation import validate_caseload

    config = MatchConfig(as_of=AS_OF)
    per_request = {}
    for label, density in (("sparse", SPARSE), ("dense", DENSE)):
        c = generate_caseload(1_000, 5_000, seed=5, as_of=AS_OF, density=density)
        case = validate_caseload(c.volunteers, c.requests, c.assignments, config=config)
        problem = build_problem(case.volunteers, case.requests, case.assignments, config)
        n_open = int((~problem.r_is_active).sum())
        per_request[label] = find_candidates(problem, config).n_edges / n_open
    assert per_request["dense"] > 3 * per_request["sparse"]


@pytest.mark.parametrize(
    ("towns", "radius_km"), [(0, None), (-3, None), (None, (0.0, 5.0)), (None, (9.0, 4.0))]
)
def test_density_rejects_impossible_settings(
    towns: int | None, radius_km: tuple[float, float] | None
) -> None:
    from lotsen_match.errors import ArgumentError
    from lotsen_match.generate import Density

    with pytest.raises(ArgumentError):
        Density(towns=towns, radius_km=radius_km)
