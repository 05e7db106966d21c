"""Ages beside dates: "10 Mar 2009 · 3 years ago", by the build's clock, never the wall's (#17)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.ages import age, day
from aggregator.cli import main

from .conftest import FeedServer
from .fakes import Entry, FeedDoc, feeds_yaml

NOW = datetime(2012, 3, 20, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(("when", "expected"), [
    (datetime(2012, 3, 20, 0, 1, tzinfo=UTC), "today"),
    (datetime(2012, 3, 21, 5, tzinfo=UTC), "today"),  # a clock a little ahead
    (datetime(2012, 3, 19, 23, 59, tzinfo=UTC), "yesterday"),
    (datetime(2012, 3, 15, tzinfo=UTC), "5 days ago"),
    (datetime(2012, 3, 7, tzinfo=UTC), "13 days ago"),
    (datetime(2012, 3, 6, tzinfo=UTC), "2 weeks ago"),
    (datetime(2012, 2, 28, tzinfo=UTC), "3 weeks ago"),
    (datetime(2012, 1, 20, tzinfo=UTC), "8 weeks ago"),
    (datetime(2012, 1, 19, tzinfo=UTC), "2 months ago"),
    (datetime(2011, 11, 20, tzinfo=UTC), "4 months ago"),
    (datetime(2011, 3, 22, tzinfo=UTC), "11 months ago"),
    (datetime(2011, 3, 20, tzinfo=UTC), "a year ago"),
    (datetime(2009, 3, 21, tzinfo=UTC), "2 years ago"),  # its third birthday is tomorrow
    (datetime(2009, 3, 10, 16, 7, tzinfo=UTC), "3 years ago"),
])
def test_age_in_words(when: datetime, expected: str) -> None:
    assert age(when, NOW) == expected


def test_age_counts_days_in_utc() -> None:
    # 23:30 on the 19th in New York is already the 20th in UTC: "today", not "yesterday".
    from zoneinfo import ZoneInfo
    evening = datetime(2012, 3, 19, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert age(evening, NOW) == "today"
    assert day(evening) == "20 Mar 2012"


def test_day_has_no_time_of_day() -> None:
    assert day(datetime(2009, 3, 10, 16, 7, tzinfo=UTC)) == "10 Mar 2009"


def _build(tmp: Path, server: FeedServer, date: str) -> Path:
    doc = FeedDoc(title="Old Chalk", site="https://chalk.example/")
    doc.entries = [
        Entry(title="An old lesson", link="https://chalk.example/old/",
              published=datetime(2009, 3, 10, 16, 7, tzinfo=UTC),
              html="<p>We tried peer marking in year 9 and kept it.</p>"),
        Entry(title="A recent lesson", link="https://chalk.example/new/",
              published=datetime(2012, 3, 15, 9, tzinfo=UTC) - timedelta(days=0),
              html="<p>Fractions on a number line, again.</p>"),
    ]
    server.serve("/chalk.xml", doc.rss())
    (tmp / "feeds.yaml").write_text(feeds_yaml([server.url("/chalk.xml")]))
    out = tmp / f"site-{date}"
    assert main(["build", "--feeds", str(tmp / "feeds.yaml"), "--out", str(out),
                 "--state", str(tmp / f"state-{date}.db"), "--date", date,
                 "--allow-private-hosts"]) == 0
    return out


def test_pages_show_the_day_and_its_age_by_the_builds_date(tmp_path: Path,
                                                           feed_server: FeedServer) -> None:
    site = _build(tmp_path, feed_server, "2012-03-20")
    (blog_page,) = (site / "blogs").glob("*/index.html")
    html = blog_page.read_text()
    assert re.search(r'<time datetime="2009-03-10T16:07:00\+00:00">10 Mar 2009</time>'
                     r' · <span class="age">3 years ago</span>', html), html
    assert re.search(r">15 Mar 2012</time> · <span class=\"age\">5 days ago<", html)
    assert "16:07 UTC" not in html  # the day, not the minute
    # The same feeds built as of a later date age by that date, not by the wall clock.
    later = _build(tmp_path, feed_server, "2016-03-20")
    (blog_page,) = (later / "blogs").glob("*/index.html")
    assert ">10 Mar 2009</time> · <span class=\"age\">7 years ago<" in blog_page.read_text()


def test_a_post_without_a_date_says_when_it_was_first_seen(tmp_path: Path,
                                                         feed_server: FeedServer) -> None:
    doc = FeedDoc(title="Undated", site="https://undated.example/")
    doc.entries = [Entry(title="No date here", link="https://undated.example/a/",
                         published=None, html="<p>An episode the feed gave no date.</p>"),
                   Entry(title="Dated", link="https://undated.example/b/",
                         published=datetime(2026, 11, 1, tzinfo=UTC), html="<p>Dated.</p>")]
    feed_server.serve("/undated.xml", doc.rss())
    (tmp_path / "feeds.yaml").write_text(feeds_yaml([feed_server.url("/undated.xml")]))
    assert main(["build", "--feeds", str(tmp_path / "feeds.yaml"), "--out",
                 str(tmp_path / "site"), "--state", str(tmp_path / "state.db"),
                 "--date", "2026-11-20", "--allow-private-hosts"]) == 0
    (page,) = (tmp_path / "site" / "blogs").glob("*/index.html")
    cards = re.findall(r'<article class="post".*?</article>', page.read_text(), re.DOTALL)
    undated = next(c for c in cards if "No date here" in c)
    dated = next(c for c in cards if ">Dated<" in c)
    assert re.search(r"first seen <time[^>]*>20 Nov 2026</time>", undated), undated
    assert "first seen" not in dated
