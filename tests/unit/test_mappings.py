"""Loading `mappings/plm.yaml`: the shipped file works, every mistake is named with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from plm_sync.domain.periods import Period, Unit
from plm_sync.domain.rules import UpgradeMode
from plm_sync.errors import MappingsError
from plm_sync.mappings import load_plm_rules, load_sharing_rules


def test_shipped_mappings_add_triennial(shipped_mappings: Path) -> None:
    rules = load_plm_rules(shipped_mappings)
    triennial = rules.vocabulary.lookup("triennial")
    assert triennial is not None
    assert triennial.period == Period(3, Unit.YEAR)
    assert rules.vocabulary.label_for(Period(1, Unit.MONTH)) == "NCE COM MTH"
    assert rules.plan_defaults["PlanCategory"] == "Microsoft NCE"
    assert rules.upgrade_mode is UpgradeMode.SIBLINGS


def test_missing_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(MappingsError, match=r"plm\.yaml: not found"):
        load_plm_rules(tmp_path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "the file is empty", id="empty"),
        pytest.param("# only a comment\n", "the file is empty", id="comment-only"),
        pytest.param("plans: {min_units: 1}\n", "billing: required section", id="no-billing"),
        pytest.param(
            "billing: {trial_label: T}\nplans: {min_units: 1}\n",
            "billing.words: required",
            id="no-billing-words",
        ),
        pytest.param(
            "billing: {words: {Monthly: {duration: 1, unit: month, label: M}}}\n",
            "plans: required section",
            id="no-plans",
        ),
    ],
)
def test_empty_file_or_missing_section_is_an_error(
    tmp_path: Path, text: str, fragment: str
) -> None:
    (tmp_path / "plm.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(MappingsError) as raised:
        load_plm_rules(tmp_path)
    assert fragment in str(raised.value)


def test_packaged_rules_are_the_shipped_mappings(shipped_mappings: Path) -> None:
    from plm_sync.config import PACKAGED_MAPPINGS  # noqa: PLC0415

    for path in shipped_mappings.glob("*.yaml"):
        packaged = PACKAGED_MAPPINGS / path.name
        assert packaged.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name
    assert load_plm_rules(PACKAGED_MAPPINGS) == load_plm_rules(shipped_mappings)


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
    if text.startswith("plans"):  # add the section every plm.yaml needs
        text = "billing: {words: {Monthly: {duration: 1, unit: month, label: M}}}\n" + text
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
    assert len(raised.value.problems) == 4  # billing missing, two plan keys, unknown key


def write_sharing(folder: Path, text: str) -> Path:
    (folder / "sharing.yaml").write_text(text, encoding="utf-8")
    return folder


def test_shipped_sharing_example_is_valid(shipped_mappings: Path, tmp_path: Path) -> None:
    text = (shipped_mappings / "sharing.example.yaml").read_text(encoding="utf-8")
    rules = load_sharing_rules(write_sharing(tmp_path, text))
    assert len(rules.rules) == 3
    assert rules.rules[0].op_units == ("US", "DE")  # MP-54865 became DE
    assert rules.rules[1].op_unit_reseller_groups == (("US", ("Reseller US L2 ST",)),)
    assert rules.rules[2].published is False


def test_no_sharing_file_shares_nothing(tmp_path: Path) -> None:
    assert load_sharing_rules(tmp_path).rules == ()


BASE = "op_units: [US, DE]\nmarketplaces: {MP-1: AT}\nrules:\n"


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        pytest.param(
            "  - op_units: [US]\n", "rules[1].match: needs a non-empty selector", id="no-selector"
        ),
        pytest.param(
            "  - match: {}\n    op_units: [US]\n",
            "rules[1].match: needs a non-empty",
            id="empty-selector",
        ),
        pytest.param(
            "  - match: {product: '*'}\n    op_units: [FR]\n",
            "rules[1].op_units: operating unit 'FR' is unknown",
            id="unknown-unit",
        ),
        pytest.param(
            "  - match: {product: '*'}\n    op_units: [MP-9]\n",
            "marketplace MP-9 is not in 'marketplaces'",
            id="unknown-marketplace",
        ),
        pytest.param(
            "  - match: {product: '*'}\n    op_units: [US]\n"
            "    op_unit_reseller_groups: {DE: [L2]}\n",
            "rules[1].op_unit_reseller_groups.DE: shares with resellers under operating"
            " unit DE but not with DE itself",
            id="groups-without-their-unit",
        ),
        pytest.param(
            "  - match: {product: '*'}\n    reseller_groups: [Gold, Gold]\n",
            "rules[1].reseller_groups: 'Gold' is listed twice",
            id="group-twice",
        ),
        pytest.param(
            "  - match: {product: '*'}\n    op_units: [US]\n"
            "    op_unit_reseller_groups: {US: [L2, L2]}\n",
            "'L2' is listed twice",
            id="nested-group-twice",
        ),
        pytest.param(
            "  - match: {billing: monthly}\n",
            "rules[1].match.billing: must be day",
            id="bad-billing",
        ),
        pytest.param("  - match: {trial: maybe}\n", "rules[1].match.trial", id="bad-trial"),
        pytest.param(
            "  - match: {colour: red}\n",
            "rules[1].match.colour: unknown key",
            id="unknown-match-key",
        ),
        pytest.param(
            "  - match: {trial: true}\n    published: sometimes\n",
            "rules[1].published",
            id="bad-published",
        ),
        pytest.param(
            "  - match: {trial: true}\n  - match: {product: '*'}\n    op_units: [XX]\n",
            "rules[2].op_units",
            id="rule-number",
        ),
    ],
)
def test_sharing_errors_name_file_rule_and_unit(tmp_path: Path, rules: str, fragment: str) -> None:
    with pytest.raises(MappingsError) as raised:
        load_sharing_rules(write_sharing(tmp_path, BASE + rules))
    assert str(tmp_path / "sharing.yaml") in str(raised.value)
    assert fragment in str(raised.value)


def test_marketplace_ids_stand_for_their_unit(tmp_path: Path) -> None:
    rules = load_sharing_rules(
        write_sharing(tmp_path, BASE + "  - match: {product: '*'}\n    op_units: [MP-1]\n")
    )
    assert rules.rules[0].op_units == ("AT",)


def test_every_sharing_problem_is_listed(tmp_path: Path) -> None:
    with pytest.raises(MappingsError) as raised:
        load_sharing_rules(
            write_sharing(
                tmp_path, BASE + "  - match: {}\n  - match: {trial: x}\n    op_units: [ZZ]\n"
            )
        )
    assert len(raised.value.problems) == 3
