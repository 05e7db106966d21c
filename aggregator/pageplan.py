"""The page plan: which pages and feeds a site has, and what each one shows.

Each stage's records come in as a :class:`~aggregator.sitecontent.SiteContent`; this
module decides the paths and hands each page's data to the page writer
(:class:`aggregator.pages.Pages`) and the feed writer (:mod:`aggregator.feeditems`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from pathlib import Path

from markupsafe import Markup

from . import archive, blogpages, feeditems, river, surprise, syndication
from .buildjson import build_json_parts, previous_listing
from .health import for_how_long
from .models import MISC_LABEL, MISC_SLUG, BuildReport, Post, StoredTopic, Topic
from .overview import QUIET_AFTER_DAYS, by_newest, preview
from .pages import Files, Pages, PageWriter, Site, templates_dir, write_archive
from .periods import by_year, periods
from .repo import suggest_form
from .searchindex import SearchPlan, is_index
from .sitecontent import SiteContent
from .syndication import Item, stable_id

TOPIC_PAGE_POSTS = 30  # newest posts on a topic's page, with excerpts (all: its archive)
HOME_TOPIC_POSTS = 3  # posts per topic on the home page (its newest, one per blog)
HOME_TOPICS = 8  # topics previewed on the home page: it stays within ten phone screens
BLOG_PAGE_POSTS = 30


def _write_topic_pages(page: Pages, site: Site, topic: Topic) -> None:
    """Write a topic's front page (its newest posts) and its compact archive by month."""
    posts = site.posts_of(topic.post_uids)
    months = periods(posts, "month", f"topics/{topic.slug}/")
    page(f"topics/{topic.slug}/index.html", "topic.html", topic=topic,
         posts=posts[:TOPIC_PAGE_POSTS], total=len(posts), years=by_year(months))
    write_archive(page, months, title=topic.label, front=f"topics/{topic.slug}/index.html",
                  front_label="the topic's page", nav_label="Other months of this topic",
                  searchable=False)


def successors(old: StoredTopic, topics: Sequence[Topic]) -> list[tuple[Topic, int]]:
    """Return the current topics holding ``old``'s posts, with how many, most first."""
    members = set(old.post_uids)
    shares = [(t, len(members.intersection(t.post_uids))) for t in topics]
    return sorted(((t, n) for t, n in shares if n), key=lambda s: (-s[1], s[0].slug))


def _write_dissolved_topic(page: PageWriter, site: Site, old: StoredTopic,
                           files: Files) -> None:
    """Keep a dissolved topic's URL: a notice page, and a feed whose last item says so.

    Topic URLs are promises to subscribers: a reader subscribed to the topic's feed
    learns where its posts went instead of meeting a dead feed.
    """
    moved = successors(old, site.content.topics)
    path = f"topics/{old.slug}/"
    page(path + "index.html", "dissolved.html", old=old, moved=moved)
    where = ", ".join(t.label for t, _ in moved[:3]) or "the other topics"
    when = old.last_seen or site.content.generated
    notice = Item(
        id=stable_id("dissolved", old.slug), title=f"The topic “{old.label}” has ended",
        link=site.absolute(path + "index.html"), published=when,
        summary=f"Posts like these now appear under {where}. Subscribe there to keep "
                "following them; this feed will not change again.",
        author="Edublogs by topic",
    )
    feeditems.write_feeds(site, path, f"{old.label} · Edublogs by topic (ended)",
                          f"This topic has ended; its posts moved to {where}.",
                          path + "index.html", [], files, extra=[notice])


def write_status(page: Pages, report: BuildReport, key: str, *, kept: bool = False) -> None:
    """Write what changes with every fetch: the feed status page and build.json.

    ``kept``: the pages are the previous build's (the same ``key``), and so are the
    topics and diamonds build.json lists: they are taken from its build.json as it is.
    """
    page("status/index.html", "status.html", health=report.health, report=report,
         for_how_long=lambda since: for_how_long(since, page.content.generated),
         dormant_days=blogpages.DORMANT_DAYS)
    shown = previous_listing(page.out) if kept else None
    page.files.write_parts("data/build.json", build_json_parts(report, page.site, pages_key=key,
                                                              listing=shown))


def write_all(content: SiteContent, report: BuildReport, out: Path, key: str) -> SearchPlan:
    """Write every page and feed of ``content`` into ``out``; return what search indexes.

    ``out`` may hold the previous site's files (linked): those this build does not write
    again are removed at the end.
    """
    page = Pages(content, out)
    site = page.site

    diamond_posts = [(d, site.posts[d.post_uid]) for d in content.diamonds
                     if d.post_uid in site.posts]
    topics = by_newest(content.topics, site.posts, today=content.today, count=HOME_TOPIC_POSTS)
    active = [o for o in topics if o.active]  # past HOME_TOPICS, listed in a line each
    page("index.html", "index.html", diamonds=diamond_posts, topics=active[:HOME_TOPICS],
         more=active[HOME_TOPICS:], quieter=[o for o in topics if not o.active],
         misc=preview(site.posts_of(content.misc), HOME_TOPIC_POSTS), misc_label=MISC_LABEL,
         misc_count=len(content.misc), quiet_days=QUIET_AFTER_DAYS)
    archive.write_diamond_pages(site, page, page.files)
    river.write_river(page, content.posts, content.copies)
    surprise.write_surprise(page, content)

    for topic in content.topics:
        _write_topic_pages(page, site, topic)
    if content.misc:
        _write_topic_pages(page, site, Topic(slug=MISC_SLUG, label=MISC_LABEL, terms=(),
                                             post_uids=tuple(content.misc)))
    for old in content.dissolved:
        _write_dissolved_topic(page, site, old, page.files)
    page("topics/index.html", "topics.html", misc_count=len(content.misc),
         topics=sorted(topics, key=lambda o: (o.topic.label.casefold(), o.topic.slug)))

    posts_by_blog: dict[str, list[Post]] = {}
    for post in content.posts:
        posts_by_blog.setdefault(post.feed_url, []).append(post)
    blogs = sorted(content.blogs, key=lambda b: (b.title.casefold(), b.slug))
    for blog in blogs:
        posts = posts_by_blog.get(blog.url, [])
        related = {p.uid: [site.posts[u] for u in content.related.get(p.uid, ())
                           if u in site.posts] for p in posts[:BLOG_PAGE_POSTS]}
        # A blog whose every post is on its front page has no archive: its year pages
        # would only repeat that page in brief (#14: 1,495 of 4,047 at 100,000 posts).
        years = periods(posts, "year", f"blogs/{blog.slug}/") \
            if len(posts) > BLOG_PAGE_POSTS else []
        page(f"blogs/{blog.slug}/index.html", "blog.html", blog=blog,
             posts=posts[:BLOG_PAGE_POSTS], total=len(posts), related=related,
             years=by_year(years))
        write_archive(page, years, title=blog.title, front=f"blogs/{blog.slug}/index.html",
                      front_label="the blog's page", nav_label="Other years of this blog",
                      searchable=True)
    page("blogs/index.html", "blogs.html", **blogpages.directory_page(
        blogs, content.posts, site.topic_of, content.generated))
    blogpages.write_tag_pages(page, site, page.files, write_feeds=feeditems.write_feeds)
    page("about/index.html", "about.html", repo=content.repo_url,
         suggest=suggest_form(content.repo_url))
    # Served for any missing path at any depth, so its links must be absolute.
    page("404.html", "404.html", root=site.base_url,
         inline_css=Markup(_stylesheet().read_text(encoding="utf-8")))
    search = SearchPlan(years=tuple(sorted({p.published.astimezone(UTC).year
                                            for p in content.posts})),
                        this_year=content.today.year)
    page("search/index.html", "search.html")

    for asset in ("style.css", "search.js", "search-disk.js", "surprise.js"):
        page.files.write_bytes(f"assets/{asset}", (templates_dir() / "static" / asset).read_bytes())
    feeditems.write_feeds(site, "", "Edublogs by topic: all posts",
                          "Every post from the community's education blogs, newest first.",
                          "index.html", [p for p in content.posts if p.uid not in content.copies],
                          page.files)
    page.files.write_bytes("blogs.opml", syndication.opml(
        "Edublogs by topic: every blog", feeditems.blog_outlines(blogs),
        created=content.generated))
    for topic in content.topics:
        topic_posts = site.posts_of(topic.post_uids)
        feeditems.write_feeds(site, f"topics/{topic.slug}/", f"{topic.label} · Edublogs by topic",
                              f"Posts about {topic.label}, newest first.",
                              f"topics/{topic.slug}/index.html", topic_posts, page.files)
        writers = sorted({p.feed_url for p in topic_posts})
        page.files.write_bytes(f"topics/{topic.slug}/blogs.opml", syndication.opml(
            f"Blogs writing about {topic.label}",
            feeditems.blog_outlines(sorted((site.blogs[u] for u in writers),
                                           key=lambda b: (b.title.casefold(), b.slug))),
            created=content.generated))
    write_status(page, report, key)
    page.save_keys()
    page.files.prune(keep=is_index)  # the search bundles are the indexer's to keep
    return search


def _stylesheet() -> Path:
    return templates_dir() / "static" / "style.css"
