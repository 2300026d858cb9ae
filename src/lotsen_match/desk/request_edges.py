"""Admissible volunteers, scores and funnel of a few requests against the held volunteers.

A desk call concerns one request (or the few of one household), so building the whole problem
again would waste the time of a phone call. The requests alone are encoded (as
:func:`~lotsen_match.core.problem.build_problem` does, row by row for these few) and joined to the
volunteer half of the held problem; ``request_candidates_all_steps`` then applies the very
constraint functions of the pipeline to every volunteer sharing a language, and
:func:`~lotsen_match.core.scoring.score_components` scores the admissible ones. So a request gets
exactly the pairs, scores and funnel counts a full run would give it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config import MatchConfig
from ..core.candidates import FUNNEL_STEPS, Candidates, best_shared_language, request_steps
from ..core.geo import unit_vectors
from ..core.problem import MISSING_DAY, MatchProblem
from ..core.scoring import COMPONENT_DTYPE, component_names, quality, score_components
from ..core.vocab import GENDER_CODE, LEVEL_CODE

if TYPE_CHECKING:
    from ..learn.model import SuccessModel

__all__ = [
    "VOLUNTEER_FIELDS",
    "RequestEdges",
    "SuccessInputs",
    "pair_failure",
    "request_edges",
]

#: The volunteer half of a :class:`MatchProblem` (shared by every request).
VOLUNTEER_FIELDS: Final[tuple[str, ...]] = (
    "as_of_day",
    "min_level",
    "volunteer_ids",
    "languages",
    "v_level",
    "v_lat",
    "v_lon",
    "v_xyz",
    "v_max_km",
    "v_need_mask",
    "v_slot_mask",
    "v_gender",
    "v_module_mask",
    "v_police_until_day",
    "v_is_active",
    "v_capacity",
    "v_active_households",
)

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SuccessInputs:
    """What the learned ``success`` component of a few requests' pairs needs beyond them."""

    model: SuccessModel
    history: pd.DataFrame
    """The caseload's assignments as a run would read them (experience, history)."""
    household_requests: Mapping[str, int]
    """Household key -> its requests in the caseload, these included (a feature)."""


@dataclass(frozen=True)
class RequestEdges:
    """The admissible pairs of the encoded requests (``request`` indexes ``request_ids``)."""

    request_ids: npt.NDArray[np.object_]
    request: I64
    volunteer: I64
    km: npt.NDArray[np.float64]
    lang: npt.NDArray[np.int16]
    level: npt.NDArray[np.int8]
    components: npt.NDArray[np.floating[Any]]
    quality: npt.NDArray[np.float64]
    funnel: npt.NDArray[np.int64]
    """(n_requests, len(FUNNEL_STEPS)) volunteers left after each step."""
    nearest_km: npt.NDArray[np.float64]
    """Distance to the nearest volunteer sharing a language (NaN if none)."""
    nearest_radius_km: npt.NDArray[np.float64]
    created_day: npt.NDArray[np.int32]
    """(n_requests,) day each request was opened (for its urgency)."""
    due_day: npt.NDArray[np.int32]
    """(n_requests,) due day, ``MISSING_DAY`` where none."""


def request_edges(
    rows: Sequence[Mapping[str, Any]],
    *,
    volunteers: dict[str, Any],
    volunteer_index: Mapping[str, int],
    config: MatchConfig,
    household_volunteer: Mapping[str, int],
    proposed: Iterable[tuple[str, int]] = (),
    declined: Iterable[tuple[str, int]] = (),
    household_ended: Mapping[str, Sequence[int]] | None = None,
    contact_day: Mapping[str, int] | None = None,
    success: SuccessInputs | None = None,
) -> RequestEdges:
    """Edges, scores and funnel of clean request ``rows`` against the held volunteers.

    Parameters
    ----------
    rows
        Clean (validated) request rows as dicts; they are treated as open.
    volunteers
        The volunteer half of the held problem (:data:`VOLUNTEER_FIELDS`), current.
    volunteer_index
        Volunteer id -> position in ``volunteers["volunteer_ids"]``.
    config
        The run's config (as_of and min_language_level as the volunteers were encoded with).
    household_volunteer
        Household key (``"H:" + household_id`` or ``"R:" + request_id``) -> the volunteer
        index the household is actively accompanied by: that volunteer keeps its place for
        the household (capacity rule), as in a full run.
    proposed, declined
        (request_id, volunteer index) pairs: open proposals (stability) and declined pairs.
    household_ended
        Household key -> volunteers whose accompaniment of it ended (continuity).
    contact_day
        Request id -> day of its last contact without open proposals (default: created_on);
        an open proposal counts as a contact today, as in a run.
    success
        With a learned success model (``config.rules.success_model``): the model, the
        history and the household sizes, to score its ``success`` column as a run would.

    Returns
    -------
    RequestEdges
        Pairs sorted by (request, volunteer), with components, quality and the funnel.
    """
    problem = _full_problem(
        rows,
        volunteers,
        volunteer_index,
        household_volunteer,
        proposed,
        declined,
        household_ended or {},
        contact_day or {},
        config,
    )
    reqs: list[I64] = []
    vols: list[I64] = []
    kms: list[npt.NDArray[np.float64]] = []
    n = problem.n_requests
    funnel = np.zeros((n, len(FUNNEL_STEPS)), dtype=np.int64)
    nearest_km = np.full(n, np.nan)
    nearest_radius = np.full(n, np.nan)
    for i in range(n):
        vol32, _, km, masks = request_steps(problem, config, i)
        vol = vol32.astype(np.int64)
        passed = np.ones(vol.size, dtype=np.bool_)
        for k, step in enumerate(FUNNEL_STEPS):
            passed &= masks[step]
            funnel[i, k] = int(np.count_nonzero(passed))
        ok = passed
        if vol.size:
            near = int(np.argmin(km))
            nearest_km[i] = km[near]
            nearest_radius[i] = problem.v_max_km[vol[near]]
        reqs.append(np.full(int(ok.sum()), i, dtype=np.int64))
        vols.append(vol[ok])
        kms.append(km[ok])
    req = np.concatenate(reqs) if reqs else np.zeros(0, np.int64)
    vol = np.concatenate(vols) if vols else np.zeros(0, np.int64)
    km = np.concatenate(kms) if kms else np.zeros(0, np.float64)
    lang, level = best_shared_language(problem, req, vol)
    cand = Candidates(
        req=req.astype(np.int32),
        vol=vol.astype(np.int32),
        km=km,
        lang=lang,
        level=level,
        funnel=funnel.astype(np.int32),
    )
    comps = score_components(problem, cand, config)
    if success is not None:
        comps = _with_success(problem, cand, comps, config, success)
    return RequestEdges(
        request_ids=problem.request_ids,
        request=req,
        volunteer=vol,
        km=km,
        lang=lang,
        level=level,
        components=np.ascontiguousarray(comps),
        quality=quality(comps, config.weights, component_names(config)),
        funnel=funnel,
        nearest_km=nearest_km,
        nearest_radius_km=nearest_radius,
        created_day=problem.r_created_day,
        due_day=problem.r_due_day,
    )


def _with_success(
    problem: MatchProblem,
    cand: Candidates,
    comps: npt.NDArray[np.floating[Any]],
    config: MatchConfig,
    success: SuccessInputs,
) -> npt.NDArray[np.floating[Any]]:
    """The component matrix with the learned ``success`` column last, as a run builds it."""
    from ..learn.apply import success_component  # scikit-learn and skops load only here

    in_rows = np.bincount(problem.r_household, minlength=problem.n_households)
    sizes = np.array(
        [
            success.household_requests.get(str(key), int(count))
            for key, count in zip(problem.household_keys.tolist(), in_rows.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    values, _ = success_component(
        problem,
        cand,
        comps,
        success.history,
        config,
        success.model,
        household_requests=sizes[problem.r_household[cand.req]],
    )
    return np.asfortranarray(
        np.column_stack([comps, values.astype(COMPONENT_DTYPE)]), dtype=COMPONENT_DTYPE
    )


def pair_failure(
    row: Mapping[str, Any],
    volunteer: int,
    *,
    volunteers: dict[str, Any],
    volunteer_index: Mapping[str, int],
    config: MatchConfig,
    household_volunteer: Mapping[str, int],
    declined: Iterable[tuple[str, int]] = (),
) -> str:
    """The first hard constraint (of :data:`FUNNEL_STEPS`) the pair breaks, "" if none."""
    problem = _full_problem(
        [row], volunteers, volunteer_index, household_volunteer, (), declined, {}, {}, config
    )
    vol, _, _, masks = request_steps(problem, config, 0)
    at = np.flatnonzero(vol == volunteer)
    if at.size == 0:
        return FUNNEL_STEPS[0]
    for step in FUNNEL_STEPS:
        if not masks[step][at[0]]:
            return step
    return ""


def _full_problem(
    rows: Sequence[Mapping[str, Any]],
    volunteers: dict[str, Any],
    volunteer_index: Mapping[str, int],
    household_volunteer: Mapping[str, int],
    proposed: Iterable[tuple[str, int]],
    declined: Iterable[tuple[str, int]],
    household_ended: Mapping[str, Sequence[int]],
    contact_day: Mapping[str, int],
    config: MatchConfig,
) -> MatchProblem:
    problem = _problem(rows, volunteers, volunteer_index, household_volunteer)
    ids = [str(rid) for rid in problem.request_ids.tolist()]
    p_index = {rid: i for i, rid in enumerate(ids)}
    n_vol = problem.n_volunteers
    proposed_pairs = _pairs(p_index, proposed, n_vol)
    declined_pairs = _pairs(p_index, declined, n_vol)
    excluded = _excluded(rows, p_index, volunteer_index, n_vol)
    # History: volunteers who accompanied a household before (continuity), one pair each.
    first = {int(h): i for i, h in reversed(list(enumerate(problem.r_household.tolist())))}
    ended = sorted(
        (first[h], v)
        for h, key in enumerate(problem.household_keys.tolist())
        for v in household_ended.get(str(key), ())
        if h in first and 0 <= v < n_vol
    )
    ended_req = np.array([r for r, _ in ended], dtype=np.int32)
    ended_vol = np.array([v for _, v in ended], dtype=np.int32)
    h_ended = np.unique(problem.r_household[ended_req].astype(np.int64) * max(n_vol, 1) + ended_vol)
    # Last contact: the history's dates, or today for a request with an open proposal.
    contact = np.array(
        [
            contact_day.get(rid, int(day))
            for rid, day in zip(ids, problem.r_created_day, strict=True)
        ],
        dtype=np.int64,
    )
    contact[np.unique(proposed_pairs[0])] = problem.as_of_day
    contact = np.minimum(contact, problem.as_of_day)
    stale = problem.as_of_day - contact > config.rules.reconfirm_after_days
    return dataclasses.replace(
        problem,
        proposed_req=proposed_pairs[0],
        proposed_vol=proposed_pairs[1],
        declined_req=declined_pairs[0],
        declined_vol=declined_pairs[1],
        excluded_req=excluded[0],
        excluded_vol=excluded[1],
        ended_req=ended_req,
        ended_vol=ended_vol,
        h_ended_keys=h_ended.astype(np.int64),
        r_contact_day=contact.astype(np.int32),
        r_stale=stale.astype(np.bool_),
    )


def _problem(
    rows: Sequence[Mapping[str, Any]],
    volunteers: dict[str, Any],
    volunteer_index: Mapping[str, int],
    household_volunteer: Mapping[str, int],
) -> MatchProblem:
    """The requests encoded as :func:`~lotsen_match.core.problem.build_problem` encodes them, joined
    to the volunteer half. Few rows: plain Python per row beats a dozen pandas calls each."""
    records = sorted(rows, key=lambda r: str(r["request_id"]))
    n = len(records)
    held_languages = {code: i for i, code in enumerate(volunteers["languages"])}
    ids = np.array([str(r["request_id"]) for r in records], dtype=object)
    keys = [
        f"H:{_text(r.get('household_id'))}" if _text(r.get("household_id")) else f"R:{rid}"
        for r, rid in zip(records, ids, strict=True)
    ]
    household_keys = np.array(sorted(set(keys)), dtype=object)
    r_household = np.searchsorted(household_keys, np.array(keys, dtype=object)).astype(np.int32)
    parsed = [_languages(_text(r["languages"]), held_languages) for r in records]
    width = max([1, *(len(p) for p in parsed)])
    r_lang = np.full((n, width), -1, dtype=np.int16)
    r_level = np.zeros((n, width), dtype=np.int8)
    for i, entries in enumerate(parsed):
        for k, (lang, level) in enumerate(entries):
            r_lang[i, k] = lang
            r_level[i, k] = level if lang >= 0 else 0  # nobody speaks an unknown language
    lat = np.array([float(r["lat"]) for r in records], dtype=np.float64)
    lon = np.array([float(r["lon"]) for r in records], dtype=np.float64)
    fields: dict[str, Any] = {name: volunteers[name] for name in VOLUNTEER_FIELDS}
    h_vol = np.array([household_volunteer.get(str(k), -1) for k in household_keys], np.int32)
    # The capacity rule lets a household's own active volunteer through even when full; the
    # constraint reads that from the active pairs, so state one per such household.
    hh = np.flatnonzero(h_vol >= 0)
    first = np.array([np.flatnonzero(r_household == h)[0] for h in hh], dtype=np.int64)
    order = np.argsort(first, kind="stable")
    prev = [volunteer_index.get(_text(r.get("previous_volunteer_id")), -1) for r in records]
    fields.update(
        request_ids=ids,
        household_keys=household_keys,
        r_household=r_household,
        r_lang=r_lang,
        r_lang_level=r_level,
        r_lat=lat,
        r_lon=lon,
        r_xyz=unit_vectors(lat, lon),
        r_need=np.array([int(r["need_code"]) for r in records], dtype=np.int8),
        r_slot_mask=np.array([int(r["slot_mask"]) for r in records], dtype=np.int32),
        r_pref_gender=np.array(
            [GENDER_CODE.get(_text(r.get("preferred_gender")), 0) for r in records], np.int8
        ),
        r_minors=np.array([_flag(r.get("involves_minors")) for r in records], dtype=np.bool_),
        r_due_day=np.array([_day(r.get("due_on")) for r in records], dtype=np.int32),
        r_created_day=np.array([_day(r.get("created_on")) for r in records], dtype=np.int32),
        r_is_active=np.zeros(n, dtype=np.bool_),
        r_prev_vol=np.array(prev, dtype=np.int32),
        h_active_volunteer=h_vol,
        active_req=first[order].astype(np.int32),
        active_vol=h_vol[hh][order].astype(np.int32),
    )
    empty_pairs = np.zeros(0, dtype=np.int32)
    for name in ("proposed", "declined", "excluded", "ended"):
        fields[f"{name}_req"] = empty_pairs
        fields[f"{name}_vol"] = empty_pairs
    fields["h_ended_keys"] = np.zeros(0, dtype=np.int64)
    fields["r_contact_day"] = fields["r_created_day"]
    fields["r_stale"] = np.zeros(n, dtype=np.bool_)
    return MatchProblem(**fields)


def _text(value: Any) -> str:
    """A clean cell as text, "" when empty (clean frames hold None, NaN or "")."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _flag(value: Any) -> bool:
    return bool(value) if _text(value) else False


def _day(value: Any) -> int:
    """A date cell as days since 1970-01-01 (``MISSING_DAY`` when empty)."""
    if value is None or pd.isna(value):
        return MISSING_DAY
    return int(np.datetime64(pd.Timestamp(value).tz_localize(None), "D").astype(np.int64))


def _languages(text: str, held: dict[str, int]) -> list[tuple[int, int]]:
    """``"ar:native;de:B1"`` -> [(held index or -1, level code)] in the cell's order."""
    if not text:
        return []
    out = []
    for entry in text.split(";"):
        code, _, level = entry.partition(":")
        out.append((held.get(code, -1), LEVEL_CODE[level]))
    return out


def _pairs(
    requests: Mapping[str, int], pairs: Iterable[tuple[str, int]], n_vol: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """(request, volunteer) index pairs, unique and sorted, for pairs of these requests."""
    width = max(n_vol, 1)
    keys = sorted({requests[r] * width + v for r, v in pairs if r in requests and 0 <= v < n_vol})
    found = np.array(keys, dtype=np.int64)
    return (found // width).astype(np.int32), (found % width).astype(np.int32)


def _excluded(
    rows: Sequence[Mapping[str, Any]],
    requests: Mapping[str, int],
    volunteers: Mapping[str, int],
    n_vol: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """``excluded_volunteers`` of the rows as index pairs (unknown ids name nobody)."""
    listed = [
        (str(row["request_id"]), volunteers.get(vid, -1))
        for row in rows
        if _text(row.get("excluded_volunteers"))
        for vid in _text(row.get("excluded_volunteers")).split(";")
    ]
    return _pairs(requests, listed, n_vol)
