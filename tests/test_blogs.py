"""Blogs as the site shows them: authors, descriptions, slugs, shared links, dormancy (#17)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.blogpages import directory
from aggregator.models import Blog, Feed, Post, Topic
from aggregator.parse import parse_feed
from aggregator.store import Store

from .conftest import FeedServer
from .fakes import subject_blog
from .test_build import END, build

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def rss(items: str, channel: str = "<title>Show</title>") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"<link>https://show.example/</link>{channel}{items}</channel></rss>"
    ).encode()


def item(n: int, extra: str = "", link: str = "https://show.example/") -> str:
    day = (END - timedelta(days=n)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return (f"<item><title>Episode {n}</title><link>{link}</link><pubDate>{day}</pubDate>"
            f"<description>Notes of episode {n}.</description>{extra}</item>")


def parse(body: bytes) -> list[Post]:
    return list(parse_feed(body, feed_url="https://show.example/feed", now=NOW).posts)


@pytest.mark.parametrize(("elements", "shown"), [
    ("<dc:creator>Dr. Kathy King;Mark Gura;</dc:creator>", "Dr. Kathy King, Mark Gura"),
    ("<itunes:author>Michael Britt (Michael Britt)</itunes:author>", "Michael Britt"),
    ("<dc:creator>Smith, John</dc:creator>", "Smith, John"),
    ("<dc:creator>Jane Doe, PhD</dc:creator>", "Jane Doe, PhD"),
    ("<dc:creator>Jane Doe, John Roe</dc:creator>", "Jane Doe, John Roe"),
    ("<author>jane@show.example (Jane Doe)</author><dc:creator>jane doe</dc:creator>"
     "<itunes:author>Jane Doe | Ann Lee</itunes:author>", "Jane Doe, Ann Lee"),
    ("<dc:creator>someone@show.example</dc:creator>", None),
    # feedparser cuts addresses at a 4-letter domain: "emy (Jane Doe" is no name.
    ("<author>jane@school.academy (Jane Doe)</author>", "Jane Doe"),
    ("<author>jane@school.info (Jane Doe)</author>", "Jane Doe"),
])
def test_author_lists_are_split_and_deduplicated(elements: str, shown: str | None) -> None:
    [post] = parse(rss(item(1, elements, link="https://show.example/1")))
    assert post.author == shown


def test_a_description_the_publisher_cut_gives_way_to_the_full_one() -> None:
    full = "The objective of this show is to help new teachers plan their first year."
    channel = (f"<title>Show</title><description>{full}</description>"
               "<itunes:subtitle>The objective o</itunes:subtitle>"
               f"<itunes:summary>{full}</itunes:summary>")
    parsed = parse_feed(rss(item(1), channel), feed_url="https://show.example/feed", now=NOW)
    assert parsed.description == full


def test_a_long_description_is_cut_at_a_word_with_an_ellipsis() -> None:
    words = " ".join(f"word{i}" for i in range(120))  # no sentence end to cut at
    parsed = parse_feed(rss(item(1), f"<title>Show</title><description>{words}</description>"),
                        feed_url="https://show.example/feed", now=NOW)
    assert parsed.description is not None and parsed.description.endswith("…")
    assert parsed.description[:-1].split()[-1] in words.split()


def shared_show() -> bytes:
    """Six episodes on two shared pages: four with audio, one with a page of its own."""
    return rss("".join([
        item(0, '<enclosure url="https://cdn.example/0.mp3" type="audio/mpeg" length="1"/>'),
        item(1, '<enclosure url="https://cdn.example/1.mp3?utm_source=feed" type="audio/mpeg" '
                'length="1"/>'),
        item(2, '<enclosure url="https://cdn.example/2.mp3" type="audio/mpeg" length="1"/>',
             link="https://show.example/b/"),
        item(3, '<enclosure url="https://cdn.example/3.mp3" type="audio/mpeg" length="1"/>',
             link="https://show.example/b/"),
        item(4, "<guid>https://show.example/episodes/4</guid>"),
        item(5, "<guid>https://show.example/episodes/5</guid>", link="https://show.example/b/"),
    ]))


def test_entries_sharing_a_link_stay_apart_and_open_their_own_episode() -> None:
    parsed = parse_feed(shared_show(), feed_url="https://show.example/feed", now=NOW)
    links = {p.title: p.link for p in parsed.posts}
    assert links == {
        "Episode 0": "https://cdn.example/0.mp3", "Episode 1": "https://cdn.example/1.mp3",
        "Episode 2": "https://cdn.example/2.mp3", "Episode 3": "https://cdn.example/3.mp3",
        "Episode 4": "https://show.example/episodes/4",
        "Episode 5": "https://show.example/episodes/5",
    }
    assert len({p.uid for p in parsed.posts}) == 6  # none merged
    assert parsed.shared_links == 6
    assert set(parsed.merged_guids) == {"https://show.example/", "https://show.example/b/"}
    again = parse_feed(shared_show(), feed_url="https://show.example/feed", now=NOW)
    assert [p.uid for p in again.posts] == [p.uid for p in parsed.posts]  # stable


def test_a_feed_with_its_own_links_is_left_alone() -> None:
    parsed = parse_feed(rss(item(1, link="https://show.example/1") + item(2, link=(
        "https://show.example/2"))), feed_url="https://show.example/feed", now=NOW)
    assert parsed.shared_links == 0 and parsed.merged_guids == ()
    assert [p.guid for p in parsed.posts] == ["https://show.example/1", "https://show.example/2"]


def test_the_one_post_stored_for_merged_entries_is_replaced(tmp_path: Path) -> None:
    url = "https://show.example/feed"
    parsed = parse_feed(shared_show(), feed_url=url, now=NOW)
    with Store(tmp_path / "s.db") as store:
        store.sync_feeds([Feed(url=url)], NOW)
        merged = Post(feed_url=url, guid="https://show.example/", link="https://show.example/",
                      title="Episode 0", published=END, excerpt="", text="")
        store.record_success(url, now=NOW, status=200, etag=None, last_modified=None,
                             posts=[merged])
        store.record_success(url, now=NOW, status=200, etag=None, last_modified=None,
                             posts=parsed.posts, shared_links=parsed.shared_links,
                             merged_guids=parsed.merged_guids)
        assert sorted(p.title for p in store.posts()) == [f"Episode {n}" for n in range(6)]
        assert store.feed_states()[url].shared_links == 6


def test_a_blog_listed_without_a_title_takes_its_slug_from_its_feed_once(
        tmp_path: Path, feed_server: FeedServer) -> None:
    doc = subject_blog("bud", "library", n=3, end=END)
    doc.title = "Bud the Teacher"
    url = feed_server.serve("/feeds/budtheteacher.xml", doc.rss())
    failing = feed_server.serve("/feeds/later.xml", b"", status=404)
    (tmp_path / "feeds.yaml").write_text(f"feeds:\n  - url: {url}\n  - url: {failing}\n")
    assert build(tmp_path) == 0
    assert (tmp_path / "site" / "blogs" / "bud-the-teacher" / "index.html").is_file()
    # A feed that never answered keeps the address it was given until it does.
    later = (tmp_path / "site" / "blogs" / "127-0-0-1-later-xml" / "index.html")
    assert later.is_file()
    doc.title = "Bud, renamed"
    feed_server.serve("/feeds/budtheteacher.xml", doc.rss())
    other = subject_blog("later", "maths", n=2, end=END)
    other.title = "Later Blog"
    feed_server.serve("/feeds/later.xml", other.rss())
    assert build(tmp_path, day="2026-11-21") == 0
    blogs = tmp_path / "site" / "blogs"
    assert (blogs / "bud-the-teacher" / "index.html").is_file()  # stable once given
    assert not (blogs / "bud-renamed").exists()
    assert (blogs / "later-blog" / "index.html").is_file()  # its first success
    assert "Bud, renamed" in (blogs / "bud-the-teacher" / "index.html").read_text()


def test_a_title_a_slug_cannot_spell_gives_way_to_the_sites_host(
        tmp_path: Path, feed_server: FeedServer) -> None:
    doc = subject_blog("kana", "library", n=2, end=END)
    doc.title, doc.site = "再現力", "https://blahvo.example/"
    url = feed_server.serve("/index20.rdf", doc.rss())
    (tmp_path / "feeds.yaml").write_text(f"feeds:\n  - url: {url}\n")
    assert build(tmp_path) == 0
    page = tmp_path / "site" / "blogs" / "blahvo-example" / "index.html"
    assert page.is_file() and "再現力" in page.read_text()


def test_a_blog_whose_feed_gives_no_dates_is_not_said_to_have_posted_today(
        tmp_path: Path, feed_server: FeedServer) -> None:
    doc = subject_blog("undated", "library", n=2, end=END)
    for entry in doc.entries:
        entry.published = None
    url = feed_server.serve("/undated.xml", doc.rss())
    (tmp_path / "feeds.yaml").write_text(f"feeds:\n  - url: {url}\n    title: Undated\n")
    assert build(tmp_path) == 0
    for page in ("blogs/index.html", "blogs/undated/index.html"):
        text = (tmp_path / "site" / page).read_text()
        assert "the newest undated, first seen" in text and "the last <time" not in text


def test_directory_and_status_show_counts_last_posts_dormancy_and_shared_links(
        tmp_path: Path, feed_server: FeedServer) -> None:
    quiet = subject_blog("quiet", "maths", n=2, end=END - timedelta(days=200))
    busy = subject_blog("busy", "maths", n=3, end=END)
    urls = [feed_server.serve("/quiet.xml", quiet.rss()),
            feed_server.serve("/busy.xml", busy.rss()),
            feed_server.serve("/show.xml", shared_show())]
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n" + "".join(f"  - url: {u}\n    title: {t}\n"
                             for u, t in zip(urls, ("Quiet", "Busy", "Show"), strict=True)))
    assert build(tmp_path) == 0
    site = tmp_path / "site"
    directory = (site / "blogs" / "index.html").read_text()
    rows = {m[0]: m[1] for m in re.findall(
        r'<a href="\.\./blogs/(\w+)/index\.html">.*?</a>(.*?)</li>', directory, re.S)}
    assert "2 posts, the last" in rows["quiet"] and "dormant" in rows["quiet"]
    assert "3 posts, the last" in rows["busy"] and "dormant" not in rows["busy"]
    assert f'datetime="{END.isoformat()}"' in rows["busy"]
    assert "6 posts" in rows["show"]
    busy_page = (site / "blogs" / "busy" / "index.html").read_text()
    assert re.search(r"3 posts, the last <time[^>]*>20 Nov 2026</time>", busy_page)
    status = (site / "status" / "index.html").read_text()
    row = {m[0]: m[1] for m in re.findall(
        r'blogs/(\w+)/index\.html">[^<]*</a>(.*?)</tr>', status, re.S)}
    assert "dormant" in row["quiet"] and "dormant" not in row["busy"]
    assert "shared links" in row["show"] and "shared links" not in row["busy"]
    assert "1 blog is dormant" in status and "healthy (1 dormant blog among them)" in status
    health = {h["slug"]: h for h in json.loads((site / "data" / "build.json").read_text())[
        "health"]}
    assert health["quiet"]["dormant"] is True and health["busy"]["dormant"] is False
    assert health["quiet"]["condition"] == "ok"  # its feed works: the blog is quiet
    assert health["show"]["shared_links"] == 6


def test_the_directory_names_the_topics_most_of_a_blogs_posts_are_in() -> None:
    blog = Blog(url="https://a.example/feed", slug="a", title="A", site=None, author=None,
                description=None, tags=(), language=None, added=None, last_success=None,
                last_error=None, consecutive_failures=0)
    posts = [Post(feed_url=blog.url, guid=str(i), link=f"https://a.example/{i}", title=str(i),
                  published=END - timedelta(days=i), excerpt="", text="") for i in range(6)]
    topic = {slug: Topic(slug=slug, label=slug.title(), terms=(), post_uids=())
             for slug in ("maths", "phonics", "library", "misc")}
    of = dict(zip((p.uid for p in posts), [topic["phonics"], topic["maths"], topic["maths"],
                                           topic["misc"], topic["misc"], topic["library"]],
                  strict=True))
    [row] = directory([blog], posts, of, NOW)
    assert [t.slug for t in row.topics] == ["maths", "library", "phonics"]  # never misc
    assert row.posts == 6 and row.last_post == posts[0] and not row.dormant
    [quiet] = directory([blog], posts, of, NOW + timedelta(days=181))
    assert quiet.dormant
