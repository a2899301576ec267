"""Commerce's flat-catalog price-import wizard, as one reseller (PROTOCOL.md §1b, §3.7, §6).

The wizard runs as the marketplace's reseller, not as the app: three signed calls give a
reseller APS token (the account's APS id, its admin user, `getToken` on the adapter), then
the flat-catalog service is found and called with `aps-token` and `aps-identity-id` only.
Tokens are short-lived: a fresh one (and the service looked up again) before each of the
three steps, and once more when the hub refuses one as expired. Upload and
`prepare-proposals` change no price and are retried; `set-prices` is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import structlog

from plm_sync.commerce.client import ADAPTER_TYPE, CommerceClient
from plm_sync.errors import CommerceAuthError, CommerceRefusedError

log = structlog.get_logger(__name__)

ACCOUNT_TYPE = "http://aps-standard.org/types/core/account"
FLAT_CATALOG_TYPE = "http://ingrammicro.com/pa/flat-catalog"
WIZARD = "flat-catalog/price-import-wizard"


@dataclass(frozen=True)
class ResellerToken:
    """What a reseller's calls carry instead of OAuth."""

    identity: str  # the account's APS id (`aps-identity-id`)
    token: str  # `aps-token`

    def headers(self) -> dict[str, str]:
        """The headers of a call made as the reseller."""
        return {"aps-token": self.token, "aps-identity-id": self.identity}


@dataclass(frozen=True)
class WizardOptions:
    """What `prepare-proposals` and `set-prices` are told about the uploaded file."""

    export_costs: bool
    export_prices: bool
    export_msrp: bool
    effective_date: str  # MM/DD/YYYY
    price_model: str
    fee_type: str

    def body(self) -> dict[str, Any]:
        """The JSON both steps share."""
        return {
            "exportCosts": self.export_costs,
            "exportPrices": self.export_prices,
            "exportMSRP": self.export_msrp,
            "effectiveDate": self.effective_date,
            "priceModel": self.price_model,
            "feeType": self.fee_type,
        }


class PriceWizard:
    """The wizard of one hub for one reseller account (`account`: the CBC account id)."""

    def __init__(self, client: CommerceClient, account: str) -> None:
        self.client = client
        self.account = account

    def _accounts(self) -> Any:  # noqa: ANN401 - JSON
        return self.client.get_json(
            f"/aps/2/resources/?implementing({ACCOUNT_TYPE})&id={_q(self.account)}"
        )

    def exists(self) -> bool:
        """Whether the hub has this reseller account (one signed call)."""
        found = self._accounts()
        return isinstance(found, list) and bool(found)

    def token(self) -> ResellerToken:
        """A fresh reseller token (three signed calls)."""
        accounts = self._accounts()
        if not isinstance(accounts, list) or not accounts or not isinstance(accounts[0], dict):
            raise _refused(
                f"the hub has no reseller account {self.account}: check the marketplace's "
                "reseller_account in pricing.yaml, or its hub entry's external_id in Connect"
            )
        identity = str((accounts[0].get("aps") or {}).get("id") or "")
        admins = self.client.get_json(
            f"/aps/2/collections/admin-users?organization.id={_q(self.account)}"
        )
        if not isinstance(admins, list) or not admins or not isinstance(admins[0], dict):
            raise _refused(
                f"reseller account {self.account} has no admin user on the hub to act as"
            )
        user = admins[0].get("userId")
        adapter = self.client.service(ADAPTER_TYPE)
        answer = self.client.get_json(f"{adapter}/getToken?user_id={_q(str(user))}")
        token = answer.get("aps_token") if isinstance(answer, dict) else None
        if not identity or not token:
            raise _refused(f"the hub gave no APS token for reseller account {self.account}")
        return ResellerToken(identity, str(token))

    def _step(
        self,
        path: str,
        *,
        json: object = None,
        data: bytes | None = None,
        once: bool = False,
    ) -> tuple[Any, dict[str, str]]:
        """One wizard step as the reseller: fresh token, service found again, then the call.

        A token the hub refuses (expired between its issue and its use) is renewed once.
        """
        for attempt in (1, 2):
            token = self.token()
            try:
                service = self.client.reseller_service(FLAT_CATALOG_TYPE, token.headers())
                return self.client.reseller_call(
                    f"{service}/{path}", token.headers(), json=json, data=data, once=once
                )
            except CommerceAuthError:
                if attempt == 2:  # noqa: PLR2004
                    raise
                log.info("reseller_token_renewed", account=self.account)
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def upload(self, workbook: bytes, vendor_id: str) -> dict[str, Any]:
        """Step a: the price file as the body; its parse (`dataId`, `pricingModel`, …)."""
        answer, _ = self._step(f"{WIZARD}/upload?vendorId={_q(vendor_id)}", data=workbook)
        if not isinstance(answer, dict) or "dataId" not in answer:
            raise _refused(f"the price-import wizard did not take the file: {answer}")
        return answer

    def prepare(self, data_id: object, options: WizardOptions, vendor_id: str) -> dict[str, Any]:
        """Step b: the proposals (what would change); nothing is set yet."""
        body = options.body() | {"vendorId": vendor_id}
        answer, _ = self._step(f"{WIZARD}/{_q(str(data_id))}/prepare-proposals", json=body)
        return answer if isinstance(answer, dict) else {}

    def set_prices(self, data_id: object, options: WizardOptions, file_name: str) -> str:
        """Step c: the prices are set; `APS-Info` of the answer (sent once, never retried)."""
        body = options.body() | {"fileName": file_name}
        _, headers = self._step(f"{WIZARD}/{_q(str(data_id))}/set-prices", json=body, once=True)
        return headers.get("APS-Info", "")

    def products(self, vendor_id: str) -> list[dict[str, Any]]:
        """The flat catalog's product inventory of a vendor, as the reseller sees it."""
        answer, _ = self._step(f"flat-catalog/products?vendorId={_q(vendor_id)}")
        return [row for row in answer if isinstance(row, dict)] if isinstance(answer, list) else []


def _q(value: str) -> str:
    """A value from Connect, an operator file or the hub, quoted for a URL (any character)."""
    return quote(value, safe="")


def _refused(message: str) -> CommerceRefusedError:
    return CommerceRefusedError(message, detail=message)
