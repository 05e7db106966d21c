"""What the render stage is handed: :class:`SiteContent`, everything the site shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from .fairness import Ledger
from .models import Blog, Diamond, Feature, Post, StoredTopic, Topic

DEFAULT_BASE_URL = "http://localhost:8000/"  # where `aggregator serve` previews the site


@dataclass(frozen=True)
class SiteContent:
    """Everything the site shows, gathered by the build."""

    today: date
    generated: datetime
    seed: int
    base_url: str
    blogs: Sequence[Blog]
    posts: Sequence[Post]  # newest first
    topics: Sequence[Topic]
    misc: Sequence[str]
    diamonds: Sequence[Diamond]
    related: Mapping[str, Sequence[str]] = field(default_factory=dict)
    also_on: Mapping[str, Sequence[str]] = field(default_factory=dict)  # uid -> copies' feeds
    copies: frozenset[str] = frozenset()  # cross-post copies: on their blog's page, no feed
    dissolved: Sequence[StoredTopic] = ()  # earlier topics that no longer exist
    history: Sequence[Feature] = ()  # every diamond so far, today's included, oldest first
    ledger: Ledger | None = None  # the fairness ledger (issue 5)
    repo_url: str | None = None  # the project's repository (aggregator.repo), on About
