"""Make feed HTML safe and calm to show: an allow-list sanitiser (nh3), litter, excerpts.

Feed HTML is written by strangers and sometimes by attackers (a hacked blog). Only a
few harmless elements survive: paragraphs, emphasis, lists, quotes, code and links.
No scripts, event handlers, styles, iframes, forms or images (an image would make the
reader's browser call the blog's server); links only to http(s) and mailto, each with
``rel="noopener ugc"``. Templates re-run :func:`clean_html` when they output an excerpt,
so even a tampered state file cannot inject markup.

What survives is then cleared of the feed's litter (:mod:`aggregator.litter`): links to
ad and tracker hosts lose their link, share buttons go with their labels, tracking
parameters leave every link, a link with nothing to read is unwrapped, and paragraphs
that are empty, a player's or share widget's line ("Duration: 8:03", "Tweet") or a line
the feed repeats in most posts are dropped. It is done here, on the sanitised tree, so
it holds for every excerpt, including those a template cleans again from the state.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from nh3 import UrlRelative

from .litter import is_litter_line, is_share_button, is_tracker, line_key, untracked
from .text import cut_at_word, excerpt, html_to_text, markup_events
from .textclean import repeated_lines, text_lines

MAX_DEPTH = 32  # elements nested deeper than this are dropped (their text is kept)
MAX_MARKUP_CHARS = 100_000  # of a field's HTML, sanitised at most

ALLOWED_TAGS = frozenset({"p", "br", "a", "em", "strong", "b", "i", "code", "blockquote",
                          "ul", "ol", "li", "q", "cite", "abbr", "sub", "sup"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_VOID = frozenset({"br"})
_BLOCK = frozenset({"p", "blockquote", "ul", "ol", "li"})


def clean_html(markup: str, *, base: str | None = None,
               drop: frozenset[str] = frozenset()) -> str:
    """Return ``markup`` with everything but the allow-listed elements removed, and no litter.

    Relative links are resolved against ``base`` (the post's own address); without a base
    they are kept as they are, which only happens for markup already cleaned with one.
    Only the first :data:`MAX_MARKUP_CHARS` are read, nested :data:`MAX_DEPTH` deep at most.
    ``drop`` holds lines (:func:`aggregator.litter.line_key`) to remove as well: those
    the feed repeats in most of its posts (:func:`aggregator.litter.feed_repeats`).
    """
    return declutter(_sanitised(markup, base), drop=drop)


def _sanitised(markup: str, base: str | None) -> str:
    """Return clean_html's allow-listed ``markup``, before its litter is cleared."""
    markup = _paragraphs(bound_markup(markup))
    if base and not _HREF_NAME.search(markup):
        base = None  # no link to resolve: the sanitiser made once serves, not one a post
    try:
        return _nh3_clean(markup, ("rewrite_with_base", base) if base else None)
    except ValueError:  # a base the URL parser refuses: drop relative links instead
        return _nh3_clean(markup, "deny")


# The only attribute the allow-list keeps that holds an address (a[href]).
_HREF_NAME = re.compile("href", re.IGNORECASE)


# Block elements the allow-list removes: their text would run into the next block's
# ("first linesecond", Blogger's <div>s). Each becomes a paragraph before sanitising; a
# table cell, a space.
_DROPPED_BLOCK = re.compile(
    r"<(/?)(div|h[1-6]|section|article|header|footer|figure|figcaption|pre|table|tr|td|th|"
    r"dl|dt|dd|address|aside|nav|center|hr|main|details|summary)"
    r"""((?:[\t\n\f\r /](?>[^<>"']+|"[^"<]*"|'[^'<]*'|["'])*+)?)>""", re.IGNORECASE)


def _paragraphs(markup: str) -> str:
    if "<" not in markup:
        return markup
    return _DROPPED_BLOCK.sub(
        lambda m: " " if m.group(2).lower() in ("td", "th") else "</p>" if m.group(1) else "<p>",
        markup)


def _nh3_clean(markup: str, url_relative: UrlRelative | None) -> str:
    return _cleaner(url_relative).clean(markup)


@functools.lru_cache(maxsize=16)
def _cleaner(url_relative: UrlRelative | None) -> nh3.Cleaner:
    """Return the allow-list sanitiser, made once for each way of treating relative links.

    nh3.clean builds its sanitiser again on each call, ~30 us, most of the cost of
    cleaning a short excerpt (#14); one rewriting against a post's address serves that
    post's excerpts. Raise ValueError for a base the URL parser refuses.
    """
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript",
                            "template", "svg", "math", "select", "textarea", "title"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener ugc",
        strip_comments=True,
        url_relative=url_relative,
    )


# Elements a browser ends when another one of them starts: "<p>a<p>b" is not nesting.
_NOT_NESTED = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th", "a"})
_VOID_ANY = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col",
                       "embed", "source", "track", "wbr", "param", "keygen"})
_RAW = frozenset({"script", "style"})  # markup_events gives no text of these


def bound_markup(markup: str, *, max_depth: int = MAX_DEPTH,
                 max_chars: int = MAX_MARKUP_CHARS) -> str:
    """Return ``markup`` cut to ``max_chars``, without tags nested over ``max_depth`` deep.

    The sanitiser's HTML tree builder does work in proportion to the depth for every
    tag, so 250 KB of unclosed ``<div>`` took it 12 s (and four times that for twice as
    many). Linear: the scanner stops at each next "<". Text is kept; scripts and styles
    go with their content (the sanitiser would remove them too); an end tag closes what
    is open up to its start, like a browser, and one with no start is dropped.
    """
    markup = markup[:max_chars]
    if markup.count("<") < max_depth:
        return markup  # cannot nest that deep
    out: list[str] = []
    open_tags: list[str] = []
    for kind, value, source in markup_events(markup):
        if kind == "text":
            out.append(source)
        elif kind == "start":
            if value in _RAW:
                continue
            if value in _NOT_NESTED and value in open_tags[-4:]:
                _close(open_tags, value, out)
            if value in _VOID_ANY:
                out.append(source)
            elif len(open_tags) < max_depth:  # "<div/>" too: browsers open a <div> for it
                open_tags.append(value)
                out.append(source)
        elif source and value in open_tags:  # not the end markup_events adds to "<x/>"
            _close(open_tags, value, out)
    out.extend(f"</{t}>" for t in reversed(open_tags))
    return "".join(out)


def _close(open_tags: list[str], tag: str, out: list[str]) -> None:
    while open_tags:
        top = open_tags.pop()
        out.append(f"</{top}>")
        if top == tag:
            return


def excerpt_html(markup: str, *, max_chars: int = 400, base: str | None = None,
                 drop: frozenset[str] = frozenset()) -> str:
    """Return a sanitised excerpt of ``markup``: its first ``max_chars`` of text, tags kept.

    ``base`` is the address relative links in ``markup`` are relative to; ``drop`` the
    lines its feed repeats (:func:`clean_html`). Cut at a word, with an ellipsis.
    """
    return _excerpts(markup, max_chars, base, drop)[1]


def post_excerpts(summary: str, content: str, *, base: str | None = None,
                  drop: frozenset[str] = frozenset(), max_chars: int = 400,
                  plain_chars: int = 320) -> tuple[str, str]:
    """Return a post's plain-text excerpt (first sentences) and HTML excerpt.

    Both come from its ``summary`` (HTML), or its ``content`` when there is no summary,
    when the litter and ``drop`` leave nothing of the summary (it was only the feed's
    intro), or when the summary is the start of the content cut short by the publisher
    ("Professional development on t"): the content then says the same, uncut.
    """
    other = bool(summary and content and content != summary)
    # A cut copy first: its own excerpts would be thrown away (#14).
    if other and _cut_copy(summary, content):
        return _excerpts(content, max_chars, base, drop, plain_chars)
    plain, markup = _excerpts(summary or content, max_chars, base, drop, plain_chars)
    if other and not plain:
        return _excerpts(content, max_chars, base, drop, plain_chars)
    return plain, markup


_ELLIPSIS = re.compile(r"\s*(?:\[(?:…|\.\.\.)\]|…|\.\.\.)\s*$")


def _cut_copy(summary: str, content: str) -> bool:
    """Return whether ``summary``'s text is the start of ``content``'s, cut short."""
    short = " ".join(_ELLIPSIS.sub("", html_to_text(summary[:MAX_MARKUP_CHARS])).split())
    if len(short) < 20:
        return False
    head = " ".join(html_to_text(content[: max(len(summary) * 4, 4_000)]).split())
    return len(head) > len(short) and head.startswith(short)


def _excerpts(markup: str, max_chars: int, base: str | None, drop: frozenset[str],
              plain_chars: int = 320) -> tuple[str, str]:
    # Sanitising a whole long post to show its first paragraphs was most of the cost of
    # an excerpt: sanitise a head of the markup (the allow-list parser drops a tag cut in
    # half), and the whole only if that head held too little text.
    head = markup[: max_chars * _HEAD_PER_CHAR]
    found = _excerpts_of(head, max_chars, base, drop, plain_chars,
                         complete=len(head) == len(markup))
    if found is None:  # clean_html reads no more than MAX_MARKUP_CHARS of it
        found = _excerpts_of(markup, max_chars, base, drop, plain_chars, complete=True)
    assert found is not None  # the whole markup is complete: its cut is never None
    plain, cut = found
    return plain, clean_html(cut or "").strip()


_FIRST_LOOK = 4  # characters of decluttered markup per character of plain excerpt, at first


def _excerpts_of(markup: str, max_chars: int, base: str | None, drop: frozenset[str],
                 plain_chars: int, *, complete: bool) -> tuple[str, str] | None:
    """Return the plain excerpt and the cut HTML of clean_html(markup), None if cut short.

    The same as reading the whole of clean_html's output, but the litter pass (most of
    the cost, #14) stops once what it gave settles both: the cut stopped within it, and
    the text the plain excerpt reads lies in the whole lines before its last (each piece
    of :func:`_decluttered` ends a line, and later ones never change earlier ones).
    """
    pieces: list[str] = []
    size, look_at = 0, plain_chars * _FIRST_LOOK
    for piece in _decluttered(_sanitised(markup, base), drop):
        pieces.append(piece)
        size += len(piece)
        if size < look_at:
            continue
        look_at = size * 2  # the looks cost at most twice the reading
        read = "".join(pieces)
        cut, stopped = _cut(read, max_chars)
        if not stopped:
            continue
        text = html_to_text(read)
        settled = text.rpartition("\n")[0]  # the last line may go on in the next piece
        # excerpt() reads the first 3 * plain_chars of the text, and all of it only when
        # those are mostly spaces: a lower bound of their length once flattened says not.
        if (len(settled) > plain_chars * 3
                and len(_SPACE.sub("", text[: plain_chars * 3])) > 2 * plain_chars):
            return excerpt(text, max_chars=plain_chars), cut
    safe = "".join(pieces)
    whole = _truncate(safe, max_chars, complete=complete)
    if whole is None:
        return None
    return excerpt(html_to_text(safe), max_chars=plain_chars), whole


# What excerpt() may remove or merge when it flattens a text: every other character stays.
_SPACE = re.compile(r"[\s\u200b]+")


_REPEAT_HEAD = 3_000  # characters of a post's markup read for the lines its feed repeats


def feed_repeats(markups: Sequence[str], *, min_posts: int = 3,
                 share: float = 0.5) -> frozenset[str]:
    """Return the lines (:func:`aggregator.litter.line_key`) most of a feed's posts repeat.

    ``markups`` are the HTML one feed's excerpts are made from (each post's summary, or
    its content). A line in at least ``share`` of them (and ``min_posts``) is the feed's,
    not the post's: "Dear Listener: we are trying to get some statistics on you...", a
    greeting, a sponsor. Only the start of each post is read (only it reaches an
    excerpt), sanitised as the excerpt is, so its lines compare with the excerpt's.
    """
    if len(markups) < min_posts:
        return frozenset()
    # The allow-list's text, without the litter pass: that changes no line's words.
    lines = [_line_keys(html_to_text(_nh3_clean(_paragraphs(bound_markup(m[:_REPEAT_HEAD])),
                                                None)))
             for m in markups]
    return repeated_lines(lines, min_posts=min_posts, share=share)


def _line_keys(text: str) -> list[str]:
    """Return :func:`aggregator.litter.line_key` of each line of plain ``text``.

    One call of text_lines for the whole text is the same as one a line (a third of
    the cost of :func:`feed_repeats`, #14) unless it finds markup or entities to read in
    the text, or "The post X appeared first on Y", which it may remove across lines.
    """
    if "<" in text or "&" in text or "appeared first on" in text.lower():
        return [line_key(line) for line in text.split("\n")]
    return text_lines(text)


_HEAD_PER_CHAR = 12  # characters of markup looked at per character of excerpt, at first


def _truncate(safe: str, max_chars: int, *, complete: bool = False) -> str | None:
    """Return the first ``max_chars`` of text of ``safe`` HTML, tags closed.

    None if ``safe`` ran out before the budget and is not ``complete`` (a cut head).
    ``safe`` is clean_html's output, so its tags are re-emitted as they are.
    """
    cut, stopped = _cut(safe, max_chars)
    return cut if stopped or complete else None


def _cut(safe: str, max_chars: int) -> tuple[str, bool]:
    """Return :func:`_truncate`'s cut of ``safe``, and whether it stopped before the end.

    A cut that stopped read nothing after where it stopped: the same markup followed by
    more gives the same cut.
    """
    used = 0
    out: list[str] = []
    open_tags: list[str] = []
    stopped = False
    for kind, value, source in markup_events(safe):  # stopped once the budget is spent
        if kind == "start":
            if value in _BLOCK and used >= max_chars * 0.8:
                stopped = True
                break  # do not start a new paragraph for a few words
            out.append(source)
            if value not in _VOID:
                open_tags.append(value)
        elif kind == "end":
            while value in open_tags:
                top = open_tags.pop()
                out.append(f"</{top}>")
                if top == value:
                    break
        else:
            text = html.unescape(value)
            room = max_chars - used
            if len(text) <= room:
                out.append(html.escape(text, quote=False))
                used += len(text)
                continue
            cut = cut_at_word(text, room)
            if not cut and open_tags and open_tags[-1] == "a" and out[-1].startswith("<a"):
                out.pop()  # the link would hold only the ellipsis
                open_tags.pop()
            if not cut and out and not out[-1].startswith("<"):
                out[-1] = out[-1].rstrip()
            out.append(html.escape(cut.rstrip(" ,;:-–—."), quote=False) + "…")
            stopped = True
            break
    return "".join(out) + "".join(f"</{t}>" for t in reversed(open_tags)), stopped


@dataclass(slots=True)
class _Node:
    """An element of sanitised HTML: its start tag as written, and what it holds."""

    tag: str
    source: str
    children: list[_Node | str] = field(default_factory=list)


_BR = _Node("br", "<br>")
_HREF = re.compile(r'\shref="([^"]*)"')
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_ANY_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _shown(text: str) -> str:
    """Return ``text`` without invisible characters (the search costs less than the copy)."""
    return text.translate(_INVISIBLE) if _ANY_INVISIBLE.search(text) else text


def declutter(safe: str, *, drop: frozenset[str] = frozenset()) -> str:
    """Return sanitised HTML ``safe`` without the feed's litter (see the module's notes).

    Links to trackers (:func:`aggregator.litter.is_tracker`) and links with nothing to
    read are unwrapped (their words stay); share buttons go with their labels; tracking
    parameters leave every kept link. Lines (between ``<br>`` or blocks) that are litter
    or in ``drop`` are removed, then every block left with nothing visible.
    """
    return "".join(_decluttered(safe, drop))


def _decluttered(safe: str, drop: frozenset[str]) -> Iterator[str]:
    """Yield :func:`declutter`'s output in pieces, in order, each ending a line or a block.

    Each top-level element is decided alone and the kept lines are joined as they come,
    so what follows never changes a piece given: an excerpt reads only the pieces it
    needs, not the whole head of a long post (#14).
    """
    kept = (node for top in _top_nodes(safe) for node in _declutter([top], drop))
    for piece in _kept_lines(kept, drop):
        yield _serialise(piece)


def _top_nodes(safe: str) -> Iterator[_Node | str]:
    """Yield the top-level nodes of well-formed ``safe`` HTML (clean_html's), each whole."""
    root = _Node("", "")
    stack = [root]
    for kind, value, source in markup_events(safe):
        if kind == "text":
            stack[-1].children.append(source)
        elif kind == "start":
            node = _Node(value, source)
            stack[-1].children.append(node)
            if value not in _VOID:
                stack.append(node)
        elif value not in _VOID:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == value:
                    del stack[depth:]
                    break
        if len(stack) == 1 and root.children:  # nothing open: what was read is whole
            yield from root.children
            root.children.clear()
    yield from root.children  # an element left open at the end


def _serialise(nodes: list[_Node | str]) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        else:
            parts.append(node.source)
            if node.tag not in _VOID:
                parts += [_serialise(node.children), f"</{node.tag}>"]
    return "".join(parts)


def _text(nodes: list[_Node | str]) -> str:
    """Return the text of ``nodes``, a line break for each ``<br>``."""
    return "".join(html.unescape(n) if isinstance(n, str)
                   else "\n" if n.tag == "br" else _text(n.children) for n in nodes)


def _visible(nodes: list[_Node | str]) -> bool:
    return bool(_shown(_text(nodes)).strip())


def _declutter(nodes: list[_Node | str], drop: frozenset[str]) -> list[_Node | str]:
    out: list[_Node | str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        href = _HREF.search(node.source) if node.tag == "a" else None
        url = html.unescape(href.group(1)) if href else ""
        if url and is_share_button(url):
            continue  # the button and its label ("Twitter", "Share on Facebook")
        node.children = _declutter(node.children, drop)
        if node.tag == "a":
            if not url or is_tracker(url) or not _visible(node.children):
                out.extend(node.children)  # the words stay, the link goes
                continue
            if (kept := untracked(url)) != url and href is not None:
                node.source = (node.source[:href.start(1)] + html.escape(kept)
                               + node.source[href.end(1):])
        elif node.tag in _BLOCK:
            node.children = _lines(node.children, drop)
            # Nothing visible left: every line kept has words, every block kept too.
            if not node.children:
                continue  # an empty paragraph (or one of litter only): a gap, no words
        out.append(node)
    return out


def _lines(nodes: list[_Node | str], drop: frozenset[str]) -> list[_Node | str]:
    """Return ``nodes`` without the lines that are litter, in ``drop`` or empty.

    A line is a run of inline content between ``<br>``s and blocks; the kept ones are
    joined by one ``<br>`` each (a blank line between them was a gap).
    """
    return [node for piece in _kept_lines(nodes, drop) for node in piece]


def _kept_lines(nodes: Iterable[_Node | str],
                drop: frozenset[str]) -> Iterator[list[_Node | str]]:
    """Yield what :func:`_lines` keeps of ``nodes``, in order: each block, each kept line.

    A line is given once the ``<br>`` or block after it is read, with the ``<br>`` that
    joins it to the kept line before it, if any.
    """
    line: list[_Node | str] = []
    after_line = False  # a kept line came last: the next one kept starts with a <br>
    for node in nodes:
        if isinstance(node, _Node) and (node.tag == "br" or node.tag in _BLOCK):
            if _worth_a_line(line, drop):
                yield [_BR, *line] if after_line else line
                after_line = True
            line = []
            if node.tag != "br":
                yield [node]
                after_line = False
        else:
            line.append(node)
    if _worth_a_line(line, drop):
        yield [_BR, *line] if after_line else line


def _worth_a_line(group: list[_Node | str], drop: frozenset[str]) -> bool:
    if not group:  # before a first block, or between two: most groups
        return False
    lines = [line for line in _shown(_text(group)).split("\n") if line.strip()]
    return any(not is_litter_line(line) and not (drop and line_key(line) in drop)
               for line in lines)
