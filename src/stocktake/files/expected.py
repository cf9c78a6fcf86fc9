"""An expected-counts file: ``unit,expected``, one row per site, consultant or trust, the expected
count of events (deaths within 30 days, say) a case-mix model gives each over the same months.

Read from the bytes of an upload; any problem is one line naming the row and column. An editor's
file is kept in the department's home, one per measure and dimension (``HOME/expected/site/<metric
id>.csv``, who and when beside it as JSON); the one it replaces is withdrawn to
``HOME/expected/site/withdrawn/``, never deleted (ADR 34).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from stocktake.files.kept import WITHDRAWN, in_the_way, withdraw_damaged
from stocktake.files.kept import free_stamp as _free_stamp
from stocktake.files.kept import write_whole as _write_whole
from stocktake.files.peer_figures import PeerFiguresError, a_period
from stocktake.ingest.sniff import number_value
from stocktake.periods import months_between

COLUMNS = ("unit", "expected")
#: A file longer than this is not a list of units.
MAX_ROWS = 10_000


class ExpectedFileError(ValueError):
    """A file that cannot be used; the message is one line naming file, row and column."""


def parse_expected(
    content: bytes, name: str = "expected counts", cases: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Each unit's expected count (positive, finite), in the file's order. Numbers as people write
    them in a comma file (1,234 or 1,234.5); a decimal comma (24,5), underscores or a % are refused,
    never read as another number. ``cases`` (unit → its cases in the period, from the data): a unit
    expecting more events than it has cases is refused, and so is a file naming none of them."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExpectedFileError(f"{name}: not a text (CSV) file in UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ExpectedFileError(
            f"{name}, row 1: no column {missing[0]!r} (expected the columns unit,expected)"
        )
    if len(rows) > MAX_ROWS + 1:
        raise ExpectedFileError(f"{name}: more than {MAX_ROWS:,} rows; expected one row per unit")
    at = {c: header.index(c) for c in COLUMNS}
    expected: dict[str, float] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in at.items()}
        unit, text_value = cells["unit"], cells["expected"]
        if not unit:
            raise ExpectedFileError(f"{name}, row {number}, column unit: empty; name the unit")
        if unit in expected:
            raise ExpectedFileError(f"{name}, row {number}, column unit: {unit!r} is listed twice")
        value = expected_number(text_value)
        if value is None:
            raise ExpectedFileError(
                f"{name}, row {number}, column expected: {text_value!r} is not a number "
                "(write 24.5 or 1,234.5: a comma only separates thousands)"
            )
        if not math.isfinite(value) or value <= 0:
            raise ExpectedFileError(
                f"{name}, row {number}, column expected: {text_value!r}; an expected count must be above 0"
            )
        if cases is not None and unit in cases and value > cases[unit]:
            raise ExpectedFileError(
                f"{name}, row {number}, column expected: {text_value!r} is more events than {unit}'s "
                f"{cases[unit]:,.0f} cases in the period; an expected count cannot exceed the cases"
            )
        expected[unit] = value
    if not expected:
        raise ExpectedFileError(f"{name}: no rows; expected one row per unit (unit,expected)")
    if cases is not None and not any(unit in cases for unit in expected):
        raise ExpectedFileError(
            f"{name}: none of its units ({_listed(expected)}) has cases in the data "
            f"(the data's: {_listed(cases) or 'none'}); the units must be named as the data names them"
        )
    return expected


def expected_number(text: str) -> float | None:
    """A count as written (``ingest.sniff.number_value``: 1,234 or 1,234.5), or None when it is not
    one: a decimal comma, underscores, a £ or a % read as some other number would be worse."""
    return None if any(c in text for c in "%£") else number_value(text)


def unmatched_units(expected: Mapping[str, float], cases: Mapping[str, float]) -> tuple[str, ...]:
    """The file's units with no cases in the data: their counts compare nothing (named, not refused)."""
    return tuple(u for u in expected if u not in cases)


def _listed(units, most: int = 8) -> str:
    names = list(units)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


# --- kept in the department's home (ADR 34) ----------------------------------------------------------

#: The folder of the home that keeps each outcome measure's expected counts.
FOLDER = "expected"
_METRIC_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")


@dataclass(frozen=True)
class KeptExpected:
    """An outcome measure's expected counts as kept: the units' counts, the file's name as given,
    who kept them and when; a withdrawn one also says who replaced it and when."""

    metric_id: str
    by: str  # the dimension the units are groups of: site, consultant, …
    counts: dict[str, float]
    name: str
    kept_by: str
    at: datetime
    path: Path
    withdrawn_by: str = ""
    withdrawn_at: datetime | None = None
    #: The months the counts are for (YYYY-MM, first and last); None for counts kept before months
    #: were recorded, compared over the data's latest 12 as they were then.
    months: tuple[str, str] | None = None

    @property
    def months_words(self) -> str:
        """ "for January 2024 to December 2024", or what stands in for months not recorded."""
        if self.months is None:  # withdrawn counts are compared with nothing
            return "months not recorded" + (
                "" if self.withdrawn_at else ": compared over the latest 12 months"
            )
        return f"for {months_between(*self.months)}"


def expected_folder(home: Path, by: str) -> Path:
    """Where the expected counts of groups by ``by`` (site, consultant) are kept."""
    return Path(home) / FOLDER / _checked_name(by, "dimension")


def _checked_name(text: str, what: str = "measure") -> str:
    if not _METRIC_ID.fullmatch(text):
        raise ExpectedFileError(f"{text!r}: not a {what}'s id (lower case, digits and _)")
    return text


def kept_expected(home: Path, metric_id: str, by: str = "site") -> KeptExpected | None:
    """The measure's expected counts by ``by`` kept in ``home``, or None when none are."""
    path = expected_folder(home, by) / f"{_checked_name(metric_id)}.csv"
    if not path.exists() and not path.with_suffix(".json").exists():
        return None  # a folder in a file's place is damage, said (``_read_kept``), never dropped silently
    return _read_kept(metric_id, by, path)


def withdrawn_expected(home: Path, metric_id: str, by: str = "site") -> list[KeptExpected]:
    """The measure's earlier expected counts, each withdrawn when another replaced it, newest first.
    History kept under an older, laxer reading of numbers (24,5 was read as 245) is still listed,
    its name saying its counts cannot be read now and its counts empty: it is no longer used."""
    folder = expected_folder(home, by) / WITHDRAWN
    if not folder.is_dir():
        return []
    paths = folder.glob(f"{_checked_name(metric_id)}.*.csv")
    found = []
    for path in paths:
        if path.name.count(".") != 2:
            continue
        try:
            found.append(_read_kept(metric_id, by, path, history=True))
        except ExpectedFileError:
            continue  # history that cannot be read is no longer used; it stays on disk, never deleted
    return sorted(found, key=lambda k: (k.withdrawn_at or k.at, k.path.name), reverse=True)


def _read_kept(metric_id: str, by: str, path: Path, history: bool = False) -> KeptExpected:
    # named from the home (expected/site/x.csv) in messages: the funnel page shows them to viewers
    shown = Path(FOLDER, by, *([WITHDRAWN] if path.parent.name == WITHDRAWN else []), path.name)
    about_path = path.with_suffix(".json")
    for obstacle in (path, about_path):
        if obstacle.is_dir():
            raise ExpectedFileError(in_the_way(str(shown.with_suffix(obstacle.suffix))))
    try:
        about = json.loads(about_path.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(about["at"])
        withdrawn_at = datetime.fromisoformat(about["withdrawn_at"]) if about.get("withdrawn_at") else None
        name, kept_by = str(about["name"]), str(about["by"])
        withdrawn_by = str(about.get("withdrawn_by", ""))
        months = about.get("months")
        if months is not None:
            months = a_period(str(months[0]), str(months[1]))
            if months is None:
                raise ValueError("no months")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, PeerFiguresError):
        raise ExpectedFileError(
            f"{shown.with_suffix('.json')}: missing or damaged (it says who kept {path.name} and when)"
        ) from None
    try:
        content = path.read_bytes()
    except OSError:  # unreadable (EIO, permissions): damaged, replaceable, never a crash (issue 28)
        raise ExpectedFileError(f"{shown}: missing or cannot be read") from None
    try:
        counts = parse_expected(content, str(shown))
    except ExpectedFileError:
        if not history:
            raise
        counts, name = {}, f"{name} (its counts cannot be read now)"
    return KeptExpected(metric_id, by, counts, name, kept_by, at, path, withdrawn_by, withdrawn_at, months)


def keep_expected(
    home: Path,
    metric_id: str,
    content: bytes,
    *,
    by: str = "site",
    name: str,
    who: str,
    at: datetime,
    cases: Mapping[str, float] | None = None,
    months: tuple[str, str] | None = None,
) -> tuple[KeptExpected, KeptExpected | None]:
    """Check ``content`` whole (``parse_expected``, against the data's ``cases`` when given: nothing
    is written when any row is wrong), then keep it as the measure's expected counts for ``months``
    (first and last, YYYY-MM: observed events are counted over the same months); the counts it
    replaces are withdrawn beside it, with who replaced them and when. Returns the kept counts and
    the withdrawn ones (None when none). Counts kept before whose files are damaged do not block a
    new keep: they are moved to withdrawn/ as they are, with a note (``kept.withdraw_damaged``).
    Each file is written whole (a temporary file renamed), readable by the home's account only."""
    counts = parse_expected(content, name, cases)
    if months is not None:
        try:
            months = a_period(str(months[0]), str(months[1]), "the months the counts are for")
        except PeerFiguresError as error:
            raise ExpectedFileError(str(error)) from None
    folder = expected_folder(home, by)
    path = folder / f"{_checked_name(metric_id)}.csv"
    try:
        previous, damaged = kept_expected(home, metric_id, by), ""
    except ExpectedFileError as error:
        previous, damaged = None, str(error)
    for obstacle in (path, path.with_suffix(".json")):
        if obstacle.is_dir():  # not moved: a folder may hold anything; its owner moves it
            raise ExpectedFileError(in_the_way(str(Path(FOLDER, by, obstacle.name))))
    for made in (folder.parent, folder):  # private as the home is, whatever the umask
        made.mkdir(mode=0o700, exist_ok=True)
    withdrawn = None
    if damaged:
        withdraw_damaged(folder, metric_id, damaged, who=who, at=at, replaced_by=name)
    if previous is not None:
        (folder / WITHDRAWN).mkdir(mode=0o700, exist_ok=True)
        stamp = _free_stamp(folder / WITHDRAWN, metric_id, previous.at)
        old = folder / WITHDRAWN / f"{metric_id}.{stamp}.csv"
        about = _about(previous.name, previous.kept_by, previous.at, previous.months) | {
            "withdrawn_by": who,
            "withdrawn_at": at.isoformat(timespec="seconds"),
        }
        _write_whole(old, path.read_bytes())
        _write_whole(old.with_suffix(".json"), json.dumps(about, indent=1).encode())
        withdrawn = dataclasses.replace(previous, path=old, withdrawn_by=who, withdrawn_at=at)
    # the counts before what says who kept them: a reader never finds new words on old counts
    _write_whole(path, content)
    _write_whole(path.with_suffix(".json"), json.dumps(_about(name, who, at, months), indent=1).encode())
    return KeptExpected(metric_id, by, counts, name, who, at, path, months=months), withdrawn


def _about(name: str, by: str, at: datetime, months: tuple[str, str] | None) -> dict:
    about = {"name": name, "by": by, "at": at.isoformat(timespec="seconds")}
    return about | ({"months": list(months)} if months is not None else {})
