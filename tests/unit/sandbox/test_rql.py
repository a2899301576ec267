"""The RQL the client writes is the RQL the sandbox reads: builder and evaluator together."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plm_sync.connect.rql import and_, eq, gt, in_, ordering, query_string
from plm_sync.connect.sandbox.rql_eval import Call, RqlSyntaxError, parse_query, parse_rql

ROWS = [
    {"id": "A", "status": "published", "events": {"updated": {"at": "2026-11-02T00:00:00+00:00"}}},
    {"id": "B", "status": "draft", "events": {"updated": {"at": "2026-10-01T00:00:00+00:00"}}},
    {"id": "C", "status": "endofsale"},
    {"id": "D", "status": "published", "events": {"updated": {"at": "2026-11-05T10:00:00Z"}}},
]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        pytest.param("eq(status,published)", ["A", "D"], id="eq"),
        pytest.param("status=draft", ["B"], id="prop-equals-value"),
        pytest.param("in(status,(draft,endofsale))", ["B", "C"], id="in"),
        pytest.param("out(status,(draft,endofsale))", ["A", "D"], id="out"),
        pytest.param(
            "gt(events.updated.at,2026-11-01T00:00:00+00:00)",
            ["A", "D"],
            id="gt-datetime-missing-field-excluded",
        ),
        pytest.param(
            "and(eq(status,published),gt(events.updated.at,2026-11-03T00:00:00%2B00:00))",
            ["D"],
            id="and-with-encoded-plus",
        ),
        pytest.param("or(eq(id,A),eq(id,C))", ["A", "C"], id="or"),
        pytest.param("not(eq(status,published))", ["B", "C"], id="not"),
        pytest.param("ordering(-id)", ["D", "C", "B", "A"], id="ordering-descending"),
        pytest.param(
            "eq(status,published)&ordering(-events.updated.at)&select(-x)",
            ["D", "A"],
            id="ordering-by-date",
        ),
        pytest.param("limit=1&offset=2", ["A", "B", "C", "D"], id="paging-is-not-a-filter"),
    ],
)
def test_evaluation(query: str, ids: list[str]) -> None:
    assert [row["id"] for row in parse_query(query).apply(ROWS)] == ids


@pytest.mark.parametrize(
    "query",
    [
        "eq(status",
        "foo(status,x)",
        "eq(status)",
        "in(status,x)",
        "limit=ten",
        "offset=-1",
        "eq(a,'x)",
    ],
)
def test_bad_rql_is_a_syntax_error(query: str) -> None:
    with pytest.raises(RqlSyntaxError):
        parse_query(query)


def test_client_query_string_round_trips() -> None:
    query = query_string(
        [and_(eq("status", "published"), in_("id", ["PRD-1", "PRD-2"])), ordering("name")],
        limit=10,
        offset=20,
    )
    parsed = parse_query(query)
    assert (parsed.limit, parsed.offset, parsed.ordering) == (10, 20, ["name"])
    assert [
        row["id"]
        for row in parsed.apply(
            [{"id": "PRD-2", "status": "published"}, {"id": "PRD-3", "status": "published"}]
        )
    ] == ["PRD-2"]


values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@given(values)
def test_any_value_the_builder_writes_is_read_back(value: str) -> None:
    assume(not ('"' in value and "'" in value))
    text = unquote(query_string([eq("name", value)], limit=1, offset=0).split("&limit=")[0])
    assert parse_rql(text) == Call("eq", ("name", value))
    assert parse_query(query_string([eq("name", value)], limit=1, offset=0)).apply(
        [{"name": value}, {"name": value + "x"}]
    ) == [{"name": value}]


def test_gt_with_a_datetime_renders_iso() -> None:
    assert str(gt("events.updated.at", datetime(2026, 1, 2, tzinfo=UTC))) == (
        "gt(events.updated.at,2026-01-02T00:00:00+00:00)"
    )
