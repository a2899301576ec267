"""`mappings/pricing.yaml`: how price-list prices are read, and marketplaces' reseller accounts.

Optional (DESIGN §9):

    price_list:                    # prices from a listing's price list (no pricing batch)
      cost: Price                  # the price-list attribute of the cost (default Price)
      price: "Suggested T0 Price"  # ... of the price (default); or derive it:
      # markup: 25%                # price = cost x 1.25, rounded to the list's precision
      msrp: "Suggested T0 Price"   # default; null: no MSRP
    marketplaces:
      MP-91111: {reseller_account: "1000001"}   # default: the marketplace's hub external_id
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from plm_sync.domain.prices import PriceListRule, PricingRules
from plm_sync.errors import MappingsError
from plm_sync.mappings.files import Problems, read_yaml

PRICING_FILE = "pricing.yaml"
_PRICE_LIST_KEYS = {"cost", "price", "msrp", "markup"}
_MARKUP = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%\s*")


def _attribute(problems: Problems, key: str, raw: Any, default: str | None) -> str | None:
    if raw is None:
        return default
    if not isinstance(raw, str) or not raw.strip():
        problems.add(key, "must be the name of a price-list attribute, e.g. Price")
        return default
    return raw.strip()


def _price_list(problems: Problems, raw: Any) -> PriceListRule:
    if raw is None:
        return PriceListRule()
    if not isinstance(raw, dict):
        problems.add("price_list", "must be a mapping (cost, price or markup, msrp)")
        return PriceListRule()
    problems.unknown_keys("price_list", raw, _PRICE_LIST_KEYS)
    defaults = PriceListRule()
    markup = None
    if "markup" in raw:
        match = _MARKUP.fullmatch(str(raw["markup"]))
        if match is None:
            problems.add("price_list.markup", "must be a percentage, e.g. 25%")
        else:
            markup = Decimal(match.group(1)) / 100
        if "price" in raw:
            problems.add("price_list", "give price or markup, not both")
    msrp = raw.get("msrp", defaults.msrp)
    return PriceListRule(
        cost=_attribute(problems, "price_list.cost", raw.get("cost"), defaults.cost) or "Price",
        price=_attribute(problems, "price_list.price", raw.get("price"), defaults.price)
        or defaults.price,
        msrp=None if msrp is None else _attribute(problems, "price_list.msrp", msrp, None),
        markup=markup,
    )


def _resellers(problems: Problems, raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.add("marketplaces", 'must map marketplace ids to {reseller_account: "…"}')
        return ()
    found = []
    for marketplace, entry in raw.items():
        key = f"marketplaces.{marketplace}"
        if not isinstance(marketplace, str) or not marketplace.startswith("MP-"):
            problems.add(key, "must be a Connect marketplace id, e.g. MP-91111")
            continue
        if not isinstance(entry, dict):
            problems.add(key, 'must be {reseller_account: "<Commerce account id>"}')
            continue
        problems.unknown_keys(key, entry, {"reseller_account"})
        account = entry.get("reseller_account")
        if isinstance(account, int) and not isinstance(account, bool):
            account = str(account)
        if not isinstance(account, str) or not account.strip():
            problems.add(f"{key}.reseller_account", "must be the Commerce reseller account id")
            continue
        found.append((marketplace, account.strip()))
    return tuple(sorted(found))


def load_pricing_rules(folder: Path) -> PricingRules:
    """Read and validate `pricing.yaml` (absent: the defaults); MappingsError lists problems."""
    path = folder / PRICING_FILE
    if not path.is_file():
        return PricingRules()
    data = read_yaml(path)
    problems = Problems(path)
    problems.unknown_keys("", data, {"price_list", "marketplaces"})
    rules = PricingRules(
        price_list=_price_list(problems, data.get("price_list")),
        resellers=_resellers(problems, data.get("marketplaces")),
    )
    if problems.items:
        raise MappingsError(problems.items)
    return rules
