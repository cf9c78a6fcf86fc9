"""The team's capacity as a warehouse dataset, ``team_capacity``: sessions a week by activity and site
from the AGREED job plans, net of leave (``team.team_capacity``), so that the waiting-list work can
read the supply side beside the demand.

Written whole, in one transaction (the table is replaced, never appended to), whenever a plan is
agreed or superseded in the workspace and by ``stocktake jobplan capacity --home H``. Each row says
when it was written and from how many agreed plans.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from stocktake.jobplan.model import JobPlan
from stocktake.jobplan.team import team_capacity
from stocktake.warehouse import connect, problems

TABLE = "team_capacity"
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
