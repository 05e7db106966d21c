"""Run the whole pipeline: feeds.yaml in, a static site out.

The stages, each a module, in the order :func:`build_site` runs them::

    config.load_config(feeds.yaml)                 -> Config (stop here if it is invalid)
    | store.sync_feeds                             -> FeedState per feed
    | fetch.fetch_feed   (async, many at once)     -> FetchResult per feed
    | parse.parse_feed   (worker processes)        -> ParsedFeed per fetched body
    | store.record_*     (one transaction a feed)  -> posts persisted
    | topiccache.cached_topics                     -> TopicModel (new posts assigned)
    | diamonds.pick_diamonds                       -> Diamond picks (exposure stored)
    | render.write_site, StagedSite.publish        -> site/ (indexed, swapped in atomically)

All time-dependent choices use one clock, ``now``: ``--date`` when given, so a series
of dated builds behaves like days passing.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlsplit

from .buildjson import previous_pages_key
from .config import load_config, post_filter
from .diamonds import DiamondSettings, pick_diamonds, seed_for
from .errors import FetchError, ParseError, StoreError
from .fairness import build_ledger
from .fetch import FetchOptions, HostLimiter, fetch_feed, fetch_priority, make_client
from .health import (
    failure_cause,
    feed_health,
    fetch_trouble,
    is_dead,
    newest_post_dates,
    sickest_first,
    unexpected_cause,
)
from .models import (
    Blog,
    BuildReport,
    Diamond,
    Feed,
    FeedReport,
    FeedState,
    FetchedFeed,
    FetchResult,
    NotModified,
    ParsedFeed,
    Post,
    Skipped,
    TopicModel,
)
from .render import DEFAULT_BASE_URL, SiteContent, StagedSite, write_site
from .store import Store
from .textclean import topic_texts
from .unchanged import Inputs, remember, remembered
from .workers import ParseLimits, ParsePool, release_memory
from .workers import parse_job as _parse_job  # module-level: tests may replace it

log = logging.getLogger("aggregator")

FIRST_RUN_POSTS = 5  # a blog joining an existing site brings only its latest posts
# Cleaning a post for the topic model reads no more than the first few thousand characters
# of its text (textclean.clean_posts), so a build that must clean posts stored without their
# topic text loads no more of it: at 20,000 posts the whole texts were 130 MB.
POST_TEXT_CHARS = 4_000
PARALLEL_PARSE_FROM = 16  # fewer feeds than this are parsed by one worker
PARSE_LIMITS = ParseLimits()  # what one feed's parse may cost (module-level: tests lower it)


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build needs to know; the CLI fills it from its flags."""

    feeds_path: str = "feeds.yaml"
    out_dir: str = "site"
    state_path: str = "state/aggregator.db"
    day: date | None = None  # --date: fixes the build's clock
    seed: int | None = None
    base_url: str | None = None
    repo_url: str | None = None  # the project's repository (aggregator.repo), for About
    fetch: FetchOptions = field(default_factory=FetchOptions)
    diamonds: DiamondSettings = field(default_factory=DiamondSettings)


ProgressHook = Callable[[FetchResult, FeedReport], None]


def build_clock(day: date | None) -> datetime:
    """Return the build's "now": the end of ``day`` (UTC) if given, else the current time."""
    if day is None:
        return datetime.now(UTC).replace(microsecond=0)
    return datetime.combine(day, dtime(23, 59, 59), tzinfo=UTC)


def build_site(options: BuildOptions, *, on_feed: ProgressHook | None = None,
               on_start: Callable[[int], None] | None = None) -> BuildReport:
    """Fetch every feed in feeds.yaml, update the state, and write the site.

    ``on_start(number_of_feeds)`` is called before fetching and ``on_feed`` after each
    feed, for progress displays.
    """
    started = time.monotonic()
    report, staged = _update_and_write(options, on_feed=on_feed, on_start=on_start)
    # Every post and the topic model are gone with _update_and_write's frame: hand their
    # memory back before the search indexer, a process of its own, starts.
    release_memory()
    staged.publish()
    return replace(report, seconds=time.monotonic() - started)


class _ImportAhead:
    """Import a module in a background thread once ``after`` feeds are done.

    The topic model's libraries (scikit-learn, SciPy) take a second of CPU to import, and
    nothing needs them until every feed is in. Imported while feeds download, they hold
    the interpreter's lock from the event loop that starts each download (the fetch of
    1,000 feeds ended 0.8 s later); imported once the last feeds are in flight, they
    only use time spent waiting for those.
    """

    def __init__(self, module: str, *, after: int) -> None:
        self.module = module
        self.left = after
        if self.left <= 0:
            self._start()

    def feed_done(self) -> None:
        self.left -= 1
        if self.left == 0:
            self._start()

    def _start(self) -> None:
        threading.Thread(target=self._import, name=f"import-{self.module}",
                         daemon=True).start()

    def _import(self) -> None:
        try:
            importlib.import_module(self.module)
        except Exception:  # noqa: BLE001 - the build's own import raises it, in context
            pass


def _update_and_write(options: BuildOptions, *, on_feed: ProgressHook | None,
                      on_start: Callable[[int], None] | None) -> tuple[BuildReport, StagedSite]:
    config = load_config(options.feeds_path)  # invalid feeds.yaml: nothing is written
    now = build_clock(options.day)
    seed = options.seed if options.seed is not None else seed_for(now.date())
    with Store(options.state_path) as store:
        first_build = not store.has_posts()
        states = store.sync_feeds(config.feeds, now)
        if on_start is not None:
            on_start(len(config.feeds))
        # Once the feeds left are in flight, import the topic model (_ImportAhead).
        ahead = _ImportAhead("aggregator.topiccache",
                             after=len(config.feeds) - options.fetch.concurrency)

        def feed_done(result: FetchResult, report: FeedReport) -> None:
            ahead.feed_done()
            if on_feed is not None:
                on_feed(result, report)

        reports = asyncio.run(update_feeds(config.feeds, states, store, now=now,
                                           options=options.fetch, first_build=first_build,
                                           on_feed=feed_done))
        states = store.feed_states()
        blogs = [make_blog(feed, states[feed.url]) for feed in config.feeds]
        dead = frozenset(b.url for b in blogs if is_dead(states[b.url], now))
        inputs = Inputs(feeds=config.feeds, blogs=blogs, dead=dead, today=now.date(),
                        seed=seed, base_url=options.base_url or DEFAULT_BASE_URL,
                        repo_url=options.repo_url, diamonds=options.diamonds)
        kept = remembered(store, inputs.digest(store.revision()))
        if kept is not None and previous_pages_key(Path(options.out_dir)) == kept:
            log.info("No post changed since the last build: its pages and topics are kept")
            return _keep_pages(store, inputs, reports, states, now=now, key=kept,
                               out_dir=options.out_dir)
        feed_urls = [f.url for f in config.feeds]
        from .topiccache import cached_topics, text_window  # imported during the fetch
        # The topic model reads each post's topic text, cleaned when it was read: the
        # texts themselves are loaded only for posts stored without one, and the topic
        # texts are read from the store as the topic stage needs them (a window or a blog
        # at a time), never all held: 1.5 KB a post, 150 MB at 100,000 posts (#14).
        posts = apply_feed_rules(store, config.feeds, store.posts(
            feed_urls, text_chars=POST_TEXT_CHARS, text_if_unclean=True, topic_words=False))
        posts = clean_topic_texts(store, posts)
        language_of = {b.url: b.language for b in blogs}

        from .topics import Document

        docs = [Document(id=p.uid, text=p.excerpt, title=p.title, clean=p.topic_text,
                         group=p.feed_url, language=p.language or language_of.get(p.feed_url),
                         published=p.published) for p in posts]
        # A fit is the build's highest memory: the posts are let go while it runs and read
        # again after it (185 MB at 100,000 posts; a second read, 1-2 s of CPU, on the days
        # the model is fitted only, #14). The Documents share the strings they need.
        held = [posts]
        del posts
        model, how = cached_topics(docs, store, today=now.date(), before_fit=held.clear)
        del docs
        posts = held[0] if held else store.posts(
            feed_urls, text_chars=POST_TEXT_CHARS, text_if_unclean=True, topic_words=False)
        if how == "reused":
            log.info("No post added or removed: topics reused from the previous build")
        elif how == "assigned":
            log.info("New posts put in the current topics; the model is fitted again weekly")
        store.save_topics(model.topics, now)
        # A cross-post is shown once, as the copy topics.py kept, crediting the other blogs.
        copies = {u for uids in model.duplicates.values() for u in uids}
        feed_of = {p.uid: p.feed_url for p in posts if p.uid in copies}
        also_on = {kept: [feed_of[u] for u in uids] for kept, uids in model.duplicates.items()}
        diamonds = _todays_diamonds(store, posts, model, copies, blogs=blogs, states=states,
                                    dead=dead, now=now, seed=seed, settings=options.diamonds)
        history = store.features()
        last_posts = newest_post_dates(posts)  # dormant blogs, on the status page (#17)

        report = BuildReport(
            date=now.date(), seed=seed, feeds=tuple(reports), topics=model.topics,
            diamonds=tuple(diamonds), new_posts=sum(r.new_posts for r in reports),
            health=tuple(sickest_first(feed_health(f, states[f.url], b.title, now,
                                                   last_post=last_posts.get(f.url))
                                       for f, b in zip(config.feeds, blogs, strict=True))),
            total_posts=len(posts), seconds=0.0, out_dir=options.out_dir,
        )
        content = SiteContent(
            today=now.date(), generated=now, seed=seed,
            base_url=options.base_url or DEFAULT_BASE_URL, repo_url=options.repo_url,
            blogs=blogs, posts=posts,
            topics=model.topics, misc=model.misc, diamonds=diamonds, related=model.related,
            also_on=also_on, copies=frozenset(copies),
            history=history, ledger=build_ledger(blogs, posts, history, today=now.date(),
                                                 settings=options.diamonds,
                                                 withdrawn=store.withdrawn_picks()),
            dissolved=[t for t in store.topics() if not t.active],
        )
        made_of = inputs.digest(store.revision())  # this build's own changes included
        staged = write_site(content, report, options.out_dir)
        remember(store, made_of, previous_pages_key(staged.tmp))
        # What the topic model and the diamonds will not read again goes, once this build
        # has used it (a feed that sent an old post again included): past the window a
        # post keeps what lists it, and its topic.
        retired = store.retire_texts(text_window(diamonds=options.diamonds), now)
        if retired:
            log.info("%d posts past the text window keep only what lists them", retired)
    return report, staged


def _todays_diamonds(store: Store, posts: Sequence[Post], model: TopicModel,
                     copies: AbstractSet[str], *, blogs: Sequence[Blog],
                     states: Mapping[str, FeedState], dead: frozenset[str], now: datetime,
                     seed: int, settings: DiamondSettings) -> list[Diamond]:
    """Pick today's diamonds among ``posts`` (cross-post copies left out) and store them.

    What the draw looks posts up by (every post's topic, at 300,000 posts two dicts of
    20 MB each) is let go on return, before the pages are written (#14).
    """
    shown = [p for p in posts if p.uid not in copies]
    topic_of = {uid: t.slug for t in model.topics for uid in t.post_uids}
    diamonds = pick_diamonds(shown, topic_of=topic_of, history=store.features(),
                             now=now, seed=seed, excluded_feeds=dead,
                             joined=joined_dates(blogs, states), duplicates=model.duplicates,
                             running=store.running_counts(), settings=settings)
    picked = {d.post_uid for d in diamonds}
    store.record_diamonds(now.date(), diamonds,
                          posts={p.uid: p for p in posts if p.uid in picked},
                          blog_titles={b.url: b.title for b in blogs})
    return diamonds


def _keep_pages(store: Store, inputs: Inputs, reports: Sequence[FeedReport],
                states: Mapping[str, FeedState], *, now: datetime, key: str,
                out_dir: str) -> tuple[BuildReport, StagedSite]:
    """Keep the site the last build wrote (``key``): nothing it shows has changed.

    No post is read: the topics are the stored model's, the diamonds today's stored
    picks, and only the status page and build.json are written again.
    """
    today = inputs.today
    last_posts = store.newest_post_dates()
    report = BuildReport(
        date=today, seed=inputs.seed, feeds=tuple(reports), topics=tuple(store.model_topics()),
        diamonds=tuple(Diamond(post_uid=f.post_uid, feed_url=f.feed_url, topic=f.topic,
                               reason=f.reason) for f in store.features() if f.date == today),
        new_posts=sum(r.new_posts for r in reports),
        health=tuple(sickest_first(feed_health(f, states[f.url], b.title, now,
                                               last_post=last_posts.get(f.url))
                                   for f, b in zip(inputs.feeds, inputs.blogs, strict=True))),
        total_posts=store.post_count(), seconds=0.0, out_dir=out_dir,
    )
    content = SiteContent(today=today, generated=now, seed=inputs.seed,
                          base_url=inputs.base_url, repo_url=inputs.repo_url,
                          blogs=inputs.blogs, posts=(), topics=(), misc=(), diamonds=())
    return report, write_site(content, report, out_dir, key=key)


def clean_topic_texts(store: Store, posts: list[Post]) -> list[Post]:
    """Give the posts stored without a topic text theirs (and store it); return all posts.

    Posts are cleaned as they are read; these were stored by an older version, or the
    cleaning has changed since (textclean.CLEAN_VERSION). A post without its text (past
    the text window) has nothing to clean: the model places it by its title.
    """
    by_feed: dict[str, list[Post]] = {}
    for post in posts:  # read with text_if_unclean: a post has its text only if unclean
        if post.topic_text is None and post.text:
            by_feed.setdefault(post.feed_url, []).append(post)
    if not by_feed:
        return posts
    texts: dict[str, str] = {}
    for blog_posts in by_feed.values():  # one blog at a time: its footers are found
        cleaned = topic_texts(blog_posts)
        texts.update((p.uid, text) for p, text in zip(blog_posts, cleaned, strict=True))
    store.save_topic_texts(texts)
    log.info("Cleaned the topic text of %d posts stored before this version", len(texts))
    return [replace(p, text="", topic_text=texts[p.uid]) if p.uid in texts else p
            for p in posts]


def apply_feed_rules(store: Store, feeds: Sequence[Feed], posts: list[Post]) -> list[Post]:
    """Drop (from ``posts`` and the store) the posts that feeds.yaml's include/exclude/hide reject.

    Rules are applied when storing too; this catches posts stored before a rule was added,
    so hiding a spam post takes it off every page, feed and the state export at once.
    """
    accepts = {feed.url: post_filter(feed) for feed in feeds}
    # A post past the text window has only its title left to match: ``exclude`` and
    # ``hide`` still take it off, but ``include`` is not asked again (it was, with the
    # whole text, when the post was stored), so a word only its text had keeps it.
    by_title = {feed.url: post_filter(replace(feed, include=())) for feed in feeds}
    # Keywords match the whole text: read it whole for the feeds that have keyword rules.
    keyword_feeds = [feed.url for feed in feeds if feed.include or feed.exclude]
    whole = {p.uid: p for p in store.iter_posts(keyword_feeds)} if keyword_feeds else {}

    def rejects(post: Post) -> bool:
        read = whole.get(post.uid, post)
        test = accepts if read.text or post.uid not in whole else by_title
        return not test[post.feed_url](read)

    rejected = [p for p in posts if rejects(p)]
    if rejected:
        store.delete_posts(p.uid for p in rejected)
        gone = {p.uid for p in rejected}
        posts = [p for p in posts if p.uid not in gone]
    return posts


def joined_dates(blogs: Sequence[Blog], states: Mapping[str, FeedState]) -> dict[str, date]:
    """Return when each blog joined: ``added`` in feeds.yaml, else when the store first saw it."""
    joined: dict[str, date] = {}
    for blog in blogs:
        first_seen = states[blog.url].first_seen if blog.url in states else None
        when = blog.added or (first_seen.date() if first_seen else None)
        if when is not None:
            joined[blog.url] = when
    return joined


def make_blog(feed: Feed, state: FeedState) -> Blog:
    """Merge what feeds.yaml and the feed itself say about a blog."""
    # Without a title anywhere, the blog is named by its site's host, never its feed's.
    title = feed.title or state.title or (urlsplit(feed.site or state.site or feed.url).hostname
                                          or feed.url)
    return Blog(
        url=feed.url, slug=state.slug, title=title, site=feed.site or state.site,
        author=feed.author, description=state.description, tags=feed.tags,
        language=feed.language, added=feed.added, last_success=state.last_success,
        last_error=state.last_error, consecutive_failures=state.consecutive_failures,
        fetch_trouble=fetch_trouble(state),
    )


async def update_feeds(
    feeds: Sequence[Feed],
    states: dict[str, FeedState],
    store: Store,
    *,
    now: datetime,
    options: FetchOptions,
    first_build: bool,
    on_feed: ProgressHook | None = None,
) -> list[FeedReport]:
    """Fetch, parse and store every feed; return one report per feed, in feeds.yaml order.

    Parsing runs in worker processes while other feeds are still downloading, and each
    feed's results are stored in one transaction as soon as they are ready.
    """
    # A body waits in memory for a worker: no more of them at once than feeds in flight.
    limiter = HostLimiter(options.concurrency, options.per_host, bodies=options.concurrency)
    workers = (os.cpu_count() or 1) if len(feeds) >= PARALLEL_PARSE_FROM else 1
    pool = ParsePool(workers, PARSE_LIMITS)  # started when the first body comes in

    async def one(feed: Feed, client: object) -> FeedReport:
        state = states.get(feed.url)
        if feed.disabled:  # never fetched; its stored posts stay on the site (#7)
            result = FetchResult(feed, Skipped(feed.url, "disabled in feeds.yaml"))
        else:
            result = await _fetch_one(client, feed, state, options, now=now, limiter=limiter)
        value = result.value
        parsed: ParsedFeed | ParseError | None = None
        if isinstance(value, FetchedFeed):
            try:
                parsed = await pool.parse(_parse_job, value.body, feed.url, now,
                                          value.content_type, value.final_url, feed.language)
            finally:
                limiter.body_done()
        try:
            report = _store_result(store, feed, state, value, parsed, now=now,
                                   first_build=first_build)
        except (StoreError, sqlite3.OperationalError):
            raise  # the state itself is failing: no other feed could be stored either
        except Exception as e:  # noqa: BLE001 - e.g. text SQLite cannot encode
            report = _unstorable(store, feed, e, now=now)
        if report.outcome == "failed":
            log.warning("%s: %s", feed.url, report.reason)
        if on_feed is not None:
            on_feed(result, report)
        return report

    try:
        async with make_client(options) as client:
            # Tasks start in creation order, so feeds that were slow last run go first
            # and their deadline overlaps the rest; reports stay in feeds.yaml order.
            order = sorted(range(len(feeds)), key=lambda i: fetch_priority(
                states.get(feeds[i].url)))
            tasks = {i: asyncio.ensure_future(one(feeds[i], client)) for i in order}
            return list(await asyncio.gather(*(tasks[i] for i in range(len(feeds)))))
    finally:
        pool.close()


async def _fetch_one(client: object, feed: Feed, state: FeedState | None,
                     options: FetchOptions, *, now: datetime,
                     limiter: HostLimiter) -> FetchResult:
    """Fetch one feed; anything it raises becomes that feed's :class:`FetchError`.

    fetch_feed reports what it expects as values; this is the guard for what it does
    not (an address the URL parser chokes on, a bug hit by one server's answer).
    """
    try:
        return await fetch_feed(client, feed, state, options,  # type: ignore[arg-type]
                                now=now, limiter=limiter)
    except Exception as e:  # noqa: BLE001 - one feed's failure is that feed's failure
        log.debug("%s: unexpected error while fetching", feed.url, exc_info=True)
        return FetchResult(feed, FetchError(unexpected_cause(e),
                                            f"{type(e).__name__}: {e}"))


def _unstorable(store: Store, feed: Feed, error: Exception, *, now: datetime) -> FeedReport:
    """Record that a feed's posts could not be stored (a value the store rejects)."""
    log.debug("%s: could not be stored", feed.url, exc_info=True)
    reason = f"could not be stored ({type(error).__name__}: {error})"
    store.record_failure(feed.url, now=now, error=reason, status=None, kind="store")
    return FeedReport(feed.url, "failed", reason, cause="store")


def _store_result(
    store: Store,
    feed: Feed,
    state: FeedState | None,
    value: FetchedFeed | NotModified | Skipped | FetchError,
    parsed: ParsedFeed | ParseError | None,
    *,
    now: datetime,
    first_build: bool,
) -> FeedReport:
    if isinstance(value, Skipped):
        if value.gone:
            return FeedReport(feed.url, "failed", value.reason, cause="gone")
        return FeedReport(feed.url, "not_modified", value.reason)
    if isinstance(value, NotModified):
        store.record_not_modified(feed.url, now=now, max_age=value.max_age,
                                  moved_to=value.moved_to)
        return FeedReport(feed.url, "not_modified", "304 Not Modified")
    if isinstance(value, FetchError):
        store.record_failure(feed.url, now=now, error=str(value), status=value.status,
                             kind=value.kind)
        return FeedReport(feed.url, "failed", str(value), cause=failure_cause(value))
    if isinstance(parsed, ParseError) or parsed is None:
        kind = parsed.kind if parsed is not None else "parse"
        reason = f"{kind}: {parsed}"
        store.record_failure(feed.url, now=now, error=reason, status=value.status,
                             kind=kind)
        return FeedReport(feed.url, "failed", reason, cause=kind)
    accepts = post_filter(feed)  # include/exclude/hide: rejected posts are never stored
    posts: Sequence[Post] = [p for p in parsed.posts if accepts(p)]
    joining = not first_build and (state is None or state.last_success is None)
    if joining:
        posts = posts[:FIRST_RUN_POSTS]  # newest first: the blog joins without flooding
    new = store.record_success(
        feed.url, now=now, status=value.status, etag=value.etag,
        last_modified=value.last_modified, title=parsed.title, site=parsed.site,
        description=parsed.description, posts=posts, max_age=value.max_age,
        moved_to=value.moved_to, shared_links=parsed.shared_links,
        merged_guids=parsed.merged_guids,
        # A blog listed without a title: its slug from the feed's title, or its site's host.
        slug_names=() if feed.title else tuple(
            name for name in (parsed.title, urlsplit(parsed.site or "").hostname) if name),
    )
    note = f" (joined: latest {len(posts)} of {len(parsed.posts)})" if joining else ""
    if parsed.unlinked:
        note += f"; {parsed.unlinked} without a link skipped"
    return FeedReport(feed.url, "ok", f"{len(parsed.posts)} posts, {new} new{note}",
                      new_posts=new)
