"""parse.py: real feedparser on real feed XML -> Post records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.errors import ParseError
from aggregator.parse import link_words, parse_feed
from aggregator.text import excerpt, html_to_text

from .fakes import Entry, FeedDoc

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
URL = "https://blog.example/feed.xml"


def parse(body: bytes, **kwargs: object) -> list:
    return list(parse_feed(body, feed_url=URL, now=NOW, **kwargs).posts)  # type: ignore[arg-type]


def test_rss_entries_become_posts() -> None:
    doc = FeedDoc("My blog", "https://blog.example/", [
        Entry("First", "https://blog.example/1/", NOW - timedelta(days=1),
              html="<p>Hello <b>class</b>.</p><p>Second paragraph.</p>", author="Ms. Ada"),
        Entry("Second", "https://blog.example/2/", NOW - timedelta(days=2)),
    ])
    feed = parse_feed(doc.rss(), feed_url=URL, now=NOW)
    assert feed.title == "My blog" and feed.site == "https://blog.example/"
    first = feed.posts[0]
    assert first.title == "First" and first.link == "https://blog.example/1/"
    assert first.author == "Ms. Ada"
    assert first.published == NOW - timedelta(days=1) and first.dated
    assert first.text == "Hello class.\nSecond paragraph."
    assert first.excerpt == "Hello class. Second paragraph."
    assert first.guid == "https://blog.example/1/"  # no <guid>: falls back to the link
    assert first.published.tzinfo is not None


def test_atom_updated_date_is_used_when_published_is_missing() -> None:
    doc = FeedDoc("Atom blog", "https://blog.example/", [
        Entry("Only updated", "https://blog.example/a/", datetime(2026, 3, 1, 8, tzinfo=UTC),
              guid="tag:blog.example,2026:a"),
    ])
    post = parse(doc.atom())[0]
    assert post.published == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert post.guid == "tag:blog.example,2026:a"


def test_missing_and_future_dates_fall_back_to_first_seen() -> None:
    doc = FeedDoc("b", "https://blog.example/", [
        Entry("undated", "https://blog.example/u/", None),
        Entry("future", "https://blog.example/f/", NOW + timedelta(days=30)),
    ])
    posts = {p.title: p for p in parse(doc.rss())}
    for title in ("undated", "future"):
        assert posts[title].published == NOW
        assert posts[title].dated is False



def test_a_placeholder_date_before_the_web_is_not_believed() -> None:
    # A real RSS 1.0 feed dates its drafts 1970-01-01T00:00:00Z (Unix time 0: "no date").
    body = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            b' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            b'<channel rdf:about="https://blog.example/"><title>t</title>'
            b"<link>https://blog.example/</link><description>d</description></channel>"
            b'<item rdf:about="https://blog.example/draft/"><title>Auto Draft</title>'
            b"<link>https://blog.example/draft/</link><dc:date>1970-01-01T00:00:00Z</dc:date></item>"
            b'<item rdf:about="https://blog.example/real/"><title>Real</title>'
            b"<link>https://blog.example/real/</link><dc:date>2012-03-01T15:26:23Z</dc:date></item>"
            b"</rdf:RDF>")
    posts = {p.title: p for p in parse(body)}
    assert posts["Auto Draft"].published == NOW and posts["Auto Draft"].dated is False
    assert posts["Real"].published == datetime(2012, 3, 1, 15, 26, 23, tzinfo=UTC)
    assert posts["Real"].dated
    # An epoch "published" beside a real "updated": the real one is used.
    doc = FeedDoc("Atom blog", "https://blog.example/", [
        Entry("updated", "https://blog.example/a/", datetime(2026, 3, 1, 8, tzinfo=UTC),
              guid="tag:blog.example,2026:a"),
    ])
    epoch = b"<published>1970-01-01T00:00:00Z</published><updated>"
    atom = doc.atom().replace(b"<updated>", epoch, 1)
    assert epoch in atom
    post = parse(atom)[0]
    assert post.published == datetime(2026, 3, 1, 8, tzinfo=UTC) and post.dated

def test_relative_links_are_resolved_against_the_feed() -> None:
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<link>https://blog.example/</link><item><title>x</title><link>/posts/x/</link>"
            b"</item><item><title>js</title><link>javascript:alert(1)</link></item>"
            b"</channel></rss>")
    feed = parse_feed(body, feed_url=URL, now=NOW)
    assert [(p.title, p.link) for p in feed.posts] == [("x", "https://blog.example/posts/x/")]
    assert feed.unlinked == 1  # never a javascript: link, nor one made up


def test_links_in_excerpts_are_resolved_against_the_post() -> None:
    # feedparser's own link resolver is off (it cost a third of its time); nh3 does it.
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b"<link>https://blog.example/</link><item><title>x</title>"
            b"<link>https://blog.example/2026/11/x/</link><description>"
            b"&lt;p&gt;See &lt;a href=&quot;notes.html&quot;&gt;my notes&lt;/a&gt; and "
            b"&lt;a href=&quot;/about/&quot;&gt;me&lt;/a&gt;.&lt;/p&gt;</description>"
            b"</item></channel></rss>")
    (post,) = parse(body)
    assert 'href="https://blog.example/2026/11/x/notes.html"' in post.excerpt_html
    assert 'href="https://blog.example/about/"' in post.excerpt_html


@pytest.mark.parametrize("body, reason", [
    (b"", "empty"),
    (b"<!DOCTYPE html><html><body>Blog</body></html>", "HTML page"),
    (b"<rss><channel><item><title>cut off", "broken XML"),
    (b"404 NOT FOUND", "RSS or Atom"),
])
def test_not_a_feed_raises_a_clear_error(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_feed(body, feed_url=URL, now=NOW)


def test_a_body_that_looks_like_a_path_is_not_opened() -> None:
    # feedparser treats str/bytes as a URL or file name; we must hand it the bytes only.
    with pytest.raises(ParseError):
        parse_feed(b"/etc/passwd", feed_url=URL, now=NOW)


def test_html_to_text_drops_scripts_and_markup() -> None:
    markup = ('<p onclick="x()">Read <a href="javascript:alert(1)">this</a></p>'
              "<script>alert('x')</script><style>p{}</style><iframe src=x></iframe>"
              "<ul><li>one</li><li>two &amp; three</li></ul>")
    assert html_to_text(markup) == "Read this\none\ntwo & three"


@pytest.mark.parametrize(("markup", "text"), [
    ('<img alt="a > b" src=x>after', "after"),  # ">" inside a quoted attribute
    ("<script>if (a<b) document.write('<p>x</p>')</script>after", "after"),  # raw text
    ("<SCRIPT>x</script >after", "after"),
    ("one <3 two < three", "one <3 two < three"),  # a stray "<" is text
    ("<p>one</p><!-- a <b>comment</b> -->two", "one\ntwo"),
    ("before<!-- never closed <p>hidden", "before"),
    ('<a href="x>unbalanced">link</a>', "link"),
    ("<iframe src=x />after", "after"),  # self-closed: not skipping to the end
    ("caf&eacute; &amp;amp; &#x263A;", "café &amp; ☺"),
    ("<p>a\u00a0\u00a0b\t c</p>\n\n<div> d </div>", "a b c\nd"),
])
def test_html_to_text_reads_markup_as_a_browser_would(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


@pytest.mark.parametrize("unit", ['<a "', '<a title="x>y"', "<a", "<!--", "</a", "<a b='<"])
def test_hostile_markup_is_read_in_one_pass(unit: str) -> None:
    """A post of thousands of unclosed tags or quotes is read, not a stalled worker.

    html.parser took minutes on 200 KB of these (its tag regexes backtrack); the scanner
    never looks past the next "<", so these take milliseconds.
    """
    markup = "<p>Start.</p>" + unit * 50_000 + "<p>End.</p>"
    text = html_to_text(markup)
    assert text.startswith("Start.")
    assert link_words(markup) >= 0


def test_excerpt_cuts_at_a_sentence() -> None:
    text = "First sentence here. " * 30
    short = excerpt(text, max_chars=100)
    assert len(short) <= 100 and short.endswith(".")
    assert excerpt("word " * 200, max_chars=50).endswith("…")


def test_posts_come_cleaned_for_the_topic_model() -> None:
    """Without markup, links or the line the blog repeats under every post."""
    doc = FeedDoc("My blog", "https://blog.example/", [
        Entry(f"Fractions {i}", f"https://blog.example/{i}/", NOW - timedelta(days=i),
              html=f"<p>We <b>compared</b> {i + 2} fractions on https://x.example/{i}.</p>"
                   "<p>Ms Ada teaches Year 5 at Oakwood.</p>") for i in range(4)])
    posts = parse(doc.rss())
    assert posts[0].topic_text == "fractions 0 we compared 2 fractions on"
    assert all("oakwood" not in p.topic_text and p.text.endswith("Oakwood.") for p in posts)


def test_buffered_xml_text_parses_as_feedparser_parse_does() -> None:
    """read_feed (our SAX driver, text in one piece) gives what feedparser.parse gives."""
    import io

    import feedparser

    from aggregator.saxdriver import BUFFER_CHARS, read_feed

    long = "Fractions &amp; decimals, caf\u00e9 &#233;l\u00e8ves &lt;3. " * (BUFFER_CHARS // 40)
    doc = FeedDoc("Tom &amp; Jerry's <blog>", "https://blog.example/", [
        Entry(f"Post {i} &amp; more", f"https://blog.example/{i}/", NOW - timedelta(days=i),
              html=f"<p>One <b>two</b> &amp;amp; &lt;three&gt; {i}</p><p>{long}</p>")
        for i in range(3)])
    body = doc.rss().replace(b"<description>A test blog</description>",
                             b"<description><![CDATA[Cats & <b>dogs</b>]]></description>")
    headers = {"content-location": URL, "content-type": "application/rss+xml"}
    ours = read_feed(body, headers).data
    theirs = feedparser.parse(io.BytesIO(body), response_headers=headers,
                              sanitize_html=False, resolve_relative_uris=False)
    assert not ours.bozo
    assert ours.entries == theirs.entries and ours.feed == theirs.feed
    buffered = parse_feed(body, feed_url=URL, now=NOW)
    assert buffered.posts[0].title == "Post 0 & more"
    assert "caf\u00e9 élèves <3." in buffered.posts[0].text


def test_excerpt_keeps_closing_quotes_and_brackets() -> None:
    text = 'She said "read more." Then (as always.) she left. ' + "More words follow. " * 40
    assert excerpt(text, max_chars=50) == 'She said "read more." Then (as always.) she left.'


def _manifest(shared: Path, folder: str) -> list[dict]:
    return json.loads((shared / "corpora" / folder / "MANIFEST.json").read_text())


def test_feedparser_samples_never_crash_or_leak_markup(shared: Path) -> None:
    """Every sample either parses into plain-text posts or raises ParseError."""
    root = shared / "corpora" / "feedparser-samples"
    parsed = 0
    for item in _manifest(shared, "feedparser-samples"):
        body = (root / item["path"]).read_bytes()
        try:
            feed = parse_feed(body, feed_url="https://samples.example/feed",
                              now=NOW, content_type=None)
        except ParseError:
            continue
        parsed += 1
        for post in feed.posts:
            for text in (post.title, post.excerpt, post.text):
                assert "<script" not in text.lower(), item["path"]
            assert post.link.startswith(("http://", "https://")), item["path"]
            assert post.published.tzinfo is not None
    assert parsed > 250  # the rest are feed-level fixtures with no entries


def test_real_feeds_parse(shared: Path) -> None:
    root = shared / "corpora" / "real-feeds" / "podsearch-2012"
    ok = 0
    for item in _manifest(shared, "real-feeds/podsearch-2012"):
        body = (root / item["file"]).read_bytes()
        try:
            feed = parse_feed(body, feed_url="https://real.example/feed", now=NOW)
        except ParseError:
            continue
        ok += bool(feed.posts)
    assert ok >= 45


def test_broken_responses_are_parse_errors(shared: Path) -> None:
    root = shared / "corpora" / "real-feeds" / "broken-responses"
    for item in _manifest(shared, "real-feeds/broken-responses"):
        body = (root / item["file"]).read_bytes()
        with pytest.raises(ParseError):
            parse_feed(body, feed_url="https://real.example/feed", now=NOW)


def _rss(items: str, *, prolog: str = "", title: str = "t") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://blog.example/</link>{items}"
            "</channel></rss>").encode()


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE rss [\n<!ENTITY big "{v}">\n]>\n',  # what feedparser keeps as "safe"
    '<!DOCTYPE rss [<!ENTITY big "{v}">]>',  # on the declaration's line
    '<!DOCTYPE rss>\n<!ENTITY big "{v}">\n',  # outside the DOCTYPE
    '<!DOCTYPE rss [\n<!ENTITY big "<b>{v}</b>">\n]>\n',  # markup in the value
])
@pytest.mark.parametrize("well_formed", [True, False])
def test_entity_declarations_are_never_expanded(prolog: str, well_formed: bool) -> None:
    """A 100 KB entity used 200 times stays a 100 KB feed (it was a 20 MB string).

    Well-formed, expat reads it; broken, feedparser's loose parser does: neither expands.
    """
    value = "A" * 100_000
    tail = "" if well_formed else "<broken"
    body = _rss(f"<item><title>x &big; &amp; &#233; &lt;</title>"
                f"<link>https://blog.example/1</link>"
                f"<description>{'&big;' * 200}{tail}</description></item>",
                prolog=prolog.format(v=value))
    (post,) = parse_feed(body, feed_url=URL, now=NOW).posts
    assert "AAAA" not in post.title and "AAAA" not in post.text
    assert post.title.startswith("x") and post.title.endswith("& é <")


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = _rss("<item><title>&xxe;</title><link>https://blog.example/1</link></item>",
                prolog=f'<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>\n')
    feed = parse_feed(body, feed_url=URL, now=NOW)
    assert all("TOP-SECRET" not in p.title + p.text for p in feed.posts)


def test_html_entities_still_read() -> None:
    body = _rss("<item><title>caf&eacute;&nbsp;&amp; &#x263A; &apos;s</title>"
                "<link>https://blog.example/1</link></item>")
    (post,) = parse_feed(body, feed_url=URL, now=NOW).posts
    assert post.title == "café & ☺ 's"


def test_parsing_leaves_feedparser_settings_alone() -> None:
    """Library code changes no process-wide state (issue 16): the driver is per call."""
    import subprocess
    import sys

    code = ("import feedparser; before = list(feedparser.api.PREFERRED_XML_PARSERS)\n"
            "import aggregator.build, aggregator.parse, aggregator.workers\n"
            "from datetime import datetime, UTC\n"
            "aggregator.parse.parse_feed(b'<rss><channel><title>t</title></channel></rss>',"
            " feed_url='https://a.example/', now=datetime.now(UTC))\n"
            "assert feedparser.api.PREFERRED_XML_PARSERS == before, "
            "feedparser.api.PREFERRED_XML_PARSERS\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(("item", "link"), [
    ("<guid>g1</guid>", None),  # a made-up https://host/g1 before
    ("<guid>/posts/1</guid>", None),
    ('<guid isPermaLink="false">https://blog.example/p/1</guid>', None),
    ("<guid>https://blog.example/p/1</guid>", "https://blog.example/p/1"),
    ("<link>/posts/2/</link><guid>g2</guid>", "https://blog.example/posts/2/"),
    ("<link>javascript:alert(1)</link>", None),
    ("<link>http://rs&lt;div&gt;w.example/x</link>", None),  # was a crash of the feed
    ("<link>http://[::1</link>", None),  # was a crash of the build
])
def test_a_post_links_only_to_a_real_address(item: str, link: str | None) -> None:
    body = _rss(f"<item><title>x</title>{item}</item>")
    feed = parse_feed(body, feed_url=URL, now=NOW)
    assert [p.link for p in feed.posts] == ([link] if link else [])
    assert feed.unlinked == (0 if link else 1)


def test_bidi_controls_are_removed_at_parse_time() -> None:
    rlo, lri, pdi = "\u202e", "\u2066", "\u2069"
    body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Blog {rlo}gnp</title>'
            f"<link>https://blog.example/</link><description>About {lri}x</description>"
            f"<item><title>RTL {rlo}gnp.exe</title><link>https://blog.example/{rlo}1</link>"
            f"<dc:creator>Ann {rlo}ydoc</dc:creator><description>&lt;p&gt;Text {lri}a{pdi}"
            f" &amp;#x202E;b&lt;/p&gt;</description></item></channel></rss>").encode()
    feed = parse_feed(body, feed_url=URL, now=NOW)
    (post,) = feed.posts
    assert post.title == "RTL gnp.exe" and post.author == "Ann ydoc"
    assert post.link == "https://blog.example/%E2%80%AE1"  # the address a browser asks for
    assert feed.title == "Blog gnp" and feed.description == "About x"
    for value in (post.text, post.excerpt, post.excerpt_html):
        assert not set(value) & {rlo, lri, pdi}, value


def test_characters_xml_cannot_hold_are_removed() -> None:
    """A NUL in one title made every feed the build wrote unreadable."""
    body = _rss("<language>en\x00&lt;b&gt;</language>"
                "<item><title>a\x00b\x01c\x0bd &#1;e</title><link>https://blog.example/1\x01</link>"
                "<description>&lt;p&gt;x\x02y&lt;/p&gt;</description></item>"
                "<item><title>ok</title><link>https://blog.example/2</link></item>")
    feed = parse_feed(body, feed_url=URL, now=NOW)
    assert [(p.title, p.link) for p in feed.posts] == [("ok", "https://blog.example/2")]
    assert feed.language is None  # a language code is written as an attribute
    body = body.replace(b"https://blog.example/1\x01", b"https://blog.example/1")
    first = parse_feed(body, feed_url=URL, now=NOW).posts[0]
    assert first.title == "abc d e" and first.excerpt_html == "<p>xy</p>"
