"""Simulate a year of daily diamond draws over a skewed population of blogs (issues 5, 15).

Run by hand, not by pytest:

    .venv/bin/python benchmarks/diamonds_sim.py            # 300 blogs, 365 days, 5 picks a day
    .venv/bin/python benchmarks/diamonds_sim.py --blogs 80 --seed 1 2 3
    .venv/bin/python benchmarks/diamonds_sim.py --summer --baselines round-robin

The population: ``--blogs`` blogs, of which 10% are prolific and write 70% of all posts;
the rest post at rates spread log-uniformly over ``--slow-every``..``--fast-every`` days.
A fifth of the blogs join during the year (the rest are there on day one). Posts have
realistic lengths (some too short to be picked) and some are link roundups. ``--summer``:
the same year, but 90% of the blogs publish nothing for six weeks from 10 July.

Each day runs the REAL selection code (:func:`aggregator.diamonds.pick_diamonds`) with the
REAL SQLite history (:class:`aggregator.store.Store` on a temporary file: picks recorded
with ``record_diamonds`` and read back with ``features`` every day), next to baselines
that draw from the same pool (:func:`aggregator.diamonds.draw_pool`: the same eligibility,
window and widening):

- uniform: ``count`` posts drawn uniformly from the eligible posts not yet featured;
- latest: the ``count`` newest eligible posts not yet featured;
- round robin: the blogs that have waited longest, no randomness (a reference for what
  strict turn-taking achieves, given when each blog has a post to pick).

"capped opt" is the capped optimum: the lowest Gini any allocation of the window's picks
could reach when a blog can have at most as many picks as it had distinct eligible posts
in the window, and at most one a day (water-filling, :func:`capped_optimum`); "gap" is a
strategy's Gini minus it.

Reported, over 90-day and 30-day windows (one every 30 days; windows as
:class:`aggregator.windows.Window` counts them, like the draw and the ledger):

- Gini: of how many times each eligible blog was featured in the window;
- featured: share of eligible blogs featured at least once in the window;
- longest wait: the most days on which a blog had an eligible post without being featured
  (counted since its last feature; a blog still waiting at the window's end counts too);
- short days: days with fewer picks than ``--count`` while at least that many blogs had
  an eligible post within the widest window (180 days).

A blog is *eligible* in a window if on some day of it it was in the draw's pool (a post
that could be picked: recent, long enough, not a roundup, not featured before), judged
by each strategy's own history. The last line checks the real draw against issue 15's
targets.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator.diamondreasons import BEFORE_THE_DRAW  # noqa: E402
from aggregator.diamonds import (  # noqa: E402
    DiamondSettings,
    draw_pool,
    is_eligible,
    pick_diamonds,
    seed_for,
)
from aggregator.fairness import gini  # noqa: E402
from aggregator.models import Post  # noqa: E402
from aggregator.store import Store  # noqa: E402
from aggregator.windows import Window  # noqa: E402

START = date(2026, 1, 1)
TOPICS = ("phonics", "maths", "science", "history", "pastoral", "edtech", "leadership", "sen")
PROLIFIC_SHARE_OF_BLOGS = 0.10
PROLIFIC_SHARE_OF_POSTS = 0.70
JOINING_SHARE = 0.20  # of blogs join during the year
SUMMER_START, SUMMER_DAYS, SUMMER_SILENT = 190, 42, 0.9  # 10 July to 20 August


@dataclass
class SimBlog:
    url: str
    rate: float  # posts a day
    topic: str
    joined: date
    prolific: bool


@dataclass
class Population:
    blogs: list[SimBlog]
    posts_by_day: dict[date, list[Post]] = field(default_factory=dict)
    topic_of: dict[str, str] = field(default_factory=dict)
    substantial: dict[str, bool] = field(default_factory=dict)  # long enough, not a roundup


def make_population(n: int, days: int, *, seed: int, slow_every: float,
                    fast_every: float, summer: bool = False) -> Population:
    """Return ``n`` blogs, 10% writing 70% of the posts, and every post of ``days`` days.

    ``summer``: the same population, but 90% of its blogs (drawn apart from everything
    else) publish nothing for six weeks from day ``SUMMER_START``.
    """
    rng = random.Random(seed)
    silent: set[str] = set()
    quiet = Window(START + timedelta(days=SUMMER_START),
                   START + timedelta(days=SUMMER_START + SUMMER_DAYS - 1))
    n_prolific = max(1, round(n * PROLIFIC_SHARE_OF_BLOGS))
    small_rates = [math.exp(rng.uniform(math.log(1 / slow_every), math.log(1 / fast_every)))
                   for _ in range(n - n_prolific)]
    prolific_total = (sum(small_rates) * PROLIFIC_SHARE_OF_POSTS
                      / (1 - PROLIFIC_SHARE_OF_POSTS))
    shares = [rng.uniform(0.5, 1.5) for _ in range(n_prolific)]
    prolific_rates = [prolific_total * s / sum(shares) for s in shares]
    blogs = []
    for i, rate in enumerate(prolific_rates + small_rates):
        joins = rng.random() < JOINING_SHARE
        joined = START + timedelta(days=rng.randrange(1, days)) if joins else START - timedelta(
            days=rng.randrange(30, 2000))
        blogs.append(SimBlog(url=f"https://blog{i:03d}.example/feed", rate=rate,
                             topic=rng.choice(TOPICS), joined=joined, prolific=i < n_prolific))
    if summer:
        chosen = random.Random(f"summer-{seed}").sample(blogs, round(n * SUMMER_SILENT))
        silent = {b.url for b in chosen}
    population = Population(blogs=blogs)
    for d in range(-40, days):  # 40 days of posts before the first build
        day = START + timedelta(days=d)
        todays: list[Post] = []
        for blog in blogs:
            if day < blog.joined:
                continue
            for k in range(_poisson(rng, blog.rate)):
                post = _make_post(rng, blog, day, k)
                # Eligible on its day of publication: for the baselines, which share the real
                # eligibility rules; age is checked day by day.
                population.substantial[post.uid] = is_eligible(post, now=post.published,
                                                               settings=DiamondSettings())
                population.topic_of[post.uid] = (blog.topic if rng.random() < 0.8
                                                 else rng.choice(TOPICS))
                # A silent blog's summer posts are drawn all the same (and dropped), so the
                # rest of the year is the same as without a summer.
                if not (day in quiet and blog.url in silent):
                    todays.append(post)
        population.posts_by_day[day] = todays
    return population


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _make_post(rng: random.Random, blog: SimBlog, day: date, k: int) -> Post:
    roll = rng.random()
    if roll < 0.12:
        words = rng.randrange(20, 110)  # a notice, too short to be a diamond
    else:
        words = rng.randrange(150, 1500)
    roundup = rng.random() < (0.15 if blog.prolific else 0.03)
    published = datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC)
    return Post(feed_url=blog.url, guid=f"{day.isoformat()}-{k}", link=f"{blog.url}/{day}/{k}",
                title=("Weekly links" if roundup else f"Post {day} {k}"), published=published,
                excerpt="", text=" ".join(["word"] * words),
                link_words=int(words * 0.7) if roundup else rng.randrange(0, 10))


# -- strategies: each takes the day's candidates and returns (feed_url, post uid) picks ------


Pick = tuple[str, str]
Strategy = Callable[[date, Sequence[Post]], list[Pick]]


class RealDraw:
    """The real pick_diamonds with its history in a real SQLite Store."""

    def __init__(self, store: Store, population: Population, settings: DiamondSettings) -> None:
        self.store, self.population, self.settings = store, population, settings
        self.joined = {b.url: b.joined for b in population.blogs}
        self.by_deadline = 0  # picks made by the deadline rule, not drawn

    def __call__(self, day: date, posts: Sequence[Post]) -> list[Pick]:
        now = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
        picks = pick_diamonds(posts, topic_of=self.population.topic_of,
                              history=self.store.features(), now=now, seed=seed_for(day),
                              joined=self.joined, running=self.store.running_counts(),
                              settings=self.settings)
        self.store.record_diamonds(day, picks)
        self.by_deadline += sum(1 for d in picks if BEFORE_THE_DRAW in d.reason)
        return [(d.feed_url, d.post_uid) for d in picks]


def uniform(count: int, seed: int) -> Strategy:
    rng = random.Random(seed)

    def draw(day: date, candidates: Sequence[Post]) -> list[Pick]:
        chosen = rng.sample(list(candidates), min(count, len(candidates)))
        return [(p.feed_url, p.uid) for p in chosen]
    return draw


def latest(count: int) -> Strategy:
    def draw(day: date, candidates: Sequence[Post]) -> list[Pick]:
        newest = sorted(candidates, key=lambda p: (p.published, p.uid), reverse=True)
        return [(p.feed_url, p.uid) for p in newest[:count]]
    return draw


def round_robin(count: int) -> Strategy:
    last: dict[str, date] = {}

    def draw(day: date, candidates: Sequence[Post]) -> list[Pick]:
        by_blog: dict[str, Post] = {}
        for p in sorted(candidates, key=lambda p: (p.published, p.uid), reverse=True):
            by_blog.setdefault(p.feed_url, p)
        order = sorted(by_blog, key=lambda u: (last.get(u, date.min), u))
        picks = [(u, by_blog[u].uid) for u in order[:count]]
        for u, _ in picks:
            last[u] = day
        return picks
    return draw


# -- the simulation and its measures --------------------------------------------------------


@dataclass
class Run:
    """What one strategy did, day by day."""

    eligible: list[set[str]] = field(default_factory=list)  # blogs the draw could pick from
    offered: list[dict[str, frozenset[str]]] = field(default_factory=list)  # blog -> post uids
    picked: list[list[str]] = field(default_factory=list)
    waits: list[dict[str, int]] = field(default_factory=list)  # per day: blog -> days waited
    short: list[bool] = field(default_factory=list)  # fewer picks than count, enough blogs


def simulate(population: Population, strategy: Strategy, days: int,
             settings: DiamondSettings, *, real: bool) -> Run:
    """Run ``strategy`` for ``days`` days; every strategy draws from the real draw's pool.

    The pool (:func:`aggregator.diamonds.draw_pool`: the eligibility rules, the 30-day
    window and its widening in a quiet spell) is the real draw's, judged by each
    strategy's own history, so the baselines are held to the same windows.
    """
    run = Run()
    featured: set[str] = set()
    waited: dict[str, int] = {}  # days with an eligible post since the blog was last featured
    # Short days are judged against the widest window the draw may use (180 days), even
    # when a run keeps it from widening (--no-widening).
    widest = max((settings.window_days, *settings.wider_windows, *DiamondSettings().wider_windows))
    for d in range(days):
        day = START + timedelta(days=d)
        recent = [p for k in range(widest)
                  for p in population.posts_by_day.get(day - timedelta(days=k), ())]
        fit = [p for p in recent if population.substantial[p.uid] and p.uid not in featured]
        pool = draw_pool(fit, today=day, settings=settings)
        reachable = len({p.feed_url for p in fit})
        candidates = [p for ps in pool.by_blog.values() for p in ps]
        picks = strategy(day, recent if real else candidates)
        for url in pool.by_blog:
            waited[url] = waited.get(url, 0) + 1
        run.waits.append(dict(waited))  # as of the draw, so a pick's own wait is counted
        for url, uid in picks:
            featured.add(uid)
            waited.pop(url, None)
        run.eligible.append(set(pool.by_blog))
        run.offered.append({url: frozenset(p.uid for p in ps) for url, ps in pool.by_blog.items()})
        run.picked.append([url for url, _ in picks])
        run.short.append(len(picks) < min(settings.count, reachable))
    return run


@dataclass(frozen=True)
class Measure:
    gini: float
    optimum: float  # the capped optimum: the lowest Gini any allocation could reach
    featured: float
    longest_wait: int
    eligible: int
    picks: int


def measure(run: Run, window: Window) -> Measure:
    """Return the measures of ``run`` over ``window`` (days counted from START)."""
    days = range((window.first - START).days, (window.last - START).days + 1)
    eligible: set[str] = set().union(*(run.eligible[d] for d in days))
    counts = dict.fromkeys(eligible, 0)
    for d in days:
        for url in run.picked[d]:
            if url in counts:
                counts[url] += 1
    # A blog can have at most one pick a day, and each of its posts once.
    posts: dict[str, set[str]] = {}
    on_days = dict.fromkeys(eligible, 0)
    for d in days:
        for url, uids in run.offered[d].items():
            posts.setdefault(url, set()).update(uids)
            on_days[url] += 1
    caps = [min(len(posts[url]), on_days[url]) for url in eligible]
    picks = sum(counts.values())
    longest = max((w for d in days for w in run.waits[d].values()), default=0)
    return Measure(gini=gini(counts.values()), optimum=capped_optimum(caps, picks),
                   featured=sum(1 for c in counts.values() if c) / len(counts) if counts else 1.0,
                   longest_wait=longest, eligible=len(eligible), picks=picks)


def capped_optimum(caps: Sequence[int], picks: int) -> float:
    """Return the lowest Gini of ``picks`` picks among blogs that can take at most ``caps``.

    Water-filling: every blog gets min(cap, level) for the highest level the picks reach,
    and what is left goes one each to blogs that can take more. That allocation is
    majorised by every other one with the same caps and total, so no allocation has a
    lower Gini (or any other Schur-convex measure of inequality).
    """
    picks = min(picks, sum(caps))
    if picks <= 0 or not caps:
        return 0.0
    ordered = sorted(caps)
    level, spent, i = 0, 0, 0
    # Raise the level one pick at a time over the blogs not yet at their cap.
    while True:
        while i < len(ordered) and ordered[i] <= level:
            i += 1
        room = len(ordered) - i  # blogs that can take one more at this level
        if room == 0 or spent + room > picks:
            break
        spent += room
        level += 1
    extra = picks - spent
    alloc = [min(c, level) for c in ordered]
    for k in range(len(alloc) - 1, -1, -1):  # the leftover picks to blogs with room
        if extra == 0:
            break
        if ordered[k] > level:
            alloc[k] += 1
            extra -= 1
    return gini(alloc)


def windows(days: int, length: int, step: int) -> list[Window]:
    """Return the ``length``-day windows of the run, one every ``step`` days."""
    return [Window.as_of(START + timedelta(days=s + length - 1), length)
            for s in range(0, days - length + 1, step)]


@dataclass(frozen=True)
class Summary:
    """One strategy over one kind of window: means and worst cases."""

    eligible: float
    picks_per_blog: float
    optimum: float
    gini: float
    worst_gini: float
    gap: float  # mean of (Gini - capped optimum)
    worst_gap: float
    featured: float
    worst_featured: float
    longest_wait: int


def summarise(run: Run, spans: Sequence[Window]) -> Summary:
    ms = [measure(run, w) for w in spans]
    n = len(ms)
    gaps = [m.gini - m.optimum for m in ms]
    return Summary(
        eligible=sum(m.eligible for m in ms) / n,
        picks_per_blog=sum(m.picks / m.eligible for m in ms if m.eligible) / n,
        optimum=sum(m.optimum for m in ms) / n, gini=sum(m.gini for m in ms) / n,
        worst_gini=max(m.gini for m in ms), gap=sum(gaps) / n, worst_gap=max(gaps),
        featured=sum(m.featured for m in ms) / n, worst_featured=min(m.featured for m in ms),
        longest_wait=max(m.longest_wait for m in ms))


SPANS = (("90-day windows (every 30 days)", 90, 30), ("30-day windows (every 30 days)", 30, 30))


def report(runs: dict[str, Run], days: int) -> str:
    lines = []
    for title, length, step in SPANS:
        spans = windows(days, length, step)
        lines.append(f"\n{title}: {len(spans)} windows; mean (worst)")
        lines.append(f"{'strategy':<13}{'eligible':>9}{'picks/blog':>11}{'capped opt':>11}"
                     f"{'Gini':>15}{'gap':>15}{'featured >= 1':>17}{'longest wait':>14}"
                     f"{'short days':>12}")
        for name, run in runs.items():
            m = summarise(run, spans)
            lines.append(
                f"{name:<13}{m.eligible:>9.0f}{m.picks_per_blog:>11.2f}{m.optimum:>11.3f}"
                f"{m.gini:>8.3f} ({m.worst_gini:.3f}){m.gap:>+8.3f} ({m.worst_gap:+.3f})"
                f"{100 * m.featured:>9.1f}% ({100 * m.worst_featured:.1f}%)"
                f"{m.longest_wait:>12d} d{sum(run.short):>12d}")
    return "\n".join(lines)


def targets(runs: dict[str, Run], days: int) -> str:
    """Return one line: the real draw against the issue's targets (#15)."""
    real, rr = runs["diamonds"], runs.get("round robin")
    quarter = summarise(real, windows(days, 90, 30))
    month = summarise(real, windows(days, 30, 30))
    rr_wait = summarise(rr, windows(days, 90, 30)).longest_wait if rr else None
    checks = [
        ("90-day gap", f"{quarter.gap:+.3f} (worst {quarter.worst_gap:+.3f})",
         quarter.gap <= 0.03),
        ("monthly gap", f"{month.gap:+.3f} (worst {month.worst_gap:+.3f})", month.gap <= 0.05),
        ("reach 90 d", f"{100 * quarter.featured:.1f}% (worst {100 * quarter.worst_featured:.1f}%)",
         quarter.featured >= 0.99),
        ("longest wait", f"{quarter.longest_wait} d (round robin {rr_wait} d)",
         rr_wait is None or quarter.longest_wait <= rr_wait),
        ("short days", str(sum(real.short)), not any(real.short)),
    ]
    return "targets: " + "; ".join(f"{name} {value} {'met' if ok else 'MISSED'}"
                                   for name, value, ok in checks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blogs", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--count", type=int, default=DiamondSettings().count)
    parser.add_argument("--seed", type=int, nargs="+", default=[1],
                        help="one run per seed (population and draw)")
    parser.add_argument("--slow-every", type=float, default=120.0,
                        help="the slowest small blog posts once in this many days")
    parser.add_argument("--fast-every", type=float, default=7.0,
                        help="the busiest small blog posts once in this many days")
    parser.add_argument("--summer", action="store_true",
                        help=f"six weeks from day {SUMMER_START} in which 90%% of blogs are silent")
    defaults = DiamondSettings()
    parser.add_argument("--steepness", type=float, default=defaults.round_steepness,
                        help="each round a blog is owed multiplies its odds by e ** this "
                             "(0: every blog in the running alike, but for the boosts)")
    parser.add_argument("--last-chance", type=float, default=defaults.last_chance_rounds,
                        help="rounds more a blog is owed on its last post's last day (0: none)")
    parser.add_argument("--deadline", type=float, default=defaults.deadline_rounds,
                        help="rounds in the running after which a blog is picked before the "
                             "draw (0: no deadline, the draw of before)")
    parser.add_argument("--fewest-first", action="store_true",
                        help="after the deadlines, draw among the blogs featured fewest times "
                             "in 90 days, their posts leaving the window soonest first")
    parser.add_argument("--no-widening", action="store_true",
                        help="keep the 30-day window in a quiet spell (as before issue 15)")
    parser.add_argument("--baselines", choices=("all", "round-robin", "none"), default="all",
                        help="which baselines to run next to the real draw")
    args = parser.parse_args(argv)
    settings = DiamondSettings(count=args.count, round_steepness=args.steepness,
                               last_chance_rounds=args.last_chance,
                               deadline_rounds=args.deadline,
                               fewest_first=args.fewest_first,
                               wider_windows=() if args.no_widening else defaults.wider_windows)
    for seed in args.seed:
        run_one(args, settings, seed)
    return 0


def run_one(args: argparse.Namespace, settings: DiamondSettings, seed: int) -> None:
    """Simulate one population and seed, print its report and its targets."""
    population = make_population(args.blogs, args.days, seed=seed, slow_every=args.slow_every,
                                 fast_every=args.fast_every, summer=args.summer)
    all_posts = [p for ps in population.posts_by_day.values() for p in ps]
    prolific = {b.url for b in population.blogs if b.prolific}
    share = sum(1 for p in all_posts if p.feed_url in prolific) / len(all_posts)
    summer = (f"; a summer of {SUMMER_DAYS} days from day {SUMMER_START} with "
              f"{100 * SUMMER_SILENT:.0f}% of blogs silent" if args.summer else "")
    print(f"\n{args.blogs} blogs ({len(prolific)} prolific writing {100 * share:.0f}% of "
          f"{len(all_posts)} posts; {sum(1 for b in population.blogs if b.joined > START)} "
          f"join during the year{summer}), {args.days} days, {args.count} picks a day, "
          f"seed {seed}")
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        with Store(Path(tmp) / "sim.db") as store:
            real = RealDraw(store, population, settings)
            runs["diamonds"] = simulate(population, real, args.days, settings, real=True)
            stored = len(store.features())
        print(f"real draw: {time.monotonic() - started:.1f} s, {stored} picks in SQLite, "
              f"{real.by_deadline} ({100 * real.by_deadline / max(1, stored):.0f}%) by the "
              f"deadline, the rest drawn")
    if args.baselines == "all":
        runs["uniform"] = simulate(population, uniform(args.count, seed), args.days, settings,
                                   real=False)
        runs["latest"] = simulate(population, latest(args.count), args.days, settings,
                                  real=False)
    if args.baselines != "none":
        runs["round robin"] = simulate(population, round_robin(args.count), args.days,
                                       settings, real=False)
    pools = [len(e) for e in runs["diamonds"].eligible]
    print(f"blogs in the running: {sum(pools) / len(pools):.0f} a day on average "
          f"({min(pools)}-{max(pools)}; a round: {sum(pools) / len(pools) / args.count:.1f} days)")
    print(report(runs, args.days))
    print(targets(runs, args.days), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
