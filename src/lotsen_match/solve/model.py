"""The reduced optimisation model every backend solves, and the result they all return.

The caller has already collapsed requests into households and scores into integer arc values, so
the solvers see one small, columnar, validated object and never reach back into the data model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..errors import ArgumentError

__all__ = ["MAX_ABS_COEFFICIENT", "AssignmentModel", "SolveResult", "Solver"]

MAX_ABS_COEFFICIENT = 2**50
"""Bound on |arc value| and slot cost.

It keeps every coefficient exact in float64 (scipy) and leaves headroom for the cost scaling that
OR-Tools' flow and assignment algorithms apply internally.
"""

_INT64_SAFE_TOTAL = float(2**62)


def _require_array(name: str, value: object, dtype: type[np.generic]) -> None:
    if not isinstance(value, np.ndarray):
        raise ArgumentError(f"{name} must be a numpy array, got {type(value).__name__}")
    if value.ndim != 1:
        raise ArgumentError(f"{name} must be one-dimensional, got shape {value.shape}")
    if value.dtype != np.dtype(dtype):
        raise ArgumentError(f"{name} must have dtype {np.dtype(dtype)}, got {value.dtype}")


def _require_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ArgumentError(f"{name} must be a non-negative int, got {value!r}")


def _readonly(array: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, slots=True)
class AssignmentModel:
    """Capacitated household-to-volunteer assignment with convex volunteer load costs.

    Maximise the sum of chosen arc values minus, per volunteer with n chosen arcs, the sum of its
    first n slot costs, with every household on at most one arc and every volunteer on at most as
    many arcs as it has slots. Choosing nothing is always feasible (objective 0).

    Slot costs are marginal and nondecreasing per volunteer, so the cheapest slots fill first and
    an exact solver spreads load instead of stacking households on one volunteer. The arrays are
    stored as read-only views; the model is immutable once validated.
    """

    n_households: int
    n_volunteers: int
    arc_household: npt.NDArray[np.int32]
    """(n_arcs,) household index in [0, n_households)."""
    arc_volunteer: npt.NDArray[np.int32]
    """(n_arcs,) volunteer index in [0, n_volunteers)."""
    arc_value: npt.NDArray[np.int64]
    """(n_arcs,) integer value gained if the arc is chosen (any sign)."""
    slot_offsets: npt.NDArray[np.int64]
    """(n_volunteers + 1,) CSR offsets into slot_cost."""
    slot_cost: npt.NDArray[np.int64]
    """Marginal cost of the j-th household of a volunteer; >= 0, nondecreasing per volunteer."""
    arc_served: npt.NDArray[np.int32] | None = None
    """(n_arcs,) requests an arc serves, when ``arc_value`` includes ``served_value`` for each
    (a lexicographic objective); ``None`` otherwise. Solvers may use the split to work on a
    smaller cost range, but must prove optimality for ``arc_value`` itself."""
    served_value: int = 0
    """Value per served request contained in ``arc_value`` (0: no lexicographic tier)."""

    def __post_init__(self) -> None:
        _require_count("n_households", self.n_households)
        _require_count("n_volunteers", self.n_volunteers)
        _require_array("arc_household", self.arc_household, np.int32)
        _require_array("arc_volunteer", self.arc_volunteer, np.int32)
        _require_array("arc_value", self.arc_value, np.int64)
        _require_array("slot_offsets", self.slot_offsets, np.int64)
        _require_array("slot_cost", self.slot_cost, np.int64)
        self._validate_arcs()
        self._validate_slots()
        self._validate_tier()
        total = float(np.abs(self.arc_value).sum(dtype=np.float64))
        total += float(self.slot_cost.sum(dtype=np.float64))
        if total >= _INT64_SAFE_TOTAL:
            raise ArgumentError(
                f"sum of |arc_value| and slot_cost is {total:.3g}, which risks int64 overflow "
                f"in objective sums; rescale to keep it below 2**62"
            )
        for name in ("arc_household", "arc_volunteer", "arc_value", "slot_offsets", "slot_cost"):
            object.__setattr__(self, name, _readonly(getattr(self, name)))
        if self.arc_served is not None:
            object.__setattr__(self, "arc_served", _readonly(self.arc_served))

    def _validate_arcs(self) -> None:
        n_arcs = self.arc_household.shape[0]
        for name in ("arc_volunteer", "arc_value"):
            if getattr(self, name).shape[0] != n_arcs:
                raise ArgumentError(
                    f"{name} has {getattr(self, name).shape[0]} entries, "
                    f"arc_household has {n_arcs}; all arc arrays must have the same length"
                )
        if n_arcs == 0:
            return
        for name, upper in (
            ("arc_household", self.n_households),
            ("arc_volunteer", self.n_volunteers),
        ):
            array = getattr(self, name)
            bad = np.flatnonzero((array < 0) | (array >= upper))
            if bad.size:
                raise ArgumentError(
                    f"{name}[{bad[0]}] = {array[bad[0]]} is outside [0, {upper}) "
                    f"({bad.size} arcs out of range)"
                )
        value = self.arc_value  # compare both ends: np.abs(-2**63) overflows to a negative
        big = np.flatnonzero((value > MAX_ABS_COEFFICIENT) | (value < -MAX_ABS_COEFFICIENT))
        if big.size:
            raise ArgumentError(
                f"arc_value[{big[0]}] = {self.arc_value[big[0]]} exceeds 2**50 in magnitude; "
                f"rescale the scores"
            )
        key = self.arc_household.astype(np.int64) * max(self.n_volunteers, 1) + self.arc_volunteer
        if bool(np.all(key[1:] > key[:-1])):  # arcs sorted by (household, volunteer): no sort
            return
        order = np.argsort(key, kind="stable")
        dup = np.flatnonzero(key[order][1:] == key[order][:-1])
        if dup.size:
            first, second = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
            raise ArgumentError(
                f"duplicate arc (household {self.arc_household[first]}, volunteer "
                f"{self.arc_volunteer[first]}) at positions {first} and {second}"
            )

    def _validate_slots(self) -> None:
        offsets, cost = self.slot_offsets, self.slot_cost
        if offsets.shape[0] != self.n_volunteers + 1:
            raise ArgumentError(
                f"slot_offsets must have n_volunteers + 1 = {self.n_volunteers + 1} entries, "
                f"got {offsets.shape[0]}"
            )
        if offsets[0] != 0 or offsets[-1] != cost.shape[0]:
            raise ArgumentError(
                f"slot_offsets must start at 0 and end at len(slot_cost) = {cost.shape[0]}, "
                f"got {offsets[0]} ... {offsets[-1]}"
            )
        shrinking = np.flatnonzero(np.diff(offsets) < 0)
        if shrinking.size:
            raise ArgumentError(f"slot_offsets decreases after volunteer {shrinking[0]}")
        bad = np.flatnonzero((cost < 0) | (cost > MAX_ABS_COEFFICIENT))
        if bad.size:
            raise ArgumentError(f"slot_cost[{bad[0]}] = {cost[bad[0]]} is outside [0, 2**50]")
        # A drop from position i to i + 1 is a violation unless i + 1 starts a new volunteer.
        drops = np.flatnonzero(np.diff(cost) < 0) + 1
        starts = np.zeros(cost.shape[0] + 1, dtype=bool)
        starts[offsets] = True
        drops = drops[~starts[drops]]
        if drops.size:
            volunteer = int(np.searchsorted(offsets, drops[0], side="right")) - 1
            raise ArgumentError(
                f"slot costs of volunteer {volunteer} must be nondecreasing (convex load cost), "
                f"got {cost[offsets[volunteer] : offsets[volunteer + 1]].tolist()}"
            )

    def _validate_tier(self) -> None:
        _require_count("served_value", self.served_value)
        if self.arc_served is None:
            if self.served_value:
                raise ArgumentError("served_value needs arc_served (requests per arc)")
            return
        _require_array("arc_served", self.arc_served, np.int32)
        if self.arc_served.shape[0] != self.n_arcs:
            raise ArgumentError(
                f"arc_served has {self.arc_served.shape[0]} entries, arc_household has "
                f"{self.n_arcs}; all arc arrays must have the same length"
            )
        bad = np.flatnonzero(self.arc_served < 0)
        if bad.size:
            raise ArgumentError(f"arc_served[{bad[0]}] = {self.arc_served[bad[0]]} is negative")

    def served_split(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
        """``(served, rest)`` with ``arc_value == served_value * served + rest``, or None."""
        if self.arc_served is None or self.served_value == 0:
            return None
        served = self.arc_served.astype(np.int64)
        return served, self.arc_value - self.served_value * served

    @property
    def n_arcs(self) -> int:
        return int(self.arc_household.shape[0])

    @property
    def n_slots(self) -> npt.NDArray[np.int64]:
        """(n_volunteers,) capacity of each volunteer."""
        return np.diff(self.slot_offsets)

    @property
    def n_slot_total(self) -> int:
        return int(self.slot_cost.shape[0])

    def profitable_arcs(self) -> npt.NDArray[np.intp]:
        """Indices of arcs worth more than their volunteer's cheapest slot.

        Any other arc can be dropped from an optimal solution without loss (its marginal cost is
        at least the cheapest slot, hence at least its value), so exact backends skip them.
        """
        return np.flatnonzero(self.profitable_mask())

    def profitable_mask(self) -> npt.NDArray[np.bool_]:
        """(n_arcs,) whether each arc is profitable (see :meth:`profitable_arcs`).

        Compared against a per-volunteer threshold (the cheapest slot's cost; none without a
        slot), so only one gather over the arcs is made.
        """
        threshold = np.full(self.n_volunteers, np.iinfo(np.int64).max, dtype=np.int64)
        has_slot = self.n_slots > 0
        threshold[has_slot] = self.slot_cost[self.slot_offsets[:-1][has_slot]]
        return np.asarray(self.arc_value > threshold[self.arc_volunteer], dtype=np.bool_)

    def _check_mask(self, selected: npt.NDArray[np.bool_]) -> None:
        if not isinstance(selected, np.ndarray) or selected.dtype != np.bool_:
            raise ArgumentError("selected must be a boolean numpy array")
        if selected.shape != (self.n_arcs,):
            raise ArgumentError(f"selected must have shape ({self.n_arcs},), got {selected.shape}")

    def volunteer_load(self, selected: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        """(n_volunteers,) number of selected arcs per volunteer."""
        self._check_mask(selected)
        return np.bincount(self.arc_volunteer[selected], minlength=self.n_volunteers).astype(
            np.int64
        )

    def check_feasible(self, selected: npt.NDArray[np.bool_]) -> None:
        """Raise ValueError if a household has more than one arc or a volunteer too many."""
        self._check_mask(selected)
        per_household = np.bincount(self.arc_household[selected], minlength=self.n_households)
        over = np.flatnonzero(per_household > 1)
        if over.size:
            raise ArgumentError(
                f"household {over[0]} is on {per_household[over[0]]} selected arcs (at most 1)"
            )
        load = self.volunteer_load(selected)
        over = np.flatnonzero(load > self.n_slots)
        if over.size:
            raise ArgumentError(
                f"volunteer {over[0]} is on {load[over[0]]} selected arcs "
                f"but has {self.n_slots[over[0]]} slots"
            )

    def objective_of(
        self, selected: npt.NDArray[np.bool_], values: npt.NDArray[np.int64] | None = None
    ) -> int:
        """Objective of a selection, recomputed from the model alone (independent of any solver).

        ``values`` replaces ``arc_value`` (e.g. a solver's scaled objective). Raises ValueError
        if a volunteer holds more arcs than slots (its cost is undefined).
        """
        load = self.volunteer_load(selected)
        over = np.flatnonzero(load > self.n_slots)
        if over.size:
            raise ArgumentError(
                f"volunteer {over[0]} is on {load[over[0]]} selected arcs "
                f"but has {self.n_slots[over[0]]} slots"
            )
        prefix = np.concatenate(([0], np.cumsum(self.slot_cost)))
        start = self.slot_offsets[:-1]
        cost = int((prefix[start + load] - prefix[start]).sum())
        value = self.arc_value if values is None else values
        return int(value[selected].sum()) - cost


@dataclass(frozen=True, slots=True)
class SolveResult:
    """What a backend returns: the chosen arcs and how much to trust them."""

    backend: str
    """"flow", "cpsat", "greedy", "lsa" or "linear-assignment"."""
    status: str
    """"optimal", "feasible", "heuristic", "time_limit_no_solution", ..."""
    optimal: bool
    """True only when the backend proved optimality."""
    objective: int
    """Equals model.objective_of(selected)."""
    selected: npt.NDArray[np.bool_]
    """(n_arcs,) mask over the model's arcs."""
    wall_seconds: float
    bound: int | None = None
    """Best proven upper bound on the objective, where the backend has one."""

    @property
    def n_selected(self) -> int:
        return int(np.count_nonzero(self.selected))


class Solver(Protocol):
    """A backend: stores its parameters in the constructor, solves one model per call."""

    name: str

    def solve(self, model: AssignmentModel) -> SolveResult: ...
