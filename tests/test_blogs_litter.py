"""The blog-centred points of #17 on the litter feeds (tests/litter.py): real-looking mess."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser

from .litter import LitterSite


def blog_page(site: Path, slug: str) -> str:
    return (site / "blogs" / slug / "index.html").read_text()


def health(site: Path) -> dict[str, dict]:
    data = json.loads((site / "data" / "build.json").read_text())
    return {h["url"].rsplit("/", 1)[-1]: h for h in data["health"]}


def test_an_untitled_feed_is_named_by_its_site_not_its_feed_url(litter_site: LitterSite) -> None:
    slug = health(litter_site.site)["untitled-feed.xml"]["slug"]
    assert slug == "edtechnotes-example"
    assert "<h1>edtechnotes.example</h1>" in blog_page(litter_site.site, slug)
    assert not list((litter_site.site / "blogs").glob("127-0-0-1*"))
    # Every other blog has the slug of its feed's title.
    slugs = {h["slug"] for h in health(litter_site.site).values()}
    assert {"teachers-podcast", "the-psych-files", "book-talk-for-teachers",
            "the-quiet-classroom"} <= slugs


def test_author_fields_read_as_lists_of_people(litter_site: LitterSite) -> None:
    site = litter_site.site
    teachers = blog_page(site, "teachers-podcast")
    assert "Dr. Kathy King, Mark Gura" in teachers and "King;" not in teachers
    psych = blog_page(site, "the-psych-files")
    assert "Michael Britt" in psych and "Michael Britt (Michael Britt)" not in psych
    lab = blog_page(site, "learning-lab")
    assert "Priya Shah" in lab and "noreply@blogger.com" not in lab


def test_episodes_sharing_five_links_each_open_their_own(litter_site: LitterSite) -> None:
    site = litter_site.site
    page = blog_page(site, "book-talk-for-teachers")
    links = re.findall(r'class="post-title"[^>]*><a href="([^"]+)"', page)
    assert len(links) == 20 and len(set(links)) == 20  # none merged, none shared
    assert all(link.startswith("https://media.booktalk.example/") for link in links)
    assert health(site)["book-talk-podcast.xml"]["shared_links"] == 20
    status = (site / "status" / "index.html").read_text()
    row = re.search(r'blogs/book-talk-for-teachers/index\.html">.*?</tr>', status, re.S)
    assert row and "shared links" in row.group()


def test_a_dormant_blog_is_marked_and_its_long_description_cut_at_a_word(
        litter_site: LitterSite) -> None:
    site = litter_site.site
    quiet = health(site)["quiet-classroom.xml"]
    assert quiet["dormant"] is True and quiet["condition"] == "ok"
    assert [h for h in health(site).values() if h["dormant"]] == [quiet]
    directory = (site / "blogs" / "index.html").read_text()
    entry = re.search(r'blogs/the-quiet-classroom/index\.html">.*?</li>', directory, re.S)
    assert entry and "dormant" in entry.group()
    assert "5 posts, the last" in entry.group()
    assert re.search(r'mostly on <a href="\.\./topics/[\w-]+/index\.html">', entry.group())
    description = re.search(r'<p class="excerpt">([^<]*)</p>', entry.group())
    assert description and description.group(1).endswith("…")
    assert description.group(1).startswith("The objective of this blog is to share")
    assert re.search(r"\w…$", description.group(1))  # a whole word, then the ellipsis


def test_tag_pages_and_feeds_from_the_litter(litter_site: LitterSite) -> None:
    site = litter_site.site
    tags = (site / "tags" / "index.html").read_text()
    for name in ("edtech", "podcasts", "psychology", "literacy"):
        assert f'href="../tags/{name}/index.html">{name}</a>' in tags
        feed = feedparser.parse((site / "tags" / name / "atom.xml").read_bytes())
        assert not feed.bozo and feed.entries
    podcasts = (site / "tags" / "podcasts" / "index.html").read_text()
    assert "Teachers Podcast" in podcasts and "Book Talk for Teachers" in podcasts
    assert "The Psych Files" not in podcasts
