"""Connect's JSON answers decoded fast, and exactly as the standard library decodes them.

orjson decodes a page of items several times faster than `json`, but not always to the same
value: an integer beyond 64 bits becomes a float, and it refuses what `json` accepts (NaN,
a lone surrogate, a byte-order mark, UTF-16). A body holding a run of 19 or more digits (the
only way to write an integer orjson would round) is decoded by the standard library, and so
is one orjson refuses: the value is always the one `json.loads` gives, only faster.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_DIGITS = re.compile(rb"\d{19}")  # 2**63 has 19 digits: anything shorter fits


def loads(body: bytes) -> Any:  # noqa: ANN401 - any JSON value
    """The JSON value of `body`; ValueError when it is not JSON (as `json.loads`)."""
    if _LONG_DIGITS.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # what orjson refuses, the standard library decides (and words the error)
    return json.loads(body)
