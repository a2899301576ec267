"""Text from outside (Connect, Commerce, operator files) made safe to store, write and print.

One set of limits serves both databases: the store sizes its columns from these numbers, and
Connect rows are checked against them where they are read, so SQLite and PostgreSQL take and
refuse the same rows.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# Column sizes of what Connect sends (the store's models use these).
ID_MAX = 64  # Connect ids: PRD-…, PRD-…-0001, MP-…
MPN_MAX = 255
NAME_MAX = 1000  # product, item, vendor and plan names
SHORT_MAX = 32  # statuses, item periods
UNIT_MAX = 255
STAMP_MAX = 64  # `events.*.at` timestamps
COMMITMENT_MAX = 10_000  # billing periods in one commitment (Connect uses 1 to 36)

# Characters no stored or written text may hold: C0 and C1 controls (NUL, ESC, CR, …), DEL and
# lone surrogates (JSON can carry "\ud800"; neither UTF-8 nor PostgreSQL take them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What no database column takes: NUL (PostgreSQL) and lone surrogates (not UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# White space controls that separate words: a name keeps a space where they stood.
_BREAKS = re.compile("[\t\n\r\x0b\x0c]+")


def has_control(value: str) -> bool:
    """Whether `value` holds a control character or a lone surrogate."""
    return _CONTROL.search(value) is not None


def clean_text(value: str) -> str:
    """Free text made safe: line breaks and tabs become one space, other controls go."""
    if not has_control(value):
        return value
    return _CONTROL.sub("", _BREAKS.sub(" ", value))


def storable(value: str) -> str:
    """`value` without the characters no database column takes (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value


# controls a message may keep (line breaks and tabs), and the rest it shows as \xNN
_MESSAGE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def message_text(value: str) -> str:
    r"""A message fit for every output: control characters shown as `\xNN`.

    Line breaks and tabs stay; a Connect value quoted in a message never reaches a page or a
    terminal raw.
    """
    if not _MESSAGE_CONTROL.search(value):
        return value
    return _MESSAGE_CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", value)


def clipped(value: str | None, limit: int) -> str | None:
    """A reference (id, MPN) fit for a column of `limit`: controls removed, cut if longer."""
    if value is None:
        return None
    return shorten(clean_text(value), limit)


def inert(value: str) -> str:
    r"""Text safe to print on a terminal: every control character shown as `\xNN`.

    Escape sequences (`ESC[…`, `ESC]0;…`) from Connect then reach the operator's screen as
    plain characters, never as commands to the terminal.
    """
    if not has_control(value):
        return value
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", value)


def identifier_problem(field: str, value: str, limit: int) -> str | None:
    """Why `value` cannot be stored as the identifier `field` (None: it can).

    Identifiers (ids, MPNs, statuses) are never changed silently: one with a control
    character, or longer than its column, is refused.
    """
    if has_control(value):
        return f"field '{field}' holds a control character (e.g. NUL or ESC); fix it in Connect"
    if len(value) > limit:
        return (
            f"field '{field}' is {len(value)} characters long, the limit is {limit}; "
            "shorten it in Connect"
        )
    return None


def shorten(value: str, limit: int) -> str:
    """`value` cut to at most `limit` characters, an ellipsis marking the cut."""
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"


def redact_url(url: str) -> str:
    """`url` with a password (`https://user:secret@host/…`) shown as `***`, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a URL that cannot be read>"
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{host}"))
