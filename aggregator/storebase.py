"""What every table of the SQLite state shares: the connection, transactions, timestamps.

:class:`aggregator.store.Store` is made of one part per job (feeds, posts, diamond
history, derived data), each a subclass of :class:`StoreBase`, so each module holds the
SQL of one job and they all write through one connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from .errors import StoreError


class StoreBase:
    """One SQLite connection (autocommit), and whole transactions on it."""

    path: str
    _db: sqlite3.Connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block as one transaction: all of it is written, or none."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: {e}") from e
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as e:
                raise StoreError(f"{self.path}: {e}") from e


def ts(value: datetime) -> str:
    """Return ``value`` as the state stores times: ISO 8601 in UTC, to the second."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def dt(value: str | None) -> datetime | None:
    """Return the time :func:`ts` wrote, or None."""
    return datetime.fromisoformat(value) if value else None
