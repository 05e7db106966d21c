"""The fairness ledger's chart in a real Chromium at phone width: readable labels (#17).

Needs a Chromium and playwright (see tests/test_browser.py); skipped with a reason where
they are absent, failed instead in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from .conftest import chromium, serve_dir

SMALLEST_READABLE_PX = 10.5  # a label's font size as the phone shows it, in CSS pixels

# Per label of the chart: its font size as drawn on screen (the SVG's scale included) and
# its box, in CSS pixels.
LABELS = """() => [...document.querySelectorAll('figure.chart svg text')].map(t => {
  const scale = t.ownerSVGElement.getScreenCTM().a;
  const r = t.getBoundingClientRect();
  return {text: t.textContent.trim(), px: parseFloat(getComputedStyle(t).fontSize) * scale,
          left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          tick: t.closest('g') !== null && !t.hasAttribute('transform')
                && !t.textContent.includes(' ')};
})"""


@pytest.fixture(scope="module")
def ledger_at_phone_width(demo_site_dir: Path) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """Open the demo site's fairness page at 360 px wide; yield the page and its labels."""
    with serve_dir(demo_site_dir) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        page.goto(base + "fairness/index.html")
        yield page, page.evaluate(LABELS)
        context.close()


def test_the_chart_labels_are_readable_at_360_px(
        ledger_at_phone_width: tuple[Any, list[dict[str, Any]]]) -> None:
    page, labels = ledger_at_phone_width
    assert len(labels) >= 4  # ticks on both axes and the two axis titles
    small = [(label["text"], round(label["px"], 1)) for label in labels
             if label["px"] < SMALLEST_READABLE_PX]
    assert not small, f"labels drawn smaller than {SMALLEST_READABLE_PX} px: {small}"
    box = page.locator("figure.chart svg").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360


def test_the_chart_tick_labels_do_not_overlap(
        ledger_at_phone_width: tuple[Any, list[dict[str, Any]]]) -> None:
    _, labels = ledger_at_phone_width
    ticks = [label for label in labels if label["tick"]]
    assert len(ticks) >= 3
    for a, b in combinations(ticks, 2):
        apart = (a["right"] <= b["left"] or b["right"] <= a["left"]
                 or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])
        assert apart, f"tick labels {a['text']!r} and {b['text']!r} overlap"


def test_ticks_too_close_to_read_apart_are_left_out() -> None:
    # A prolific blog stretches the square-root axis: 0, 1, 2 and 5 posts would crowd
    # into the first few pixels. The axis' ends are always labelled.
    from aggregator.fairness import FONT_SIZE, Ledger, LedgerRow, chart

    from .test_diamonds_windows import TODAY, _blog

    rows = tuple(LedgerRow(blog=_blog(f"b{n}"), featured=f, featured_ever=f, last_featured=None,
                           posts=n, posts_stored=n, eligible=True)
                 for n, f in ((0, 0), (1, 1), (3, 2), (40, 2), (300, 3)))
    ledger = Ledger(today=TODAY, days=90, rows=rows, gini=0.2, eligible=5, featured_share=0.8)
    drawn = chart(ledger)
    xs = [t.at for t in drawn.x_ticks]
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) >= FONT_SIZE * 0.6 * 4
    assert drawn.x_ticks[0].label == "0" and drawn.x_ticks[-1].label == "200"
    assert len(drawn.x_ticks) >= 4
