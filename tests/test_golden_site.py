"""The site built from a pinned fixture at a pinned date is the checked-in one (issue 14).

A failure here is not necessarily a bug: it shows what a change did to the output. If the
change was meant, regenerate the copy (``.venv/bin/python -m tests.golden``) and commit the
diff with the change, where a reviewer sees it.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .golden import EXPECTED, build_golden, read_site


def test_the_golden_site_is_built_exactly(tmp_path: Path) -> None:
    built = build_golden(tmp_path)
    expected = read_site(EXPECTED)
    assert sorted(built) == sorted(expected), "files added or missing"
    changed = [name for name in sorted(built) if built[name] != expected[name]]
    report: list[str] = []
    for name in changed[:5]:
        report += difflib.unified_diff(expected[name].splitlines(True),
                                       built[name].splitlines(True),
                                       f"expected/{name}", f"built/{name}", n=1)
    assert not changed, (f"{len(changed)} files differ (first 5 below); if meant, run "
                         "`.venv/bin/python -m tests.golden` and commit:\n"
                         + "".join(report)[:6000])
