"""Make feed HTML safe to show: an allow-list sanitiser (nh3) and excerpt truncation.

Feed HTML is written by strangers and sometimes by attackers (a hacked blog). Only a
few harmless elements survive: paragraphs, emphasis, lists, quotes, code and links.
No scripts, event handlers, styles, iframes, forms or images (an image would make the
reader's browser call the blog's server); links only to http(s) and mailto, each with
``rel="noopener ugc"``. Templates re-run :func:`clean_html` when they output an excerpt,
so even a tampered state file cannot inject markup.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from nh3 import UrlRelative

from .text import markup_events

MAX_DEPTH = 32  # elements nested deeper than this are dropped (their text is kept)
MAX_MARKUP_CHARS = 100_000  # of a field's HTML, sanitised at most

ALLOWED_TAGS = frozenset({"p", "br", "a", "em", "strong", "b", "i", "code", "blockquote",
                          "ul", "ol", "li", "q", "cite", "abbr", "sub", "sup"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_VOID = frozenset({"br"})
_BLOCK = frozenset({"p", "blockquote", "ul", "ol", "li"})


def clean_html(markup: str, *, base: str | None = None) -> str:
    """Return ``markup`` with everything but the allow-listed elements removed.

    Relative links are resolved against ``base`` (the post's own address); without a base
    they are kept as they are, which only happens for markup already cleaned with one.
    Only the first :data:`MAX_MARKUP_CHARS` are read, nested :data:`MAX_DEPTH` deep at most.
    """
    markup = bound_markup(markup)
    try:
        return _nh3_clean(markup, ("rewrite_with_base", base) if base else None)
    except ValueError:  # a base the URL parser refuses: drop relative links instead
        return _nh3_clean(markup, "deny")


def _nh3_clean(markup: str, url_relative: UrlRelative | None) -> str:
    return nh3.clean(
        markup,
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


def excerpt_html(markup: str, *, max_chars: int = 400, base: str | None = None) -> str:
    """Return a sanitised excerpt of ``markup``: its first ``max_chars`` of text, tags kept.

    ``base`` is the address relative links in ``markup`` are relative to.
    """
    # Sanitising a whole long post to show its first paragraphs was most of the cost of
    # an excerpt: sanitise a head of the markup (the allow-list parser drops a tag cut in
    # half), and the whole only if that head held too little text.
    head = markup[: max_chars * _HEAD_PER_CHAR]
    excerpt = _truncate(clean_html(head, base=base), max_chars,
                        complete=len(head) == len(markup))
    if excerpt is None:  # clean_html reads no more than MAX_MARKUP_CHARS of it
        excerpt = _truncate(clean_html(markup, base=base), max_chars, complete=True)
    return clean_html(excerpt or "").strip()


_HEAD_PER_CHAR = 12  # characters of markup looked at per character of excerpt, at first


def _truncate(safe: str, max_chars: int, *, complete: bool = False) -> str | None:
    """Return the first ``max_chars`` of text of ``safe`` HTML, tags closed.

    None if ``safe`` ran out before the budget and is not ``complete`` (a cut head).
    ``safe`` is clean_html's output, so its tags are re-emitted as they are.
    """
    used = 0
    out: list[str] = []
    open_tags: list[str] = []
    for kind, value, source in markup_events(safe):  # stopped once the budget is spent
        if kind == "start":
            if value in _BLOCK and used >= max_chars * 0.8:
                break  # do not start a new paragraph for a few words
            if value == "a" and "href=" not in source:
                continue  # its link was unsafe and removed: keep the words, not an empty <a>
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
            cut = text[:room]
            space = cut.rfind(" ")
            if space > room // 2:
                cut = cut[:space]
            out.append(html.escape(cut.rstrip(" ,;:-–—."), quote=False) + "…")
            break
    else:
        if not complete:
            return None
    return "".join(out) + "".join(f"</{t}>" for t in reversed(open_tags))
