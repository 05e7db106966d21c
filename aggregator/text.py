"""Turn feed HTML into plain text: for excerpts on the site and for the topic model.

Nothing here ever returns HTML: the output is text that templates escape, so markup in
a feed (hostile or not) can never reach a page through these functions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

# Elements whose content is never text a reader should see.
_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "embed",
                   "svg", "math", "head", "title", "select", "textarea", "button"})
# Elements that end a line of text.
_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                    "blockquote", "pre", "tr", "table", "section", "article", "header",
                    "footer", "figure", "figcaption", "hr", "dd", "dt", "dl", "aside", "nav"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed",
                   "source", "track", "wbr", "param"})

# Runs of spaces other than a single " " (which needs no replacing: most of them).
_SPACES = re.compile(r"[\t\r\f\v\u00a0\u200b][ \t\r\f\v\u00a0\u200b]*| [ \t\r\f\v\u00a0\u200b]+")
# The spaces after a sentence's end, and after its closing quotes or brackets.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'”’)])\s+|(?<=[.!?…][\"'”’)]{2})\s+")


# HTML's markup, as a browser splits it from text. Each form stops at the next "<", so
# scanning a fragment is linear in its length whatever it holds (html.parser's regexes
# are not: a hostile post of many unclosed tags takes it quadratic time), and took a third
# of the CPU of reading a feed. A quoted attribute value may hold ">" but not "<".
_MARKUP = re.compile(r"""
    <!--.*?(?:--!?>|\Z)                                  # a comment; unclosed: to the end
  | <[!?/][^<>]*>                                        # doctype, CDATA, processing instruction,
                                                        #   an end tag (group 1 below is empty)
  | <([a-zA-Z][^\t\n\f\r /<>]*+)((?>[^<>"']+|"[^"<]*"|'[^'<]*'|["'])*+)>   # a start tag
""", re.S | re.X)
_END_TAG = re.compile(r"</([a-zA-Z][^\t\n\f\r /<>]*)")
# Raw text elements: nothing inside them is markup, up to their end tag.
_RAW_END = {tag: re.compile(rf"</{tag}(?:[\t\n\f\r /][^<>]*)?>", re.I)
            for tag in ("script", "style")}


# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): in a
# title they reorder what follows ("RTL \u202egnp.exe" reads "RTL exe.png"). The marks
# (U+200E, U+200F, U+061C) stay: right-to-left writing needs them, and they reorder nothing.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi(text: str) -> str:
    """Return ``text`` without bidirectional control characters that reorder text."""
    if BIDI_CONTROL.search(text) is None:
        return text
    return text.translate(_BIDI_CONTROLS)


def markup_events(markup: str) -> Iterator[tuple[str, str, str]]:
    """Split an HTML fragment into events: ``(kind, value, source)``.

    ``("text", text, text)`` for text as written (character references are left for the
    caller to resolve); ``("start", tag, "<a href=...>")`` and ``("end", tag, "</a>")`` for
    tags, the name lowercase. A self-closing tag (``<br/>``) is a start and an end.
    Comments, doctypes and processing instructions are dropped; the content of a raw text
    element (``<script>``, ``<style>``) is never given as text. Lenient as browsers are:
    a stray ``<`` is text, an unclosed comment runs to the end.
    """
    at, n = 0, len(markup)
    while at < n:
        found = _MARKUP.search(markup, at)
        if found is None:
            break
        if found.start() > at:
            text = markup[at:found.start()]
            yield "text", text, text
        at = found.end()
        name = found.group(1)
        if name is None:
            end = _END_TAG.match(found.group(0))
            if end is not None:
                yield "end", end.group(1).lower(), found.group(0)
            continue
        tag = name.lower()
        yield "start", tag, found.group(0)
        if found.group(2).endswith("/"):
            yield "end", tag, ""
        elif tag in _RAW_END:
            closing = _RAW_END[tag].search(markup, at)
            at = closing.end() if closing is not None else n
            yield "end", tag, ""
    if at < n:
        yield "text", markup[at:], markup[at:]


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML fragment, one line per block, no markup left."""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    parts: list[str] = []
    skipping: list[str] = []
    for kind, value, _ in markup_events(markup):
        if kind == "text":
            if not skipping:
                parts.append(value)
        elif kind == "start":
            if value in _SKIP and value not in _VOID:
                skipping.append(value)
            elif value in _BLOCK and not skipping:
                parts.append("\n")
        elif skipping:
            if value == skipping[-1]:
                skipping.pop()
        elif value in _BLOCK:
            parts.append("\n")
    return _tidy(html.unescape("".join(parts)))


def _tidy(text: str) -> str:
    """Collapse runs of spaces, trim each line and drop the blank ones."""
    text = xml_safe(_SPACES.sub(" ", text))
    return "\n".join(filter(None, (line.strip() for line in text.split("\n"))))


# What XML 1.0 cannot hold: C0 controls but tab and line ends, lone surrogates, U+FFFE and
# U+FFFF. A NUL in one post's title made every feed the build wrote unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Return ``text`` without the characters an XML document (a feed) cannot hold."""
    return NOT_XML.sub("", text)


def excerpt(text: str, *, max_chars: int = 320) -> str:
    """Return the first sentences of ``text`` that fit in ``max_chars``, ending with … if cut."""
    # Only the first sentences can fit: read a head of a long text, twice what fits, so the
    # sentence it cuts in half is never one that fits.
    flat = _flatten(text[: max_chars * 3])
    if len(flat) <= 2 * max_chars and len(text) > max_chars * 3:
        flat = _flatten(text)  # a head of mostly spaces
    if len(flat) <= max_chars:
        return flat
    sentences = _SENTENCE_END.split(flat)
    out = ""
    for sentence in sentences:
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > max_chars:
            break
        out = candidate
    if len(out) >= max_chars // 3:
        return out
    cut = cut_at_word(flat, max_chars - 1) or flat[: max_chars - 1]  # one endless word
    return cut.rstrip(" ,;:-–—.") + "…"


def _flatten(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


_LAST_SPACE = re.compile(r"\s+\S*\Z")


def cut_at_word(text: str, room: int) -> str:
    """Return the longest start of ``text`` of at most ``room`` characters ending at a word.

    "" when the first word alone is longer: never half a word ("The objective o").
    """
    if len(text) <= room:
        return text
    if text[room].isspace():
        return text[:room].rstrip()
    space = _LAST_SPACE.search(text, 0, room)
    return text[:space.start()] if space else ""
