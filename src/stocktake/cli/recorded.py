"""A command's read of a home's warehouse, in that home's audit log (ADR 56), as the workspace logs a
download: who ran it (the computer's user name: the command line has no account), the command, what it
showed unsuppressed, and where its output went. Recorded before the command reads, so a run that cannot be
recorded reads and writes nothing."""

from __future__ import annotations

import getpass
from pathlib import Path

from stocktake.cli.common import _fail, _settings

ACTION = "command_line_read"
COMMAND_LINE = "the command line"


def record_read(warehouse: Path | None, command: str, output: Path | None, *, shows: str = "") -> None:
    """Record ``stocktake COMMAND``'s read of ``warehouse`` in its home's audit log; nothing when the
    warehouse is not a home's (a copy elsewhere has no audit log). ``output``: the file or folder
    written, else it is shown on the terminal only; ``shows``: what in it is not suppressed (e.g.
    "counts of 1–7", "patient-level rows")."""
    from stocktake.appdb.actions.audit_log import acting_from, record_now
    from stocktake.appdb.database import make_engine, session_factory, upgrade
    from stocktake.ingest.pseudonymise import mask_nhs_numbers

    home = _home_of(Path(warehouse)) if warehouse is not None else None
    if home is None:
        return
    said = [  # "to": recorded before the run, which may yet be refused (an attempt is logged too)
        f"{shows} shown" if shows else "",
        f"to write {Path(output).absolute()}" if output is not None else "to show on the terminal",
        f"by {user_name()} on the command line",
    ]
    # NHS numbers masked, as in every message; one line, so a name cannot pose as the tool's words
    detail = " ".join(mask_nhs_numbers("; ".join(s for s in said if s)).splitlines())
    url = _settings(home, private=False).database_url
    try:
        upgrade(url)
        engine = make_engine(url)
        try:
            # the log page's "From" column says where it came from, as it gives a browser's address
            with session_factory(engine)() as session, acting_from(COMMAND_LINE, user_name()):
                record_now(session, user=None, action=ACTION, subject=f"stocktake {command}", detail=detail)
        finally:
            engine.dispose()
    except Exception as error:  # a driver missing, a schema newer than this code: said, not a traceback
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0]
        _fail(
            f"{home}: this read could not be recorded in the home's audit log ({type(error).__name__}: "
            f"{reason[:200]}); nothing was read or written"
        )


def _home_of(warehouse: Path) -> Path | None:
    """The home whose warehouse this is: the folder of a home's ``warehouse.duckdb``, as given (the
    home's warehouse may be a link to a data volume) or once links are followed (a link to it under
    another name); None for a file that is no home's."""
    from stocktake.settings import WAREHOUSE, is_home

    for path in (warehouse.absolute(), warehouse.resolve()):
        if path.name == WAREHOUSE and path.is_file() and is_home(path.parent):
            return path.parent
    return None


def user_name() -> str:
    """The computer's name for whoever runs the command (a container may have none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "an unnamed user"
