"""`runs`/`status` read the runs table through a Core copy of its columns: it must match."""

from __future__ import annotations

from plm_sync.store.models import Run, table_of
from plm_sync.store.run_rows import RUNS


def test_the_core_runs_table_names_the_models_columns_with_their_types() -> None:
    model = table_of(Run)
    assert RUNS.name == model.name
    for column in RUNS.columns:
        assert column.name in model.c, column.name
        stored = model.c[column.name].type
        assert type(column.type) is type(stored), column.name
        assert getattr(column.type, "length", None) == getattr(stored, "length", None)
        assert getattr(column.type, "timezone", None) == getattr(stored, "timezone", None)
