"""Fuzz addresses: feeds.yaml URLs through validate, and redirect targets through real builds.

    .venv/bin/python benchmarks/hostile_urls.py [--urls 2000] [--per-build 250] [--seed 13]

Run by hand (it takes a few minutes); it reports, never asserts a time.

1. **validate agrees with the fetcher.** Each generated URL (empty and over-long labels,
   over-long names, bad IDNA, invisible characters, credentials, brackets, ports,
   backslashes, percent signs...) is put in a feeds.yaml. ``parse_config`` must either
   accept it or report a ``PATH:LINE`` problem, never raise anything else; an accepted URL
   must pass the fetcher's hop check and be buildable by httpx.
2. **no redirect takes a build down.** The same URLs are served as redirect targets by a
   loopback server to real builds (in-process, ``--per-build`` feeds each). Every build
   must exit 0 and report every feed; no request may carry an Authorization header. DNS
   is answered by a seam (every name is 127.0.0.1) so nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aggregator import netguard  # noqa: E402
from aggregator.cli import main  # noqa: E402
from aggregator.config import FeedsFileError, parse_config  # noqa: E402
from aggregator.errors import FetchError  # noqa: E402
from tests.conftest import _start_server  # noqa: E402

PIECES = ["a", "b" * 63, "c" * 64, "", "xn--", "xn--zz", "xn--bcher-kva", "b\u00fccher", "-x-",
          "x_y", "1", "256", "0x7f", "%61", "a b", "a\tb", "\u202e", "\x00", "\x7f", "\ufffe",
          "\u00df", "\u0130", "\uff0e", "ex\\ample", "[::1]", "[fe80::1%25eth0]", "*", "..", "."]
TAILS = ["/feed", "/feed?x=1", "/#f", "", "/\u00e9", "/a b", "/%zz", "/\x01"]


ODD_BUT_REAL = ["b\u00fccher.example", "xn--bcher-kva.example", "x_y.example.org",
                "-x-.blogspot.com", "example.org.", "[2001:db8::1]", "93.184.216.34",
                "B\u00dcCHER.Example", "a.b.c.d.e.example", "x" * 63 + ".example"]


def hostile_url(rng: random.Random) -> str:
    """Return one generated address: a third odd but real, the rest with something wrong."""
    if rng.random() < 0.33:
        return f"{rng.choice(['http://', 'https://'])}{rng.choice(ODD_BUT_REAL)}" + (
            rng.choice(["", ":8080", ":443"]) + rng.choice(TAILS[:5]))
    labels = [rng.choice(PIECES) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.15:
        labels = ["d" * rng.randint(40, 63)] * rng.randint(4, 6)  # near and past 253
    host = ".".join(labels) + rng.choice([".example", ".org", "", ".", ".123"])
    userinfo = rng.choice(["", "", "", "u@", "u:p@", "@", ":@", "a@b@"])
    port = rng.choice(["", "", ":80", ":0", ":65536", ":x", ":"])
    scheme = rng.choice(["http://", "http://", "https://", "HTTP://", "ftp://", "//"])
    return f"{scheme}{userinfo}{host}{port}{rng.choice(TAILS)}"


def check_validate(urls: list[str]) -> dict[str, int]:
    """Run part 1; return counts of what happened."""
    counts: Counter[str] = Counter()
    for url in urls:
        text = "feeds:\n  - url: " + json.dumps(url) + "\n"
        try:
            config = parse_config(text.encode("utf-8", "surrogatepass"), "feeds.yaml")
        except FeedsFileError as e:
            counts["rejected with PATH:LINE" if all(p.line for p in e.problems)
                   else "rejected without a line"] += 1
            continue
        except Exception as e:  # noqa: BLE001 - what this benchmark exists to find
            counts[f"CRASH {type(e).__name__}"] += 1
            print(f"  validate crashed on {url!r}: {e!r}")
            continue
        counts["accepted"] += 1
        accepted = config.feeds[0].url
        try:
            netguard.check_url_allowed(accepted, allow_private=False)
            httpx.URL(accepted)
        except FetchError as e:
            if e.kind == "bad_url":
                counts["accepted but the fetcher says bad_url"] += 1
                print(f"  disagreement on {accepted!r}: {e}")
        except Exception as e:  # noqa: BLE001
            counts[f"accepted but httpx refuses ({type(e).__name__})"] += 1
            print(f"  httpx cannot request {accepted!r}: {e!r}")
    return dict(counts)


def check_builds(urls: list[str], per_build: int) -> dict[str, object]:
    """Run part 2; return what the builds did."""
    async def every_name_is_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]
    netguard.resolve = every_name_is_loopback  # type: ignore[assignment]
    crashes = unreported = 0
    causes: Counter[str] = Counter()
    seconds: list[float] = []
    with _start_server() as server, tempfile.TemporaryDirectory() as tmp:
        for start in range(0, len(urls), per_build):
            chunk = urls[start:start + per_build]
            feeds = []
            for i, target in enumerate(chunk, start):
                raw = target.encode("utf-8", "surrogatepass").decode("latin-1")  # as sent
                server.serve(f"/r{i}.xml", b"", status=302, headers={"Location": raw})
                feeds.append(server.url(f"/r{i}.xml"))
            root = Path(tmp) / f"b{start}"
            root.mkdir()
            (root / "feeds.yaml").write_text(
                "feeds:\n" + "".join(f"  - url: {u}\n" for u in feeds))
            began = time.perf_counter()
            try:
                with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                    code = main(["build", "--feeds", str(root / "feeds.yaml"), "--out",
                                 str(root / "site"), "--state", str(root / "state.db"),
                                 "--allow-private-hosts", "--min-interval", "0",
                                 "--deadline", "3", "--timeout", "2"])
            except Exception as e:  # noqa: BLE001
                code = -1
                print(f"  build crashed: {e!r}")
            seconds.append(time.perf_counter() - began)
            if code != 0 or not (root / "site" / "data" / "build.json").is_file():
                crashes += 1
                continue
            report = json.loads((root / "site" / "data" / "build.json").read_text())
            outcomes = {f["url"]: f for f in report["feeds"]}
            unreported += sum(1 for u in feeds if u not in outcomes)
            causes.update(f.get("cause") or f["outcome"] for f in outcomes.values())
        authorization = sum(1 for _, h in server.requests if "authorization" in h)
    return {"builds": len(seconds), "build crashes": crashes, "feeds not reported": unreported,
            "requests with Authorization": authorization,
            "slowest build (s)": round(max(seconds), 1), "causes": dict(causes.most_common())}


def run() -> None:
    """Parse the options, run both parts, print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000)
    parser.add_argument("--per-build", type=int, default=250)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    urls = [hostile_url(rng) for _ in range(args.urls)]
    print(f"{len(urls)} generated addresses ({len(set(urls))} distinct)")
    print("validate:", check_validate(urls))
    print("builds:", check_builds(urls, args.per_build))


if __name__ == "__main__":
    run()
