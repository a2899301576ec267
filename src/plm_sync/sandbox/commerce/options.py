"""How the Commerce sandbox hub behaves, and who it is: its consumer, app and resources."""

from __future__ import annotations

from dataclasses import dataclass, field

from plm_sync.commerce.client import ADAPTER_TYPE, PLM_TYPE, SUBSCRIPTION_TYPE
from plm_sync.sandbox.connect.faults import FaultSpec

SANDBOX_OAUTH_KEY = "plm-sync-sandbox-consumer"
SANDBOX_OAUTH_SECRET = "plm-sync-sandbox-secret"  # noqa: S105 - the sandbox's published test secret
SANDBOX_APP_ID = "6f0b2a4e-55d3-4c55-9a1e-5a0d5d3e0c11"
RESOURCE_IDS = {
    PLM_TYPE: "0c4f6a52-6d7e-4b1f-8a43-7e9f3b2d1a01",
    ADAPTER_TYPE: "1d5e7b63-7e8f-4c20-9b54-8fa04c3e2b02",
    SUBSCRIPTION_TYPE: "2e6f8c74-8f90-4d31-8c65-90b15d4f3c03",
}
DEFAULT_FAILURE = (
    "Error while applying configuration: service plan validation failed "
    "(sandbox --fail-task): the plan's resource rates do not match its resources"
)


@dataclass
class CommerceSandboxOptions:
    """How the sandbox hub behaves."""

    oauth_key: str = SANDBOX_OAUTH_KEY
    oauth_secret: str = field(default=SANDBOX_OAUTH_SECRET, repr=False)
    app_id: str = SANDBOX_APP_ID
    task_seconds: float = 1.0  # how long an applyConfig task takes
    fail_task: bool = False  # every task ends `f` with an actionOutput
    failure_output: str = DEFAULT_FAILURE
    faults: FaultSpec = field(default_factory=FaultSpec)
    seed: int | None = None
    retry_after: float = 1.0
    slow_seconds: float = 5.0
    # reseller accounts (CBC ids) the price wizard knows, and how long their tokens live
    resellers: tuple[str, ...] = ("1000001", "1000002")
    token_seconds: float = 300.0
