"""``numbered``: each value's number among the distinct values, checked against plain Python."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from limelight.detect.coordination._numbers import index_ranges, numbered

_VALUES = st.one_of(
    st.none(), st.sampled_from(["", "a", "b", "é", "zz", "a "]), st.text(max_size=3)
)


@settings(max_examples=150, deadline=None)
@given(chunks=st.lists(st.lists(_VALUES, max_size=6), max_size=4), in_order=st.booleans())
def test_numbers_name_each_distinct_value(chunks: list[list[str | None]], in_order: bool) -> None:
    flat = [v for chunk in chunks for v in chunk]
    first_met = list(dict.fromkeys(v for v in flat if v is not None))
    expected = sorted(first_met) if in_order else first_met
    for values in (pa.chunked_array(chunks, pa.string()), pa.array(flat, pa.string())):
        distinct, index = numbered(values, in_order=in_order)
        assert distinct.to_pylist() == expected
        # Chunked in, chunked out.
        assert isinstance(index, pa.ChunkedArray) == isinstance(values, pa.ChunkedArray)
        assert index.to_pylist() == [None if v is None else expected.index(v) for v in flat]


def test_index_ranges_concatenate_each_segment() -> None:
    starts, lengths = np.array([5, 0, 9, 2]), np.array([2, 0, 3, 1])
    assert index_ranges(starts, lengths).tolist() == [5, 6, 9, 10, 11, 2]
    assert index_ranges(starts[:0], lengths[:0]).size == 0
