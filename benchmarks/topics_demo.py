"""Judge the topic model on the demo's sample blogs: a small community, as a site starts.

    .venv/bin/python benchmarks/topics_demo.py                 # the model and the baselines
    .venv/bin/python benchmarks/topics_demo.py --show-topics   # what each topic holds
    .venv/bin/python benchmarks/topics_demo.py --lsa-dims 20 --centring 0.5  # try settings

The sample (aggregator/sample/blogs.yaml) is 26 English blogs of 4 to 32 posts (242 posts
with a subject), written for the project with the real world's structure: eight subjects
each written on by at least three blogs, many blogs writing on two, each blog with a voice
of its own. A post's subject is judged from its categories (the first that names one of the
eight subjects, by the table below; posts whose categories name none are left out of the
scores), so the labels are a reader's judgement, not the model's input: the model reads the
title and the text only, through the same code as ``aggregator topics``.

Printed for each seed: NMI against the subjects and against the blogs, the topics, misc,
the largest topic; then the usual baselines told k=8 (TF-IDF + k-means, TF-IDF + LSA +
k-means at 20 and 100 dimensions). Not a test: a number to read beside topics_blogs.py's,
whose corpus is large (about 1,800 posts) where this one is small.
"""

from __future__ import annotations

import argparse
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import yaml
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score as nmi
from sklearn.preprocessing import normalize

from aggregator.topics import Document, TopicSettings, find_topics

SAMPLE = Path(__file__).resolve().parents[1] / "aggregator/sample/blogs.yaml"

# The eight subjects of the sample's header, and the categories that name each.
SUBJECTS = {
    "early reading": "phonics spelling blending decodable intervention",
    "libraries": "reading-for-pleasure libraries library-management library-spaces "
                 "school-library reluctant-readers book-club books information-literacy "
                 "research story-time",
    "maths": "maths number-sense problem-solving place-value fractions early-maths "
             "times-tables multiplication fluency calculation reasoning estimation "
             "division statistics measurement",
    "assessment": "assessment feedback marking grading questioning comparative-judgement "
                  "moderation reporting retrieval exams homework",
    "edtech": "ai devices digital-citizenship online-safety edtech computing phones",
    "leadership": "leadership staff-meetings workload budget timetabling staffing "
                  "curriculum governance inspection recruitment headship "
                  "senior-leadership staff middle-leadership",
    "wellbeing": "behaviour wellbeing relationships sel attendance restorative-practice "
                 "sanctions kindness routines transition",
    "science": "science outdoor-learning investigation practical-work scientific-writing "
               "biology chemistry technicians lab-safety demonstrations misconceptions",
}
SUBJECT_OF = {c: s for s, cats in SUBJECTS.items() for c in cats.split()}


def load(path: Path = SAMPLE) -> tuple[list[Document], dict[str, str]]:
    """Return the English posts as Documents, and the judged subject of each that has one."""
    docs, subject = [], {}
    for blog in yaml.safe_load(path.read_text(encoding="utf-8"))["blogs"]:
        if blog.get("language", "en") != "en":
            continue
        for post in blog.get("posts", []):
            uid = f"{blog['id']}/{post['slug']}"
            judged = next((SUBJECT_OF[c] for c in post.get("categories", [])
                           if c in SUBJECT_OF), None)
            if judged is not None:
                subject[uid] = judged
            docs.append(Document(id=uid, text=post.get("html") or post.get("summary") or "",
                                 title=post["title"], group=blog["id"], language="en"))
    return docs, subject


def ours(docs: Sequence[Document], seed: int, settings: TopicSettings) -> dict[str, str]:
    """Return each post's topic slug ("misc" for none) as the site's model finds them."""
    model = find_topics(docs, seed=seed, settings=settings)
    got = {uid: t.slug for t in model.topics for uid in t.post_uids}
    got.update((uid, "misc") for uid in model.misc)
    for kept, copies in model.duplicates.items():  # a cross-post is where its copy is
        got.update((uid, got[kept]) for uid in copies)
    return got


def told_k(texts: Sequence[str], k: int, seed: int, dims: int | None) -> list[int]:
    """TF-IDF (+ LSA of ``dims``) + k-means told k: the usual baseline."""
    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2,
                             max_df=0.5).fit_transform(texts)
    if dims is not None:
        matrix = normalize(TruncatedSVD(dims, random_state=seed).fit_transform(matrix))
    return [int(c) for c in KMeans(k, n_init=10, random_state=seed).fit_predict(matrix)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--show-topics", action="store_true")
    parser.add_argument("--lsa-dims", type=int, default=TopicSettings().lsa_dims)
    parser.add_argument("--centring", type=float, default=TopicSettings().centring)
    args = parser.parse_args(argv)
    settings = TopicSettings(lsa_dims=args.lsa_dims, centring=args.centring)
    docs, subject = load()
    judged = [d for d in docs if d.id in subject]
    truth = [subject[d.id] for d in judged]
    blogs = [d.group for d in judged]
    print(f"{len(docs)} English posts of {len(set(d.group for d in docs))} blogs, "
          f"{len(judged)} with a subject; the subjects' own NMI against the blogs: "
          f"{nmi(truth, blogs):.3f}")
    print(f"{'run':28} {'NMI subj':>8} {'NMI blog':>8} {'topics':>6} {'misc':>5} {'largest':>7}")
    scores = []
    for seed in range(args.seeds):
        got = ours(docs, seed, settings)
        found = [got[d.id] for d in judged]
        sizes = Counter(got.values())
        misc = sizes.pop("misc", 0)
        scores.append(nmi(truth, found))
        print(f"{'ours seed ' + str(seed):28} {scores[-1]:8.3f} {nmi(blogs, found):8.3f} "
              f"{len(sizes):6} {misc / len(docs):5.0%} "
              f"{max(sizes.values(), default=0) / len(docs):7.0%}")
        if args.show_topics and seed == 0:
            for slug, count in sizes.most_common():
                held = Counter(subject.get(uid, "?") for uid, s in got.items() if s == slug)
                print(f"    {slug[:36]:36} {count:3}  {dict(held.most_common(4))}")
    print(f"{'ours, mean':28} {statistics.mean(scores):8.3f}")
    texts = [f"{d.title}. {re.sub(r'<[^>]+>', ' ', d.text)}" for d in judged]
    for dims in (None, 20, 100):
        name = f"told k=8, tfidf{'' if dims is None else f'+lsa{dims}'}"
        base = [nmi(truth, told_k(texts, len(SUBJECTS), seed, dims))
                for seed in range(args.seeds)]
        print(f"{name:28} {statistics.mean(base):8.3f}  (worst {min(base):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
