"""Values numbered by their position among the distinct values: what joins compare cheaply.

Texts, links and prefixed items are long strings that the joins, the significance test
and the MinHash only compare. Numbering them once, with Arrow's hash kernels, lets the
work carry a few bytes per row and lets the strings go.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["numbered"]


def numbered(
    values: pa.ChunkedArray | pa.Array, *, in_order: bool = False
) -> tuple[pa.Array, pa.ChunkedArray | pa.Array]:
    """The distinct values and each value's number among them (null stays null).

    Distinct values come in the order first met, or sorted with ``in_order`` (then the
    numbers sort as the values do). Both are Arrow's own copies, so ``values`` can be let
    go once they are made. Not ``dictionary_encode``: on a chunked column it first copies
    every value into one array (at 10M posts co-similar-text peaked 0.36 GB higher).
    """
    distinct = pc.unique(values).drop_null()
    if isinstance(distinct, pa.ChunkedArray):
        distinct = distinct.combine_chunks()
    if in_order:
        distinct = distinct.take(pc.sort_indices(distinct))
    # Without null in the value set, a null value finds no number and stays null.
    return distinct, pc.index_in(values, value_set=distinct)
