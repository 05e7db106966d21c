"""The ``aggregator`` command: parse arguments, call the library, print a summary.

All the work happens in the library (:mod:`aggregator.build` and friends); this module
only turns flags into options and errors into messages and exit codes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from . import __version__
from .build import BuildOptions, build_site
from .diamonds import DiamondSettings
from .errors import AggregatorError
from .fetch import FetchOptions
from .health import causes_text
from .models import BuildReport
from .progress import FetchProgress, ProgressLogHandler
from .repo import repository
from .serve import serve_site

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
    build.add_argument("--summary-file", metavar="PATH",
                       help="also append the closing summary as Markdown to this file (on "
                            "GitHub Actions: \"$GITHUB_STEP_SUMMARY\")")
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
                    "any. With --network, also fetch the entries and check each is a real "
                    "feed with posts and a title.")
    validate.add_argument("path", nargs="?", default="feeds.yaml", help="default: %(default)s")
    validate.add_argument("--network", action="store_true",
                          help="also fetch the entries and check they are working feeds")
    validate.add_argument("--changed", metavar="BASE_REF",
                          help="with --network, fetch only entries added or changed since "
                               "this git ref (e.g. origin/main)")
    validate.add_argument("--format", choices=("text", "markdown"), default="text",
                          help="output format (default: %(default)s)")
    validate.add_argument("--summary-file", metavar="PATH", action="append", default=[],
                          help="also append the Markdown report to this file (repeatable; on "
                               "GitHub Actions: \"$GITHUB_STEP_SUMMARY\")")
    validate.add_argument("--json-file", metavar="PATH",
                          help="also write the report as JSON, for the pull-request comment "
                               "(aggregator review-comment)")
    _add_private_flag(validate)
    validate.set_defaults(func=cmd_validate)

    comment = commands.add_parser(
        "review-comment", help="write the pull-request comment for a feeds-check report",
        description="Read the JSON report of 'aggregator validate --json-file' (untrusted: it "
                    "comes from a pull request's run), check it against its schema and print "
                    "the pull-request comment as Markdown, every string escaped and the size "
                    "bounded. A missing or invalid report gives a comment saying the check "
                    "could not run. Always exits 0 when the comment was printed.")
    comment.add_argument("report", nargs="?", metavar="REPORT.json",
                         help="the report (absent: the check left none)")
    comment.add_argument("--run-url", metavar="URL",
                         help="the check's run, linked from the comment (https only)")
    comment.set_defaults(func=cmd_review_comment)

    add = commands.add_parser(
        "add", help="find a blog's feed and append it to feeds.yaml",
        description="Given a blog's home page or feed, find its feed (autodiscovery, then "
                    "common paths), read its title, and append an entry at the end of "
                    "feeds.yaml, leaving the rest of the file untouched.")
    add.add_argument("url", help="the blog's home page or feed address")
    add.add_argument("--feeds", default="feeds.yaml", metavar="PATH",
                     help="the list of blogs (default: %(default)s)")
    _add_private_flag(add)
    add.set_defaults(func=cmd_add)

    state = commands.add_parser(
        "state", help="export or restore the SQLite state (carried between CI runs)",
        description="Export the state as a gzipped SQLite copy, or restore it from a path or "
                    "URL (e.g. the export published with the live site).")
    state_commands = state.add_subparsers(metavar="ACTION", required=True)
    export = state_commands.add_parser("export", help="write a gzipped copy of the state")
    export.add_argument("path", help="where to write it, e.g. site/data/state.sqlite.gz")
    export.set_defaults(func=cmd_state_export)
    restore = state_commands.add_parser(
        "restore", help="replace the state with an export, if it is valid",
        description="Download or read an export, check it fully, and only then replace the "
                    "local state. If it is missing or damaged the local state is kept (a "
                    "build without state is a safe cold build) and the exit code is 0 "
                    "unless --strict.")
    restore.add_argument("source", metavar="URL_OR_PATH")
    restore.add_argument("--strict", action="store_true",
                         help="exit non-zero when nothing was restored")
    _add_private_flag(restore)
    restore.set_defaults(func=cmd_state_restore)
    topics = commands.add_parser(
        "topics", help="find topics in a JSON-lines corpus (the site's topic model)",
        description="Run the site's topic pipeline on CORPUS.jsonl ({\"id\": ..., \"text\": ...} "
                    "per line; other keys ignored). Writes {\"id\": ..., \"topic\": SLUG} per "
                    "document to --out (\"misc\": no topic fits) and prints the topics as JSON "
                    "on stdout; logs go to stderr.")
    topics.add_argument("corpus", metavar="CORPUS.jsonl")
    topics.add_argument("--out", required=True, metavar="ASSIGN.jsonl",
                        help="where to write each document's topic")
    topics.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the model (default: the site's)")
    topics.set_defaults(func=cmd_topics)

    for sub in (export, restore):
        sub.add_argument("--state", default="state/aggregator.db", metavar="PATH",
                         help="the SQLite state file (default: %(default)s)")
    return parser


def _add_private_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-private-hosts", action="store_true",
                        help="allow fetching from loopback and private addresses (for tests "
                             "and local development only)")


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
    parser.add_argument("--repo-url", default=None, metavar="URL",
                        help="the project's repository, linked from the About page "
                             "(default: the git remote of the current folder, if any)")
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
        repo_url=repository(args.repo_url, Path.cwd()),
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
    if args.summary_file:
        _append(args.summary_file, summary_markdown(report))
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
    serve_site(args.dir, bind=args.bind, port=args.port, on_ready=lambda url: print(
        f"Serving {args.dir}/ at {url} (Ctrl-C to stop)", flush=True))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Run ``aggregator validate``: problems as ``PATH:LINE: message``, exit 1 if any."""
    from .review import as_markdown, as_text, review

    if args.changed and not args.network:
        raise AggregatorError("--changed needs --network (it limits which entries are fetched)")
    result = review(args.path, network=args.network, changed_ref=args.changed,
                    options=FetchOptions(allow_private_hosts=args.allow_private_hosts))
    print(as_markdown(result) if args.format == "markdown" else as_text(result),
          file=sys.stdout if result.ok or args.format == "markdown" else sys.stderr)
    for path in args.summary_file:
        _append(path, as_markdown(result))
    if args.json_file:
        from .comment import report_json

        _write(args.json_file, report_json(result))
    return EXIT_OK if result.ok else EXIT_ERROR


def cmd_review_comment(args: argparse.Namespace) -> int:
    """Run ``aggregator review-comment``: print the comment for a feeds-check report."""
    from .comment import build_comment

    sys.stdout.write(build_comment(args.report, args.run_url))
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    """Run ``aggregator add``."""
    import asyncio

    from .discover import add_blog

    options = FetchOptions(allow_private_hosts=args.allow_private_hosts)
    added = asyncio.run(add_blog(args.feeds, args.url, options))
    print(f"Added {added.feed_url} ({added.title or 'no title'}) to {args.feeds}:")
    print(added.text.rstrip("\n"))
    print(f"Check it with: aggregator validate {args.feeds} --network")
    return EXIT_OK


def cmd_topics(args: argparse.Namespace) -> int:
    """Run ``aggregator topics``: stdout carries only the JSON summary."""
    from .topics import TOPIC_SEED, assignments, find_topics, read_corpus

    try:
        with open(args.corpus, encoding="utf-8") as f:
            docs = read_corpus(f)
    except (OSError, UnicodeDecodeError) as e:
        raise AggregatorError(f"{args.corpus}: {e}") from e
    except ValueError as e:
        raise AggregatorError(f"{args.corpus}: {e}") from e
    log.info("Finding topics in %d documents...", len(docs))
    model = find_topics(docs, seed=TOPIC_SEED if args.seed is None else args.seed)
    rows = assignments(model, docs)
    try:
        with open(args.out, "w", encoding="utf-8") as f:
            f.writelines(_json_dump({"id": doc_id, "topic": slug}) + "\n" for doc_id, slug in rows)
    except OSError as e:
        raise AggregatorError(f"{args.out}: {e}") from e
    counts = {t.slug: 0 for t in model.topics}
    for _, slug in rows:
        counts[slug] = counts.get(slug, 0) + 1
    print(_json_dump({
        "documents": len(docs),
        "topics": [{"slug": t.slug, "label": t.label, "terms": list(t.terms),
                    "documents": counts[t.slug]} for t in model.topics],
        "misc": counts.get("misc", 0),
        "cross_posts": sum(len(c) for c in model.duplicates.values()),
    }))
    log.info("%d topics, %d documents in misc; assignments written to %s",
             len(model.topics), counts.get("misc", 0), args.out)
    return EXIT_OK


def cmd_state_export(args: argparse.Namespace) -> int:
    """Run ``aggregator state export``."""
    from .statefile import export_state

    size = export_state(args.state, args.path)
    print(f"Exported {args.state} to {args.path} ({size:,} bytes)")
    return EXIT_OK


def cmd_state_restore(args: argparse.Namespace) -> int:
    """Run ``aggregator state restore``; a failed restore means a cold build, not an error."""
    from .statefile import StateFileError, restore_state

    options = FetchOptions(allow_private_hosts=args.allow_private_hosts)
    try:
        result = restore_state(args.source, args.state, options=options)
    except StateFileError as e:
        then = (f"The local state {args.state} is kept as it was." if Path(args.state).is_file()
                else "The next build starts cold: posts are fetched afresh (none is shown "
                     "twice), diamond history starts empty.")
        print(f"warning: state not restored: {e}\n{then}", file=sys.stderr)
        return EXIT_ERROR if args.strict else EXIT_OK
    print(result.message)
    return EXIT_OK if result.restored or not args.strict else EXIT_ERROR


def summary_markdown(report: BuildReport) -> str:
    """Return the closing summary of a build as Markdown (for a CI job summary)."""
    failed = [f for f in report.feeds if f.outcome == "failed"]
    lines = [
        f"### Built the site for {report.date.isoformat()} (seed {report.seed})", "",
        "| | |", "|---|---|",
        f"| feeds | {report.count('ok')} ok, {report.count('not_modified')} unchanged, "
        f"{len(failed)} failed |",
        f"| posts | {report.new_posts} new, {report.total_posts} in total |",
        f"| topics | {len(report.topics)} |",
        f"| diamonds | {len(report.diamonds)} |",
        f"| time | {report.seconds:.1f} s |",
    ]
    if failed:
        lines += ["", "**Failed feeds** (their earlier posts stay on the site):", ""]
        lines += [f"- `{f.url.replace('`', '')}`: {f.reason.replace('`', '')}" for f in failed]
    return "\n".join(lines) + "\n"


def _append(path: str, text: str) -> None:
    _write(path, text + "\n", mode="a")


def _write(path: str, text: str, mode: str = "w") -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, mode, encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise AggregatorError(f"cannot write {path}: {e.strerror or e}") from e


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
    if len(failed) > 1 and len(failed) == len(report.feeds) and all(
            f.cause in ("dns", "connection") for f in failed):
        lines.append("  every feed failed to connect: is this machine offline? "
                     "(aggregator demo builds a site without a network)")
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
