"""The "Latest" river: every post, newest first, by day, linked from every page (#17, #14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.cli import main
from aggregator.river import RIVER_PAGE_POSTS

from .conftest import _start_server
from .fakes import Entry, FeedDoc, feeds_yaml

END = datetime(2026, 11, 20, 9, tzinfo=UTC)
BLOGS = ("quill", "sprout", "acorn")
PER_BLOG = 45  # three blogs: 135 posts, an hour apart


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Build a site of 135 posts; return it and every post's link, newest first."""
    tmp = tmp_path_factory.mktemp("river")
    dated: list[tuple[datetime, str]] = []
    with _start_server() as server:
        urls = []
        for b, name in enumerate(BLOGS):
            doc = FeedDoc(title=f"{name.title()} notes", site=f"https://{name}.example/")
            for i in range(PER_BLOG):
                when = END - timedelta(hours=3 * i + b)  # the blogs' posts interleave
                link = f"https://{name}.example/{i}/"
                doc.entries.append(Entry(title=f"{name} {i}", link=link, published=when,
                                         html=f"<p>Post {i} of {name}, on reading.</p>"))
                dated.append((when, link))
            urls.append(server.serve(f"/{name}.xml", doc.rss()))
        (tmp / "feeds.yaml").write_text(feeds_yaml(urls))
        assert main(["build", "--feeds", str(tmp / "feeds.yaml"), "--out", str(tmp / "site"),
                     "--state", str(tmp / "state.db"), "--date", "2026-11-20",
                     "--allow-private-hosts"]) == 0
    return tmp / "site", [link for _, link in sorted(dated, reverse=True)]


def _post_links(html: str) -> list[str]:
    return re.findall(r'class="post-title"><a href="([^"]+)"', html)


def _days(out: Path) -> list[Path]:
    """Return the river's day pages, newest first."""
    return sorted((out / "latest").glob("[0-9]*/[0-9]*/[0-9]*/index.html"), reverse=True)


def test_the_river_holds_every_post_once_newest_first(site: tuple[Path, list[str]]) -> None:
    out, newest_first = site
    front = _post_links((out / "latest" / "index.html").read_text())
    assert front == newest_first[:RIVER_PAGE_POSTS]  # the newest, with their excerpts
    days = _days(out)
    assert len(days) == 7  # 135 posts an hour apart, back from 09:00 on the 20th: 14-20 Nov
    seen: list[str] = []
    for day in days:
        html = day.read_text()
        assert 'class="excerpt"' not in html  # compact: title and blog (the page is the day)
        seen += re.findall(r'<li[^>]*><a href="([^"]+)" rel="ugc">', html)
    assert seen == newest_first


def test_river_pages_link_their_neighbours(site: tuple[Path, list[str]]) -> None:
    out, _ = site
    first = (out / "latest" / "index.html").read_text()
    newest, middle, oldest = (_days(out)[i].relative_to(out).as_posix() for i in (0, 1, -1))
    assert f'<link rel="next" href="../{newest}">' in first
    assert 'rel="prev"' not in first
    html = (out / middle).read_text()
    assert f'<link rel="prev" href="../../../../{newest}">' in html
    assert 'rel="next" href="../../../../latest/' in html
    assert 'rel="next"' not in (out / oldest).read_text()
    # ...and in the page itself, for people: a link to each neighbour.
    assert re.search(rf'<a href="\.\./\.\./\.\./\.\./{newest}" rel="prev">', html)


def test_every_page_links_to_the_river(site: tuple[Path, list[str]]) -> None:
    out, _ = site
    for page in ("index.html", "about/index.html", "topics/index.html", "blogs/index.html"):
        html = (out / page).read_text()
        root = "../" * page.count("/")
        assert f'<a href="{root}latest/index.html"' in html, page
    river = (out / "latest" / "index.html").read_text()
    assert '<a href="../latest/index.html" aria-current="page">' in river


def test_each_post_shows_its_blog_day_and_age(site: tuple[Path, list[str]]) -> None:
    out, _ = site
    html = (out / "latest" / "index.html").read_text()
    first = html[html.index('class="post-title"'):]
    first = first[:first.index("</article>")]
    assert 'href="../blogs/' in first
    assert '>20 Nov 2026</time> · <span class="age">today</span>' in first
    assert "Post 0 of quill" in first
