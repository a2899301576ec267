"""Contract test: CloudBlue's own client (`connect-openapi-client`) reads the sandbox and sees
exactly what plm-sync's client sees; RQL the project does not send (`ilike`, `search`,
`select`) behaves as on the real API; a wrong key is a 401, also right after a refused POST.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG, SandboxCatalog
from plm_sync.sandbox.connect.server import SandboxServer
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY, fast_client, start_sandbox, unavailable

pytestmark = pytest.mark.integration
PROBE = Path(__file__).resolve().parents[1] / "contract" / "official_client_probe.py"
OFFER_PRODUCT = "PRD-900-100-200"


def contract_python() -> Path:
    """The interpreter of the virtual environment `make test` builds for the official client."""
    configured = os.environ.get("PLM_SYNC_TEST_CONTRACT_PYTHON")
    path = Path(configured) if configured else ROOT / ".venv-contract" / "bin" / "python"
    if not path.exists():
        unavailable("connect-openapi-client", f"no {path}: run `make test` (it builds it)")
    return path


@pytest.fixture
def sandbox() -> SandboxServer:
    server = start_sandbox(SandboxCatalog.load(SAMPLE_CATALOG))
    yield server  # type: ignore[misc]
    server.stop()


def test_the_official_client_sees_what_ours_sees(sandbox: SandboxServer) -> None:
    python = contract_python()
    result = subprocess.run(
        [str(python), str(PROBE), sandbox.url, API_KEY, OFFER_PRODUCT],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout)
    with fast_client(sandbox.url, page_size=3) as ours:
        products = [p for p in ours.products(statuses=()) if isinstance(p, SourceProduct)]
        items = {
            p.id: [i.id for i in ours.items(p.id) if isinstance(i, SourceItem)] for p in products
        }
        offers = ours.offers(OFFER_PRODUCT).offers
    assert sorted(seen["products"]) == sorted(p.id for p in products)
    assert seen["products_count"] == len(products)
    assert sorted(seen["published"]) == sorted(p.id for p in products if p.status == "published")
    assert seen["items"] == items
    assert seen["offers"] == [offer.id for offer in offers]
    assert seen["single_offer"] == offers[0].id
    assert seen["offer_plans"] == [plan.id for plan in offers[0].plans]
    assert seen["single_item"] == items[seen["products"][0]][0]
    names = {p.id: p.name for p in products}
    assert sorted(seen["ilike"]) == sorted(i for i, n in names.items() if "microsoft" in n.lower())
    assert seen["search"], "search= finds the Microsoft products"
    assert "events" not in seen["select_keys"]
    assert "name" in seen["select_keys"]
    assert seen["unknown_field"] == 400
    assert seen["post_status"] == 405
    assert seen["wrong_key_status"] == 401
