"""Connect paging: the `Content-Range` header and the rules that keep a paged read honest."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTENT_RANGE = re.compile(r"items\s+(\d+)-(\d+)/(\d+|\*)")


@dataclass(frozen=True)
class ContentRange:
    """`Content-Range: items <first>-<last>/<total>` (zero-based, inclusive)."""

    first: int
    last: int
    total: int | None


def parse_content_range(header: str | None) -> ContentRange | None:
    """Parse the header; None when it is missing or not in the `items a-b/n` form."""
    if not header:
        return None
    match = _CONTENT_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return ContentRange(int(match.group(1)), int(match.group(2)), total)


@dataclass
class PageCursor:
    """Where the next page starts, and when to stop.

    Rules (from Connect's paging pitfalls): advance by the rows actually returned (a server
    may cut an oversized `limit`); stop at the latest total, or on an empty page when there
    is no total; stop when a whole page holds only ids already seen (a server that ignores
    `offset` must not make us loop forever). A total that differs from the first page's means
    rows moved between pages while they were read (`shifted`): the read must start again.
    """

    offset: int = 0
    total: int | None = None
    pages: int = 0
    done: bool = False
    first_total: int | None = None  # the total the first page gave
    shifted: bool = False  # a later page gave another total: the listing changed under us

    def advance(self, rows: int, fresh: int, content_range: ContentRange | None) -> None:
        """Account for one page of `rows` rows, `fresh` of them with ids not seen before."""
        self.pages += 1
        if content_range is not None and content_range.total is not None:
            if self.first_total is None:
                self.first_total = content_range.total
            elif content_range.total != self.first_total:
                self.shifted = True
            self.total = content_range.total
        self.offset += rows
        exhausted = self.total is not None and self.offset >= self.total
        if rows == 0 or fresh == 0 or exhausted:
            self.done = True
