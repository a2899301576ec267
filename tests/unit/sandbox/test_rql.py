"""The RQL the client writes is the RQL the sandbox reads: builder and evaluator together."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plm_sync.connect.rql import and_, eq, gt, in_, ordering, query_string
from plm_sync.sandbox.connect.rql_eval import (
    Call,
    RqlFieldError,
    RqlSyntaxError,
    Schema,
    load_schemas,
    parse_query,
    parse_rql,
)

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


# -- fidelity to Connect's django-rql: lookups, declared fields, ordering, search, select ------

PRODUCTS = load_schemas()["products"]
ITEMS = load_schemas()["items"]
CATALOG = [
    {"id": "PRD-1", "name": "Microsoft 365 E3", "status": "published", "version": 10,
     "events": {"created": {"at": "2026-01-02T00:00:00"}}},
    {"id": "PRD-2", "name": "microsoft teams", "status": "published", "version": 9,
     "events": {"created": {"at": "2026-01-01T00:00:00+00:00"}, "published": {"at": ""}}},
    {"id": "PRD-3", "name": "Adobe Acrobat", "status": "draft", "version": 2,
     "events": {"created": {"at": "2025-12-31T23:00:00-02:00"}}},
]  # fmt: skip


def ids(raw: str, schema: Schema | None = PRODUCTS) -> list[str]:
    return [row["id"] for row in parse_query(raw, schema).apply(CATALOG)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("like(name,Microsoft*)", ["PRD-1"], id="like-is-case-sensitive"),
        pytest.param("ilike(name,*microsoft*)", ["PRD-1", "PRD-2"], id="ilike"),
        pytest.param("ilike(name,*TEAMS)", ["PRD-2"], id="ilike-suffix"),
        pytest.param("eq(events.published.at,null())", ["PRD-1", "PRD-3"], id="null"),
        pytest.param("ne(events.published.at,null())", ["PRD-2"], id="not-null"),
        pytest.param("eq(events.published.at,empty())", ["PRD-2"], id="empty"),
        pytest.param("search=micro", ["PRD-1", "PRD-2"], id="search-on-declared-fields"),
        pytest.param(
            "ordering(events.created.at)", ["PRD-2", "PRD-3", "PRD-1"], id="datetimes-by-value"
        ),
        pytest.param("ordering(-name)", ["PRD-2", "PRD-1", "PRD-3"], id="descending-text"),
        pytest.param(
            "gt(events.created.at,2026-01-01T00:30:00%2B00:00)",
            ["PRD-1", "PRD-3"],
            id="naive-is-utc-and-offsets-count",
        ),
    ],
)
def test_queries_behave_as_connect(raw: str, expected: list[str]) -> None:
    assert ids(raw) == expected


def test_numbers_sort_as_numbers_where_ordering_is_allowed() -> None:
    rows = [{"id": str(n), "n": n} for n in (10, 9, 100)]
    query = parse_query("ordering(n)")  # no schema: any field
    assert [row["id"] for row in query.apply(rows)] == ["9", "10", "100"]


@pytest.mark.parametrize(
    ("raw", "schema", "fragment"),
    [
        pytest.param("eq(colour,red)", PRODUCTS, "unknown filter field 'colour'", id="field"),
        pytest.param("colour=red", PRODUCTS, "unknown filter field 'colour'", id="prop-field"),
        pytest.param("gt(name,A)", PRODUCTS, "gt() is not a lookup of 'name'", id="lookup"),
        pytest.param("ordering(status)", PRODUCTS, "cannot order by 'status'", id="ordering"),
        pytest.param("ordering(position)", ITEMS, "orders by nothing", id="items-no-ordering"),
        pytest.param("eq(name,maybe())", PRODUCTS, "maybe() is not a value", id="value"),
    ],
)
def test_undeclared_filters_and_orderings_are_refused_naming_the_field(
    raw: str, schema: Schema, fragment: str
) -> None:
    with pytest.raises(RqlFieldError if "value" not in fragment else RqlSyntaxError) as raised:
        parse_query(raw, schema)
    assert fragment in str(raised.value)


def test_select_leaves_fields_out_of_the_answer_only() -> None:
    query = parse_query("select(-events,-version)", PRODUCTS)
    (row,) = query.project(query.apply(CATALOG[:1]))
    assert set(row) == {"id", "name", "status"}
    assert "events" in CATALOG[0]  # the catalog itself is untouched
