"""`plm-sync explain`: the JSON contract and the one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run_cli(*args: str, mappings: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "plm_sync", *args]
    if mappings is not None:
        command[3:3] = ["--mappings", str(mappings)]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)


def test_explain_json_for_the_plm_documentation_example() -> None:
    result = run_cli(
        "explain",
        "--mpn",
        "CFQ7TTC0HDK0:0001_P1M:Monthly",
        "--name",
        "Cloud Service (NCE COM BAS 1YR ANN)",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "mpn": "CFQ7TTC0HDK0:0001_P1M:Monthly",
        "as_is": False,
        "reason": None,
        "detail": data["detail"],
        "vendor_product_id": "CFQ7TTC0HDK0:0001",
        "commitment": {"duration": 1, "unit": "month"},
        "billing": {"duration": 1, "unit": "month"},
        "trial": False,
        "name": "Cloud Service",
        "plan_name": "Cloud Service (NCE COM MTH)",
    }


def test_explain_json_as_is_with_reason() -> None:
    result = run_cli("explain", "--mpn", "CFQ7TTC0LFLX:0001_ANNUAL", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["as_is"], data["reason"], data["billing"]) == (True, "MPN_NO_SUFFIX", None)


def test_explain_trial_has_null_billing() -> None:
    result = run_cli("explain", "--mpn", "CFQ7TTC0LF8R:0008_P1M:None", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["trial"], data["billing"], data["commitment"]) == (
        True,
        None,
        {"duration": 1, "unit": "month"},
    )
    assert data["plan_name"].endswith("(NCE COM TRIAL)")


def test_explain_uses_the_mappings_vocabulary(tmp_path: Path) -> None:
    with_file = run_cli(
        "explain", "--mpn", "A_P3Y:Triennial", "--format", "json", mappings=ROOT / "mappings"
    )
    (tmp_path / "plm.yaml").write_text(
        "billing: {words: {Monthly: {duration: 1, unit: month, label: M}}}\n"
        "plans: {min_units: 1}\n",
        encoding="utf-8",
    )
    without = run_cli("explain", "--mpn", "A_P3Y:Triennial", "--format", "json", mappings=tmp_path)
    assert json.loads(with_file.stdout)["billing"] == {"duration": 3, "unit": "year"}
    assert json.loads(without.stdout)["reason"] == "MPN_UNKNOWN_BILLING"


@pytest.mark.parametrize("content", ["plans: {upgrade_paths: sideways}\n", "a: ["])
def test_invalid_mappings_exit_2_with_one_line_and_no_traceback(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / "plm.yaml").write_text(content, encoding="utf-8")
    result = run_cli("explain", "--mpn", "A_P1M:Monthly", mappings=tmp_path)
    assert result.returncode == 2
    assert "plm.yaml" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_required_flag_is_a_usage_error() -> None:
    result = run_cli("explain")
    assert result.returncode == 2
    assert "--mpn" in result.stderr
