"""Fuzz ``aggregator build`` with mutated and hostile feeds served on loopback (run by hand).

    .venv/bin/python benchmarks/fuzz_feeds.py                      # 10 builds of 200 feeds
    .venv/bin/python benchmarks/fuzz_feeds.py --builds 2 --feeds 50 --seed 7

Each build gets a fresh state and ``--feeds`` feeds, each a different input: about half
are files of the corpora (../shared/corpora/feedparser-samples and real-feeds when
present, and tests/data/feeds) put through a few random mutations (bit flips, truncation,
cut or repeated ranges, hostile snippets spliced in, the encoding declaration changed),
the rest come from a generator of hostile feeds: entity declarations (a big internal
entity, billion laughs, external and parameter entities), deep and escaped nesting,
huge nodes, bad encodings, bad redirects (empty or over-long host labels, credentials,
``javascript:``, loops), bidi controls, junk guids, gzip bombs, tag soup.

Reported: the inputs served, build crashes (a non-zero exit, no build.json, a feed missing
from it, or a traceback), each failure cause, the slowest parse (CPU seconds of the parse
job in its worker, measured by wrapping it; a job killed at its limit is counted apart),
the peak memory (PSS) of the whole process tree of a build (build, parse workers,
Pagefind; sampled from /proc by tree_memory.py), and checks on what was written: no bidi
control and no ``javascript:`` link in any page or feed, and no request ever reaching the
address an external entity names.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "corpora"
sys.path.insert(0, str(HERE))

import tree_memory  # noqa: E402 - sibling scripts, not a package
from fuzz_checks import check_output  # noqa: E402

# -- the parse job the builds run: the real one, timed ---------------------------------------

def timed_parse(*args: Any) -> Any:
    """Run aggregator's parse job and append its CPU and wall time to $FUZZ_PARSE_LOG."""
    from aggregator.workers import parse_job

    cpu, wall = _cpu(), time.perf_counter()
    result = parse_job(*args)
    line = f"{_cpu() - cpu:.3f}\t{time.perf_counter() - wall:.3f}\t{args[1]}\n"
    with open(os.environ["FUZZ_PARSE_LOG"], "a") as log:
        log.write(line)
    return result


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def mark_stages(build: Any) -> None:
    """Note in $FUZZ_STAGES when the build's fetch-and-parse and its writing of pages end."""
    def mark(name: str) -> None:
        with open(os.environ["FUZZ_STAGES"], "a") as log:
            log.write(f"{name}\t{time.time():.3f}\n")

    update_feeds, write_site = build.update_feeds, build.write_site

    async def fetch(*args: Any, **kwargs: Any) -> Any:
        try:
            return await update_feeds(*args, **kwargs)
        finally:
            mark("fetched")

    def write(*args: Any, **kwargs: Any) -> Any:
        try:
            return write_site(*args, **kwargs)
        finally:
            mark("written")

    build.update_feeds, build.write_site = fetch, write


# The build, its parse job timed, its stages marked; its stderr (the failing feeds, a
# traceback) to a file.
BUILD = ("import os, sys\nsys.path.insert(0, {here!r})\nimport fuzz_feeds\n"
         "os.dup2(os.open(os.environ['FUZZ_STDERR'], os.O_WRONLY | os.O_CREAT), 2)\n"
         "from aggregator import build\nfrom aggregator.cli import main\n"
         "build._parse_job = fuzz_feeds.timed_parse\nfuzz_feeds.mark_stages(build)\n"
         "sys.exit(main(sys.argv[1:]))\n")


# -- inputs ----------------------------------------------------------------------------------

@dataclass
class Answer:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = ""


def corpus_files() -> list[Path]:
    """Return the feed files of the corpora that are present (not their manifests)."""
    roots = [SHARED / "feedparser-samples", SHARED / "real-feeds", ROOT / "tests" / "data"]
    skip = {"readme.md", "manifest.json", "date_strings.json"}
    return [p for root in roots if root.is_dir() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name.lower() not in skip and p.stat().st_size < 6_000_000]


SNIPPETS = [b"<!ENTITY x 'y'>", b"&lt;div&gt;" * 2000, b"]]>", b"\x00", "\u202e".encode(),
            b"&#xD800;", b"<![CDATA[", b"<div>" * 3000, b"&bogus;", b"<?xml version='1.0'?>",
            b"<!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\">]>", b"&#1114112;", b"\xff\xfe",
            b"<script>alert(1)</script>", b"<a href='javascript:alert(1)'>x</a>",
            b"<guid>g1</guid>", b"<link>javascript:alert(1)</link>"]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Return ``data`` with 1-4 random mutations, and their names."""
    names = []
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(("flip", "truncate", "cut", "repeat", "splice", "encoding"))
        names.append(op)
        n = len(buf)
        if n == 0:
            buf += rng.choice(SNIPPETS)
            continue
        at = rng.randrange(n)
        if op == "flip":
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(n)
                buf[i] ^= 1 << rng.randrange(8)
        elif op == "truncate":
            del buf[at:]
        elif op == "cut":
            del buf[at:at + rng.randint(1, 2000)]
        elif op == "repeat":
            piece = bytes(buf[at:at + rng.randint(1, 500)])
            buf[at:at] = piece * rng.randint(2, 200)
        elif op == "splice":
            buf[at:at] = rng.choice(SNIPPETS)
        else:
            enc = rng.choice((b"utf-16", b"utf-32", b"iso-8859-1", b"x-bogus", b"utf-7",
                              b"shift_jis", b""))
            buf = bytearray(re.sub(rb'encoding="[^"]*"', b'encoding="' + enc + b'"',
                                   bytes(buf), count=1))
    return bytes(buf[:5_500_000]), "+".join(names)


def rss(items: str, *, prolog: str = "", title: str = "Hostile", extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<rss version="2.0" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>{title}</title>'
            f"<link>https://hostile.example/</link>{extra}{items}</channel></rss>").encode()


def item(i: int, description: str = "<p>text</p>", *, title: str = "", guid: str = "",
         link: str | None = None) -> str:
    link = f"https://hostile.example/{i}/" if link is None else link
    return (f"<item><title>{title or f'Post {i}'}</title>"
            + (f"<link>{link}</link>" if link else "")
            + (f"<guid>{guid}</guid>" if guid else "")
            + f"<pubDate>Mon, 16 Nov 2026 08:{i % 60:02d}:00 GMT</pubDate>"
            f"<description>{description}</description></item>")


def hostile(secret: str) -> dict[str, Callable[[random.Random], Answer]]:
    """Return the generators of hostile feeds, by name. ``secret``: a URL never to be hit."""
    big = "A" * 1_000_000

    def redirect(location: str) -> Callable[[random.Random], Answer]:
        return lambda rng: Answer(status=rng.choice((301, 302, 307, 308)),
                                  headers={"Location": location})

    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
    return {
        "entity-big": lambda rng: Answer(rss(item(1, "&big;" * 200, title="x &big;"), prolog=(
            f'<!DOCTYPE rss [\n<!ENTITY big "{big}">\n]>\n'))),
        "entity-big-inline": lambda rng: Answer(rss(item(1, "&big;" * 200), prolog=(
            f'<!DOCTYPE rss [<!ENTITY big "<b>{big}</b>">]>'))),
        "entity-big-broken": lambda rng: Answer(rss(item(1, "&big;" * 200 + "<oops"), prolog=(
            f'<!DOCTYPE rss>\n<!ENTITY big "{big}">\n'))),
        "billion-laughs": lambda rng: Answer(rss(item(1, "&l9;"), prolog=(
            f'<!DOCTYPE rss [\n<!ENTITY l0 "lol">\n{laughs}]>\n'))),
        "xxe-file": lambda rng: Answer(rss(item(1, "&x;", title="&x;"), prolog=(
            '<!DOCTYPE rss [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'))),
        "xxe-http": lambda rng: Answer(rss(item(1, "&x;", title="&x;"), prolog=(
            f'<!DOCTYPE rss [\n<!ENTITY x SYSTEM "{secret}">\n]>\n'))),
        "xxe-parameter": lambda rng: Answer(rss(item(1), prolog=(
            f'<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "{secret}">\n%p;\n]>\n'))),
        "escaped-divs": lambda rng: Answer(rss(item(1, "&lt;div&gt;" * rng.choice(
            (25_000, 100_000, 400_000))))),
        "escaped-mixed-nesting": lambda rng: Answer(rss(item(1, "".join(
            rng.choice(("&lt;b&gt;", "&lt;i&gt;", "&lt;ul&gt;&lt;li&gt;", "&lt;table&gt;",
                        "&lt;p&gt;", "&lt;/b&gt;", "&lt;a href=x&gt;")) for _ in range(60_000))))),
        "deep-xml": lambda rng: Answer(rss(item(1, "<x>" * 50_000 + "deep" + "</x>" * 50_000))),
        "deep-xml-unclosed": lambda rng: Answer(rss(item(1, "<x>" * 200_000))),
        "huge-title": lambda rng: Answer(rss(item(1, title="T" * 4_500_000))),
        "huge-text": lambda rng: Answer(rss(item(1, "word " * 900_000))),
        "many-items": lambda rng: Answer(rss("".join(item(i) for i in range(
            rng.choice((2_000, 5_000, 5_000, 20_000)))))),  # 20,000: ~10 s of feedparser
        "many-attributes": lambda rng: Answer(rss(item(1, "&lt;a " + " ".join(
            f"a{i}=&quot;{i}&quot;" for i in range(200_000)) + "&gt;x"))),
        "over-5mb": lambda rng: Answer(rss(item(1, "x" * 5_300_000))),
        "gzip-bomb": lambda rng: Answer(gzip.compress(b"<rss>" + b" " * 50_000_000),
                                        headers={"Content-Encoding": "gzip"}),
        "utf16-declared-utf8": lambda rng: Answer(rss(item(1)).replace(b"utf-8", b"utf-16")),
        "utf8-declared-utf16-bom": lambda rng: Answer(b"\xff\xfe" + rss(item(1))),
        "invalid-bytes": lambda rng: Answer(rss(item(1, "caf\xe9")).replace(
            "caf\xe9".encode(), b"caf\xe9\xff\xfe\xc3")),
        "charset-mismatch": lambda rng: Answer(rss(item(1, "élève")).replace(
            b"utf-8", b"windows-1252"), headers={"Content-Type": "text/xml; charset=utf-16"}),
        "bogus-charset": lambda rng: Answer(rss(item(1)),
                                            headers={"Content-Type": "text/xml; charset=x-nope"}),
        "redirect-empty-label": redirect("http://a..example/feed"),
        "redirect-long-label": redirect(f"http://{'a' * 64}.example/feed"),
        "redirect-credentials": redirect("http://user:secret@127.0.0.1:1/feed"),
        "redirect-javascript": redirect("javascript:alert(1)"),
        "redirect-ftp": redirect("ftp://ftp.example/feed"),
        "redirect-bad-port": redirect("http://127.0.0.1:99999/feed"),
        "redirect-bracket": redirect("http://[::1/feed"),
        "redirect-spaces": redirect("http://exa mple.com/\x01feed"),
        "redirect-unicode-host": redirect("http://ex\u00e4mple.\u202ecom/feed"),
        "redirect-empty": redirect(""),
        "redirect-loop": lambda rng: Answer(status=302, headers={"Location": "/loop"}),
        "bidi-everywhere": lambda rng: Answer(rss(
            item(1, "&lt;p&gt;Numbers \u202e321 \u2066x&lt;/p&gt;", title="RTL \u202egnp.exe")
            .replace("</item>", "<dc:creator>Ann \u202eydoc</dc:creator></item>"),
            title="Blog \u202egolb", extra="<description>About \u2067x</description>")),
        "junk-guids": lambda rng: Answer(rss("".join(
            item(i, guid=rng.choice(("g1", "/rel", "javascript:x", "", "tag:x,2026:1")),
                 link=rng.choice(("", "javascript:alert(1)", "data:text/html,x", "/ok")))
            for i in range(20)))),
        "script-everywhere": lambda rng: Answer(rss(item(
            1, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;",
            title="&lt;script&gt;alert(1)&lt;/script&gt;"))),
        "tag-soup": lambda rng: Answer(tag_soup(rng)),
        "binary": lambda rng: Answer(rng.randbytes(rng.randint(0, 200_000))),
        "empty": lambda rng: Answer(b""),
        "html-page": lambda rng: Answer(b"<!DOCTYPE html><html><body>" + b"<div>" * 10_000,
                                        headers={"Content-Type": "text/html"}),
    }


def tag_soup(rng: random.Random) -> bytes:
    """Return random markup: feed elements, HTML, entities, CDATA and text, unbalanced."""
    parts = ['<?xml version="1.0"?><rss version="2.0"><channel><title>soup</title>']
    tags = ["item", "title", "link", "description", "guid", "channel", "entry", "content",
            "div", "p", "b", "a", "script", "![CDATA[", "x:y", "dc:creator"]
    for _ in range(rng.randint(100, 30_000)):
        r = rng.random()
        if r < 0.4:
            parts.append(f"<{rng.choice(tags)}>")
        elif r < 0.6:
            parts.append(f"</{rng.choice(tags)}>")
        elif r < 0.7:
            parts.append(rng.choice(("&amp;", "&nbsp;", "&#x202e;", "&bogus;", "&#0;", "&")))
        else:
            parts.append(rng.choice(("text ", "https://x.example/ ", "]]>", "<", ">")))
    return "".join(parts).encode()


# -- the server ------------------------------------------------------------------------------

class Farm:
    """Serve the answers of one build's inputs on 127.0.0.1."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                farm.hits[self.path] += 1
                answer = farm.answers.get(self.path, Answer(b"", 404))
                try:
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/rss+xml", **answer.headers}
                    for key, value in headers.items():
                        # As UTF-8, as a hostile server may: send_header allows only Latin-1.
                        self._headers_buffer.append(  # type: ignore[attr-defined]
                            f"{key}: {value}\r\n".encode("utf-8", "surrogateescape"))
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up mid-answer (a body over the size cap)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


# -- one build -------------------------------------------------------------------------------

@dataclass
class Result:
    inputs: int = 0
    crashes: list[str] = field(default_factory=list)
    causes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    parse_cpu: list[tuple[float, float, str]] = field(default_factory=list)
    tree_mb: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    memory: list[tuple[tree_memory.TreeMemory, float]] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)


def one_build(number: int, farm: Farm, inputs: list[tuple[str, Answer]], work: Path,
              result: Result) -> None:
    farm.answers = {"/loop": Answer(status=302, headers={"Location": "/loop"})}
    kinds = {}
    for i, (kind, answer) in enumerate(inputs):
        farm.answers[f"/f/{number}/{i}"] = answer
        kinds[f"{farm.base}/f/{number}/{i}"] = kind
    out = work / f"site-{number}"
    (work / "feeds.yaml").write_text("feeds:\n" + "".join(f"  - url: {u}\n" for u in kinds))
    log = work / f"parse-{number}.log"
    os.environ["FUZZ_PARSE_LOG"] = str(log)
    stderr = work / f"stderr-{number}.txt"
    os.environ["FUZZ_STDERR"] = str(stderr)
    command = [sys.executable, "-c", BUILD.format(here=str(HERE)), "build",
               "--feeds", str(work / "feeds.yaml"), "--out", str(out),
               "--state", str(work / f"state-{number}.db"), "--date", "2026-11-20",
               "--allow-private-hosts", "--min-interval", "0", "--deadline", "8"]
    stages = work / f"stages-{number}.log"
    os.environ["FUZZ_STAGES"] = str(stages)
    started = time.time()
    m = tree_memory.run(command)
    # When the fetch-and-parse stage ended, to set beside the peak's time.
    ends = dict(line.split("\t") for line in stages.read_text().splitlines()) \
        if stages.is_file() else {}
    parsed_by = float(ends.get("fetched", started)) - started
    result.inputs += len(inputs)
    result.tree_mb.append(m.peak_mb)
    result.wall.append(m.wall)
    result.memory.append((m, parsed_by))
    if m.code != 0:
        result.crashes.append(f"build {number}: exit code {m.code}")
    if stderr.is_file() and "Traceback" in stderr.read_text("utf-8", "replace"):
        result.crashes.append(f"build {number}: a traceback, see {stderr}")
    report = out / "data" / "build.json"
    if not report.is_file():
        result.crashes.append(f"build {number}: no build.json")
        return
    feeds = {f["url"]: f for f in json.loads(report.read_text())["feeds"]}
    for url, kind in kinds.items():
        if url not in feeds:
            result.crashes.append(f"build {number}: {kind} missing from build.json")
            continue
        f = feeds[url]
        cause = f["cause"] if f["outcome"] == "failed" else f["outcome"]
        result.causes[cause or "failed"] += 1
        result.kinds[f"{kind.split(':')[0]} -> {cause}"] += 1
    if log.is_file():
        for line in log.read_text().splitlines():
            cpu, wall, url = line.split("\t")
            result.parse_cpu.append((float(cpu), float(wall), kinds.get(url, url)))
    for path in out.rglob("*"):
        if path.suffix in (".html", ".xml", ".json", ".opml") and path.is_file():
            for problem in check_output(path):
                result.leaks.append(f"{problem} in {path.relative_to(out)}")


Generators = dict[str, Callable[[random.Random], Answer]]


def make_inputs(rng: random.Random, n: int, corpus: list[Path],
                generators: Generators) -> list[tuple[str, Answer]]:
    inputs: list[tuple[str, Answer]] = []
    names = sorted(generators)
    for _ in range(n):
        if corpus and rng.random() < 0.55:
            path = rng.choice(corpus)
            body = path.read_bytes()
            if rng.random() < 0.85:
                body, ops = mutate(body, rng)
                inputs.append((f"mutated:{path.name}:{ops}", Answer(body)))
            else:
                inputs.append((f"corpus:{path.name}", Answer(body)))
        else:
            name = rng.choice(names)
            inputs.append((f"hostile-{name}", generators[name](rng)))
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--builds", type=int, default=10)
    parser.add_argument("--feeds", type=int, default=200, help="inputs per build")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", metavar="DIR", help="write the builds here, and keep them")
    parser.add_argument("--only", metavar="NAME",
                        help="serve only the hostile feeds whose name holds NAME")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    corpus = corpus_files()
    farm = Farm()
    secret = f"{farm.base}/secret"
    generators = hostile(secret)
    if args.only:
        generators = {k: v for k, v in generators.items() if args.only in k}
        corpus = []
    result = Result()
    print(f"corpus: {len(corpus)} files; {len(generators)} hostile generators; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fuzz-feeds-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        for number in range(args.builds):
            inputs = make_inputs(rng, args.feeds, corpus, generators)
            one_build(number, farm, inputs, work, result)
            m, parsed_by = result.memory[-1]
            split = ", ".join(f"{k} {v:.0f}" for k, v in m.split_mb.items())
            print(f"build {number + 1}/{args.builds}: {m.wall:.1f} s, tree peak "
                  f"{m.peak_mb:.0f} MB PSS (RSS summed: {m.rss_peak_mb:.0f}) at "
                  f"{m.at:.1f} s ({split}; fetch and parse ended "
                  f"at {parsed_by:.1f} s); build alone {m.build_hwm_mb:.0f} MB, workers "
                  f"{m.workers_peak_mb:.0f} MB (one: {m.worker_peak_mb:.0f} MB, at most "
                  f"{m.most_workers}); crashes so far {len(result.crashes)}", flush=True)
            if args.keep:  # the memory of the tree over time, to plot or read
                (work / f"memory-{number}.tsv").write_text("".join(
                    "\t".join(f"{v:.1f}" for v in row) + "\n" for row in m.timeline))
    report(result, farm)


def report(result: Result, farm: Farm) -> None:
    slowest = sorted(result.parse_cpu, reverse=True)[:5]
    print(f"\ninputs: {result.inputs} in {len(result.wall)} builds "
          f"({sum(result.wall):.0f} s in all, load {os.getloadavg()[0]:.1f})")
    print(f"build crashes: {len(result.crashes)}")
    for crash in result.crashes[:20]:
        print(f"  {crash}")
    print("outcomes: " + ", ".join(f"{n} {c}" for c, n in result.causes.most_common()))
    print(f"parses timed: {len(result.parse_cpu)}; killed at the limit: "
          f"{result.causes['parse_timeout']}")
    print("slowest parses (CPU s, wall s, input):")
    for cpu, wall, kind in slowest:
        print(f"  {cpu:6.2f} {wall:6.2f}  {kind[:90]}")
    rss = sorted(m.rss_peak_mb for m, _ in result.memory)
    print(f"build process tree peak (PSS): max {max(result.tree_mb):.0f} MB, "
          f"median {sorted(result.tree_mb)[len(result.tree_mb) // 2]:.0f} MB; "
          f"RSS summed (shared pages counted twice): max {rss[-1]:.0f} MB")
    print(f"requests to the external entities' address: {farm.hits['/secret']}")
    print(f"bidi controls or non-http(s) links in the output: {len(result.leaks)}")
    for leak in result.leaks[:10]:
        print(f"  {leak}")
    print("hostile inputs by outcome:")
    for kind, n in sorted(k for k in result.kinds.items() if k[0].startswith("hostile")):
        print(f"  {n:4d} {kind}")


if __name__ == "__main__":
    main()
