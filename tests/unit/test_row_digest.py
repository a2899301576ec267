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
