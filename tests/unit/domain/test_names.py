"""Name transformation: the artificial parenthesised suffix goes, the name never empties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.domain.names import strip_name_suffix


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Cloud Service (NCE COM BAS 1YR ANN)", "Cloud Service", id="plm-doc-example"),
        pytest.param(
            "Microsoft Stream Storage Add-On (500 GB) (NCE COM ADD 1YR ANN)",
            "Microsoft Stream Storage Add-On (500 GB)",
            id="only-the-last-group",
        ),
        pytest.param("Office 365 E3 Trial (NCE COM BAS 1MO)", "Office 365 E3 Trial", id="trial"),
        pytest.param("Microsoft 365 E3 Annual NCE", "Microsoft 365 E3 Annual NCE", id="no-suffix"),
        pytest.param("A (B (C))", "A", id="nested"),
        pytest.param("Storage (500 GB) plus", "Storage (500 GB) plus", id="group-not-at-end"),
        pytest.param("(NCE COM MTH)", "(NCE COM MTH)", id="only-a-suffix-stays"),
        pytest.param("  Padded (X)  ", "Padded", id="white-space"),
        pytest.param("Unbalanced)", "Unbalanced)", id="unbalanced"),
        pytest.param("", "", id="empty-stays-empty"),
    ],
)
def test_strip_name_suffix(name: str, expected: str) -> None:
    assert strip_name_suffix(name) == expected


@given(st.text())
def test_strip_name_suffix_never_empties_a_name(name: str) -> None:
    stripped = strip_name_suffix(name)
    assert bool(stripped) == bool(name.strip())
    assert stripped in name
