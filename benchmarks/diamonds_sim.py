"""Simulate a year of daily diamond draws over a skewed population of blogs (issue 5).

Run by hand, not by pytest:

    .venv/bin/python benchmarks/diamonds_sim.py            # 300 blogs, 365 days, 5 picks a day
    .venv/bin/python benchmarks/diamonds_sim.py --blogs 600 --count 5 --seed 2

The population: ``--blogs`` blogs, of which 10% are prolific and write 70% of all posts;
the rest post at rates spread log-uniformly over ``--slow-every``..``--fast-every`` days.
A fifth of the blogs join during the year (the rest are there on day one). Posts have
realistic lengths (some too short to be picked) and some are link roundups.

Each day runs the REAL selection code (:func:`aggregator.diamonds.pick_diamonds`) with the
REAL SQLite history (:class:`aggregator.store.Store` on a temporary file: picks recorded
with ``record_diamonds`` and read back with ``features`` every day), next to baselines:

- uniform: ``count`` posts drawn uniformly from the eligible posts not yet featured;
- latest: the ``count`` newest eligible posts not yet featured;
- round robin: the blogs that have waited longest, no randomness (a reference for what
  strict turn-taking achieves, given when each blog has a post to pick).

"even split" is the lowest Gini any scheme could reach with that many picks per eligible
blog (each blog k or k+1 picks), before even asking whether each blog had a post to pick.

Reported, over 90-day windows (every 30 days) and 30-day windows (calendar months):

- Gini: of how many times each eligible blog was featured in the window;
- featured: share of eligible blogs featured at least once in the window;
- longest wait: the most days on which a blog had an eligible post without being featured
  (counted since its last feature; a blog still waiting at the window's end counts too).

A blog is *eligible* in a window if on some day of it it had a post the draw could pick
(recent, long enough, not a roundup, not featured before), judged by each strategy's
own history.
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

from aggregator.diamonds import DiamondSettings, is_eligible, pick_diamonds, seed_for  # noqa: E402
from aggregator.fairness import gini  # noqa: E402
from aggregator.models import Post  # noqa: E402
from aggregator.store import Store  # noqa: E402

START = date(2026, 1, 1)
TOPICS = ("phonics", "maths", "science", "history", "pastoral", "edtech", "leadership", "sen")
PROLIFIC_SHARE_OF_BLOGS = 0.10
PROLIFIC_SHARE_OF_POSTS = 0.70
JOINING_SHARE = 0.20  # of blogs join during the year


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
                    fast_every: float) -> Population:
    """Return ``n`` blogs, 10% writing 70% of the posts, and every post of ``days`` days."""
    rng = random.Random(seed)
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
    population = Population(blogs=blogs)
    for d in range(-40, days):  # 40 days of posts before the first build
        day = START + timedelta(days=d)
        todays: list[Post] = []
        for blog in blogs:
            if day < blog.joined:
                continue
            for k in range(_poisson(rng, blog.rate)):
                post = _make_post(rng, blog, day, k)
                todays.append(post)
                # Eligible on its day of publication: for the baselines, which share the real
                # eligibility rules; age is checked day by day.
                population.substantial[post.uid] = is_eligible(post, now=post.published,
                                                               settings=DiamondSettings())
                population.topic_of[post.uid] = (blog.topic if rng.random() < 0.8
                                                 else rng.choice(TOPICS))
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

    def __call__(self, day: date, posts: Sequence[Post]) -> list[Pick]:
        now = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
        picks = pick_diamonds(posts, topic_of=self.population.topic_of,
                              history=self.store.features(), now=now, seed=seed_for(day),
                              joined=self.joined, settings=self.settings)
        self.store.record_diamonds(day, picks)
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
    """What one strategy did: per day, the blogs that had a candidate and the blogs picked."""

    eligible: list[set[str]] = field(default_factory=list)
    picked: list[list[str]] = field(default_factory=list)
    waits: list[dict[str, int]] = field(default_factory=list)  # per day: blog -> days waited


def simulate(population: Population, strategy: Strategy, days: int,
             settings: DiamondSettings, *, real: bool) -> Run:
    run = Run()
    featured: set[str] = set()
    waited: dict[str, int] = {}  # days with an eligible post since the blog was last featured
    window = timedelta(days=settings.window_days)
    for d in range(days):
        day = START + timedelta(days=d)
        now = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
        recent = [p for k in range(settings.window_days + 1)
                  for p in population.posts_by_day.get(day - timedelta(days=k), ())
                  if now - p.published <= window]
        candidates = [p for p in recent if p.uid not in featured and population.substantial[p.uid]]
        eligible = {p.feed_url for p in candidates}
        picks = strategy(day, recent if real else candidates)
        for url in eligible:
            waited[url] = waited.get(url, 0) + 1
        run.waits.append(dict(waited))  # as of the draw, so a pick's own wait is counted
        for url, uid in picks:
            featured.add(uid)
            waited.pop(url, None)
        run.eligible.append(eligible)
        run.picked.append([url for url, _ in picks])
    return run


@dataclass(frozen=True)
class Measure:
    gini: float
    featured: float
    longest_wait: int
    eligible: int


def measure(run: Run, start: int, length: int) -> Measure:
    days = range(start, min(start + length, len(run.picked)))
    eligible: set[str] = set().union(*(run.eligible[d] for d in days))
    counts = dict.fromkeys(eligible, 0)
    for d in days:
        for url in run.picked[d]:
            if url in counts:
                counts[url] += 1
    longest = max((w for d in days for w in run.waits[d].values()), default=0)
    return Measure(gini=gini(counts.values()),
                   featured=sum(1 for c in counts.values() if c) / len(counts) if counts else 1.0,
                   longest_wait=longest, eligible=len(eligible))


def even_split_gini(ratio: float) -> float:
    """Return the lowest Gini possible with ``ratio`` picks per blog: every blog k or k+1 picks.

    For ratio = k + f, a share f of blogs get k + 1 and the rest k: Gini = f(1 - f) / (k + f).
    Below one pick per blog that is 1 - ratio: someone must go without.
    """
    k, f = divmod(ratio, 1.0)
    return f * (1 - f) / (k + f) if ratio > 0 else 0.0


def windows(days: int, length: int, step: int) -> list[int]:
    return list(range(0, days - length + 1, step))


def report(runs: dict[str, Run], days: int) -> str:
    lines = []
    for title, length, step in (("90-day windows (every 30 days)", 90, 30),
                                ("30-day windows (months)", 30, 30)):
        starts = windows(days, length, step)
        lines.append(f"\n{title}: {len(starts)} windows; mean (worst)")
        lines.append(f"{'strategy':<14}{'eligible blogs':>16}{'picks/blog':>12}{'even split':>12}"
                     f"{'Gini':>16}{'featured >= 1':>18}{'longest wait':>16}")
        for name, run in runs.items():
            ms = [measure(run, s, length) for s in starts]
            elig = sum(m.eligible for m in ms) / len(ms)
            g = sum(m.gini for m in ms) / len(ms)
            f = sum(m.featured for m in ms) / len(ms)
            picks = sum(len(p) for p in run.picked[:length])  # picks in one window
            lines.append(
                f"{name:<14}{elig:>16.0f}{picks / elig:>12.2f}"
                f"{even_split_gini(picks / elig):>12.3f}"
                f"{g:>9.3f} ({max(m.gini for m in ms):.3f})"
                f"{100 * f:>10.1f}% ({100 * min(m.featured for m in ms):.1f}%)"
                f"{max(m.longest_wait for m in ms):>13d} d")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blogs", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--count", type=int, default=DiamondSettings().count)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slow-every", type=float, default=120.0,
                        help="the slowest small blog posts once in this many days")
    parser.add_argument("--fast-every", type=float, default=7.0,
                        help="the busiest small blog posts once in this many days")
    defaults = DiamondSettings()
    parser.add_argument("--wait-power", type=float, default=defaults.wait_power)
    parser.add_argument("--repeat-power", type=float, default=defaults.repeat_power)
    parser.add_argument("--last-chance", type=float, default=defaults.last_chance_boost,
                        help="the last-chance boost (0 turns it off)")
    parser.add_argument("--only-real", action="store_true", help="skip the baselines")
    args = parser.parse_args(argv)
    settings = DiamondSettings(count=args.count, wait_power=args.wait_power,
                               repeat_power=args.repeat_power,
                               last_chance_boost=args.last_chance)
    population = make_population(args.blogs, args.days, seed=args.seed,
                                 slow_every=args.slow_every, fast_every=args.fast_every)
    all_posts = [p for ps in population.posts_by_day.values() for p in ps]
    prolific = {b.url for b in population.blogs if b.prolific}
    share = sum(1 for p in all_posts if p.feed_url in prolific) / len(all_posts)
    print(f"{args.blogs} blogs ({len(prolific)} prolific writing {100 * share:.0f}% of "
          f"{len(all_posts)} posts; {sum(1 for b in population.blogs if b.joined > START)} "
          f"join during the year), {args.days} days, {args.count} picks a day, "
          f"seed {args.seed}")
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        with Store(Path(tmp) / "sim.db") as store:
            runs["diamonds"] = simulate(population, RealDraw(store, population, settings),
                                        args.days, settings, real=True)
            stored = len(store.features())
        print(f"real draw: {time.monotonic() - started:.1f} s, {stored} picks in SQLite")
    if args.only_real:
        print(report(runs, args.days))
        return 0
    runs["uniform"] = simulate(population, uniform(args.count, args.seed), args.days, settings,
                               real=False)
    runs["latest"] = simulate(population, latest(args.count), args.days, settings, real=False)
    runs["round robin"] = simulate(population, round_robin(args.count), args.days, settings,
                                   real=False)
    print(report(runs, args.days))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
