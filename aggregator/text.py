"""Turn feed HTML into plain text: for excerpts on the site and for the topic model.

Nothing here ever returns HTML: the output is text that templates escape, so markup in
a feed (hostile or not) can never reach a page through these functions.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Elements whose content is never text a reader should see.
_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "embed",
                   "svg", "math", "head", "title", "select", "textarea", "button"})
# Elements that end a line of text.
_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                    "blockquote", "pre", "tr", "table", "section", "article", "header",
                    "footer", "figure", "figcaption", "hr", "dd", "dt", "dl", "aside", "nav"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed",
                   "source", "track", "wbr", "param"})

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP and tag not in _VOID:
            self.skipping.append(tag)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML fragment, one line per block, no markup left."""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient, but never let markup stop a build
        return _tidy(re.sub(r"<[^>]*>", " ", html.unescape(markup)))
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _NEWLINES.sub("\n", "\n".join(line for line in lines if line)).strip()


def excerpt(text: str, *, max_chars: int = 320) -> str:
    """Return the first sentences of ``text`` that fit in ``max_chars``, ending with … if cut."""
    flat = _SPACES.sub(" ", text.replace("\n", " ")).strip()
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
    cut = flat[: max_chars - 1]
    space = cut.rfind(" ")
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"
