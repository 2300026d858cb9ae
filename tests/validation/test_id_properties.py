"""No spelling of an excluded id ever leads to a proposal (SPEC.md, Ids and references).

Random caseloads get random exclusions: real ids, their case/space/zero-width/look-alike
variants, and ids nobody has. Whatever the mix, no proposal pairs a request with a volunteer
that one of its exclusions names after normalisation: such a request is rejected (lenient) or
stops the run (strict), exact exclusions hold, and every unknown id is a notice. The
normalisation here is written independently of the library's (``unicodedata``, no pyarrow).
"""

from __future__ import annotations

import unicodedata

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match import MatchConfig, match
from lotsen_match.errors import InputValidationError
from tests.checker import check_proposals
from tests.strategies import AS_OF, caseloads

STRICT = MatchConfig(as_of=AS_OF)
LENIENT = STRICT.model_copy(update={"strict": False})
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Ways a coordinator (or a copy from another program) may spell an id differently.
VARIANTS = (
    lambda i: i,
    lambda i: i.lower(),
    lambda i: i.swapcase(),
    lambda i: f"{i[:1]} {i[1:]}",
    lambda i: f"{i[:2]}\u200b{i[2:]}",
    lambda i: f"\ufeff{i}",
    lambda i: f"{i[:1]}\u00ad{i[1:]}",
    lambda i: f"{i}\u2060",
    lambda i: f"\u00a0{i} ",
    lambda i: "Ｖ" + i[1:],  # fullwidth V
    lambda i: f"{i}x",  # names nobody
)


def norm(text: str) -> str:
    """NFKC, case-folded, without whitespace, control and format characters."""
    kept = (
        c
        for c in unicodedata.normalize("NFKC", text)
        if not c.isspace() and unicodedata.category(c)[0] not in "ZC"
    )
    return "".join(kept).casefold()


def entries(cell: str) -> list[str]:
    return [e.strip() for e in cell.replace(",", ";").split(";") if e.strip()]


@st.composite
def with_spelled_exclusions(
    draw: st.DrawFn,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    vol, req, asg = draw(caseloads())
    ids = list(vol["volunteer_id"])
    cells = []
    for _ in range(len(req)):
        picks = draw(st.lists(st.tuples(st.sampled_from(ids), st.integers(0, 10)), max_size=3))
        sep = draw(st.sampled_from([";", "; ", ",", " , "]))
        cells.append(sep.join(VARIANTS[k](i) for i, k in picks))
    return vol, req.assign(excluded_volunteers=cells), asg


@SETTINGS
@given(with_spelled_exclusions())
def test_no_spelling_of_an_excluded_id_is_ever_proposed(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    vol, req, asg = case
    ids = set(vol["volunteer_id"])
    by_norm = {norm(i) for i in ids}
    excluded = {
        r: entries(c) for r, c in zip(req["request_id"], req["excluded_volunteers"], strict=True)
    }
    near = {r for r, es in excluded.items() if any(e not in ids and norm(e) in by_norm for e in es)}

    result = match(vol, req, asg, LENIENT)
    for r, v in zip(result.proposals["request_id"], result.proposals["volunteer_id"], strict=True):
        assert norm(v) not in {norm(e) for e in excluded[r]}, (r, v, excluded[r])
    rejected = set(result.rejected.loc[result.rejected["table"] == "requests", "id"])
    assert rejected == near
    # The independent checker sees the rows the run accepted (a rejected request's active
    # pairing is rejected with it, and with it the capacity it held).
    kept_asg = asg.drop(index=result.rejected.loc[result.rejected["table"] == "assignments", "row"])
    kept_req = req[~req["request_id"].isin(rejected)]
    assert check_proposals(vol, kept_req, kept_asg, result.proposals, as_of=AS_OF) == []
    unknown = {
        (r, e)
        for r, es in excluded.items()
        if r not in near
        for e in es
        if e not in ids and norm(e) not in by_norm
    }
    notices = result.notices[result.notices["column"] == "excluded_volunteers"]
    by_row = dict(zip(req.index, req["request_id"], strict=True))  # rows: index labels
    noticed = {
        (by_row.get(row, row), i) for row, i in zip(notices["row"], notices["id"], strict=True)
    }
    assert noticed == unknown

    try:
        match(vol, req, asg, STRICT)
    except InputValidationError as err:
        spelling = err.problems[err.problems["rule"] == "id_spelling"]
        assert near and set(spelling["column"]) == {"excluded_volunteers"}
        # Besides: pairs naming a request rejected for its spelling (the cascade).
        assert set(err.problems["rule"]) <= {"id_spelling", "rejected_reference"}
    else:
        assert not near
