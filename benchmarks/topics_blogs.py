"""Benchmark the topic model on many blogs, each with a strong voice of its own (issue 12).

    .venv/bin/python benchmarks/topics_blogs.py                 # 3 seeds, full posts
    .venv/bin/python benchmarks/topics_blogs.py --short         # one-paragraph summaries
    .venv/bin/python benchmarks/topics_blogs.py --podsearch     # the 52 real feeds too
    .venv/bin/python benchmarks/topics_blogs.py --seeds 1 --show-topics

Single-source corpora (one newspaper) hide what many blogs do to a topic model: each blog
repeats its own words (its name, its host's, its school, "Episode 12", its sign-off), and
those are the most distinctive terms TF-IDF sees, so clusters follow blogs, not subjects.
This builds a corpus with that structure from the BBC News articles
(../shared/corpora/labeled/bbc-news/bbc.jsonl, deduplicated by text): about 40 synthetic
blogs, each writing mostly on one or two of the five labels, in its own voice:

- a blog name and a host's name used inside sentences, a show or column title, a school
  or district, a sign-off line, a few favourite phrases;
- podcast-like blogs add format lines ("Episode 12", "Duration: 8:03", "Show notes");
- some blogs post once a month, some ten times; some feeds declare their language.

Reported for each seed: NMI against the labels and against the blogs (misc counted as one
more cluster), the share of topics with posts from at least 3 blogs, the post-weighted
share of each topic's largest blog, the largest topic's share, misc share, time. Targets
(issue 12): NMI(labels) >= 0.80, NMI(blogs) at most half of it, every topic from >= 3
blogs, largest-blog share <= 0.35, misc <= 25%.

``--podsearch`` also runs the model on the real feeds of
../shared/corpora/real-feeds/podsearch-2012/ (52 publishers, 13 languages; no labels) and
reports the same blog figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import (
    homogeneity_score,
    mutual_info_score,
    normalized_mutual_info_score,
)
from sklearn.preprocessing import normalize

from aggregator.models import MISC_SLUG, TopicModel
from aggregator.topics import Document, assignments, find_topics

SHARED = Path(__file__).resolve().parents[2] / "shared"
BBC = SHARED / "corpora/labeled/bbc-news/bbc.jsonl"
PODSEARCH = SHARED / "corpora/real-feeds/podsearch-2012"

FIRST = ["Jeff", "Marisol", "Kathy", "Dmitri", "Aoife", "Tunde", "Priya", "Gareth", "Ingrid",
         "Rosalind", "Bartholomew", "Yusuf", "Henrike", "Lorcan", "Ximena", "Odalys", "Fergus",
         "Wilhelmina", "Cosmo", "Tamsin"]
LAST = ["Marlow", "Quintero", "Abernathy", "Volkov", "Gallagher", "Okonkwo", "Raghunathan",
        "Pritchard", "Lindqvist", "Featherstone", "Pemberton", "Haddad", "Brauer", "Mulcahy",
        "Zamora", "Castellanos", "McTavish", "Ashdown", "Kowalczyk", "Trelawney"]
PLACES = ["West Ridge", "Baltimore County", "Maple Hollow", "Cedar Falls", "Kingsbridge",
          "Harrowgate", "Port Ellery", "Stonecross", "Willowmere", "Fernhill", "Ashby Vale",
          "Brackenridge", "Lakeshore", "Oakhampton", "Redcliffe", "Thornbury"]
INSTITUTIONS = ["Academy", "Public Schools", "High School", "Unified School District",
                "Community College", "Middle School", "Grammar School", "Elementary"]
SHOW_WORDS = (["Staffroom", "Chalkface", "Bell Ringer", "Lesson Plan", "Hallway", "Recess",
               "Margin", "Homework", "Faculty", "Red Pen", "Assembly", "Whiteboard", "Satchel",
               "Gradebook", "Playground", "Lanyard"],
              ["Sessions", "Chronicle", "Live", "Huddle", "Radio", "Notes", "Hour", "Lounge",
               "Review", "Dispatch", "Diaries", "Roundtable"])
PHRASES = ["at the end of the day", "hit submit", "check it out", "food for thought",
           "you heard it here first", "as always", "without further ado", "let that sink in",
           "here is the thing", "mark my words", "long story short", "in a nutshell",
           "take it from me", "for what it is worth", "believe it or not", "no two ways about it"]
SIGN_OFFS = ["Until next time, keep teaching!", "Stay curious, {first}.",
             "Thanks for listening to {show}.", "Cheers from {place}, {first}",
             "That's all from {school} this week.", "Keep the faith, {first} {last}",
             "Onwards and upwards! {first}", "See you in the staffroom. {first}"]
# The words of the blogs' voices (names, shows, places, schools, catchphrases, format
# lines), for counting labels that hold one: a topic named by a voice is a voice's topic.
_GENERIC = {"at", "the", "of", "day", "end", "it", "out", "for", "what", "is", "in", "a",
            "as", "here", "first", "no", "two", "take", "from", "me", "my", "let", "that",
            "believe", "or", "not", "to", "worth", "with", "further", "ado", "without",
            # words a news label may hold in their own right
            "about", "back", "high", "live", "one", "review", "middle", "long", "show", "red",
            "public", "community", "you", "hour", "school", "schools", "words", "thing",
            "ways", "lesson", "plan", "homework", "college", "county", "district", "port",
            "falls", "food", "thought", "story", "heard", "notes", "elementary", "grammar",
            "unified", "faculty", "radio", "assembly", "margin", "dispatch", "chronicle"}
VOICE_WORDS = frozenset(
    w.lower().strip(",.!")
    for text in (FIRST + LAST + PLACES + INSTITUTIONS + SHOW_WORDS[0] + SHOW_WORDS[1]
                 + PHRASES + ["Episode Duration Show notes Welcome back crew Quick one"])
    for w in text.split()) - _GENERIC


@dataclass(frozen=True)
class Blog:
    id: str
    host: tuple[str, str]
    show: str
    school: str
    place: str
    sign_off: str
    phrases: tuple[str, ...]
    podcast: bool
    labels: tuple[str, ...]  # primary, then secondary
    posts_per_month: int
    language: str | None


def load_bbc() -> list[dict[str, str]]:
    """Return BBC rows, the first of rows with the same text kept."""
    rows, seen = [], set()
    for line in BBC.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["text"] not in seen:
            seen.add(row["text"])
            rows.append(row)
    return rows


def make_blogs(labels: Sequence[str], rng: np.random.Generator, count: int = 40) -> list[Blog]:
    """Return ``count`` blogs, each with its voice, its subjects and its posting rate."""
    # Each blog's identity is its own (as on the web): no two share a host, show or school.
    hosts = [(f, la) for f in FIRST for la in LAST]
    shows = [f"{a} {b}" for a in SHOW_WORDS[0] for b in SHOW_WORDS[1]]
    schools = [(p, f"{p} {k}") for p in PLACES for k in INSTITUTIONS]
    picks = {name: rng.permutation(len(pool))[:count].tolist()
             for name, pool in (("hosts", hosts), ("shows", shows), ("schools", schools))}
    blogs = []
    for i in range(count):
        primary = labels[i % len(labels)]
        others = [x for x in labels if x != primary]
        subjects = (primary,) if rng.random() < 0.4 else (primary, str(rng.choice(others)))
        first, last = hosts[picks["hosts"][i]]
        place, school = schools[picks["schools"][i]]
        show = shows[picks["shows"][i]]
        sign = str(rng.choice(SIGN_OFFS)).format(first=first, last=last, show=show,
                                                 place=place, school=school)
        rate = int(rng.choice([1, 1, 2, 3, 4, 6, 10]))
        blogs.append(Blog(
            id=f"blog{i:02d}", host=(first, last), show=show, school=school, place=place,
            sign_off=sign, phrases=tuple(rng.choice(PHRASES, size=3, replace=False).tolist()),
            podcast=bool(rng.random() < 0.3), labels=subjects, posts_per_month=rate,
            language="en" if rng.random() < 0.7 else None))
    return blogs


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in text.replace("\n", " ").split(". ") if s.strip()]


def write_post(blog: Blog, row: dict[str, str], number: int, rng: np.random.Generator,
               *, short: bool) -> tuple[str, str]:
    """Return (title, HTML text) of one post of ``blog`` about BBC article ``row``."""
    first, last = blog.host
    sentences = _sentences(row["text"])
    # A feed carries a summary (two sentences) or a short post (4 to 12), rarely more.
    sentences = sentences[:2] if short else sentences[:int(rng.integers(4, 13))]
    # The blog's voice inside the sentences: names, its school, favourite phrases.
    body = []
    for j, sentence in enumerate(sentences):
        if j % 5 == 2:
            phrase = str(rng.choice(blog.phrases)).capitalize()
            sentence = f"{phrase}, {sentence[:1].lower()}{sentence[1:]}"
        body.append(sentence.rstrip(".") + ".")
    intro = str(rng.choice([
        f"Welcome back to {blog.show}! I'm {first} {last} from {blog.school}.",
        f"Here at {blog.school}, {first} has been thinking about this one.",
        f"{first} {last} here, with another {blog.show} for the {blog.place} crew.",
        f"Quick one from {first} at {blog.school} today.",
    ]))
    parts = [f"<p>{intro}</p>"]
    if blog.podcast:
        minutes, seconds = int(rng.integers(5, 60)), int(rng.integers(0, 60))
        parts.append(f"<p>Episode {number}. Duration: {minutes}:{seconds:02d}</p>")
        parts.append("<p>Show notes:</p>")
    paragraphs = [" ".join(body[k:k + 4]) for k in range(0, len(body), 4)]
    parts += [f"<p>{p}</p>" for p in paragraphs]
    parts.append(f"<p>{rng.choice(blog.phrases).capitalize()}: {first} will be back soon on "
                 f"{blog.show}.</p>")
    parts.append(f"<p>{blog.sign_off}</p>")
    title = row["title"]
    if blog.podcast or rng.random() < 0.3:
        title = f"{blog.show} #{number}: {title}"
    return title, "\n".join(parts)


def make_corpus(seed: int, *, short: bool = False, months: int = 12
                ) -> tuple[list[Document], list[str], list[str]]:
    """Return documents, their labels and their blogs."""
    rng = np.random.default_rng(seed)
    rows = load_bbc()
    by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_label[row["label"]].append(row)
    for pool in by_label.values():
        rng.shuffle(pool)
    labels = sorted(by_label)
    blogs = make_blogs(labels, rng)
    docs, truth, owners = [], [], []
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for blog in blogs:
        count = blog.posts_per_month * months
        for n in range(1, count + 1):
            label = blog.labels[0] if len(blog.labels) == 1 or rng.random() < 0.75 \
                else blog.labels[1]
            if not by_label[label]:
                label = max(by_label, key=lambda x: len(by_label[x]))
            if not by_label[label]:
                break
            row = by_label[label].pop()
            title, text = write_post(blog, row, n, rng, short=short)
            when = start + timedelta(days=float(rng.uniform(0, 30 * months)))
            docs.append(Document(id=f"{blog.id}/{n}", text=text, title=title, group=blog.id,
                                 language=blog.language, published=when))
            truth.append(label)
            owners.append(blog.id)
    return docs, truth, owners


@dataclass
class Figures:
    nmi_labels: float | None
    # Whether each topic holds one label's posts: unlike NMI, a subject found as two
    # sub-subjects (tennis and football in "sport") is not a fault here, a mixture is.
    homogeneity: float | None
    # Topics whose label holds a word of a generated blog's voice (VOICE_WORDS).
    voice_topics: int | None
    nmi_blogs: float
    # I(topics; blogs | labels) / H(blogs | labels): how much of which blog wrote a post
    # the topics tell, once its subject is known (0: topics follow subjects alone; 1:
    # blogs). NMI against the blogs cannot fall far below the labels' own on a corpus
    # where most blogs write on one subject; this measures the voice alone.
    blog_beyond: float | None
    topics: int
    from_3_blogs: float  # share of topics with posts from >= 3 blogs
    largest_blog: float  # post-weighted mean share of a topic's largest blog
    largest_topic: float
    misc: float
    shelves: float  # share of posts on a language's shelf ("In French"): not a subject
    seconds: float
    labels: list[tuple[str, int, int, float]]  # label, posts, blogs, largest blog share


def measure(docs: Sequence[Document], truth: Sequence[str] | None, seed: int) -> Figures:
    """Run the model and compute the figures."""
    started = time.perf_counter()
    model = find_topics(docs, seed=seed)
    seconds = time.perf_counter() - started
    found = [slug for _, slug in assignments(model, docs)]
    owners = [d.group for d in docs]
    return figures(model, docs, found, owners, truth, seconds)


def figures(model: TopicModel, docs: Sequence[Document], found: Sequence[str],
            owners: Sequence[str], truth: Sequence[str] | None, seconds: float) -> Figures:
    """Compute the figures of one run (languages' shelves are not counted as topics)."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, slug in enumerate(found):
        members[slug].append(i)
    rows = []
    weighted, total = 0.0, 0
    shelves = 0
    for topic in model.topics:
        idx = members.get(topic.slug, [])
        if not idx:
            continue
        if topic.terms and topic.terms[0].startswith("in-"):  # a language's shelf, no subject
            shelves += len(idx)
            continue
        blogs = Counter(owners[i] for i in idx)
        top = blogs.most_common(1)[0][1] / len(idx)
        rows.append((topic.label, len(idx), len(blogs), top))
        weighted += top * len(idx)
        total += len(idx)
    n = len(docs)
    return Figures(
        nmi_labels=normalized_mutual_info_score(truth, found) if truth else None,
        homogeneity=homogeneity_score(truth, found) if truth else None,
        voice_topics=sum(1 for label, *_ in rows
                         if {w.lower().strip(",.&") for w in label.split()} & VOICE_WORDS)
        if truth else None,
        nmi_blogs=normalized_mutual_info_score(owners, found),
        blog_beyond=blog_beyond_subject(found, owners, truth) if truth else None,
        topics=len(rows),
        from_3_blogs=sum(1 for r in rows if r[2] >= 3) / max(len(rows), 1),
        largest_blog=weighted / max(total, 1),
        largest_topic=max((r[1] for r in rows), default=0) / n,
        misc=len(members.get(MISC_SLUG, [])) / n,
        shelves=shelves / n,
        seconds=seconds,
        labels=sorted(rows, key=lambda r: -r[1]),
    )


def told_k(docs: Sequence[Document], truth: Sequence[str], seed: int) -> list[str]:
    """Return the clusters of the usual baseline told k: what plain TF-IDF allows."""
    texts = [f"{d.title}\n{d.text}" for d in docs]
    x = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    z = normalize(TruncatedSVD(100, random_state=seed).fit_transform(x))
    k = len(set(truth))
    return [str(c) for c in KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(z)]


def blog_beyond_subject(found: Sequence[str], owners: Sequence[str],
                        truth: Sequence[str]) -> float:
    """Return I(found; owners | truth) / H(owners | truth) (see Figures.blog_beyond)."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(truth):
        by_label[label].append(i)
    shared, entropy = 0.0, 0.0
    for idx in by_label.values():
        weight = len(idx) / len(truth)
        blogs = [owners[i] for i in idx]
        shared += weight * mutual_info_score(blogs, [found[i] for i in idx])
        counts = np.array(list(Counter(blogs).values()), dtype=float) / len(idx)
        entropy += weight * float(-(counts * np.log(counts)).sum())
    return shared / entropy if entropy > 0 else 0.0


HEADER = (f"{'run':18} {'docs':>5} {'NMI lab':>7} {'homog':>5} {'NMI blog':>8} "
          f"{'blog|subj':>9} {'topics':>6} {'voice':>5} {'>=3 blogs':>9} "
          f"{'top blog':>8} {'top topic':>9} {'misc':>5} {'shelves':>7} {'time s':>6}")


def row(name: str, n: int, f: Figures) -> str:
    nmi = f"{f.nmi_labels:7.3f}" if f.nmi_labels is not None else f"{'-':>7}"
    beyond = f"{f.blog_beyond:9.3f}" if f.blog_beyond is not None else f"{'-':>9}"
    homog = f"{f.homogeneity:5.3f}" if f.homogeneity is not None else f"{'-':>5}"
    voice = f"{f.voice_topics:5d}" if f.voice_topics is not None else f"{'-':>5}"
    return (f"{name:18} {n:5d} {nmi} {homog} {f.nmi_blogs:8.3f} {beyond} {f.topics:6d} "
            f"{voice} {f.from_3_blogs:9.0%} "
            f"{f.largest_blog:8.2f} {f.largest_topic:9.0%} {f.misc:5.0%} {f.shelves:7.0%} "
            f"{f.seconds:6.1f}")


def show_topics(f: Figures) -> None:
    """Print each subject topic: posts, blogs, its largest blog's share, label."""
    for label, posts, blogs, top in f.labels:
        print(f"    {posts:5d} posts {blogs:3d} blogs  top blog {top:4.0%}  {label}")


def podsearch_docs() -> list[Document]:
    """Return the posts of the 52 real feeds, read by the site's own parser."""
    from aggregator.parse import parse_feed

    now = datetime(2012, 12, 31, tzinfo=UTC)
    docs = []
    for path in sorted(PODSEARCH.glob("*.xml")):
        try:
            parsed = parse_feed(path.read_bytes(), feed_url=f"http://127.0.0.1/{path.name}",
                                now=now)
        except Exception as e:  # noqa: BLE001 - a benchmark: report and go on
            print(f"  {path.name}: {type(e).__name__}", file=sys.stderr)
            continue
        for post in parsed.posts:
            docs.append(Document(id=post.uid, text=post.text, title=post.title,
                                 group=path.name, language=post.language or parsed.language,
                                 published=post.published))
    return docs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--short", action="store_true", help="one-paragraph summaries")
    parser.add_argument("--both", action="store_true", help="full posts and summaries")
    parser.add_argument("--podsearch", action="store_true")
    parser.add_argument("--orders", type=int, default=1, metavar="N",
                        help="podsearch: also in N-1 shuffled orders of the posts")
    parser.add_argument("--show-topics", action="store_true")
    parser.add_argument("--told-k", action="store_true",
                        help="also TF-IDF + LSA(100) + k-means told the number of labels")
    args = parser.parse_args(argv)
    if not BBC.exists():
        print(f"{BBC} is missing (../shared)", file=sys.stderr)
        return 2
    modes = [False, True] if args.both else [args.short]
    print(HEADER)
    for short in modes:
        results = []
        for seed in range(args.seeds):
            docs, truth, owners = make_corpus(seed, short=short)
            f = measure(docs, truth, seed)
            results.append(f)
            print(row(f"{'summaries' if short else 'posts'} seed {seed}", len(docs), f)
                  + f"   (the labels' own NMI against the blogs: "
                    f"{normalized_mutual_info_score(truth, owners):.3f})")
            if args.told_k:
                print(f"  TF-IDF + LSA + k-means told k={len(set(truth))}: NMI labels "
                      f"{normalized_mutual_info_score(truth, told_k(docs, truth, seed)):.3f}")
            if args.show_topics:
                show_topics(f)
        if len(results) > 1:
            print(f"  mean NMI labels {statistics.mean(r.nmi_labels or 0 for r in results):.3f}"
                  f", blogs {statistics.mean(r.nmi_blogs for r in results):.3f}, misc "
                  f"{statistics.mean(r.misc for r in results):.0%}, worst top-blog share "
                  f"{max(r.largest_blog for r in results):.2f}")
    if args.podsearch:
        docs = podsearch_docs()
        for order in range(args.orders):  # the site's seed is fixed; the posts' order is not
            shuffled = list(docs)
            if order:
                random.Random(order).shuffle(shuffled)
            f = measure(shuffled, None, 0)
            print(row(f"podsearch order {order}", len(docs), f))
            show_topics(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
