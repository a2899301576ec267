"""The sandbox hub's resellers and flat-catalog price-import wizard (PROTOCOL.md §1b, §3.7).

Resellers are accounts with one admin user; `getToken` on the adapter gives a short-lived APS
token for a user. The flat-catalog service is found and called only with `aps-token` and
`aps-identity-id` (no OAuth); an expired or unknown token is refused (401). The wizard reads
the uploaded file's `Price-list` sheet, `prepare-proposals` says what it would change, and
`set-prices` sets the prices of that reseller (counted per content, for the crash matrix);
`flat-catalog/products` shows a vendor's products with the prices set.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import openpyxl

from plm_sync.domain.prices import WIZARD_COLUMNS

FLAT_CATALOG_ID = "3f708d85-9001-4e42-9d76-a1c26e5f4d04"
PRICE_LIST_STRUCTURE = list(WIZARD_COLUMNS)  # the 23 names the upload answers with
Answer = tuple[int, Any, dict[str, str]]


@dataclass
class _Upload:
    account: str
    vendor_id: str
    rows: list[dict[str, Any]]
    content: str


@dataclass
class SandboxWizard:
    """Resellers, their tokens, uploads and the prices set."""

    # CBC account id -> (its APS id, its admin user id)
    resellers: dict[str, tuple[str, int]] = field(default_factory=dict)
    token_seconds: float = 300.0
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> account, until
    uploads: dict[int, _Upload] = field(default_factory=dict)
    # (account, vendor, MPN, billing period, subscription period) -> the price row set
    prices: dict[tuple[str, str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    set_per_content: Counter[str] = field(default_factory=Counter)
    expire_next: int = 0  # tokens still to be issued already expired (a token that ran out)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_reseller(self, account: str) -> None:
        """A reseller account with its admin user (ids derived from the account)."""
        digest = hashlib.sha256(account.encode()).hexdigest()
        aps_id = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
        with self.lock:
            self.resellers[account] = (aps_id, 1000 + len(self.resellers))

    # -- the signed calls of §1b ------------------------------------------------------------

    def accounts(self, account: str) -> list[dict[str, Any]]:
        """`resources/?implementing(account)&id=<acct>`."""
        with self.lock:
            found = self.resellers.get(account)
        if found is None:
            return []
        return [{"aps": {"id": found[0], "type": "http://aps-standard.org/types/core/account"}}]

    def admin_users(self, account: str) -> list[dict[str, Any]]:
        """`collections/admin-users?organization.id=<acct>`."""
        with self.lock:
            found = self.resellers.get(account)
        if found is None:
            return []
        return [
            {
                "userId": found[1],
                "login": f"admin@{account}.example",
                "isAccountAdmin": True,
                "memberId": found[1],
                "aps": {"id": f"user-{found[1]}"},
            }
        ]

    def token(self, user_id: str) -> dict[str, Any] | None:
        """`getToken?user_id=`: a fresh token for the user's account."""
        with self.lock:
            account = next(
                (acct for acct, (_, user) in self.resellers.items() if str(user) == user_id), None
            )
            if account is None:
                return None
            token = secrets.token_urlsafe(24)
            until = time.monotonic() + self.token_seconds
            if self.expire_next > 0:
                self.expire_next -= 1
                until = 0.0
            self.tokens[token] = (account, until)
        return {"aps_token": token, "controller_uri": "https://sandbox.example/"}

    def expire_tokens(self, upcoming: int = 0) -> None:
        """Every token issued so far is expired, and the next `upcoming` ones on issue."""
        with self.lock:
            self.tokens = {token: (account, 0.0) for token, (account, _) in self.tokens.items()}
            self.expire_next = upcoming

    def reseller(self, token: str | None, identity: str | None) -> str | None:
        """The account a valid token and identity act as; None: refused."""
        with self.lock:
            found = self.tokens.get(token or "")
            if found is None or found[1] < time.monotonic():
                return None
            aps_id = self.resellers.get(found[0], ("", 0))[0]
        return found[0] if aps_id == identity else None

    # -- the flat catalog, as a reseller ----------------------------------------------------

    def handle(self, account: str, method: str, parts: list[str], query: str, raw: bytes) -> Answer:
        """A call on the flat-catalog resource (`parts` after its id)."""
        params = dict(item.partition("=")[::2] for item in query.split("&") if item)
        match method, parts:
            case "POST", ["flat-catalog", "price-import-wizard", "upload"]:
                return self._upload(account, params.get("vendorId", ""), raw)
            case "POST", ["flat-catalog", "price-import-wizard", data_id, "prepare-proposals"]:
                return self._prepare(account, data_id, raw)
            case "POST", ["flat-catalog", "price-import-wizard", data_id, "set-prices"]:
                return self._set(account, data_id, raw)
            case "GET", ["flat-catalog", "products"]:
                return 200, self.products(account, params.get("vendorId", "")), {}
        return 404, {"error": "NotFound", "message": f"no flat-catalog operation {parts}"}, {}

    def _upload(self, account: str, vendor_id: str, raw: bytes) -> Answer:
        try:
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            sheet = book["Price-list"]
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            book.close()
        except (KeyError, OSError, ValueError) as error:
            return 400, {"error": "PriceImportError", "message": f"not a price list: {error}"}, {}
        header = [str(name) for name in rows[0]] if rows else []
        missing = {"MPN", "Billing Period", "Effective Date"} - set(header)
        if missing or not ({"Price", "Cost"} & set(header)):
            message = f"the price list lacks {sorted(missing) or ['Price or Cost']}"
            return 400, {"error": "PriceImportError", "message": message}, {}
        records = [dict(zip(header, row, strict=False)) for row in rows[1:]]
        content = hashlib.sha256(
            json.dumps(records, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        with self.lock:
            data_id = len(self.uploads) + 1
            self.uploads[data_id] = _Upload(account, vendor_id, records, content)
        return (
            200,
            {
                "status": "PARSED",
                "priceListStructure": PRICE_LIST_STRUCTURE,
                "pricingModel": "FLAT",
                "feeType": "RECURRING",
                "vendorId": vendor_id,
                "dataId": data_id,
            },
            {},
        )

    def _found(self, account: str, data_id: str) -> _Upload | None:
        with self.lock:
            upload = self.uploads.get(int(data_id)) if data_id.isdigit() else None
        return upload if upload is not None and upload.account == account else None

    def _prepare(self, account: str, data_id: str, raw: bytes) -> Answer:
        upload = self._found(account, data_id)
        if upload is None:
            return 404, {"error": "NotFound", "message": f"no uploaded price list {data_id}"}, {}
        body = json.loads(raw or b"{}")
        overridden = [
            f"{row['MPN']}:{index:04d}"
            for index, row in enumerate(upload.rows, start=1)
            if str(row.get("Effective Date") or "") != body.get("effectiveDate")
        ]
        answer = {
            "status": "PREPARED",
            "dataId": int(data_id),
            "overridings": {"effectiveDate": overridden, "currency": []},
        }
        return 200, answer, {}

    def _set(self, account: str, data_id: str, raw: bytes) -> Answer:
        upload = self._found(account, data_id)
        if upload is None:
            return 404, {"error": "NotFound", "message": f"no uploaded price list {data_id}"}, {}
        body = json.loads(raw or b"{}")
        with self.lock:
            for row in upload.rows:
                key = (
                    account,
                    upload.vendor_id,
                    str(row.get("MPN")),
                    str(row.get("Billing Period")),
                    str(row.get("Subscription Period") or ""),
                )
                self.prices[key] = {
                    "price": row.get("Price"),
                    "cost": row.get("Cost"),
                    "msrp": row.get("MSRP"),
                    "currency": row.get("Price Currency") or row.get("Cost Currency"),
                    "effectiveDate": body.get("effectiveDate"),
                }
            self.set_per_content[f"{account} {upload.content}"] += 1
        return 200, None, {"APS-Info": f"Update prices by {body.get('fileName')}"}

    def products(self, account: str, vendor_id: str) -> list[dict[str, Any]]:
        """The vendor's products as this reseller sees them, with the prices set."""
        with self.lock:
            return [
                {
                    "mpn": mpn,
                    "billingPeriod": billing,
                    "subscriptionPeriod": term,
                    **values,
                }
                for (acct, vendor, mpn, billing, term), values in sorted(self.prices.items())
                if acct == account and (not vendor_id or vendor == vendor_id)
            ]

    def remove_price(self, account: str, mpn: str, billing: str, term: str) -> bool:
        """An operator removes a price in Commerce (the wizard itself cannot); whether it was."""
        with self.lock:
            keys = [
                key for key in self.prices if key[0] == account and key[2:] == (mpn, billing, term)
            ]
            for key in keys:
                del self.prices[key]
        return bool(keys)

    def edit_price(self, account: str, mpn: str, billing: str, term: str, price: str) -> bool:
        """An operator edits a reseller's price by hand in Commerce; whether one was found."""
        with self.lock:
            keys = [
                key for key in self.prices if key[0] == account and key[2:] == (mpn, billing, term)
            ]
            for key in keys:
                self.prices[key]["price"] = price
        return bool(keys)

    def state(self) -> dict[str, Any]:
        """What the wizard holds, for tests and the demo."""
        with self.lock:
            return {
                "prices_set_per_content": dict(self.set_per_content),
                "prices": len(self.prices),
                "uploads": len(self.uploads),
            }
