"""Pairs as int64 keys: ``req * n_vol + vol``, sorted like the (request, volunteer) pairs.

Candidate generation, scoring and the desk API look pairs up in sets of pairs (exclusions,
declines, active households, earlier proposals) by binary search on these keys, without a
Python object per pair.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["contains_sorted", "pair_keys"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def pair_keys(req: npt.ArrayLike, vol: npt.ArrayLike, n_vol: int) -> I64:
    """Encode (req, vol) pairs as int64 ``req * n_vol + vol`` (monotone in (req, vol))."""
    return np.asarray(req, dtype=np.int64) * max(n_vol, 1) + np.asarray(vol, dtype=np.int64)


def contains_sorted(sorted_keys: I64, keys: I64) -> B:
    """Membership of ``keys`` in the sorted unique array ``sorted_keys`` (binary search)."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=np.bool_)
    at = np.searchsorted(sorted_keys, keys)
    np.minimum(at, sorted_keys.size - 1, out=at)
    return np.asarray(sorted_keys[at] == keys, dtype=np.bool_)
