"""SQLAlchemy 2 models, one room per part of the store; every table registered on import.

- `base`: the declarative base (naming convention, column types) and `table_of`.
- `runs`: runs, run events, named states.
- `connect`: the Connect snapshot (products, items, offers).
- `catalog`: product lines and the hierarchical PLM catalog's rows; operator overrides.
- `prices`: marketplaces, listings, prices and their history.
- `pushes`: what each Commerce hub received, push intents, change plans.

Importing this package imports every room, so `Base.metadata` holds every table (Alembic's
`env.py` and `create_all` read it from here).
"""

from __future__ import annotations

from plm_sync.store.models.base import (
    Base,
    table_of,
)
from plm_sync.store.models.catalog import (
    CATALOG_TABLES,
    CatalogRow,
    OperatorOverride,
    PlanPeriod,
    PlanSwitch,
    ProductLine,
    Resource,
    ResourceDependency,
    ResourceRate,
    ResourceRatePeriod,
    ServicePlan,
    UpgradePath,
)
from plm_sync.store.models.connect import (
    ConnectItem,
    ConnectOffer,
    ConnectProduct,
)
from plm_sync.store.models.prices import (
    LineMarketplace,
    Marketplace,
    Price,
    PriceHistory,
    PriceValues,
)
from plm_sync.store.models.pushes import (
    HUB_MAX,
    LinePush,
    PlannedLine,
    PricePush,
    PushIntent,
    PushPlan,
)
from plm_sync.store.models.runs import (
    Run,
    RunEvent,
    SyncState,
)

__all__ = [
    "CATALOG_TABLES",
    "HUB_MAX",
    "Base",
    "CatalogRow",
    "ConnectItem",
    "ConnectOffer",
    "ConnectProduct",
    "LineMarketplace",
    "LinePush",
    "Marketplace",
    "OperatorOverride",
    "PlanPeriod",
    "PlanSwitch",
    "PlannedLine",
    "Price",
    "PriceHistory",
    "PricePush",
    "PriceValues",
    "ProductLine",
    "PushIntent",
    "PushPlan",
    "Resource",
    "ResourceDependency",
    "ResourceRate",
    "ResourceRatePeriod",
    "Run",
    "RunEvent",
    "ServicePlan",
    "SyncState",
    "UpgradePath",
    "table_of",
]
