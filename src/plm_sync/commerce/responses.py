"""What a hub's HTTP answer is: JSON of the expected shape, an APSError, or none at all.

A body of another type than the call returns is a transient error (a proxy's page); an
APSError's `message` is named in errors; a transport error raised before any byte of the
request left means nothing reached the hub.
"""

from __future__ import annotations

from typing import Any

import requests

from plm_sync.errors import CommerceTransientError


def never_connected(error: Exception) -> bool:
    """Whether a transport error happened before any byte of the request left."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return type(reason).__name__ == "NewConnectionError"


def aps_message(response: requests.Response) -> str | None:
    """The `message` of an APSError body, if the answer carries one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return None


def shaped(response: requests.Response, where: str, kind: type | tuple[type, ...]) -> Any:  # noqa: ANN401 - JSON
    """The JSON body of an answer when it is of `kind`; else CommerceTransientError."""
    try:
        body = response.json()
    except ValueError:
        body = None
        got = response.headers.get("Content-Type", "no content type").split(";")[0][:60]
        what = f"{got} ({len(response.content)} bytes), not JSON"
    else:
        what = f"a JSON {type(body).__name__}"
    if body is not None and isinstance(body, kind):
        return body
    names: dict[type, str] = {list: "array", dict: "object"}
    wanted = " or ".join(
        names.get(one, one.__name__) for one in (kind if isinstance(kind, tuple) else (kind,))
    )
    raise CommerceTransientError(
        f"Commerce answered {where} with {what} where the call returns a JSON {wanted}",
        status=response.status_code,
    )
