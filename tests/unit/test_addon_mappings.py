"""Loading `mappings/addons.yaml` and plm.yaml's `ppr.dependence`: every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from plm_sync.domain.rules import Dependence
from plm_sync.errors import MappingsError
from plm_sync.mappings import load_addon_rules, load_plm_rules, load_rules


def write(folder: Path, text: str) -> Path:
    (folder / "addons.yaml").write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_example_is_valid(shipped_mappings: Path, tmp_path: Path) -> None:
    text = (shipped_mappings / "addons.example.yaml").read_text(encoding="utf-8")
    rules = load_addon_rules(write(tmp_path, text))
    first, second = rules.rules
    assert first.addon.mpn == ("CFQ7TTC0LHPG:*",)
    assert first.base.mpn == ("CFQ7TTC0LH18:*", "CFQ7TTC0LDPB:*")
    assert (first.min_units, first.max_units, first.standalone) == (0, -1, False)
    assert first.dependence == Dependence("Requires", 1)
    assert second.addon.name == ("*Audio Conferencing*",)
    assert second.dependence is None  # plm.yaml's


def test_no_file_means_no_rules(tmp_path: Path) -> None:
    assert load_addon_rules(tmp_path).rules == ()


def test_the_shipped_plm_yaml_names_the_dependence_kind(shipped_mappings: Path) -> None:
    assert load_plm_rules(shipped_mappings).dependence == Dependence("Requires", 1)
    # pinned (digest version 2), so a change of the canonical form is seen
    assert load_rules(shipped_mappings).fingerprint == "48153a89560f42d804bf0e0c174f3271"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("addons: {}\n", "addons: must be a list", id="not-a-list"),
        pytest.param("addons:\n  - base: {mpn: A}\n", "addons[1]: needs addon", id="no-addon"),
        pytest.param(
            "addons:\n  - {addon: {mpn: A}, base: {sku: B}}\n",
            "addons[1].base.sku: unknown key",
            id="unknown-match-key",
        ),
        pytest.param(
            "addons:\n  - {addon: {mpn: A}, base: {mpn: B}, min_units: -2}\n",
            "addons[1].min_units",
            id="bad-min",
        ),
        pytest.param(
            "addons:\n  - {addon: {mpn: A}, base: {mpn: B}, min_units: 5, max_units: 2}\n",
            "addons[1].max_units: must be -1 (unlimited) or at least min_units",
            id="max-below-min",
        ),
        pytest.param(
            "addons:\n  - {addon: {mpn: A}, base: {mpn: B}, standalone: maybe}\n",
            "addons[1].standalone: must be true or false",
            id="bad-standalone",
        ),
        pytest.param(
            "addons:\n  - {addon: {mpn: A}, base: {mpn: B}, dependence: {multiplier: 0}}\n",
            "addons[1].dependence.multiplier",
            id="bad-multiplier",
        ),
        pytest.param(
            "addons:\n  - {addon: {mpn: [A, 3]}, base: {mpn: B}}\n",
            "addons[1].addon.mpn: must be a glob text",
            id="bad-glob",
        ),
        pytest.param("extra: 1\n", "extra: unknown key", id="unknown-top-key"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(MappingsError) as raised:
        load_addon_rules(write(tmp_path, text))
    assert any(fragment in problem for problem in raised.value.problems), raised.value.problems
    assert all(str(tmp_path / "addons.yaml") in problem for problem in raised.value.problems)


def test_a_bad_dependence_in_plm_yaml_is_named(shipped_mappings: Path, tmp_path: Path) -> None:
    text = (shipped_mappings / "plm.yaml").read_text(encoding="utf-8")
    text = text.replace("dependence: {kind: Requires, multiplier: 1}", "dependence: {kind: ''}")
    (tmp_path / "plm.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(MappingsError, match=r"ppr\.dependence\.kind"):
        load_plm_rules(tmp_path)
