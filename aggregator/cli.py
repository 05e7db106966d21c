"""The ``aggregator`` command: parse arguments, call the library, print a summary.

All the work happens in the library (:mod:`aggregator.build` and friends); this module
only turns flags into options and errors into messages and exit codes.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from . import __version__
from .build import BuildOptions, build_site
from .config import load_config
from .diamonds import DiamondSettings
from .errors import AggregatorError
from .fetch import FetchOptions
from .health import causes_text
from .models import BuildReport
from .progress import FetchProgress, ProgressLogHandler

log = logging.getLogger("aggregator")

EXIT_OK = 0
EXIT_ERROR = 1  # the build could not run (bad feeds.yaml, unwritable state, ...)
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(message)s" if args.verbose else "%(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except AggregatorError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``aggregator`` command."""
    parser = argparse.ArgumentParser(
        prog="aggregator",
        description="Education blogs by topic, not by popularity: fetch the blogs listed in "
                    "feeds.yaml and build a static site with topics, fair daily "
                    "'diamonds in the rough', and combined feeds.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build", help="fetch the feeds in feeds.yaml and build the site",
        description="Fetch every feed listed in feeds.yaml, store new posts, find topics, "
                    "pick the day's diamonds and write the static site.")
    _add_build_flags(build)
    build.add_argument("--feeds", default="feeds.yaml", metavar="PATH",
                       help="the list of blogs (default: %(default)s)")
    build.add_argument("--state", default="state/aggregator.db", metavar="PATH",
                       help="the SQLite state file; keeps posts, topics and diamond history "
                            "between runs (default: %(default)s)")
    build.set_defaults(func=cmd_build)

    demo = commands.add_parser(
        "demo", help="build a site from the bundled sample blogs, offline",
        description="Serve the bundled sample blogs on 127.0.0.1 and build the full site from "
                    "them, through the same fetch, parse, topic and render code as a real "
                    "build. Needs no network.")
    _add_build_flags(demo)
    demo.add_argument("--state", default=None, metavar="PATH",
                      help="keep the demo's state in this file (default: a fresh temporary "
                           "one each run)")
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser(
        "serve", help="preview the built site on http://localhost",
        description="Serve the built site locally so you can browse it.")
    serve.add_argument("--dir", default="site", metavar="DIR",
                       help="the built site (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument("--bind", default="127.0.0.1",
                       help="address to listen on (default: %(default)s)")
    serve.set_defaults(func=cmd_serve)

    validate = commands.add_parser(
        "validate", help="check feeds.yaml and report every problem",
        description="Check feeds.yaml: required and known keys, types, http/https URLs and "
                    "duplicates. Prints PATH:LINE: problem for each and exits non-zero if "
                    "any.")
    validate.add_argument("path", nargs="?", default="feeds.yaml", help="default: %(default)s")
    validate.set_defaults(func=cmd_validate)
    return parser


def _add_build_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="site", metavar="DIR",
                        help="where to write the site (default: %(default)s)")
    parser.add_argument("--date", type=_parse_date, default=None, metavar="YYYY-MM-DD",
                        help="build as if today were this date (reproducible builds; "
                             "default: today, UTC)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the diamonds draw (default: derived from the date)")
    parser.add_argument("--base-url", default=None, metavar="URL",
                        help="public address of the site, e.g. https://user.github.io/repo/ "
                             "(used for absolute links in feeds; default: "
                             "http://localhost:8000/)")
    parser.add_argument("--allow-private-hosts", action="store_true",
                        help="allow fetching from loopback and private addresses (for tests "
                             "and local development only)")
    parser.add_argument("--min-interval", type=float, default=60.0, metavar="MINUTES",
                        help="never poll one feed more often than this (default: "
                             "%(default)g; 0 turns it off)")
    defaults = FetchOptions()
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, metavar="N",
                        help="feeds fetched at once (default: %(default)s)")
    parser.add_argument("--per-host", type=int, default=defaults.per_host, metavar="N",
                        help="feeds fetched at once from one host (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=defaults.read_timeout,
                        metavar="SECONDS",
                        help="give up on a server silent for this long (default: %(default)g)")
    parser.add_argument("--deadline", type=float, default=defaults.deadline, metavar="SECONDS",
                        help="the most one feed may take, retries included (default: "
                             "%(default)g)")
    parser.add_argument("--diamonds", type=int, default=DiamondSettings().count, metavar="N",
                        help="how many diamonds to pick (default: %(default)s)")


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {value!r}") from None


def _options(args: argparse.Namespace) -> BuildOptions:
    if args.min_interval < 0:
        raise AggregatorError("--min-interval must be 0 or more minutes")
    if args.diamonds < 0:
        raise AggregatorError("--diamonds must be 0 or more")
    if args.concurrency < 1 or args.per_host < 1:
        raise AggregatorError("--concurrency and --per-host must be 1 or more")
    if args.timeout <= 0 or args.deadline <= 0:
        raise AggregatorError("--timeout and --deadline must be more than 0 seconds")
    return BuildOptions(
        feeds_path=getattr(args, "feeds", "feeds.yaml"),
        out_dir=args.out,
        state_path=args.state or "state/aggregator.db",
        day=args.date,
        seed=args.seed,
        base_url=args.base_url,
        fetch=FetchOptions(allow_private_hosts=args.allow_private_hosts,
                           min_interval=timedelta(minutes=args.min_interval),
                           concurrency=args.concurrency, per_host=args.per_host,
                           read_timeout=args.timeout, deadline=args.deadline),
        diamonds=replace(DiamondSettings(), count=args.diamonds),
    )


def cmd_build(args: argparse.Namespace) -> int:
    """Run ``aggregator build``."""
    options = _options(args)
    report = _with_progress(lambda **hooks: build_site(options, **hooks))
    print_summary(report)
    return EXIT_OK


def _with_progress(run: Callable[..., BuildReport]) -> BuildReport:
    """Call ``run(on_start=..., on_feed=...)`` with a progress display on stderr.

    On a terminal, log messages go through a handler that prints them above the live
    line; elsewhere the progress object only logs a line now and then.
    """
    progress = FetchProgress(sys.stderr)
    root = logging.getLogger()
    saved = root.handlers[:]
    if progress.live:
        handler = ProgressLogHandler(progress)
        if saved:
            handler.setFormatter(saved[0].formatter)
        root.handlers = [handler]
    try:
        return run(on_start=progress.on_start, on_feed=progress.on_feed)
    finally:
        progress.finish()
        root.handlers = saved


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``aggregator demo``."""
    from .demo import run_demo

    log.info("Serving the bundled sample blogs on 127.0.0.1 and building the site...")
    options = _options(args)
    report = _with_progress(lambda **hooks: run_demo(options, keep_state=args.state is not None,
                                                     **hooks))
    print_summary(report)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Run ``aggregator serve``."""
    root = Path(args.dir)
    if not (root / "index.html").is_file():
        raise AggregatorError(f"{root}/index.html not found; build the site first "
                              "(aggregator demo, or aggregator build)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    with http.server.ThreadingHTTPServer((args.bind, args.port), handler) as server:
        print(f"Serving {root}/ at http://{args.bind}:{args.port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Run ``aggregator validate``."""
    config = load_config(args.path)
    print(f"{args.path}: {len(config.feeds)} feeds, no problems found")
    return EXIT_OK


def print_summary(report: BuildReport) -> None:
    """Print the closing summary of a build."""
    failed = [f for f in report.feeds if f.outcome == "failed"]
    causes = f" ({causes_text(failed)})" if failed else ""
    lines = [
        f"Built {report.out_dir}/ for {report.date.isoformat()} (seed {report.seed}) "
        f"in {report.seconds:.1f} s",
        f"  feeds:    {report.count('ok')} ok, {report.count('not_modified')} unchanged, "
        f"{len(failed)} failed{causes}",
        f"  posts:    {report.new_posts} new, {report.total_posts} in total",
        f"  topics:   {len(report.topics)}",
        f"  diamonds: {len(report.diamonds)}",
    ]
    if failed:
        lines.append("  failed feeds:")
        lines.extend(f"    {f.url}: {f.reason}" for f in failed)
    moved = [h for h in report.health if h.moved_to]
    if moved:
        lines.append("  moved feeds (update feeds.yaml; the new address is used meanwhile):")
        lines.extend(f"    {h.url} -> {h.moved_to}" for h in moved)
    dead = sum(1 for h in report.health if h.condition == "dead")
    if dead:
        lines.append(f"  dead feeds (failing for 30+ days): {dead}; see "
                     f"{report.out_dir}/status/index.html")
    index = Path(report.out_dir) / "index.html"
    lines.append(f"Open {index.resolve().as_uri()} in a browser, or run: "
                 f"aggregator serve --dir {report.out_dir}")
    print("\n".join(lines))


def _json_dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)
