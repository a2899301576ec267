"""Loading `mappings/switches.yaml`: presets, switches, Connect overlays; every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from plm_sync.domain.catalog import PresetSettings
from plm_sync.domain.switches import SwitchEnd
from plm_sync.errors import MappingsError
from plm_sync.mappings.switches import load_switch_rules

PRESETS = """presets:
  up: {immediate: true, upsize: true}
  later: {immediate: false, start_date: "Renewal date", downsize: true, upsize: false}
switches:
"""
GOOD = """  - source: {mpn: "A:0001", billing: month}
    target: {plan: "B (NCE COM MTH)"}
    preset: up
    operation: upgrade
    product: PRD-1
    items: {"A:0001_P1M:Monthly": "B:0001_P1M:Monthly", "A:0001_P1Y:Monthly": null}
  - connect_switch: SWI-1
    items: {"A:0001_P1Y:Annual": null}
"""


def write(folder: Path, text: str) -> Path:
    (folder / "switches.yaml").write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_file_is_valid(shipped_mappings: Path) -> None:
    rules = load_switch_rules(shipped_mappings)
    assert rules.presets["Downgrade at renewal"] == PresetSettings(
        immediate=False, upsize=False, downsize=True
    )
    assert rules.switches == ()


def test_no_file_means_no_operator_switches(tmp_path: Path) -> None:
    rules = load_switch_rules(tmp_path)
    assert (rules.switches, dict(rules.presets)) == ((), {})


def test_presets_switches_and_overlays_are_read(tmp_path: Path) -> None:
    rules = load_switch_rules(write(tmp_path, PRESETS + GOOD))
    assert rules.presets["later"] == PresetSettings(
        immediate=False, start_date="Renewal date", upsize=False, downsize=True
    )
    first, overlay = rules.switches
    assert first.source == SwitchEnd(mpn="A:0001", billing="month")
    assert first.target == SwitchEnd(plan="B (NCE COM MTH)")
    assert first.items == (
        ("A:0001_P1M:Monthly", "B:0001_P1M:Monthly"),
        ("A:0001_P1Y:Monthly", None),
    )
    assert (first.preset, first.operation, first.product) == ("up", "upgrade", "PRD-1")
    assert (overlay.connect_switch, overlay.items) == ("SWI-1", (("A:0001_P1Y:Annual", None),))


SOURCE = '  - source: {mpn: "A:0001", billing: month}\n'
TARGET = '    target: {mpn: "B:0001", billing: month}\n'


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("colour: red\n", "colour: unknown key", id="unknown-top-key"),
        pytest.param(
            "presets:\n  up: {immediate: maybe}\n",
            "presets.up.immediate: must be true or false",
            id="preset-flag",
        ),
        pytest.param(
            "presets:\n  up: {speed: 1}\n", "presets.up.speed: unknown key", id="preset-key"
        ),
        pytest.param(
            PRESETS + SOURCE + TARGET + "    preset: nope\n    operation: upgrade\n",
            "switches[1].preset: 'nope' is not a preset of this file (presets: later, up)",
            id="unknown-preset",
        ),
        pytest.param(
            PRESETS + SOURCE + TARGET + "    preset: up\n    operation: sideways\n",
            "switches[1].operation: 'sideways' is not one of upgrade, downgrade, change, eos",
            id="unknown-operation",
        ),
        pytest.param(
            PRESETS
            + '  - source: {mpn: "A", billing: fortnight}\n'
            + TARGET
            + "    preset: up\n    operation: upgrade\n",
            "switches[1].source.billing: must be day, month, year, trial or a term like P3Y",
            id="bad-billing",
        ),
        pytest.param(
            PRESETS
            + '  - source: {mpn: "A", plan: "X"}\n'
            + TARGET
            + "    preset: up\n    operation: upgrade\n",
            "switches[1].source: give either plan, or mpn/offer_plan with billing, not both",
            id="plan-and-mpn",
        ),
        pytest.param(
            PRESETS + "  - target: {plan: X}\n    preset: up\n    operation: upgrade\n",
            "switches[1].source: needs {plan:",
            id="missing-source",
        ),
        pytest.param(
            PRESETS
            + SOURCE
            + SOURCE.replace("  - source", "    target")
            + "    preset: up\n    operation: upgrade\n",
            "switches[1]: source and target are the same plan",
            id="source-is-target",
        ),
        pytest.param(
            PRESETS + SOURCE + TARGET + "    preset: up\n    operation: upgrade\n    items: [a]\n",
            "switches[1].items: must map each source item MPN to a target item MPN or null",
            id="items-not-a-mapping",
        ),
        pytest.param(
            PRESETS + SOURCE + TARGET + "    preset: up\n    operation: upgrade\n"
            "    items: {A_P1M: 5}\n",
            "switches[1].items.A_P1M: must be a target item MPN, or null for no item",
            id="item-target-not-text",
        ),
        pytest.param(
            PRESETS + "  - connect_switch: SWI-1\n",
            "switches[1]: an entry for a Connect switch gives its items mapping",
            id="overlay-without-items",
        ),
        pytest.param(
            PRESETS + "  - connect_switch: SWI-1\n    items: {a: null}\n    preset: up\n",
            "switches[1].preset: unknown key",
            id="overlay-extra-key",
        ),
        pytest.param(
            PRESETS + (SOURCE + TARGET + "    preset: up\n    operation: upgrade\n") * 2,
            "switches[2]: duplicate of switches[1]; a path is listed once",
            id="duplicate",
        ),
        pytest.param("switches: {a: 1}\n", "switches: must be a list of switches", id="not-a-list"),
    ],
)
def test_mistakes_name_file_switch_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(MappingsError) as raised:
        load_switch_rules(write(tmp_path, text))
    assert str(tmp_path / "switches.yaml") in str(raised.value)
    assert fragment in str(raised.value)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    text = PRESETS + SOURCE + TARGET + "    preset: nope\n    operation: sideways\n"
    with pytest.raises(MappingsError) as raised:
        load_switch_rules(write(tmp_path, text))
    assert len(raised.value.problems) == 2
