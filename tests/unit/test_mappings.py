"""Loading `mappings/plm.yaml`: the shipped file works, every mistake is named with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from plm_sync.domain.periods import Period, Unit
from plm_sync.domain.rules import UpgradeMode
from plm_sync.errors import MappingsError
from plm_sync.mappings import load_plm_rules


def test_shipped_mappings_add_triennial(shipped_mappings: Path) -> None:
    rules = load_plm_rules(shipped_mappings)
    triennial = rules.vocabulary.lookup("triennial")
    assert triennial is not None
    assert triennial.period == Period(3, Unit.YEAR)
    assert rules.vocabulary.label_for(Period(1, Unit.MONTH)) == "NCE COM MTH"
    assert rules.plan_defaults["PlanCategory"] == "Microsoft NCE"
    assert rules.upgrade_mode is UpgradeMode.SIBLINGS


def test_missing_file_means_builtin_rules(tmp_path: Path) -> None:
    rules = load_plm_rules(tmp_path)
    assert rules.vocabulary.lookup("Triennial") is None
    assert rules.vocabulary.lookup("monthly") is not None


def test_missing_folder_says_which_setting(tmp_path: Path) -> None:
    with pytest.raises(MappingsError, match="PLM_SYNC_MAPPINGS"):
        load_plm_rules(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("billing: [", "not valid YAML", id="yaml-syntax"),
        pytest.param("- a\n- b\n", "top level must be a mapping", id="list"),
        pytest.param("bilings: {}\n", "bilings: unknown key", id="unknown-top-key"),
        pytest.param(
            "billing: {words: {Quarterly: {duration: 3, unit: quarter, label: Q}}}\n",
            "billing.words.Quarterly.unit: must be one of day, month, year",
            id="bad-unit",
        ),
        pytest.param(
            "billing: {words: {Q: {duration: 0, unit: month, label: Q}}}\n",
            "billing.words.Q.duration",
            id="zero-duration",
        ),
        pytest.param(
            "billing: {words: {Q: {duration: 3, unit: month}}}\n",
            "billing.words.Q.label",
            id="no-label",
        ),
        pytest.param(
            "billing: {words: {Monthly: {duration: 2, unit: month, label: X}}}\n",
            "built-in word keeps its meaning",
            id="redefine-builtin",
        ),
        pytest.param(
            "plans: {name_template: '{name} {colour}'}\n",
            "plans.name_template",
            id="unknown-template-field",
        ),
        pytest.param(
            "plans: {name_template: '{label}'}\n", "must contain {name}", id="template-without-name"
        ),
        pytest.param(
            "plans: {upgrade_paths: sideways}\n",
            "siblings, longer_billing, none",
            id="bad-upgrade-mode",
        ),
        pytest.param("plans: {min_units: many}\n", "plans.min_units", id="bad-units"),
        pytest.param(
            "plans: {min_units: 5, max_units: 2}\n", "min_units <= max_units", id="min-above-max"
        ),
    ],
)
def test_invalid_file_names_file_key_and_fix(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / "plm.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(MappingsError) as raised:
        load_plm_rules(tmp_path)
    message = str(raised.value)
    assert str(tmp_path / "plm.yaml") in message
    assert fragment in message


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    (tmp_path / "plm.yaml").write_text(
        "plans: {upgrade_paths: sideways, trial_upgrades: maybe}\nextra: 1\n", encoding="utf-8"
    )
    with pytest.raises(MappingsError) as raised:
        load_plm_rules(tmp_path)
    assert len(raised.value.problems) == 3
