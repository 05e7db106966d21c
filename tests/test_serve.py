"""`aggregator serve`: preview the built site on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def test_serve_previews_the_site_with_its_404_page(demo_site_dir: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "aggregator", "serve", "--dir", str(demo_site_dir),
         "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ) as proc:
        _check_served(proc, demo_site_dir)


def _check_served(proc: subprocess.Popen[str], demo_site_dir: Path) -> None:
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(f"Serving {demo_site_dir}/ at http://127.0.0.1:"), line
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "index.html", timeout=10) as response:
            assert b"Diamonds in the rough" in response.read()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "topics/no-such-topic/", timeout=10)
        with missing.value as error:
            assert error.code == 404
            assert b"Page not found" in error.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_without_a_site_says_what_to_do(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "aggregator", "serve", "--dir",
                             str(tmp_path / "nothing")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "build the site first" in result.stderr
