"""Deterministic synthetic caseloads of a Lower Saxony coordination office.

Real caseloads are personal data and cannot be shared, yet tests, benchmarks and demos need data
whose shape matches reality: skewed request languages (Arabic, Ukrainian, Dari/Farsi, Kurdish ...)
against a volunteer pool that mostly speaks German, people concentrated in the cities but present in
every rural district, families with several requests, and the usual gaps (uncertified volunteers,
expired police checks, paused capacity). `generate_caseload` builds such a caseload in the column
contract of docs/contract.md.

Everything is vectorised: string columns are built once per distinct value (vocabulary products or
distinct bit masks) and gathered by integer codes, so 1M requests take a few seconds and memory is
linear in the size. The same seed always gives the same frames. Each table draws from its own
random stream, so the volunteer pool does not change when only the number of requests does (a
what-if with more requests keeps the same pool), and the requests' own columns do not change with
the number of volunteers (only the links to volunteer ids do).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arguments import describe
from .core.vocab import DAY_PARTS, DAYS, MODULES, NEED_TYPES, SLOTS
from .errors import ArgumentError, ArgumentTypeError
from .ingest.places import load_places

__all__ = ["DENSE", "SPARSE", "Caseload", "Density", "generate_caseload"]

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = pd.api.extensions.ExtensionArray

#: Date columns are pandas datetime64 at the resolution `pd.to_datetime` gives for text.
DATE_DTYPE: Final = "datetime64[us]"
_KM_PER_DEG_LAT: Final = 111.195
_CHUNK: Final = 1 << 16
#: Most rows of a count argument: ten times the statewide benchmark, and bounded memory.
_MAX_COUNT: Final = 1_000_000

# --- request languages ---------------------------------------------------------------------
# First language (native) with its share of requests; then, per first language, the further
# languages people typically bring along (code, level, probability; the rest bring none).
_REQUEST_FIRST: Final[tuple[tuple[str, float], ...]] = (
    ("ar", 28.0),
    ("uk", 18.0),
    ("prs", 7.0),
    ("fa", 5.0),
    ("kmr", 8.0),
    ("ckb", 2.0),
    ("tr", 7.0),
    ("ru", 8.0),
    ("ti", 3.0),
    ("ps", 3.0),
    ("so", 2.0),
    ("en", 4.0),
    ("fr", 3.0),
    ("sq", 0.5),
    ("ro", 0.5),
    ("bg", 0.3),
    ("pl", 0.3),
    ("vi", 0.2),
    ("ta", 0.2),
)
_REQUEST_SECOND: Final[dict[str, tuple[tuple[str, str, float], ...]]] = {
    "ar": (("en", "B1", 0.10), ("fr", "B2", 0.04), ("kmr", "B2", 0.03)),
    "uk": (("ru", "native", 0.15), ("ru", "C1", 0.30), ("en", "B1", 0.12), ("en", "B2", 0.08)),
    "prs": (("fa", "C1", 0.50), ("ps", "B2", 0.10), ("en", "A2", 0.05)),
    "fa": (("prs", "C1", 0.15), ("en", "B1", 0.15)),
    "kmr": (("tr", "B2", 0.30), ("ar", "B2", 0.30)),
    "ckb": (("ar", "B1", 0.30), ("fa", "B1", 0.15)),
    "tr": (("en", "B1", 0.15), ("kmr", "B2", 0.05)),
    "ru": (("uk", "B2", 0.10), ("en", "B1", 0.15)),
    "ti": (("am", "B2", 0.20), ("ar", "B1", 0.10), ("en", "A2", 0.20)),
    "ps": (("prs", "B2", 0.35), ("fa", "B1", 0.10)),
    "so": (("ar", "B1", 0.20), ("en", "B1", 0.20)),
    "en": (("fr", "B1", 0.10),),
    "fr": (("ar", "B2", 0.20), ("en", "A2", 0.10)),
    "sq": (("en", "B1", 0.20),),
    "ro": (("en", "B1", 0.20),),
    "bg": (("en", "B1", 0.20),),
    "pl": (("en", "B1", 0.20),),
    "vi": (("en", "B1", 0.20),),
    "ta": (("en", "B1", 0.20),),
}
# German of the head of household: B1 or better is rare, which makes scarce languages matter.
_DE_LEVELS: Final = ("", "A1", "A2", "B1", "B2")
_DE_HEAD_P: Final = (0.30, 0.30, 0.28, 0.10, 0.02)
# Further household members (often children at school) may speak better German than the head of
# household, never worse: what the household as a whole speaks is what its head speaks.
_DE_MEMBER_P: Final = (0.15, 0.20, 0.30, 0.25, 0.10)
_MEMBER_REDRAW_DE: Final = 0.2

# --- volunteer languages -------------------------------------------------------------------
_HERITAGE: Final[tuple[tuple[str, float], ...]] = (
    ("ar", 16.0),
    ("ru", 16.0),
    ("tr", 14.0),
    ("fa", 7.0),
    ("prs", 4.0),
    ("uk", 9.0),
    ("kmr", 4.0),
    ("ckb", 1.5),
    ("pl", 6.0),
    ("ro", 3.0),
    ("sq", 2.5),
    ("bg", 2.0),
    ("es", 2.0),
    ("it", 2.0),
    ("vi", 1.5),
    ("ta", 1.0),
    ("ti", 1.2),
    ("ps", 1.2),
    ("so", 0.8),
    ("am", 0.5),
)
_P_HERITAGE: Final = 0.45
_HERITAGE_LEVELS: Final = ("native", "C1", "B2")
_HERITAGE_LEVEL_P: Final = (0.55, 0.30, 0.15)
_P_DE_C1_IF_NATIVE_HERITAGE: Final = 0.18
_EN_LEVELS: Final = ("", "B1", "B2", "C1")
_EN_P: Final = (0.35, 0.20, 0.28, 0.17)
_FR_LEVELS: Final = ("", "A2", "B1", "B2")
_FR_P: Final = (0.82, 0.05, 0.07, 0.06)

# --- needs, slots, people ------------------------------------------------------------------
_NEED_P: Final = dict(
    school=0.20,
    authority=0.25,
    health=0.15,
    housing=0.10,
    work=0.12,
    everyday=0.10,
    digital=0.05,
    leisure=0.03,
)
_MINORS_P: Final = dict(
    school=0.85,
    authority=0.25,
    health=0.30,
    housing=0.20,
    work=0.05,
    everyday=0.20,
    digital=0.10,
    leisure=0.40,
)
_VOLUNTEER_NEED_W: Final = dict(
    school=1.2,
    authority=1.2,
    health=1.0,
    housing=0.7,
    work=0.8,
    everyday=1.3,
    digital=0.6,
    leisure=0.8,
)
_VOLUNTEER_NEED_COUNT: Final = ((2, 3, 4, 5, 6), (0.25, 0.30, 0.22, 0.15, 0.08))
_MODULE_COUNT: Final = ((3, 4, 5, 6), (0.15, 0.25, 0.30, 0.30))
_VOLUNTEER_SLOT_COUNT: Final = (
    tuple(range(3, 11)),
    (0.16, 0.16, 0.15, 0.14, 0.12, 0.1, 0.09, 0.08),
)
_P_VOLUNTEER_ANY_TIME: Final = 0.15
_REQUEST_SLOT_DRAWS: Final = ((1, 2, 3, 4), (0.35, 0.30, 0.20, 0.15))
_P_REQUEST_ANY_TIME: Final = 0.30
_CAPACITY: Final = ((0, 1, 2, 3, 4), (0.06, 0.42, 0.32, 0.13, 0.07))
_GENDERS: Final = (("f", "m", "d", ""), (0.58, 0.37, 0.02, 0.03))
_PREFERRED_GENDER: Final = (("", "f", "m"), (0.85, 0.12, 0.03))
_HOUSEHOLD_SIZE: Final = ((1, 2, 3, 4, 5, 6), (0.62, 0.20, 0.10, 0.045, 0.025, 0.01))
_P_SINGLE_WITH_HOUSEHOLD_ID: Final = 0.15

# Share of volunteers with capacity that hold an active / proposed / declined pair.
_P_ACTIVE: Final = 0.15
_P_PROPOSED: Final = 0.06
_P_DECLINED: Final = 0.03
_P_PREVIOUS_VOLUNTEER: Final = 0.10
_P_EXCLUDED: Final = 0.02

# People cluster by place; requests a bit more in cities (exponent > 1 on population).
_VOLUNTEER_PLACE_EXPONENT: Final = 1.0
_REQUEST_PLACE_EXPONENT: Final = 1.2
_MIN_PLACE_WEIGHT: Final = 500.0  # GeoNames lists some villages with population 0


@dataclass(frozen=True)
class Density:
    """How closely people cluster and how far volunteers travel: what sets the candidates per
    request.

    The default (:data:`SPARSE`) scatters people around all places of the region by population
    and draws travel radii by place size (3-12 km in cities, up to 25 km in villages), about 33
    admissible pairs per open request statewide. :data:`DENSE` puts everybody into the 15 largest
    towns with radii of 8-30 km, about 150, which is what large urban offices see.
    """

    towns: int | None = None
    """Scatter people around only the ``towns`` most populous places (None: every place)."""
    radius_km: tuple[float, float] | None = None
    """Travel radius of the volunteers, uniform in ``[low, high]`` km (None: by place size)."""

    def __post_init__(self) -> None:
        if self.towns is not None and (isinstance(self.towns, bool) or self.towns < 1):
            raise ArgumentError(f"towns must be a positive int or None, got {self.towns!r}")
        if self.radius_km is not None:
            low, high = self.radius_km
            if not 0 < low <= high:
                raise ArgumentError(f"radius_km must satisfy 0 < low <= high, got {self.radius_km}")


#: Every place of the region, radii by place size (the default).
SPARSE: Final = Density()
#: The 15 largest towns, radii 8-30 km: about 150 admissible pairs per open request statewide.
DENSE: Final = Density(towns=15, radius_km=(8.0, 30.0))


@dataclass(frozen=True)
class Caseload:
    """One office's state: volunteer pool, open requests and the assignments before this run.

    The tables are in the contract's columns, plus an extra ``place`` column (the GeoNames
    place a person was scattered around), ready for [`match`][lotsen_match.match].

    Attributes
    ----------
    volunteers
        The volunteer pool.
    requests
        The requests, several per household for some; those with an active pair in
        ``assignments`` are accompanied already.
    assignments
        Active, proposed and declined pairs, and with ``history`` the ended ones.
    closed_requests
        Closed requests named by the ended rows of ``assignments`` (only with ``history``;
        learning reads them alongside the open ones); else empty.
    """

    volunteers: pd.DataFrame
    requests: pd.DataFrame
    assignments: pd.DataFrame
    closed_requests: pd.DataFrame = field(default_factory=pd.DataFrame)


def generate_caseload(
    n_volunteers: int,
    n_requests: int,
    *,
    seed: int = 0,
    as_of: dt.date = dt.date(2026, 11, 2),
    places: pd.DataFrame | None = None,
    history: int = 0,
    density: Density = SPARSE,
) -> Caseload:
    """Generate a realistic synthetic caseload, identical for identical arguments.

    Real caseloads are personal data, so tests, benchmarks and demos use these: skewed request
    languages against a mostly German-speaking pool, people concentrated in the cities, families
    with several requests, and the usual gaps. Each table draws from its own random stream, so
    the volunteer pool stays the same when only ``n_requests`` changes (a what-if with more
    requests keeps the pool).

    Parameters
    ----------
    n_volunteers
        Volunteers in the pool (non-negative).
    n_requests
        Requests, open and active (non-negative).
    seed
        The random seed.
    as_of
        The run date the dates are drawn around.
    places
        Restricts locations to a region: a subset of [`load_places`][lotsen_match.load_places]
        with at least the columns name, lat, lon, population, e.g.
        ``places_within(52.15, 9.95, 25)`` around Hildesheim. None: all of Lower Saxony.
    history
        Adds up to this many ended accompaniments (their closed requests in
        ``closed_requests``), whose outcomes follow a hidden ground truth that learning can
        recover; 0 changes nothing else.
    density
        Clusters people into fewer towns and sets the travel radii (``DENSE`` for urban
        offices, about 150 admissible pairs per open request); the default changes nothing,
        so the same seed gives the same caseload as before the option existed.

    Returns
    -------
    Caseload
        Volunteers, requests and assignments in the contract's columns.

    Raises
    ------
    ArgumentError
        A count or ``history`` that is no whole number from 0 to 1,000,000, a ``seed`` that
        is no non-negative whole number, ``as_of`` that is no date, or ``places`` that is no
        DataFrame, has no rows or lacks the columns needed.
    ArgumentTypeError
        ``density`` that is no ``Density``.
    """
    _check_arguments(n_volunteers, n_requests, seed, as_of, places, history)
    if not isinstance(density, Density):
        raise ArgumentTypeError("density", "a Density, e.g. DENSE or SPARSE", describe(density))
    table = _check_places(load_places() if places is None else places)
    if density.towns is not None:
        largest = table.sort_values(["population", "name"], ascending=[False, True], kind="stable")
        table = largest.head(density.towns).reset_index(drop=True)
    vol_seed, req_seed, link_seed, asg_seed = np.random.SeedSequence(seed).spawn(4)
    day0 = np.datetime64(as_of, "D")

    vol = _volunteers(
        np.random.default_rng(vol_seed), int(n_volunteers), table, day0, density.radius_km
    )
    req = _requests(np.random.default_rng(req_seed), int(n_requests), table, day0)
    _link_previous_and_excluded(np.random.default_rng(link_seed), req, vol)
    assignments = _assignments(np.random.default_rng(asg_seed), vol, req, table)
    logger.debug(
        "generated caseload: %d volunteers, %d requests, %d assignments (seed %d)",
        len(vol.frame),
        len(req.frame),
        len(assignments),
        seed,
    )
    if history:
        from .generate_history import generate_history

        # Its own stream, spawned from the seed without changing the four above.
        hist_rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4157]))
        closed = _requests(hist_rng, int(history * 3) + 10, table, day0)
        past = generate_history(hist_rng, vol.frame, closed.frame, int(history), as_of)
        assignments = pd.concat([assignments, past.assignments], ignore_index=True)
        return Caseload(vol.frame, req.frame, assignments, past.requests)
    return Caseload(volunteers=vol.frame, requests=req.frame, assignments=assignments)


# --- internal state shared between the table builders ----------------------------------------


@dataclass
class _Volunteers:
    frame: pd.DataFrame
    place: IntArray
    speaks: pd.DataFrame  # (row, lang, priority): languages spoken at B1 or better
    can_take: BoolArray  # capacity > 0 and certified by as_of


@dataclass
class _Requests:
    frame: pd.DataFrame
    household: IntArray  # household index of each request
    start: IntArray  # first request row of each household
    size: IntArray
    place: IntArray  # per household
    first_lang: IntArray  # per household, index into _LANGS
    speaks: pd.DataFrame  # (household, lang, priority)


_LANGS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(
        ["de", "en", "fr"]
        + [c for c, _ in _REQUEST_FIRST]
        + [c for opts in _REQUEST_SECOND.values() for c, _, _ in opts]
        + [c for c, _ in _HERITAGE]
    )
)
_LANG_ID: Final[dict[str, int]] = {c: i for i, c in enumerate(_LANGS)}
_B1_OR_BETTER: Final = frozenset({"B1", "B2", "C1", "C2", "native"})


def _check_arguments(
    n_volunteers: object,
    n_requests: object,
    seed: object,
    as_of: object,
    places: object,
    history: object,
) -> None:
    """Refuse a wrong argument before anything is generated (not at the end of the work)."""
    counts = (("n_volunteers", n_volunteers), ("n_requests", n_requests), ("history", history))
    for name, value in counts:
        expected = f"a non-negative integer at most {_MAX_COUNT:,}"
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ArgumentTypeError(name, expected, describe(value))
        if not 0 <= value <= _MAX_COUNT:
            raise ArgumentError(f"{name}: expected {expected}; got {value}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ArgumentTypeError("seed", "a non-negative integer", describe(seed))
    if seed < 0:
        raise ArgumentError(f"seed: expected a non-negative integer; got {seed}")
    if not isinstance(as_of, dt.date):
        raise ArgumentTypeError("as_of", "a datetime.date", describe(as_of))
    if places is not None and not isinstance(places, pd.DataFrame):
        raise ArgumentTypeError(
            "places",
            "a pandas DataFrame of places (a subset of load_places()) or None",
            describe(places),
        )


def _check_places(places: pd.DataFrame) -> pd.DataFrame:
    missing = {"name", "lat", "lon", "population"} - set(places.columns)
    if missing:
        raise ArgumentError(
            f"places: lacks columns {sorted(missing)}; it needs name, lat, lon and population"
        )
    if len(places) == 0:
        raise ArgumentError("places: is empty: no location to scatter people around")
    return places.reset_index(drop=True)


# --- sampling primitives ---------------------------------------------------------------------


def _probs(weights: tuple[float, ...] | list[float] | FloatArray) -> FloatArray:
    p = np.asarray(weights, dtype=np.float64)
    normalised: FloatArray = p / p.sum()
    return normalised


def _draw(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> IntArray:
    """Indices into `weights`, one per row."""
    return rng.choice(len(weights), size=n, p=_probs(weights)).astype(np.int64)


def _draw_per_group(rng: np.random.Generator, probs: FloatArray, group: IntArray) -> IntArray:
    """Row i draws an index from the distribution `probs[group[i]]` (rows of `probs` sum to 1).

    Offsetting each group's cumulative distribution by the group number turns all groups into
    one sorted array, so a single searchsorted serves every row without an (n, k) matrix.
    """
    k = probs.shape[1]
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    flat = (cum + np.arange(len(probs))[:, None]).ravel()
    u = rng.random(len(group)) + group
    index: IntArray = np.searchsorted(flat, u, side="right").astype(np.int64) - group * k
    return index


def _subsets(rng: np.random.Generator, sizes: IntArray, weights: FloatArray) -> IntArray:
    """Bit masks of weighted random subsets without replacement, `sizes[i]` items in row i.

    Exponential keys divided by weights, smallest k win (the Efraimidis-Spirakis scheme),
    processed in chunks so memory stays linear with a small constant.
    """
    n, m = len(sizes), len(weights)
    bits = np.int64(1) << np.arange(m, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    for lo in range(0, n, _CHUNK):
        k = sizes[lo : lo + _CHUNK]
        keys = rng.standard_exponential(size=(len(k), m)) / weights
        kth = np.sort(keys, axis=1)[np.arange(len(k)), np.clip(k, 1, m) - 1]
        chosen = (keys <= kth[:, None]) & (k > 0)[:, None]
        out[lo : lo + _CHUNK] = (chosen * bits).sum(axis=1)
    return out


def _labels_of_masks(masks: IntArray, labels: tuple[str, ...]) -> StrArray:
    """`;`-joined labels of each bit mask (vocabulary order); mask 0 becomes missing.

    Strings are built once per distinct mask with Arrow list kernels and gathered by code.
    """
    uniq, inverse = np.unique(masks, return_inverse=True)
    member = ((uniq[:, None] >> np.arange(len(labels))) & 1).astype(bool)
    _, cols = np.nonzero(member)
    offsets = np.concatenate([[0], np.cumsum(member.sum(axis=1))]).astype(np.int32)
    values = pa.array(labels).take(pa.array(cols))
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), ";")
    codes = np.where(masks == 0, -1, inverse.ravel())
    return _gather(joined, codes)


def _gather(table: Sequence[str] | pa.Array, codes: IntArray) -> StrArray:
    """Strings `table[codes]` as a pandas `str` array; code -1 gives a missing value."""
    strings: StrArray = pd.array(table, dtype="str")
    return strings.take(codes, allow_fill=True)


def _optional_choice(
    rng: np.random.Generator, n: int, spec: tuple[tuple[str, ...], tuple[float, ...]]
) -> StrArray:
    """Draw labels with probabilities; the label "" stands for a missing value."""
    labels, weights = spec
    code = _draw(rng, n, weights)
    missing = np.array([label == "" for label in labels])[code]
    return _gather(labels, np.where(missing, -1, code))


def _ids(prefix: str, numbers: IntArray, width: int) -> StrArray:
    text = prefix + pd.Series(numbers, copy=False).astype("str").str.zfill(width)
    return text.array


def _dates(day0: np.datetime64, offsets: IntArray, present: BoolArray) -> pd.Series:
    days = np.where(present, day0 + offsets.astype("timedelta64[D]"), np.datetime64("NaT"))
    return pd.Series(days.astype(DATE_DTYPE), copy=False)


# --- geography -------------------------------------------------------------------------------


def _locate(
    rng: np.random.Generator, n: int, places: pd.DataFrame, exponent: float
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Place index and coordinates: a place drawn by population, then Gaussian scatter.

    The spread grows with the square root of the population (a town's radius), from 0.5 km for a
    village to 6 km for Hannover, so cities form dense clouds and villages tight clusters.
    """
    pop = np.maximum(places["population"].to_numpy(dtype=np.float64), _MIN_PLACE_WEIGHT)
    place = rng.choice(len(pop), size=n, p=_probs(pop**exponent)).astype(np.int64)
    sigma_km = np.clip(0.3 + 0.008 * np.sqrt(pop), 0.5, 6.0)[place]
    lat0 = places["lat"].to_numpy(dtype=np.float64)[place]
    lon0 = places["lon"].to_numpy(dtype=np.float64)[place]
    north, east = rng.standard_normal((2, n)) * sigma_km
    lat = np.clip(lat0 + north / _KM_PER_DEG_LAT, -90.0, 90.0)
    lon = lon0 + east / (_KM_PER_DEG_LAT * np.cos(np.radians(lat0)))
    return place, np.round(lat, 5), np.round(lon, 5)


# --- volunteers ------------------------------------------------------------------------------


@functools.cache
def _volunteer_language_table() -> tuple[list[str], tuple[int, ...]]:
    """Every combination of (German level, heritage language, its level, English, French)."""
    heritage = ("", *(c for c, _ in _HERITAGE))
    dims = (2, len(heritage), len(_HERITAGE_LEVELS), len(_EN_LEVELS), len(_FR_LEVELS))
    out = []
    for de, h, hl, en, fr in itertools.product(*(range(d) for d in dims)):
        parts = [] if de else ["de:native"]
        if heritage[h]:
            parts.append(f"{heritage[h]}:{_HERITAGE_LEVELS[hl]}")
        if de:
            parts.append("de:C1")
        if en:
            parts.append(f"en:{_EN_LEVELS[en]}")
        if fr:
            parts.append(f"fr:{_FR_LEVELS[fr]}")
        out.append(";".join(parts))
    return out, dims


def _volunteer_languages(rng: np.random.Generator, n: int) -> tuple[StrArray, pd.DataFrame]:
    has_heritage = rng.random(n) < _P_HERITAGE
    heritage = np.where(has_heritage, _draw(rng, n, tuple(w for _, w in _HERITAGE)) + 1, 0)
    level = _draw(rng, n, _HERITAGE_LEVEL_P)
    de_c1 = (heritage > 0) & (level == 0) & (rng.random(n) < _P_DE_C1_IF_NATIVE_HERITAGE)
    en = _draw(rng, n, _EN_P)
    fr = _draw(rng, n, _FR_P)
    table, dims = _volunteer_language_table()
    code = np.ravel_multi_index((de_c1.astype(np.int64), heritage, level, en, fr), dims)

    rows = np.arange(n, dtype=np.int64)
    heritage_ids = np.array([-1] + [_LANG_ID[c] for c, _ in _HERITAGE], dtype=np.int64)
    fr_ok = fr >= _FR_LEVELS.index("B1")
    speaks = pd.DataFrame(
        {
            "row": np.concatenate([rows[heritage > 0], rows[en > 0], rows[fr_ok], rows]),
            "lang": np.concatenate(
                [
                    heritage_ids[heritage[heritage > 0]],
                    np.full(int((en > 0).sum()), _LANG_ID["en"]),
                    np.full(int(fr_ok.sum()), _LANG_ID["fr"]),
                    np.full(n, _LANG_ID["de"]),
                ]
            ),
            "priority": np.repeat(
                [0, 1, 1, 2], [int((heritage > 0).sum()), int((en > 0).sum()), int(fr_ok.sum()), n]
            ),
        }
    )
    return _gather(table, code), speaks


def _volunteers(
    rng: np.random.Generator,
    n: int,
    places: pd.DataFrame,
    day0: np.datetime64,
    radius_km: tuple[float, float] | None = None,
) -> _Volunteers:
    place, lat, lon = _locate(rng, n, places, _VOLUNTEER_PLACE_EXPONENT)
    languages, speaks = _volunteer_languages(rng, n)

    pop = places["population"].to_numpy(dtype=np.float64)[place]
    low = np.select([pop >= 100_000, pop >= 10_000], [3.0, 5.0], 8.0)
    high = np.select([pop >= 100_000, pop >= 10_000], [12.0, 18.0], 25.0)
    if radius_km is not None:  # same draws as by place size, so the rest of the stream is equal
        low, high = np.full(n, radius_km[0]), np.full(n, radius_km[1])
    max_km = np.round((low + rng.random(n) * (high - low)) * 2) / 2
    max_km[rng.random(n) < 0.10] = np.nan

    need_sizes = np.asarray(_VOLUNTEER_NEED_COUNT[0])[_draw(rng, n, _VOLUNTEER_NEED_COUNT[1])]
    need_w = np.array([_VOLUNTEER_NEED_W[t] for t in NEED_TYPES])
    needs = _subsets(rng, need_sizes, need_w)

    slot_sizes = np.asarray(_VOLUNTEER_SLOT_COUNT[0])[_draw(rng, n, _VOLUNTEER_SLOT_COUNT[1])]
    slot_sizes[rng.random(n) < _P_VOLUNTEER_ANY_TIME] = 0
    slot_w = np.array(
        [
            (0.4 if d == "sun" else 0.7 if d == "sat" else 1.0)
            * {"am": 1.0, "pm": 0.9, "eve": 1.2}[p]
            for d in DAYS
            for p in DAY_PARTS
        ]
    )
    slots = _subsets(rng, slot_sizes, slot_w)

    capacity = np.asarray(_CAPACITY[0], dtype=np.int64)[_draw(rng, n, _CAPACITY[1])]
    gender = _optional_choice(rng, n, _GENDERS)

    # Certification: mostly within six years, 5% not yet, 2% finishing the course soon.
    cert_kind = _draw(rng, n, (0.93, 0.05, 0.02))
    cert_offset = np.where(cert_kind == 2, rng.integers(1, 61, n), -rng.integers(0, 6 * 365, n))
    certified_on = _dates(day0, cert_offset, cert_kind != 1)
    module_sizes = np.asarray(_MODULE_COUNT[0])[_draw(rng, n, _MODULE_COUNT[1])]
    modules = _subsets(rng, module_sizes, np.ones(len(MODULES)))

    police_until = _dates(day0, rng.integers(-365, 5 * 365, n), rng.random(n) < 0.60)
    from_offset = np.where(rng.random(n) < 0.9, -rng.integers(1, 1000, n), rng.integers(1, 91, n))
    available_from = _dates(day0, from_offset, rng.random(n) < 0.12)
    until_offset = np.where(rng.random(n) < 0.8, rng.integers(1, 541, n), -rng.integers(1, 366, n))
    available_until = _dates(day0, until_offset, rng.random(n) < 0.10)
    available_until = available_until.where(
        available_from.isna() | available_until.isna() | (available_until >= available_from),
        available_from,
    )

    frame = pd.DataFrame(
        {
            "volunteer_id": _ids("V", np.arange(1, n + 1), 6),
            "languages": languages,
            "lat": lat,
            "lon": lon,
            "max_distance_km": max_km,
            "need_types": _labels_of_masks(needs, NEED_TYPES),
            "availability": _labels_of_masks(slots, SLOTS),
            "capacity": capacity,
            "gender": gender,
            "certified_on": certified_on,
            "modules": _labels_of_masks(modules, MODULES),
            "police_check_until": police_until,
            "available_from": available_from,
            "available_until": available_until,
            "place": _gather(places["name"].tolist(), place),
        }
    )
    certified = (cert_kind == 0).astype(bool)
    return _Volunteers(frame, place, speaks, (capacity > 0) & certified)


# --- requests --------------------------------------------------------------------------------


@functools.cache
def _request_language_table() -> tuple[list[str], tuple[int, ...], FloatArray, IntArray]:
    """All (first language, further language option, German level) strings, option
    probabilities per first language, and the language id an option adds at B1 or better."""
    firsts = [c for c, _ in _REQUEST_FIRST]
    width = 1 + max(len(o) for o in _REQUEST_SECOND.values())
    dims = (len(firsts), width, len(_DE_LEVELS))
    probs = np.zeros((len(firsts), width))
    adds = np.full((len(firsts), width), -1, dtype=np.int64)
    for f, first in enumerate(firsts):
        for s, (code, level, p) in enumerate(_REQUEST_SECOND[first], start=1):
            probs[f, s] = p
            adds[f, s] = _LANG_ID[code] if level in _B1_OR_BETTER else -1
        probs[f, 0] = 1.0 - probs[f, 1:].sum()
    probs.setflags(write=False)  # cached: shared by every call
    adds.setflags(write=False)
    table = []
    for f, s, g in itertools.product(*(range(d) for d in dims)):
        opts = _REQUEST_SECOND[firsts[f]]
        parts = [f"{firsts[f]}:native"]
        if g:
            parts.append(f"de:{_DE_LEVELS[g]}")
        if 0 < s <= len(opts):
            parts.append(f"{opts[s - 1][0]}:{opts[s - 1][1]}")
        table.append(";".join(parts))
    return table, dims, probs, adds


def _household_sizes(rng: np.random.Generator, n: int) -> IntArray:
    """Household sizes summing to exactly n requests (the last household is cut to fit)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    values = np.asarray(_HOUSEHOLD_SIZE[0], dtype=np.int64)
    mean = float(values @ _probs(_HOUSEHOLD_SIZE[1]))
    sizes = values[_draw(rng, int(n / mean * 1.1) + 16, _HOUSEHOLD_SIZE[1])]
    while sizes.sum() < n:  # practically never; keeps the function total
        sizes = np.concatenate([sizes, values[_draw(rng, 16, _HOUSEHOLD_SIZE[1])]])
    cum = np.cumsum(sizes)
    last = int(np.searchsorted(cum, n))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= cum[last] - n
    return sizes


def _requests(
    rng: np.random.Generator, n: int, places: pd.DataFrame, day0: np.datetime64
) -> _Requests:
    size = _household_sizes(rng, n)
    n_hh = len(size)
    household = np.repeat(np.arange(n_hh, dtype=np.int64), size)
    start = np.cumsum(size) - size
    is_head = np.arange(n) == start[household]

    # Household level: where they live, what they speak, when they came to the office.
    place, lat, lon = _locate(rng, n_hh, places, _REQUEST_PLACE_EXPONENT)
    table, dims, second_p, second_adds = _request_language_table()
    first = _draw(rng, n_hh, tuple(w for _, w in _REQUEST_FIRST))
    second = _draw_per_group(rng, second_p, first)
    german_head = _draw(rng, n_hh, _DE_HEAD_P)
    german = german_head[household]
    redraw = ~is_head & (rng.random(n) < _MEMBER_REDRAW_DE)
    german[redraw] = np.maximum(german[redraw], _draw(rng, int(redraw.sum()), _DE_MEMBER_P))
    lang_code = np.ravel_multi_index((first[household], second[household], german), dims)
    created = -rng.integers(0, 181, n_hh)
    with_id = (size > 1) | (rng.random(n_hh) < _P_SINGLE_WITH_HOUSEHOLD_ID)
    preferred = _optional_choice(rng, n_hh, _PREFERRED_GENDER)

    # Request level: the need, its time window and urgency.
    need = _draw(rng, n, tuple(_NEED_P[t] for t in NEED_TYPES))
    minors_p = np.array([_MINORS_P[t] for t in NEED_TYPES])[need]
    draws = np.asarray(_REQUEST_SLOT_DRAWS[0])[_draw(rng, n, _REQUEST_SLOT_DRAWS[1])]
    draws[rng.random(n) < _P_REQUEST_ANY_TIME] = 0
    slot_w = _probs(
        [
            (0.3 if d == "sun" else 0.6 if d == "sat" else 1.0)
            * {"am": 1.3, "pm": 0.8, "eve": 1.4}[p]
            for d in DAYS
            for p in DAY_PARTS
        ]
    )
    picks = rng.choice(len(SLOTS), size=(n, int(draws.max(initial=0))), p=slot_w)
    used = np.arange(picks.shape[1]) < draws[:, None]
    slots = np.bitwise_or.reduce(np.where(used, np.int64(1) << picks, 0), axis=1)
    if picks.shape[1] == 0:
        slots = np.zeros(n, dtype=np.int64)
    due_offset = rng.integers(0, 46, n)
    has_due = rng.random(n) < 0.40
    minors = rng.random(n) < minors_p

    hh_ids = _ids("H", np.arange(1, n_hh + 1), 7)
    missing = pd.array(pd.Series(pd.NA, index=range(n), dtype="str"))
    frame = pd.DataFrame(
        {
            "request_id": _ids("R", np.arange(1, n + 1), 7),
            "household_id": hh_ids.take(
                np.where(with_id, np.arange(n_hh), -1)[household], allow_fill=True
            ),
            "languages": _gather(table, lang_code),
            "lat": lat[household],
            "lon": lon[household],
            "need_type": _gather(NEED_TYPES, need),
            "availability": _labels_of_masks(slots, SLOTS),
            "created_on": _dates(day0, created[household], np.ones(n, dtype=bool)),
            "due_on": _dates(day0, due_offset, has_due),
            "involves_minors": minors,
            "preferred_gender": preferred.take(household),
            "excluded_volunteers": missing,
            "previous_volunteer_id": missing,
            "place": _gather(places["name"].tolist(), place[household]),
        }
    )

    hh_rows = np.arange(n_hh, dtype=np.int64)
    extra = second_adds[first, second]
    speaks = pd.DataFrame(
        {
            "row": np.concatenate([hh_rows, hh_rows[extra >= 0], hh_rows[german_head >= 3]]),
            "lang": np.concatenate(
                [
                    np.array([_LANG_ID[c] for c, _ in _REQUEST_FIRST], dtype=np.int64)[first],
                    extra[extra >= 0],
                    np.full(int((german_head >= 3).sum()), _LANG_ID["de"], dtype=np.int64),
                ]
            ),
            "priority": np.repeat(
                [0, 1, 2], [n_hh, int((extra >= 0).sum()), int((german_head >= 3).sum())]
            ),
        }
    )
    first_ids = np.array([_LANG_ID[c] for c, _ in _REQUEST_FIRST], dtype=np.int64)[first]
    return _Requests(frame, household, start, size, place, first_ids, speaks)


def _link_previous_and_excluded(rng: np.random.Generator, req: _Requests, vol: _Volunteers) -> None:
    """Fill previous_volunteer_id and excluded_volunteers, both per household.

    A previous volunteer spoke the household's first language whenever the pool has such a
    volunteer (continuity only makes sense with a shared language); exclusions are arbitrary.
    """
    n_vol, n_hh = len(vol.frame), len(req.size)
    if n_vol == 0 or n_hh == 0:
        return
    vol_ids = vol.frame["volunteer_id"].array

    has_previous = rng.random(n_hh) < _P_PREVIOUS_VOLUNTEER
    previous = np.full(n_hh, -1, dtype=np.int64)
    fluent = vol.speaks[vol.speaks["priority"] < 2]
    speakers = dict(tuple(fluent.groupby("lang")["row"]))
    for lang in np.unique(req.first_lang[has_previous]):
        hh = np.flatnonzero(has_previous & (req.first_lang == lang))
        group = speakers.get(int(lang))
        pool = group.to_numpy() if group is not None else np.arange(n_vol, dtype=np.int64)
        previous[hh] = pool[rng.integers(0, len(pool), size=len(hh))]

    excluded = rng.random(n_hh) < _P_EXCLUDED
    a, b = rng.integers(0, n_vol, size=(2, n_hh))
    two = (rng.random(n_hh) < 0.35) & (a != b)
    text = pd.Series(vol_ids.take(a)) + pd.Series(np.where(two, ";", "")).astype("str")
    text = text + pd.Series(vol_ids.take(b)).where(two, "")

    req.frame["previous_volunteer_id"] = vol_ids.take(previous, allow_fill=True).take(req.household)
    req.frame["excluded_volunteers"] = text.where(excluded).array.take(req.household)


# --- assignments -----------------------------------------------------------------------------


def _grid_cell(lat: FloatArray, lon: FloatArray) -> IntArray:
    """A coarse cell (about 33 km x 30 km in Lower Saxony) for pairing people who live near."""
    return (np.floor(lat / 0.3).astype(np.int64) + 1_000) * 10_000 + np.floor(lon / 0.45).astype(
        np.int64
    )


def _pair_within_cells(
    rng: np.random.Generator, vols: pd.DataFrame, households: pd.DataFrame
) -> pd.DataFrame:
    """A random one-to-one pairing of volunteers and households with equal (lang, cell).

    Both sides are shuffled, then ranked within each (lang, cell); equal ranks pair up. A
    volunteer's first-choice language (heritage before English before German) wins.
    """
    ranked = []
    for side in (vols, households):
        side = side.iloc[rng.permutation(len(side))].sort_values("priority", kind="stable")
        ranked.append(side.assign(rank=side.groupby(["lang", "cell"]).cumcount()))
    pairs = ranked[0].merge(ranked[1], on=["lang", "cell", "rank"], suffixes=("_v", "_h"))
    pairs = pairs.drop_duplicates("row_v").drop_duplicates("row_h")
    return pairs[["row_v", "row_h"]]


def _assignments(
    rng: np.random.Generator, vol: _Volunteers, req: _Requests, places: pd.DataFrame
) -> pd.DataFrame:
    """Active, proposed and declined pairs that look like a coordinator's past decisions.

    Each pair shares a language at B1 or better and lives in the same place or nearby; a
    household appears in at most one pair, so it never has two active volunteers.
    """
    empty = pd.DataFrame(
        {c: pd.array([], dtype="str") for c in ("request_id", "volunteer_id", "status")}
    )
    n_with_capacity = int((vol.frame["capacity"] > 0).sum())
    counts = [round(p * n_with_capacity) for p in (_P_ACTIVE, _P_PROPOSED, _P_DECLINED)]
    if sum(counts) == 0 or len(req.size) == 0:
        return empty

    v_lat, v_lon = vol.frame["lat"].to_numpy(), vol.frame["lon"].to_numpy()
    h_lat = req.frame["lat"].to_numpy()[req.start]
    h_lon = req.frame["lon"].to_numpy()[req.start]
    v_cells = {"place": vol.place, "grid": _grid_cell(v_lat, v_lon)}
    h_cells = {"place": req.place, "grid": _grid_cell(h_lat, h_lon)}
    v_free = vol.can_take.copy()
    h_free = np.ones(len(req.size), dtype=bool)
    found = []
    for key in ("place", "grid"):
        vs = vol.speaks[v_free[vol.speaks["row"].to_numpy()]]
        hs = req.speaks[h_free[req.speaks["row"].to_numpy()]]
        vs = vs.assign(cell=v_cells[key][vs["row"].to_numpy()])
        hs = hs.assign(cell=h_cells[key][hs["row"].to_numpy()])
        pairs = _pair_within_cells(rng, vs, hs)
        v_free[pairs["row_v"].to_numpy()] = False
        h_free[pairs["row_h"].to_numpy()] = False
        found.append(pairs)
    pool = pd.concat(found, ignore_index=True)
    pool = pool.iloc[rng.permutation(len(pool))]

    counts = np.minimum(counts, np.maximum(len(pool) - np.cumsum([0, *counts[:-1]]), 0))
    pool = pool.iloc[: int(counts.sum())]
    hh = pool["row_h"].to_numpy()
    request_row = req.start[hh] + rng.integers(0, req.size[hh])
    out = pd.DataFrame(
        {
            "request_id": req.frame["request_id"].array.take(request_row),
            "volunteer_id": vol.frame["volunteer_id"].array.take(pool["row_v"].to_numpy()),
            "status": pd.array(np.repeat(["active", "proposed", "declined"], counts), dtype="str"),
        }
    )
    return out.sort_values("request_id", ignore_index=True)
