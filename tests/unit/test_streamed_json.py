"""Streamed JSON is byte for byte what json.dumps writes for the materialised value."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from plm_sync.infra.streamed_json import write_json

scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)


def streamed(value: Any, flags: st.DataObject) -> Any:
    """The same value with some of its lists (at any depth) handed over as iterators."""
    if isinstance(value, dict):
        return {key: streamed(item, flags) for key, item in value.items()}
    if isinstance(value, list):
        items = [streamed(item, flags) for item in value]
        return iter(items) if flags.draw(st.booleans()) else items
    return value


@given(values, st.sampled_from([2, 4, None]), st.data())
def test_streamed_json_is_what_json_dumps_writes(
    value: Any, indent: int | None, data: st.DataObject
) -> None:
    out = io.StringIO()
    write_json(streamed(value, data), out.write, indent=indent)
    assert out.getvalue() == json.dumps(value, indent=indent, ensure_ascii=False)


def test_a_report_with_a_generator_of_events_streams_it() -> None:
    def events() -> Any:
        yield from ({"code": f"c{n}", "message": "ü\n"} for n in range(3))

    out = io.StringIO()
    write_json({"id": 7, "events": events(), "codes": []}, out.write)
    expected = {"id": 7, "events": list(events()), "codes": []}
    assert out.getvalue() == json.dumps(expected, indent=2, ensure_ascii=False)
