"""The site grows slowly with its history: bytes per post stay bounded (#14).

A community of 1,000 blogs reaches 100,000 posts in two or three years, and the site
must stay under 150 MB then (issue 14): about 1,500 bytes for each post,
search index and data included. Every post is on three compact archive pages (its blog's
year, its topic's month, the river's day), so most of the site is archive rows, and what
a row costs is what the site costs. Measured at 100,000 posts (benchmarks/README.md,
render_pages.py), the archive pages took 876 bytes a post; before their rows were
compacted, 1,280.

The quick fixture here has that shape at two sizes, 2,000 and 8,000 posts: posts of
real length (titles, links, excerpts), 20 a day from 40 blogs, so the larger history
spans 400 days over two years. Its archive pages took 1,357 bytes a post before the rows
were compacted and take about 950 now (its days are shorter than 1,000 blogs' 100, so
each post carries more of a page's chrome than at 100,000 posts). The bound, 1,000 bytes
a post, holds the 100,000-post site to about 100 MB of archives, and the cost of a post
must not grow with the history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator import render
from aggregator.models import Blog, BuildReport, Post, Topic

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
BLOGS = 40
PER_DAY = 20
ARCHIVE_BYTES_PER_POST = 1_000
WORDS = ("pupils reading fractions feedback library phonics lesson homework science "
         "assessment curriculum teachers classroom writing practice memory").split()


def _content(total: int) -> render.SiteContent:
    blogs = [Blog(url=f"https://blog{n}.example.org/feed/", slug=f"teacher-number-{n}-writes",
                  title=f"Teacher number {n} writes", site=f"https://blog{n}.example.org/",
                  author=None, description=None, tags=(), language="en", added=None,
                  last_success=NOW, last_error=None, consecutive_failures=0)
             for n in range(BLOGS)]
    posts = []
    for i in range(total):
        text = " ".join(WORDS[(i * 7 + w) % len(WORDS)] for w in range(60))
        posts.append(Post(
            feed_url=blogs[i % BLOGS].url, guid=f"g{i}",
            link=f"https://blog{i % BLOGS}.example.org/2026/11/post-{i}/",
            title=f"What {WORDS[i % 16]} taught us about {WORDS[(i // 16) % 16]} this week",
            published=NOW - timedelta(days=i / PER_DAY), excerpt=text[:320] + ".",
            excerpt_html=f"<p>{text[:320]}.</p>", text=text, language="en"))
    topics = [Topic(slug=f"topic-{t}", label=f"Topic {t}", terms=(f"t{t}",),
                    post_uids=tuple(p.uid for k, p in enumerate(posts) if k % 6 == t))
              for t in range(6)]
    return render.SiteContent(today=NOW.date(), generated=NOW, seed=1,
                              base_url="https://example.org/", blogs=blogs, posts=posts,
                              topics=topics, misc=[], diamonds=[])


def _archive_bytes_per_post(out: Path, total: int) -> float:
    content = _content(total)
    report = BuildReport(date=NOW.date(), seed=1, feeds=(), topics=tuple(content.topics),
                         diamonds=(), new_posts=0, total_posts=total, seconds=0.0,
                         out_dir=str(out))
    staged = render.write_site(content, report, out)  # the pages; search is not indexed
    try:
        site = staged.tmp
        archives = [*site.glob("blogs/*/[0-9][0-9][0-9][0-9]/index.html"),
                    *site.glob("topics/*/[0-9]*/[0-9]*/index.html"),
                    *site.glob("latest/[0-9]*/[0-9]*/[0-9]*/index.html")]
        assert len(archives) > total / PER_DAY  # every day of the river, at least
        return sum(p.stat().st_size for p in archives) / total
    finally:
        staged.discard()


@pytest.fixture(scope="module")
def per_post(tmp_path_factory: pytest.TempPathFactory) -> dict[int, float]:
    out = tmp_path_factory.mktemp("size")
    return {total: _archive_bytes_per_post(out / f"site-{total}", total)
            for total in (2_000, 8_000)}


def test_archive_pages_cost_few_bytes_a_post(per_post: dict[int, float]) -> None:
    for total, cost in per_post.items():
        assert cost <= ARCHIVE_BYTES_PER_POST, (total, round(cost))


def test_the_cost_of_a_post_does_not_grow_with_the_history(
        per_post: dict[int, float]) -> None:
    assert per_post[8_000] <= per_post[2_000] * 1.05, per_post
