"""Time how long feeds.yaml validation takes to reject hostile files (run by hand).

    .venv/bin/python benchmarks/hostile_feeds_yaml.py

Each case must be rejected in well under a second: the size, alias and depth limits
apply to the YAML event stream before any Python object is built.
"""

from __future__ import annotations

import time

from aggregator.config import FeedsFileError, parse_config

LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
       for i in range(8)]
    + ["feeds: [*i]"]
)
CASES = {
    "billion laughs (9^9 via aliases)": LAUGHS,
    "50,000 nested flow lists": "feeds: " + "[" * 50_000 + "]" * 50_000,
    "huge file (6 MB)": "feeds:\n" + "  - url: https://x.example/feed/\n" * 200_000,
    "largest accepted size, 1 MB of entries": "feeds:\n" + "".join(
        f"  - url: https://blog{i}.example/feed/\n" for i in range(26_000)),
}

for name, text in CASES.items():
    raw = text.encode()
    if "accepted" in name:  # cut to just under the size limit, at a line end
        raw = raw[:999_000].rsplit(b"\n", 1)[0] + b"\n"
    started = time.perf_counter()
    try:
        config = parse_config(raw)
        outcome = f"accepted, {len(config.feeds)} feeds"
    except FeedsFileError as e:
        outcome = "rejected: " + str(e).splitlines()[0][:70]
    print(f"{name:42} {time.perf_counter() - started:7.3f} s  {outcome}")
