"""Catalog row digests stay what earlier versions stored, so an upgrade rewrites nothing."""

from __future__ import annotations

from plm_sync.domain.digests import content_hash
from plm_sync.domain.grouping import group_items
from plm_sync.domain.offer_plans import group_offer
from plm_sync.store import models
from plm_sync.store.catalog import flatten, row_digest
from tests.unit.domain.test_grouping import NCE_ITEMS, PRODUCT, RULES
from tests.unit.domain.test_offer_plans import ITEMS, OFFER


def test_an_mpn_plan_keeps_the_digest_stored_before_offers_existed() -> None:
    line = group_items(PRODUCT, NCE_ITEMS, RULES).product_line
    for values in flatten(line)[models.ServicePlan].values():
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
    plans = flatten(line)[models.ServicePlan]
    digests = {row_digest(values) for values in plans.values()}
    stripped = {
        content_hash({k: v for k, v in values.items() if k not in {"offer_plan_id", "features"}})
        for values in plans.values()
    }
    assert digests.isdisjoint(stripped)


# Digests stored by earlier versions, as literals: a change of the digest's form would make
# every stored row look changed after an upgrade (measured on b7e282d; the same since).
PINNED_MPN_PLANS = {
    "AZURE-PLAN:0001|P1M": "1a27a51deb429bda3ef2b4e9dbe12fee",
    "DG7GMGF0GJC2:0003|P1Y": "a9c08540de816a1f36cbcdd188102ce2",
    "CFQ7TTC0LFLZ:0002|P1Y": "7836a36d57ec5b6472efeae8e4efad34",
    "CFQ7TTC0LFLZ:0002|P1M": "08028007120e323a76179bc99fd90d27",
    "CFQ7TTC0LFLZ:0002|P3Y": "2d01cd3ef3c60781e3f667dcf6d7cfe7",
    "CFQ7TTC0LFLX:0001_ANNUAL|P1Y": "42072417d17e2868e9db35785990e4d2",
    "CFQ7TTC0LF8R:0008|trial": "fc8ff89ab6280240461ffeea94fa3f41",
}
PINNED_OFFER_PLANS = {
    "offer:PLN-1|P1Y": "13fb86e1bdc028f0eb4c0b95f660fb63",
    "offer:PLN-1|P1M": "0f54ed828a3a92f8cb44250949050761",
    "offer:PLN-2|P1Y": "859cecf49bf73bc238bc2937a6add0de",
    "offer:PLN-2|P1M": "8179d018aac05efe7868f0cc6b8758de",
}


def test_plan_digests_are_the_pinned_literals() -> None:
    mpn_line = group_items(PRODUCT, NCE_ITEMS, RULES).product_line
    offer_line = group_offer(PRODUCT, ITEMS, OFFER, RULES).product_line
    assert {
        key: row_digest(values) for key, values in flatten(mpn_line)[models.ServicePlan].items()
    } == PINNED_MPN_PLANS
    assert {
        key: row_digest(values) for key, values in flatten(offer_line)[models.ServicePlan].items()
    } == PINNED_OFFER_PLANS
