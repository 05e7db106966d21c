"""`aggregator demo`: the bundled sample, served on 127.0.0.1, through the real pipeline."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from aggregator.cli import main
from aggregator.demo import load_sample
from aggregator.render import FEED_ITEMS

from .conftest import _start_server, newsboat_items, serve_dir, serve_sample
from .test_build import DAY, OUR_SCRIPT


def test_sample_is_big_and_varied_enough() -> None:
    blogs = load_sample()
    assert len(blogs) >= 12
    assert sum(len(b.posts) for b in blogs) >= 150
    assert {b.format for b in blogs} == {"rss", "atom"}
    assert {b.language for b in blogs} >= {"en", "es", "fr"}
    for blog in blogs:
        slugs = [p["slug"] for p in blog.posts]
        assert len(slugs) == len(set(slugs)), blog.id


def test_demo_builds_the_full_site_offline(demo_then_another_site: SameProcess) -> None:
    out = demo_then_another_site.demo
    data = json.loads((out / "data" / "build.json").read_text())
    assert len(data["feeds"]) >= 12
    assert {f["outcome"] for f in data["feeds"]} == {"ok"}
    assert data["summary"]["posts"] >= 150
    assert len(data["topics"]) >= 5
    assert len(data["diamonds"]) == 5
    assert (out / "index.html").is_file() and (out / "feed.xml").is_file()

    stdout = demo_then_another_site.demo_stdout
    assert "0 failed" in stdout
    assert "index.html" in stdout and "aggregator serve" in stdout  # where it is, how to open it
    # The hostile sample post is in the store, but nothing of its markup reaches a page.
    for page in out.rglob("*.html"):
        text = page.read_text()
        scripts = re.findall(r"<script[^>]*>", text)
        assert all(OUR_SCRIPT.fullmatch(tag) for tag in scripts), (page, scripts)
        assert "javascript:" not in text and "onerror" not in text, page


ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
BASE = "https://user.github.io/edublogs/"


def _feeds(site: Path) -> list[str]:
    """Return every feed of ``site``: the combined ones, the diamonds', each topic's."""
    names = ["feed.xml", "atom.xml", "diamonds.xml"]
    for topic in sorted((site / "topics").glob("*/")):
        names += [f"topics/{topic.name}/{n}" for n in ("feed.xml", "atom.xml")
                  if (topic / n).is_file()]
    return names


def _strict_items(body: bytes, self_url: str) -> int:
    """Check one of our feeds with a strict, namespace-aware parser; return its item count."""
    root = ET.fromstring(body)  # expat: any XML error raises
    if root.tag == "rss":
        assert root.get("version") == "2.0"
        channel = root.find("channel")
        assert channel is not None
        self_links = channel.findall(f"{ATOM}link")
        assert [(x.get("rel"), x.get("href")) for x in self_links] == [("self", self_url)]
        items = channel.findall("item")
        for item in items:
            assert (item.findtext(f"{DC}creator") or "").strip(), "dc:creator in DC"
        namespaced = {node.tag for node in root.iter() if node.tag.startswith("{")}
        assert namespaced <= {f"{ATOM}link", f"{DC}creator"}, namespaced
        return len(items)
    assert root.tag == f"{ATOM}feed", root.tag  # e.g. {Atom}rss is neither
    assert all(node.tag.startswith(ATOM) for node in root.iter())
    assert [x.get("href") for x in root.findall(f"{ATOM}link") if x.get("rel") == "self"] == [
        self_url]
    return len(root.findall(f"{ATOM}entry"))


@contextmanager
def _restored(registry: dict[str, str]) -> Iterator[None]:
    try:
        yield
    finally:
        ET._namespace_map.clear()  # type: ignore[attr-defined]
        ET._namespace_map.update(registry)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SameProcess:
    """Two sites built one after the other in this process."""

    demo: Path
    demo_stdout: str
    second: Path


@pytest.fixture(scope="module")
def demo_then_another_site(tmp_path_factory: pytest.TempPathFactory) -> SameProcess:
    """Build the demo, then a second site from a local server, in this one process.

    Before the second build, prefixes are registered the way another library in the
    process might: the feeds must not depend on what ElementTree's registry holds.
    """
    tmp = tmp_path_factory.mktemp("same-process")
    with redirect_stdout(io.StringIO()) as stdout:
        assert main(["demo", "--out", str(tmp / "demo"), "--date", "2026-11-23",
                     "--base-url", BASE]) == 0
    registry = dict(ET._namespace_map)  # type: ignore[attr-defined]
    with _restored(registry), _start_server() as server:
        ET.register_namespace("", ATOM[1:-1])
        ET.register_namespace("d", DC[1:-1])
        # The sample blogs again, three days earlier, as a real build from their URLs.
        (tmp / "feeds.yaml").write_text(serve_sample(server, DAY))
        assert main(["build", "--feeds", str(tmp / "feeds.yaml"), "--out", str(tmp / "second"),
                     "--state", str(tmp / "state.db"), "--date", DAY, "--base-url", BASE,
                     "--allow-private-hosts"]) == 0
    return SameProcess(demo=tmp / "demo", demo_stdout=stdout.getvalue(), second=tmp / "second")


@pytest.mark.parametrize("which", ["demo", "second"])
def test_feeds_are_strict_whatever_ran_before_in_the_process(
        demo_then_another_site: SameProcess, which: str, tmp_path: Path) -> None:
    # Feed writers once used ElementTree's process-global prefix registry, which the demo
    # left switched: later feeds came out as <rss xmlns="...Atom">, which newsboat reads as
    # empty. Every feed, strict and namespaced right, and a real reader sees every item.
    site: Path = getattr(demo_then_another_site, which)
    names = _feeds(site)
    assert len(names) >= 5
    with serve_dir(site) as base:
        for i, name in enumerate(names):
            count = _strict_items((site / name).read_bytes(), BASE + name)
            assert newsboat_items(base + name, tmp_path / str(i)) == count, name
    combined = _strict_items((site / "feed.xml").read_bytes(), BASE + "feed.xml")
    assert combined == FEED_ITEMS  # the feeds checked were not empty


GUARD = '''
import json, locale, pkgutil, importlib, sys
import xml.etree.ElementTree as ET
# Third parties first: what they do at import is not this package's doing.
import feedparser, httpx, jinja2, nh3, yaml, scipy.cluster.hierarchy, sklearn.cluster
import sklearn.decomposition, sklearn.feature_extraction.text

def snapshot():
    return {"namespaces": dict(ET._namespace_map), "locale": locale.setlocale(locale.LC_ALL)}

before = snapshot()
import aggregator
for module in pkgutil.walk_packages(aggregator.__path__, "aggregator."):
    if not module.name.endswith("__main__"):  # that one runs the CLI
        importlib.import_module(module.name)
imported = snapshot()
from aggregator.cli import main
assert main(["demo", "--out", sys.argv[1], "--date", "2026-11-23"]) == 0
print(json.dumps({"before": before, "imported": imported, "built": snapshot()}))
'''


def test_the_package_changes_no_process_global_state(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", GUARD, str(tmp_path / "site")],
                            capture_output=True, text=True, timeout=300, check=True)
    states = json.loads(result.stdout.strip().splitlines()[-1])
    assert states["imported"] == states["before"], "importing the package changed them"
    assert states["built"] == states["before"], "a demo build changed them"
