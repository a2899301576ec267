"""Catalog row digests: pinned, and blind to columns added later while they are empty."""

from __future__ import annotations

from plm_sync.domain.digests import content_hash
from plm_sync.domain.grouping import group_items
from plm_sync.domain.line_rows import SERVICE_PLANS, flatten, row_digest
from plm_sync.domain.offer_plans import group_offer
from tests.unit.domain.test_grouping import NCE_ITEMS, PRODUCT, RULES
from tests.unit.domain.test_offer_plans import ITEMS, OFFER


def test_an_mpn_plan_keeps_the_digest_stored_before_offers_existed() -> None:
    line = group_items(PRODUCT, NCE_ITEMS, RULES).product_line
    for values in flatten(line)[SERVICE_PLANS].values():
        before_offers = {
            key: values[key]
            for key in (
                "name",
                "resource_mpn",
                "billing_duration",
                "billing_unit",
                "trial",
                "sharing",
                "published",
                "description",
                "active",
            )
        }
        assert row_digest(values) == content_hash(before_offers)


def test_offer_fields_count_when_they_are_set() -> None:
    line = group_offer(PRODUCT, ITEMS, OFFER, RULES).product_line
    plans = flatten(line)[SERVICE_PLANS]
    digests = {row_digest(values) for values in plans.values()}
    stripped = {
        content_hash({k: v for k, v in values.items() if k not in {"offer_plan_id", "features"}})
        for values in plans.values()
    }
    assert digests.isdisjoint(stripped)


# Digests of version 2 (canonical JSON, 0010), as literals: a change of the digest's form
# would make every stored row look changed after an upgrade unless a migration recomputes
# them (tests/integration/test_upgrade.py opens a database of version 1).
PINNED_MPN_PLANS = {
    "AZURE-PLAN:0001|P1M": "e383d1f46826a193a70d84c689a34163",
    "DG7GMGF0GJC2:0003|P1Y": "4e7152a02cbc7e21c96ff688d283df6d",
    "CFQ7TTC0LFLZ:0002|P1Y": "b1afdf06c312f26ebe4b2f05e9548c49",
    "CFQ7TTC0LFLZ:0002|P1M": "f4a574ca276d46a698d7e3b27a4676dd",
    "CFQ7TTC0LFLZ:0002|P3Y": "9af35ec4c73ba8460d1e6728602d3b3d",
    "CFQ7TTC0LFLX:0001_ANNUAL|P1Y": "9951d323f998b2ab2419afadfa802559",
    "CFQ7TTC0LF8R:0008|trial": "e731b16cf9d942ab5f87bf20305b385d",
}
PINNED_OFFER_PLANS = {
    "offer:PLN-1|P1Y": "b3f9d30d6b303f2b66353446413d20b8",
    "offer:PLN-1|P1M": "061333996ef4d8af85eaf7f830f1a72c",
    "offer:PLN-2|P1Y": "dbf846c838437a1ae94796aa7fd3f531",
    "offer:PLN-2|P1M": "99237cf12e12cd66751506d16a34387e",
}


def test_plan_digests_are_the_pinned_literals() -> None:
    mpn_line = group_items(PRODUCT, NCE_ITEMS, RULES).product_line
    offer_line = group_offer(PRODUCT, ITEMS, OFFER, RULES).product_line
    assert {
        key: row_digest(values) for key, values in flatten(mpn_line)[SERVICE_PLANS].items()
    } == PINNED_MPN_PLANS
    assert {
        key: row_digest(values) for key, values in flatten(offer_line)[SERVICE_PLANS].items()
    } == PINNED_OFFER_PLANS
