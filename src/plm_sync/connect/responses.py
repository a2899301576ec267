"""What Connect's HTTP answer is: success, a typed error, or a body that is not a page.

Each status class maps to one error (`classify_response`); a body is read with a cap on its
decompressed size (`read_capped`) and must be a JSON list (`json_list`).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from plm_sync.errors import (
    ConnectApiError,
    ConnectAuthError,
    ConnectNotFoundError,
    ConnectProtocolError,
    ConnectTransientError,
)
from plm_sync.infra.retrying import parse_retry_after

RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def _error_body(response: requests.Response) -> tuple[str | None, list[str]]:
    """Connect's `error_code` and `errors` in an error answer, when it carries them."""
    try:
        body = response.json()
    except ValueError:
        return None, []
    if not isinstance(body, dict):
        return None, []
    code = body.get("error_code")
    errors = body.get("errors")
    texts = [str(error) for error in errors] if isinstance(errors, list) else []
    return (str(code) if code is not None else None), texts


def classify_response(response: requests.Response, where: str) -> None:
    """Raise the typed error a non-2xx answer means; return for success.

    401/403 -> auth (never retried); 404 -> not found; 429 and 500/502/503/504 -> transient
    (retried, honouring `Retry-After`); any other status -> API error with Connect's
    `error_code` and `errors`.
    """
    status = response.status_code
    if 200 <= status < 300:  # noqa: PLR2004 - the 2xx class
        return
    code, errors = _error_body(response)
    detail = f" ({code}: {'; '.join(errors)})" if code or errors else ""
    if status in {401, 403}:
        raise ConnectAuthError(
            f"Connect refused the API key (HTTP {status}) for {where}{detail}: check "
            "PLM_SYNC_CONNECT_API_KEY (format 'ApiKey SU-...:...') and its permissions"
        )
    if status == 404:  # noqa: PLR2004
        raise ConnectNotFoundError(f"Connect has no {where} (HTTP 404){detail}")
    if status in RETRIABLE_STATUS:
        raise ConnectTransientError(
            f"Connect answered HTTP {status} for {where}{detail}",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    raise ConnectApiError(
        f"Connect answered HTTP {status} for {where}{detail}",
        status=status,
        error_code=code,
        errors=errors,
    )


MAX_ANSWER_BYTES = 64 * 1024 * 1024  # one decoded answer; a page of 500 real items is ~1 MB


def read_capped(response: requests.Response, where: str) -> None:
    """Read the (decompressed) body, refusing one larger than MAX_ANSWER_BYTES.

    A small gzip answer can unpack to gigabytes: the body is read in chunks as it is
    decoded and the read stops at the cap.
    """
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise ConnectProtocolError(
                    f"{where}: the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB "
                    "once decompressed; refused (check PLM_SYNC_CONNECT_URL points at the "
                    "Connect API, or lower PLM_SYNC_PAGE_SIZE)"
                )
            chunks.append(chunk)
    finally:
        response.close()
    response._content = b"".join(chunks)  # noqa: SLF001 - requests keeps the body here


def json_list(response: requests.Response, path: str, offset: int) -> list[Any]:
    """A page's body: a JSON list, else ConnectProtocolError naming what came instead."""
    where = f"GET {path} at offset {offset}"
    content_type = response.headers.get("Content-Type", "")
    try:
        body = json.loads(response.content)
    except ValueError:
        snippet = response.text[:80].replace("\n", " ")
        kind = (
            "an HTML page"
            if "html" in content_type or snippet.lstrip().startswith("<")
            else ("truncated or invalid JSON")
        )
        raise ConnectProtocolError(
            f"{where}: expected a JSON list, got {kind} ({snippet!r}); "
            "check PLM_SYNC_CONNECT_URL points at the Connect API"
        ) from None
    if not isinstance(body, list):
        raise ConnectProtocolError(
            f"{where}: expected a JSON list, got a JSON {type(body).__name__}; "
            "check PLM_SYNC_CONNECT_URL points at the Connect API (…/public/v1)"
        )
    return body
