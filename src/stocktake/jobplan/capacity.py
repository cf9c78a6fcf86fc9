"""The team's capacity as a warehouse dataset, ``team_capacity``: sessions a week by activity and site
from the AGREED job plans, net of leave (``team.team_capacity``), so that the waiting-list work can
read the supply side beside the demand.

Written whole, in one transaction (the table is replaced, never appended to), whenever a plan is
agreed or superseded in the workspace and by ``stocktake jobplan capacity --home H``. Each row says
when it was written and from how many agreed plans.

A write can be missed (the warehouse locked as a plan is agreed), so whether the dataset is out of
date is judged by time, not by counting plans: it is out of date when a plan was agreed or superseded
after it was written (``out_of_date``; ADR 0041). Counts can match while the plans differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from stocktake.jobplan.model import JobPlan
from stocktake.jobplan.team import team_capacity
from stocktake.warehouse import connect, problems

TABLE = "team_capacity"
LONDON = ZoneInfo("Europe/London")
OUT_OF_DATE = "team capacity out of date — rebuild"
COLUMNS = (
    "activity",
    "site",
    "consultants",
    "sessions_per_working_week",
    "sessions_per_week",
    "sessions_per_year",
    "pas_per_week",
    "plans",
    "written_at",
)


def capacity_frame(plans: Iterable[JobPlan], at: datetime | None = None) -> pd.DataFrame:
    """The dataset's rows from these plans (the caller passes the agreed ones)."""
    plans = list(plans)
    at = (at or datetime.now(UTC)).replace(tzinfo=None)  # DuckDB TIMESTAMP, UTC
    rows = [
        {
            "activity": c.activity,
            "site": c.site,
            "consultants": c.consultants,
            "sessions_per_working_week": c.sessions_per_working_week,
            "sessions_per_week": c.sessions_per_week,
            "sessions_per_year": c.sessions_per_year,
            "pas_per_week": c.pas_per_week,
            "plans": len(plans),
            "written_at": at,
        }
        for c in team_capacity(plans)
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"consultants": "int64", "plans": "int64", "written_at": "datetime64[us]"})


def write_capacity(warehouse: Path, plans: Iterable[JobPlan], at: datetime | None = None) -> pd.DataFrame:
    """Replace ``team_capacity`` in the warehouse with these plans' capacity; the rows written."""
    frame = capacity_frame(plans, at)
    write_frame(warehouse, frame)
    return frame


def write_frame(warehouse: Path, frame: pd.DataFrame) -> None:
    """Replace ``team_capacity`` with rows made beforehand by ``capacity_frame`` (the workspace makes
    them before it saves an agreement, so an agreement never lands without its capacity)."""
    with problems(warehouse), connect(warehouse) as con:
        con.execute("BEGIN")
        con.register("incoming", frame)
        con.execute(
            f"CREATE OR REPLACE TABLE {TABLE} (activity VARCHAR, site VARCHAR, consultants BIGINT, "
            "sessions_per_working_week DOUBLE, sessions_per_week DOUBLE, sessions_per_year DOUBLE, "
            "pas_per_week DOUBLE, plans BIGINT, written_at TIMESTAMP)"
        )
        con.execute(f"INSERT INTO {TABLE} SELECT {', '.join(COLUMNS)} FROM incoming")
        con.unregister("incoming")
        con.execute("COMMIT")


def read_capacity(warehouse: Path) -> pd.DataFrame | None:
    """The dataset as written, or None when the warehouse has none yet."""
    if not Path(warehouse).is_file():
        return None
    with problems(warehouse), connect(warehouse, read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]
        ).fetchone()[0]
        if not found:
            return None
        return con.execute(f"SELECT * FROM {TABLE} ORDER BY activity, site").df()


def out_of_date(written: pd.DataFrame | None, newest_change: datetime | None) -> str:
    """Why the dataset as read (``read_capacity``) lags the store, "" when it does not:
    ``newest_change`` is the latest moment a plan was agreed or superseded (``store.newest_change``).
    A dataset never written while a plan is agreed is out of date too; one written with no rows
    (no agreed plan read) says nothing of when, and is left alone."""
    if newest_change is None:
        return ""
    changed = _utc(newest_change)
    if written is None:
        return f"{OUT_OF_DATE}: it has not been written, and a plan was agreed {_said(changed)}"
    if written.empty:
        return ""
    at = _utc(pd.Timestamp(written["written_at"].max()).to_pydatetime())
    if changed > at:
        return (
            f"{OUT_OF_DATE}: written {_said(at)}, and a plan was agreed or superseded after it, "
            f"{_said(changed)}"
        )
    return ""


def _utc(moment: datetime) -> datetime:
    """A moment as naive UTC, as DuckDB keeps ``written_at`` (a naive one is taken as UTC already)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _said(moment: datetime) -> str:
    """A naive UTC moment in London time, as the page's "Written ..." line gives it (with seconds: two
    moments a few seconds apart are what this line compares)."""
    return moment.replace(tzinfo=UTC).astimezone(LONDON).strftime("%-d %B %Y, %H:%M:%S")
