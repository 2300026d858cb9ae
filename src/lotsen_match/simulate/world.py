"""The simulated world: one scenario applied to the caseload, before anything random happens daily.

A world holds the tables the day loop hands to [`Matcher`][lotsen_match.Matcher] every morning
(volunteers with recruits and their dated periods, the caseload's requests, its active and
declined pairs), the caseload's households, the arrival rate of each (need type, first language,
place) group, and the *relaxed* admissible pairs of every household: the library's own pipeline
run once with the date rules switched off (no availability windows, certifications and police
checks valid far ahead, no declined pairs). Every pair the Matcher can admit on any day of the
run is among them, which is what the upper bound (`lotsen_match.simulate.bound`) and the
on-arrival policies' pre-filter need.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config import MatchConfig
from ..core._keys import pair_keys
from ..desk.tables import contract_frame
from ..errors import ConfigError
from ..pipeline import build_instance
from ..validation import validate_caseload
from .scenario import Scenario, SimulationSettings

__all__ = [
    "MAX_ARRIVALS",
    "NEVER",
    "World",
    "apply_scenario",
    "build_world",
    "check_scenario",
    "first_language",
    "household_keys",
]

NEVER = np.iinfo(np.int32).max // 2
"""A day that never comes (no end, no departure)."""
MAX_ARRIVALS = 1_000_000
"""Most households a run lets arrive (memory and time stay bounded whatever the factors)."""
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def first_language(languages: pd.Series) -> pd.Series:
    """The first language code of SPEC language lists (``"ar:native;de:A1"`` -> ``"ar"``)."""
    return languages.fillna("").astype(str).str.split(";").str[0].str.split(":").str[0].str.strip()


def household_keys(requests: pd.DataFrame) -> npt.NDArray[np.object_]:
    """The Matcher's household key per request: ``H:<household_id>``, or ``R:<request_id>``."""
    household = requests["household_id"].fillna("").astype(str)
    own = "R:" + requests["request_id"].astype(str)
    return np.asarray(np.where(household != "", "H:" + household, own), dtype=object)


def _days(values: pd.Series, as_of: dt.date) -> I64:
    """Dates as days after ``as_of``; missing -> ``NEVER``."""
    parsed = pd.to_datetime(values, errors="coerce")
    days = (parsed - pd.Timestamp(as_of)).dt.days
    return np.asarray(days.fillna(NEVER).to_numpy(), dtype=np.int64)


@dataclass(frozen=True)
class World:
    """One scenario's caseload as the day loop and the bound need it (see the module docstring)."""

    config: MatchConfig
    """Matching rules of the scenario (weights, language level); ``as_of`` is day 0."""
    volunteers: pd.DataFrame
    """Contract-form volunteers incl. recruits (``available_from`` = the day they join)."""
    requests: pd.DataFrame
    """Contract-form requests of the caseload."""
    r_household: I64
    """Household of each request row."""
    h_rows: I64
    """(n_households + 1,) offsets into ``h_row_index``: each household's request rows."""
    h_row_index: I64
    h_open: npt.NDArray[np.bool_]
    """Households without an active accompaniment at the start."""
    h_created: I64
    """Day the household's first request was created (<= 0)."""
    h_group: I64
    h_language: npt.NDArray[np.object_]
    h_place: npt.NDArray[np.object_]
    group_rate: F64
    """Arrivals per day of each (need type, first language, place) group, scenario factors in."""
    init_household: I64
    """Households accompanied at the start, and their volunteers and active request rows."""
    init_volunteer: I64
    active: pd.DataFrame
    """The caseload's active rows (request_id, volunteer_id, started_on)."""
    declined: pd.DataFrame
    """The caseload's declined rows (request_id, volunteer_id)."""
    arc_start: I64
    """(n_households + 1,) CSR offsets of each household's relaxed admissible volunteers."""
    arc_volunteer: I64
    arc_count: I64
    """Requests of the household the volunteer may take (relaxed rules)."""
    v_capacity: I64
    v_join: I64
    """First day a volunteer may start an accompaniment."""
    v_leave: I64
    """Day a volunteer leaves (``Matcher.replace`` on that day), ``NEVER`` if not in sight."""

    @property
    def n_volunteers(self) -> int:
        return int(self.v_capacity.shape[0])

    @property
    def n_households(self) -> int:
        return int(self.h_open.shape[0])


def _languages_match(languages: pd.Series, code: str) -> npt.NDArray[np.bool_]:
    codes = languages.fillna("").astype(str).str.lower().str.split(";")
    want = code.strip().lower()
    return np.array([want in {x.split(":")[0].strip() for x in xs} for xs in codes], dtype=bool)


def apply_scenario(
    volunteers: pd.DataFrame,
    scenario: Scenario,
    settings: SimulationSettings,
    config: MatchConfig,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Volunteer rows after the scenario (recruits appended, dated) and removals' leave days."""
    vols = volunteers.reset_index(drop=True).copy()
    leave: dict[str, int] = {}
    ids = vols["volunteer_id"].astype(str)
    places = vols["place"].fillna("").astype(str) if "place" in vols else pd.Series("", vols.index)
    for k, rem in enumerate(scenario.remove_volunteers):
        ok = np.ones(len(vols), dtype=bool)
        if rem.place is not None:
            ok &= (places == rem.place).to_numpy()
        if rem.language is not None:
            ok &= _languages_match(vols["languages"], rem.language)
        pool = np.flatnonzero(ok & ~ids.isin(list(leave)).to_numpy())
        if len(pool) < rem.count:
            raise ConfigError(
                [
                    (
                        f"{scenario.name}.remove_volunteers[{k}]",
                        f"only {len(pool)} Lotsen match, not {rem.count}",
                    )
                ],
                source="scenarios",
            )
        for i in rng.choice(pool, size=rem.count, replace=False).tolist():
            leave[str(ids.iloc[int(i)])] = rem.day
    as_of = pd.Timestamp(config.as_of)
    new_rows: list[pd.DataFrame] = []
    for k, add in enumerate(scenario.add_volunteers):
        pool = np.flatnonzero((places == add.place).to_numpy())
        if len(pool) == 0:
            raise ConfigError(
                [
                    (
                        f"{scenario.name}.add_volunteers[{k}].place",
                        f"no Lotse lives in {add.place!r} to copy from",
                    )
                ],
                source="scenarios",
            )
        rows = vols.iloc[rng.choice(pool, size=add.count, replace=True)].copy()
        rows["languages"] = add.languages
        rows["volunteer_id"] = [f"NEU{k:02d}-{j:05d}" for j in range(add.count)]
        rows["available_from"] = as_of + pd.Timedelta(days=add.day) if add.day else pd.NaT
        new_rows.append(rows)
    n_join = int(rng.poisson(settings.join_per_year * len(volunteers) * settings.days / 365.0))
    if n_join and len(volunteers):
        rows = vols.iloc[rng.integers(0, len(volunteers), size=n_join)].copy()
        rows["volunteer_id"] = [f"ZUGANG-{j:05d}" for j in range(n_join)]
        days = rng.integers(1, settings.days + 1, size=n_join)
        rows["available_from"] = as_of + pd.to_timedelta(days, unit="D")
        new_rows.append(rows)
    if new_rows:
        for rows in new_rows:
            rows["available_until"] = pd.NaT
            if "status" in rows:
                rows["status"] = "active"
        vols = pd.concat([vols, *new_rows], ignore_index=True)
    if scenario.radius_factor != 1.0:
        km = pd.to_numeric(vols["max_distance_km"], errors="coerce")
        # A missing radius means the default one, which the factor scales too.
        default = config.rules.default_max_distance_km
        vols["max_distance_km"] = (km.fillna(default) * scenario.radius_factor).round(3)
    return vols, leave


def _relaxed(volunteers: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Date rules off for the one relaxed build: no windows, checks valid far ahead."""
    out = volunteers.copy()
    out["available_from"] = pd.NaT
    out["available_until"] = pd.NaT
    today = pd.Timestamp(as_of)
    out["certified_on"] = out["certified_on"].where(
        out["certified_on"].isna() | (out["certified_on"] <= today), today
    )
    far = pd.Timestamp(dt.date(2199, 12, 31))
    out["police_check_until"] = out["police_check_until"].where(
        out["police_check_until"].isna(), far
    )
    return out


def _relaxed_arcs(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    r_household: I64,
    n_households: int,
    config: MatchConfig,
) -> tuple[I64, I64, I64]:
    """(arc_start, arc_volunteer, arc_count) of every household under the relaxed rules."""
    case = validate_caseload(_relaxed(volunteers, config.as_of), requests, None, config=config)
    inst = build_instance(case, config)
    p, cand = inst.problem, inst.cand
    req = pd.Index(requests["request_id"].astype(str)).get_indexer(
        pd.Index(p.request_ids[cand.req])
    )
    vol = pd.Index(volunteers["volunteer_id"].astype(str)).get_indexer(
        pd.Index(p.volunteer_ids[cand.vol])
    )
    n_v = len(volunteers)
    keys = pair_keys(r_household[req], vol, n_v)
    uniq, count = np.unique(keys, return_counts=True)
    arc_h, arc_v = np.divmod(uniq, max(n_v, 1))
    arc_start = np.searchsorted(arc_h, np.arange(n_households + 1)).astype(np.int64)
    return arc_start, arc_v.astype(np.int64), count.astype(np.int64)


def _group_rates(
    requests: pd.DataFrame,
    first_rows: I64,
    created: I64,
    scenario: Scenario,
    settings: SimulationSettings,
) -> tuple[I64, F64, npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Group of each household and the arrivals per day of each group."""
    rows = requests.iloc[first_rows]
    need = rows["need_type"].fillna("").astype(str).to_numpy()
    lang = first_language(rows["languages"]).to_numpy()
    place = (
        rows["place"].fillna("").astype(str).to_numpy()
        if "place" in rows
        else np.full(len(rows), "", dtype=object)
    )
    group, uniques = pd.factorize(pd.Series(need + "|" + lang + "|" + place))
    window = settings.rate_window_days
    recent = created >= -window
    if not recent.any() and created.size:
        recent = np.ones(created.size, dtype=bool)
        window = max(int(-created.min()) + 1, 1)
    counts = np.bincount(group[recent], minlength=len(uniques)).astype(np.float64)
    rate = counts / window * scenario.arrival_factor
    parts = [str(u).split("|", 2) for u in uniques]
    g_need = np.array([p[0] for p in parts], dtype=object)
    g_lang = np.array([p[1] for p in parts], dtype=object)
    g_place = np.array([p[2] for p in parts], dtype=object)
    for f in scenario.arrival_factors:
        hit = np.ones(len(uniques), dtype=bool)
        if f.language is not None:
            hit &= g_lang == f.language
        if f.place is not None:
            hit &= g_place == f.place
        if f.need_type is not None:
            hit &= g_need == f.need_type
        rate[hit] *= f.factor
    return group.astype(np.int64), rate, lang.astype(object), place.astype(object)


def _households(requests: pd.DataFrame, as_of: dt.date) -> tuple[I64, I64, I64, I64]:
    """Household of each request, each household's rows (offsets, row order), created day."""
    r_household, uniq = pd.factorize(pd.Series(household_keys(requests)))
    r_household = r_household.astype(np.int64)
    n_h = len(uniq)
    order = np.argsort(r_household, kind="stable").astype(np.int64)
    h_rows = np.searchsorted(r_household[order], np.arange(n_h + 1)).astype(np.int64)
    created = np.minimum(_days(requests["created_on"], as_of), 0)
    h_created = np.zeros(n_h, dtype=np.int64)
    np.minimum.at(h_created, r_household, created)
    return r_household, h_rows, order, h_created


def _check_arrivals(rate: F64, scenario: Scenario, settings: SimulationSettings) -> None:
    expected = float(rate.sum()) * settings.days
    if expected > MAX_ARRIVALS:
        raise ConfigError(
            [
                (
                    f"{scenario.name}.arrival_factor",
                    f"about {expected:,.0f} households would arrive in {settings.days} days; "
                    f"at most {MAX_ARRIVALS:,} are simulated (lower the factors or the days)",
                )
            ],
            source="scenarios",
        )


def check_scenario(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    scenario: Scenario,
    settings: SimulationSettings,
    config: MatchConfig,
) -> None:
    """Cheap checks of a scenario against validated contract-form tables, before any run.

    Raises
    ------
    ConfigError
        A place without Lotsen to copy, more removals than Lotsen, far too many arrivals.
    """
    apply_scenario(volunteers, scenario, settings, config, np.random.default_rng(0))
    reqs = requests.reset_index(drop=True)
    _, h_rows, order, h_created = _households(reqs, config.as_of)
    _, rate, _, _ = _group_rates(reqs, order[h_rows[:-1]], h_created, scenario, settings)
    _check_arrivals(rate, scenario, settings)


def build_world(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None,
    scenario: Scenario,
    settings: SimulationSettings,
    config: MatchConfig,
    seed: int,
) -> World:
    """Validate the caseload, apply ``scenario`` and derive everything the day loop reads.

    Raises
    ------
    ConfigError
        A scenario change the caseload cannot carry (a place without Lotsen, ...).
    InputValidationError
        Invalid input rows (strict), named as ``match()`` names them.
    """
    changes: dict[str, Any] = {}
    if scenario.weights:
        changes["weights"] = scenario.weights
    if scenario.min_language_level is not None:
        changes["min_language_level"] = scenario.min_language_level
    try:
        cfg = config.replace(**changes) if changes else config
    except ConfigError as exc:
        raise ConfigError(
            [(f"{scenario.name}.{field}", text) for field, text in exc.problems],
            source="scenarios",
        ) from None
    case = validate_caseload(volunteers, requests, assignments, config=cfg, strict=True)
    rng = np.random.default_rng([seed, 11])
    vols, removal = apply_scenario(contract_frame(case.volunteers), scenario, settings, cfg, rng)
    reqs = contract_frame(case.requests).reset_index(drop=True)
    as_of = cfg.as_of

    r_household, h_rows, order, h_created = _households(reqs, as_of)
    n_h = h_rows.size - 1
    first_rows = order[h_rows[:-1]]

    asg = case.assignments
    active = asg[asg["status"] == "active"][["request_id", "volunteer_id", "started_on"]]
    declined = asg[asg["status"] == "declined"][["request_id", "volunteer_id"]]
    req_index = pd.Index(reqs["request_id"].astype(str))
    vol_index = pd.Index(vols["volunteer_id"].astype(str))
    act_h = r_household[req_index.get_indexer(pd.Index(active["request_id"].astype(str)))]
    act_v = vol_index.get_indexer(pd.Index(active["volunteer_id"].astype(str))).astype(np.int64)
    pairs = np.unique(np.column_stack([act_h, act_v]), axis=0) if len(active) else None
    init_household = pairs[:, 0] if pairs is not None else np.zeros(0, dtype=np.int64)
    init_volunteer = pairs[:, 1] if pairs is not None else np.zeros(0, dtype=np.int64)
    h_open = np.ones(n_h, dtype=bool)
    h_open[init_household] = False

    group, rate, lang, place = _group_rates(reqs, first_rows, h_created, scenario, settings)
    _check_arrivals(rate, scenario, settings)

    arc_start, arc_volunteer, arc_count = _relaxed_arcs(vols, reqs, r_household, n_h, cfg)

    join = np.maximum(_days(vols["available_from"], as_of), 0)
    join[join == NEVER] = 0
    cert = _days(vols["certified_on"], as_of)
    join = np.maximum(join, np.where(cert == NEVER, 0, cert))
    until = _days(vols["available_until"], as_of)
    leave = np.where(until == NEVER, NEVER, until + 1)
    extra = np.array([removal.get(v, NEVER) for v in vol_index], dtype=np.int64)
    drawn = (
        rng.exponential(365.0 / settings.leave_per_year, size=len(vols))
        if settings.leave_per_year
        else np.full(len(vols), np.inf)
    )
    churn = np.minimum(np.ceil(drawn), NEVER).astype(np.int64)
    leave = np.minimum(np.minimum(leave, extra), np.minimum(join + churn, NEVER))
    return World(
        config=cfg,
        volunteers=vols,
        requests=reqs,
        r_household=r_household,
        h_rows=h_rows,
        h_row_index=order,
        h_open=h_open,
        h_created=h_created,
        h_group=group,
        h_language=lang,
        h_place=place,
        group_rate=rate,
        init_household=init_household.astype(np.int64),
        init_volunteer=init_volunteer.astype(np.int64),
        active=active.reset_index(drop=True),
        declined=declined.reset_index(drop=True),
        arc_start=arc_start,
        arc_volunteer=arc_volunteer,
        arc_count=arc_count,
        v_capacity=np.asarray(vols["capacity"].fillna(0), dtype=np.int64),
        v_join=join.astype(np.int64),
        v_leave=leave.astype(np.int64),
    )
