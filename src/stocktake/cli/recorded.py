"""A command's read of a home's warehouse, in that home's audit log (ADR 56), as the workspace logs a
download: who ran it (the computer's user name: the command line has no account), the command, what it
showed unsuppressed, and where its output went. Recorded before the command reads, so a run that cannot be
recorded reads and writes nothing."""

from __future__ import annotations

import getpass
from pathlib import Path

from stocktake.cli.common import _fail, _settings

ACTION = "command_line_read"


def record_read(warehouse: Path | None, command: str, output: Path | None, *, shows: str = "") -> None:
    """Record ``stocktake COMMAND``'s read of ``warehouse`` in its home's audit log; nothing when the
    warehouse is not a home's (a copy elsewhere has no audit log). ``output``: the file or folder
    written, else it is shown on the terminal only; ``shows``: what in it is not suppressed (e.g.
    "counts of 1–7", "patient-level rows")."""
    from sqlalchemy.exc import SQLAlchemyError

    from stocktake.appdb.actions import record_now
    from stocktake.appdb.database import make_engine, session_factory, upgrade
    from stocktake.ingest.pseudonymise import mask_nhs_numbers
    from stocktake.settings import WAREHOUSE, is_home

    read = Path(warehouse).resolve() if warehouse is not None else None  # a link: the file it names
    if read is None or read.name != WAREHOUSE or not read.is_file() or not is_home(read.parent):
        return
    home = read.parent
    said = [
        f"{shows} shown" if shows else "",
        f"wrote {output}" if output is not None else "shown on the terminal",
        f"by {_user()} on the command line",
    ]
    detail = mask_nhs_numbers("; ".join(s for s in said if s))  # as every message is
    url = _settings(home, private=False).database_url
    try:
        upgrade(url)
        engine = make_engine(url)
        try:
            with session_factory(engine)() as session:
                record_now(session, user=None, action=ACTION, subject=f"stocktake {command}", detail=detail)
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        _fail(
            f"{home}: this read could not be recorded in the home's audit log ({type(error).__name__}); "
            "nothing was read or written"
        )


def _user() -> str:
    """The computer's name for whoever runs the command (a container may have none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "an unnamed user"
