"""Connect Offers through the client: offers by product, plans, items, features, switches."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import unquote

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.connect.client import ConnectClient
from plm_sync.connect.offers import (
    OfferRecordError,
    parse_feature,
    parse_offer_item,
    parse_plan,
    parse_switch,
)
from plm_sync.domain.offers import OfferItemValue, OfferSwitch
from plm_sync.errors import ConnectAuthError
from plm_sync.infra.retrying import RetryPolicy
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG

BASE = "https://api.example.test/public/v1"
PID = "PRD-900-100-200"
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
OFFER = SAMPLE["offers"][PID][0]
HEADER = {key: value for key, value in OFFER.items() if not isinstance(value, list)}


def client() -> ConnectClient:
    return ConnectClient(
        BASE,
        "SU-1:secret",
        retry=RetryPolicy(initial_backoff=0.001, max_backoff=0.002),
        sleep=lambda _: None,
    )


def serve(rsps: responses.RequestsMock, path: str, rows: list[Any], status: int = 200) -> None:
    headers = {"Content-Range": f"items 0-{max(len(rows) - 1, 0)}/{len(rows)}"}
    rsps.get(
        re.compile(re.escape(f"{BASE}{path}") + r"(\?.*)?$"),
        json=rows,
        status=status,
        headers=headers,
    )


def serve_offer(rsps: responses.RequestsMock, offer: dict[str, Any] = OFFER) -> None:
    base = f"/offers/{offer['id']}"
    for part in ("plans", "items", "features", "switches"):
        serve(rsps, f"{base}/{part}", offer[part])
    serve(rsps, f"{base}/features-groups", offer["features_groups"])


@responses.activate
def test_a_published_offer_is_read_whole() -> None:
    serve(responses.mock, "/offers", [HEADER])
    serve_offer(responses.mock)
    serve(responses.mock, "/offers-ns/presets", SAMPLE["presets"])
    fetched = client().offers(PID)
    assert fetched.notes == []
    (offer,) = fetched.offers
    assert (offer.id, offer.status, offer.is_published) == ("OFR-900-100-200", "listed", True)
    assert [plan.name for plan in offer.plans] == [
        "Business Basic",
        "Business Standard",
        "Business Premium",
    ]
    assert offer.plans[0].periods == ("monthly", "yearly")
    assert offer.plans[0].commitments == ("1y",)
    assert offer.values[0] == OfferItemValue("PLN-900-001", f"{PID}-0001", "monthly", 1, 300)
    add_on = [v for v in offer.values if v.item_id == f"{PID}-0010"]
    assert {(v.min_units, v.max_units) for v in add_on} == {(0, -1)}
    assert {f.group for f in offer.features} == {"Apps", "Security"}  # names from the groups
    assert offer.switches[0] == OfferSwitch(
        "SWI-900-001", "upgrade", "PLN-900-001", "PLN-900-002", "PRE-900-1", "Immediate upgrade"
    )
    assert [p.name for p in offer.presets] == ["Immediate upgrade", "Downgrade at renewal"]
    urls = [unquote(call.request.url or "") for call in responses.calls]
    assert any("eq(product.id,PRD-900-100-200)" in url for url in urls)
    assert any("eq(type,switch)" in url for url in urls)


@responses.activate
def test_a_private_offer_is_not_read_further() -> None:
    serve(responses.mock, "/offers", [{**HEADER, "status": "private"}])
    (offer,) = client().offers(PID).offers
    assert (offer.is_published, offer.plans) == (False, ())
    assert len(responses.calls) == 1


@responses.activate
def test_a_connect_without_offers_has_none() -> None:
    serve(responses.mock, "/offers", [], status=404)
    assert client().offers(PID).offers == []


@responses.activate
def test_without_an_offers_module_the_client_asks_once() -> None:
    serve(responses.mock, "/offers", [], status=404)
    reader = client()
    for product_id in (PID, "PRD-2", "PRD-3"):
        assert reader.offers(product_id).offers == []
    assert len(responses.calls) == 1


@responses.activate
def test_a_key_without_offers_permission_fails_like_any_auth_error() -> None:
    serve(responses.mock, "/offers", [], status=403)
    with pytest.raises(ConnectAuthError):
        client().offers(PID)


@responses.activate
def test_unreadable_rows_become_notes_and_the_rest_is_kept() -> None:
    broken = {**OFFER, "switches": [{"id": "SWI-X", "type": "upgrade"}, *OFFER["switches"]]}
    serve(responses.mock, "/offers", [HEADER])
    serve_offer(responses.mock, broken)
    serve(responses.mock, "/offers-ns/presets", SAMPLE["presets"])
    fetched = client().offers(PID)
    assert len(fetched.offers[0].switches) == 3
    assert fetched.notes == [
        "GET /offers/OFR-900-100-200/switches: switch SWI-X: field 'from' has no id; row ignored"
    ]


@responses.activate
def test_transient_errors_on_offer_parts_are_retried() -> None:
    serve(responses.mock, "/offers", [HEADER])
    serve(responses.mock, f"/offers/{OFFER['id']}/plans", [], status=503)
    serve_offer(responses.mock)
    serve(responses.mock, "/offers-ns/presets", SAMPLE["presets"])
    offer_client = client()
    assert len(offer_client.offers(PID).offers[0].plans) == 3
    assert offer_client.retries == 1


def test_plan_values_may_come_as_json_text_and_max_null_is_unlimited() -> None:
    row = {
        "id": "OFI-1",
        "plans": json.dumps(
            [
                {
                    "plan": "PLN-1",
                    "item": {"id": "I-1"},
                    "period": "Monthly",
                    "constraint": {"type": "min_max", "min": 0, "max": None},
                }
            ]
        ),
    }
    assert parse_offer_item(row) == [OfferItemValue("PLN-1", "I-1", "monthly", 0, -1)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {
                "id": "OFI-1",
                "plans": [
                    {
                        "plan": "P",
                        "item": {"id": "I"},
                        "period": "monthly",
                        "constraint": {"min": 5, "max": 2},
                    }
                ],
            },
            "constraint.max should be a whole number >= min",
        ),
        (
            {"id": "OFI-1", "plans": [{"item": {"id": "I"}, "period": "monthly"}]},
            "'plan' has no id",
        ),
        ({"id": "OFI-1", "plans": "not json"}, "'plans' is not a list"),
        ({"name": "x"}, "field 'id' is missing"),
    ],
)
def test_bad_offer_item_rows_say_what_is_wrong(row: dict[str, Any], message: str) -> None:
    with pytest.raises(OfferRecordError, match=re.escape(message)):
        parse_offer_item(row)


def test_switch_status_endofsale_is_inactive_and_plan_words_are_lower_case() -> None:
    switch = parse_switch({**OFFER["switches"][0], "status": "endofsale"})
    assert not switch.active
    plan = parse_plan({"id": "PLN-1", "name": "X", "periods": ["Monthly"], "commitments": "1Y"})
    assert (plan.periods, plan.commitments) == (("monthly",), ("1y",))
    feature = parse_feature({"id": "F", "name": "n", "group": {"id": "G"}, "plans": []}, {})
    assert feature.group == "G"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(JSON)
def test_offer_parsers_only_ever_raise_their_own_error(raw: Any) -> None:
    for parse in (parse_offer_item, parse_plan, parse_switch):
        with contextlib.suppress(OfferRecordError):
            parse(raw)


@given(
    st.fixed_dictionaries(
        {
            "id": st.just("OFI-1"),
            "plans": st.lists(
                st.fixed_dictionaries(
                    {
                        "plan": st.sampled_from(["PLN-1", {"id": "PLN-2"}]),
                        "item": st.fixed_dictionaries(
                            {
                                "id": st.text(
                                    st.characters(exclude_categories=("Cc", "Cs")),
                                    min_size=1,
                                    max_size=6,
                                )
                            }
                        ),
                        "period": st.sampled_from(["monthly", "yearly", "years_3"]),
                        "constraint": st.integers(0, 50).flatmap(
                            lambda low: st.fixed_dictionaries(
                                {
                                    "min": st.just(low),
                                    "max": st.none() | st.integers(max(low, 1), 99),
                                }
                            )
                        ),
                    }
                ),
                max_size=4,
            ),
        }
    )
)
def test_valid_offer_items_keep_every_plan_value(raw: dict[str, Any]) -> None:
    values = parse_offer_item(raw)
    assert len(values) == len(raw["plans"])
    for value, given_value in zip(values, raw["plans"], strict=True):
        assert value.min_units == given_value["constraint"]["min"]
        assert value.max_units == (given_value["constraint"]["max"] or -1)


@responses.activate
def test_a_run_lists_the_accounts_offers_once_and_reads_parts_only_for_published_ones() -> None:
    listed = {**HEADER, "product": {"id": PID}}
    private = {**HEADER, "id": "OFR-2", "status": "private", "product": {"id": "PRD-2"}}
    serve(responses.mock, "/offers", [listed, private])
    serve_offer(responses.mock)
    serve(responses.mock, "/offers-ns/presets", SAMPLE["presets"])
    reader = client()
    by_product = reader.offer_rows()
    assert by_product is not None
    assert sorted(by_product) == ["PRD-2", PID]
    listings = len(responses.calls)
    (offer,) = reader.offers(PID, by_product[PID]).offers
    assert offer.is_published
    assert reader.offers("PRD-3", by_product.get("PRD-3", [])).offers == []
    (other,) = reader.offers("PRD-2", by_product["PRD-2"]).offers
    assert not other.is_published
    paths = [call.request.path_url.split("?")[0] for call in responses.calls[listings:]]
    assert "/public/v1/offers" not in paths  # no listing per product, only the parts


@responses.activate
def test_offer_rows_that_name_no_product_are_listed_per_product_instead() -> None:
    serve(responses.mock, "/offers", [HEADER])  # the sample's row carries no `product`
    assert client().offer_rows() is None
