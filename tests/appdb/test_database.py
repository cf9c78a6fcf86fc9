"""The SQLite app database: readers do not wait for a writer, and a commit (every drill-down view is
one) does not wait for the disk."""

from __future__ import annotations

from sqlalchemy import text

from stocktake.appdb.database import make_engine


def test_sqlite_commits_are_write_ahead_logged_without_an_fsync_each(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'workspace.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL (FULL is 2)
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
