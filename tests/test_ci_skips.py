"""In CI a test that needs a missing tool fails; elsewhere it skips with a reason.

Each case runs a real pytest in a subprocess on a small generated test file, with and
without ``CI`` in its environment, and reads the outcomes from its JUnit XML report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

REPO = Path(__file__).resolve().parents[1]

NEEDS_TOOLS = '''
from tests.conftest import chromium, require, require_module


def test_program():
    require("no-such-program-for-aggregator-tests", "a program is missing")


def test_module():
    require_module("no_such_module_for_aggregator_tests", "a module is missing")


def test_condition():
    require(False, "a condition is not met")


def test_browser():
    with chromium():
        pass


def test_present():
    assert require("sh", "sh is missing").endswith("sh")
    require(True, "never missing")
'''


def _outcomes(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    (tmp_path / "test_generated.py").write_text(NEEDS_TOOLS)
    report = tmp_path / "report.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_generated.py", "-p", "no:cacheprovider",
         f"--junitxml={report}", "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("skipped", "failure", "error")]
        outcomes[case.get("name", "")] = kinds[0] if kinds else "passed"
    failed = any(kind in ("failure", "error") for kind in outcomes.values())
    assert (result.returncode != 0) == failed, result.stdout + result.stderr
    return outcomes


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "CHROMIUM")}
    env["PYTHONPATH"] = str(REPO)
    env["CHROMIUM"] = "/nonexistent/chromium"  # an explicit choice is never second-guessed
    return env | extra


def test_outside_ci_a_missing_tool_skips(tmp_path: Path) -> None:
    assert _outcomes(tmp_path, _env()) == {
        "test_program": "skipped", "test_module": "skipped", "test_condition": "skipped",
        "test_browser": "skipped", "test_present": "passed"}


@pytest.mark.parametrize("value", ["true", "1"])
def test_in_ci_a_missing_tool_fails(tmp_path: Path, value: str) -> None:
    assert _outcomes(tmp_path, _env(CI=value)) == {
        "test_program": "failure", "test_module": "failure", "test_condition": "failure",
        "test_browser": "failure", "test_present": "passed"}


def test_ci_set_to_false_is_not_ci(tmp_path: Path) -> None:
    assert set(_outcomes(tmp_path, _env(CI="false")).values()) == {"skipped", "passed"}
