"""The sandbox's PLM: reads a workbook as `parseConfig` does, keeps the plans applied.

The parse answer has the shape of a real one (`../shared/commerce/samples/
parse_ppr_success_response.json`): `excelConfig` built from the workbook's rows, every entry
`{value, action: "EDIT"}`, and `existingPdiPlans` from the plans applied so far.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plm_sync.sandbox.commerce.workbook import (
    WorkbookRefused,
    edit_entry,
    excel_config,
    read_sheets,
)

PLAN_TYPE = "http://com.odin.platform/inhouse-products/pdiPlan/1.0"
SERVICE_TEMPLATE_ID = 8

__all__ = ["SandboxPlm", "WorkbookRefused"]


def canonical(body: Any) -> str:  # noqa: ANN401 - JSON
    """A stable text of a JSON value, to compare bodies."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


@dataclass
class AppliedWorkbook:
    """One `applyConfig` the sandbox carried out: which plans it wrote."""

    tracking_id: str
    product_id: str | None
    plans: list[str]
    content: str  # a digest of the workbook's content (its excelConfig): one per content


@dataclass
class SandboxPlm:
    """The state of the sandbox hub's PLM: products, live plans, parse answers given."""

    not_installed: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    update_available: set[str] = field(default_factory=set)
    # (product, lower-cased name) -> plan: a plan lives in its product's service template,
    # so two products' plans of one name are two plans
    live: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical -> answer
    parsed: list[dict[str, Any]] = field(default_factory=list)  # what each parseConfig read
    applies: list[dict[str, Any]] = field(default_factory=list)  # every applyConfig body
    applied: list[AppliedWorkbook] = field(default_factory=list)
    upgrades: list[str] = field(default_factory=list)
    # product -> (lower-cased plan name -> plan value, resource MPN or name -> resource): the
    # configuration applies left, what `downloadConfig` exports
    configs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    last_product: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next_bss: int = 100

    def app_details(self, product_id: str) -> dict[str, Any] | None:
        """`appDetails/<id>`; None for a product PLM does not know."""
        with self.lock:
            if product_id in self.unknown:
                return None
            self.last_product = product_id
            return {
                "id": product_id,
                "name": product_id,
                "vendor": "Sandbox vendor",
                "isImporting": False,
                "isInstalled": product_id not in self.not_installed,
                "isUpdateAvailable": product_id in self.update_available,
                "version": "2",
                "isSyndicated": False,
                "availableCountries": [],
                "category": "Sandbox",
                "vendorLinks": [],
                "releaseInformation": [],
            }

    def upgrade(self, product_id: str) -> dict[str, Any]:
        """`appDetails/<id>/upgrade`: the product is at its latest version afterwards."""
        with self.lock:
            self.update_available.discard(product_id)
            self.upgrades.append(product_id)
        return {
            "aps": {"id": str(uuid.uuid4()), "type": "connectProduct/1.0"},
            "productId": product_id,
            "version": 2,
            "status": "installed",
        }

    def parse(self, data: bytes, product_id: str | None = None) -> dict[str, Any]:
        """A parse answer for a workbook (WorkbookRefused when PLM could not read it).

        The workbook does not name its product: `appInfo.appId` is the product whose
        `appDetails` the same client (connection) asked for last, as a push does first.
        """
        sheets = read_sheets(data)
        config = excel_config(sheets)
        names = {str(entry["value"]["name"]["en"]).casefold() for entry in config["servicePlans"]}
        with self.lock:
            product_id = product_id or self.last_product
            answer = {
                "owner": {"accountId": 1, "memberId": 1},
                "serviceTemplateId": SERVICE_TEMPLATE_ID,
                "serviceTerms": {
                    "Default": {
                        "bssId": 0,
                        "serviceTermsName": "Default",
                        "holdPeriodInDays": 30,
                        "gracePeriodInDays": 10,
                    }
                },
                "termsAndConditions": {},
                "existingPdiPlans": {
                    name: plan
                    for (product, name), plan in sorted(self.live.items())
                    if product == str(product_id) and name in names
                },
                "excelConfig": config,
                "appInfo": {
                    "appId": product_id,
                    "appCustomIconUrl": None,
                    "impersonationUid": str(uuid.uuid5(uuid.NAMESPACE_URL, "plm-sync-sandbox")),
                },
            }
            self.answers[canonical(answer)] = answer
            self.parsed.append(
                {
                    "product_id": product_id,
                    "plans": [entry["value"]["name"]["en"] for entry in config["servicePlans"]],
                    "sheets": sorted(sheets),
                }
            )
        return answer

    def known_answer(self, body: Any) -> bool:  # noqa: ANN401 - JSON
        """Whether an `applyConfig` body is, unchanged, a parse answer this PLM gave."""
        with self.lock:
            self.applies.append(body)
            return canonical(body) in self.answers

    def apply(self, tracking: str, body: dict[str, Any]) -> None:
        """Write the answer's plans as live plans (the task succeeded)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        plans = [entry["value"] for entry in body["excelConfig"]["servicePlans"]]
        product_id = str((body.get("appInfo") or {}).get("appId"))
        with self.lock:
            config = self.configs.setdefault(product_id, {})
            for plan in plans:
                config[str(plan["name"]["en"]).casefold()] = json.loads(json.dumps(plan))
            held = self.resources.setdefault(product_id, {})
            for entry in body["excelConfig"].get("resources") or []:
                value = entry.get("value", {})
                ident = str(value.get("mpn") or value.get("resourceType", {}).get("name"))
                held[ident] = json.loads(json.dumps(value))
            for plan in plans:
                key = (product_id, str(plan["name"]["en"]).casefold())
                current = self.live.get(key)
                if current is None:
                    self._next_bss += 1
                    ident, bss, revision = str(uuid.uuid4()), self._next_bss, 1
                else:
                    ident = current["aps"]["id"]
                    bss = current["bssServicePlanId"]
                    revision = current["aps"]["revision"] + 1
                self.live[key] = _live_plan(plan, ident, bss, revision, now)
            self.applied.append(
                AppliedWorkbook(
                    tracking,
                    (body.get("appInfo") or {}).get("appId"),
                    [str(plan["name"]["en"]) for plan in plans],
                    hashlib.sha256(canonical(body["excelConfig"]).encode()).hexdigest()[:16],
                )
            )

    def download(self, product_id: str, template_id: str) -> dict[str, Any] | None:
        """`downloadConfig`: the product's configuration as applies left it (None: unknown).

        In `parseConfig`'s `excelConfig` model (the project's assumption of `ExcelConfigData`).
        """
        with self.lock:
            if product_id in self.unknown or template_id != str(SERVICE_TEMPLATE_ID):
                return None
            plans = self.configs.get(product_id, {})
            return {
                "resources": [
                    edit_entry(value)
                    for _, value in sorted(self.resources.get(product_id, {}).items())
                ],
                "serviceTemplates": [],
                "servicePlans": [edit_entry(plan) for _, plan in sorted(plans.items())],
                "termsConditionsDetails": {},
                "subscriptionNotificationTemplates": [],
                "resourceDependencies": [],
                "opUnitResourceCategories": {},
            }

    def edit(self, product_id: str, plan_name: str, change: dict[str, Any]) -> bool:  # noqa: C901 - one branch per kind of edit
        """What an operator changes by hand in Commerce, behind the push's back.

        `description`, `published`, `rate` ({resource, min, max}), `unshare` (a unit code),
        or `remove` (the plan). False when the product has no such plan (or resource).
        """
        with self.lock:
            plans = self.configs.get(product_id, {})
            plan = plans.get(plan_name.casefold())
            if plan is None:
                return False
            if change.get("remove"):
                del plans[plan_name.casefold()]
                self.live.pop((product_id, plan_name.casefold()), None)
                return True
            if "description" in change:
                plan["description"] = {"en": str(change["description"])}
                live = self.live.get((product_id, plan_name.casefold()))
                if live is not None:
                    live["description"] = {"en_US": str(change["description"])}
            if "published" in change:
                plan["isPublished"] = bool(change["published"])
            if "unshare" in change:
                plan["delegatedServicePlans"] = [
                    entry
                    for entry in plan.get("delegatedServicePlans") or []
                    if entry["value"].get("vendorName") != change["unshare"]
                ]
            rate = change.get("rate")
            if isinstance(rate, dict):
                found = [
                    entry["value"]
                    for entry in plan.get("resources") or []
                    if str(entry["value"]["name"]["en"]).casefold()
                    == str(rate.get("resource", "")).casefold()
                ]
                if not found:
                    return False
                for limit in ("min", "max"):
                    if limit in rate:
                        found[0][limit] = float(rate[limit])
            return True

    def state(self) -> dict[str, Any]:
        """What the sandbox received and holds (for tests and the demo)."""
        with self.lock:
            return {
                "parsed": list(self.parsed),
                "applies": len(self.applies),
                "applied": [vars(item) for item in self.applied],
                # how many times each (product, content) was applied: the crash matrix's count
                "applied_per_content": dict(
                    Counter(f"{item.product_id} {item.content}" for item in self.applied)
                ),
                "upgrades": list(self.upgrades),
                "live_plans": sorted(plan["name"]["en_US"] for plan in self.live.values()),
            }


def _live_plan(
    plan: dict[str, Any], ident: str, bss: int, revision: int, now: str
) -> dict[str, Any]:
    periods = [
        {
            "bssId": bss * 100 + index,
            "active": entry["value"]["active"],
            "period": entry["value"]["period"],
            "periodType": entry["value"]["periodType"],
            "isTrial": entry["value"]["trial"],
            "cancellationFeeType": "none",
            "cancellationFeeValue": "",
            "isAutoRenewPeriod": False,
            "afterRefundPeriod": "no_refund",
            "fullRefundPeriod": entry["value"]["fullRefundPeriod"],
        }
        for index, entry in enumerate(plan["subscriptionPeriods"])
    ]
    return {
        "aps": {
            "id": ident,
            "type": PLAN_TYPE,
            "status": "aps:ready",
            "revision": revision,
            "modified": now,
        },
        "bssServicePlanId": bss,
        "serviceTemplateId": SERVICE_TEMPLATE_ID,
        "name": {"en_US": plan["name"]["en"]},
        "description": {"en_US": plan["description"]["en"]},
        "billingPeriod": plan.get("billingPeriod"),
        "billingPeriodType": plan.get("billingPeriodType"),
        "pricePeriodType": plan["pricePeriodType"],
        "planCategory": plan["planCategory"],
        "serviceTerms": plan["serviceTerms"],
        "isPublished": plan["isPublished"],
        "subscriptionPeriods": periods,
    }
