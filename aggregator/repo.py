"""Find the project's repository, for the About page's links (#17).

From ``--repo-url`` when given, else from the git remote of the folder the build runs in
(``git config --get remote.origin.url``: read locally, no network). A remote is written
many ways (``git@github.com:o/r.git``, ``ssh://git@host/o/r``, ``https://user:token@host/o/r``);
each becomes the repository's web address, ``https://host/o/r``, never with a user name
or password (a token in a CI checkout's remote must not be published). A remote that is
a local path, or anything else with no web address, gives no link.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError
from .urls import url_problem

# scp-like syntax: [user@]host:path, where host has no slash and path does not start one.
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!/).+)$")
_WEB_SCHEMES = ("https", "http", "ssh", "git", "git+ssh", "ssh+git")
SUGGEST_TEMPLATE = "suggest-a-blog.yml"  # .github/ISSUE_TEMPLATE/


def web_address(remote: str) -> str | None:
    """Return the https address of the repository at git remote ``remote``, or None."""
    remote = remote.strip()
    scp = _SCP.match(remote) if "://" not in remote else None
    if scp:
        host, path = scp.group("host"), scp.group("path")
    else:
        try:
            parts = urlsplit(remote)
            host = parts.hostname or ""
        except ValueError:
            return None
        if parts.scheme.lower() not in _WEB_SCHEMES:
            return None  # file://, a bare local path
        path = parts.path
        if parts.port and parts.scheme.lower() in ("http", "https"):
            host = f"{host}:{parts.port}"  # an ssh port is not the web server's
    path = path.strip("/")
    path = path[:-4] if path.endswith(".git") else path
    if not host or not path:
        return None
    address = f"https://{host.lower()}/{path}"
    return None if url_problem(address) else address


def repository(explicit: str | None, folder: Path) -> str | None:
    """Return the repository's web address: ``explicit`` (``--repo-url``), else git's.

    An ``explicit`` address that is not one is an error, said plainly; a git remote that
    gives no address (none set, a local path, git not installed) just gives no link.
    """
    if explicit is not None:
        parts = urlsplit(explicit.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--repo-url must be an http(s) address, not {explicit!r}")
        if parts.username is not None or parts.password is not None:
            raise ConfigError("--repo-url must not carry a user name or password: it is "
                              "published on the About page")
        found = web_address(explicit)
        if found is None:
            raise ConfigError(f"--repo-url is not a repository's address: {explicit!r}")
        return found
    return web_address(git_remote(folder) or "")


def git_remote(folder: Path) -> str | None:
    """Return ``remote.origin.url`` of the git checkout at ``folder``, or None."""
    try:
        result = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=folder,
                                capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None  # not a checkout, or no such remote
    return result.stdout.strip() or None


def suggest_form(repo: str | None) -> str | None:
    """Return the "suggest a blog" issue form of a GitHub repository, or None."""
    if repo is None or urlsplit(repo).hostname != "github.com":
        return None  # the form is a GitHub issue template; other forges lay issues out apart
    return f"{repo}/issues/new?template={SUGGEST_TEMPLATE}"
