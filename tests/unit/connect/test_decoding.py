"""Connect answers decode to exactly what the standard library gives, whatever they hold."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.connect.decoding import loads

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson would round them to floats
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # lone surrogates too: orjson refuses them
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(values, st.booleans())
def test_any_json_decodes_as_the_standard_library_decodes_it(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(body)
    except ValueError:  # a raw lone surrogate is not UTF-8: refused by both
        with pytest.raises(ValueError):  # noqa: PT011 - the standard library's own error
            loads(body)
        return
    decoded = loads(body)
    assert decoded == expected
    assert json.dumps(decoded) == json.dumps(expected)  # the same types too (int stays int)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[18446744073709551616]", [18446744073709551616]),  # an int, never a float
        (b'{"n": -92233720368547758090}', {"n": -92233720368547758090}),
        (b"[NaN, Infinity]", None),  # what json accepts, orjson refuses
        (b'["\\ud800"]', ["\ud800"]),
        (b"\xef\xbb\xbf[1]", [1]),  # a byte-order mark
        ('[1, "é"]'.encode("utf-16"), [1, "é"]),
        (b'{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_what_orjson_would_change_or_refuse_decodes_as_json_does(
    body: bytes,
    expected: Any,
) -> None:
    decoded = loads(body)
    if expected is None:
        assert math.isnan(decoded[0])
        assert math.isinf(decoded[1])
        return
    assert decoded == expected
    assert type(decoded) is type(expected)


@pytest.mark.parametrize("body", [b"", b"<html>", b"[1,", b"\xff\xfe\xfa"])
def test_what_is_not_json_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json.loads's error, as callers expect
        loads(body)
