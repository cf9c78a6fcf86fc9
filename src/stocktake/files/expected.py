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
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

COLUMNS = ("unit", "expected")
#: A file longer than this is not a list of units.
MAX_ROWS = 10_000


class ExpectedFileError(ValueError):
    """A file that cannot be used; the message is one line naming file, row and column."""


def parse_expected(content: bytes, name: str = "expected counts") -> dict[str, float]:
    """Each unit's expected count (positive, finite), in the file's order."""
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
        try:
            value = float(text_value.replace(",", ""))
        except ValueError:
            raise ExpectedFileError(
                f"{name}, row {number}, column expected: {text_value!r} is not a number"
            ) from None
        if not math.isfinite(value) or value <= 0:
            raise ExpectedFileError(
                f"{name}, row {number}, column expected: {text_value!r}; an expected count must be above 0"
            )
        expected[unit] = value
    if not expected:
        raise ExpectedFileError(f"{name}: no rows; expected one row per unit (unit,expected)")
    return expected


# --- kept in the department's home (ADR 34) ----------------------------------------------------------

#: The folder of the home that keeps each outcome measure's expected counts.
FOLDER = "expected"
#: Where a replaced file goes: withdrawn, never deleted.
WITHDRAWN = "withdrawn"
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
    return _read_kept(metric_id, by, path) if path.is_file() else None


def withdrawn_expected(home: Path, metric_id: str, by: str = "site") -> list[KeptExpected]:
    """The measure's earlier expected counts, each withdrawn when another replaced it, newest first."""
    folder = expected_folder(home, by) / WITHDRAWN
    if not folder.is_dir():
        return []
    paths = folder.glob(f"{_checked_name(metric_id)}.*.csv")
    found = [_read_kept(metric_id, by, p) for p in paths if p.name.count(".") == 2]
    return sorted(found, key=lambda k: (k.withdrawn_at or k.at, k.path.name), reverse=True)


def _read_kept(metric_id: str, by: str, path: Path) -> KeptExpected:
    about_path = path.with_suffix(".json")
    try:
        about = json.loads(about_path.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(about["at"])
        withdrawn_at = datetime.fromisoformat(about["withdrawn_at"]) if about.get("withdrawn_at") else None
        name, kept_by = str(about["name"]), str(about["by"])
        withdrawn_by = str(about.get("withdrawn_by", ""))
    except (OSError, ValueError, KeyError, TypeError):
        raise ExpectedFileError(
            f"{about_path}: missing or damaged (it says who kept {path.name} and when)"
        ) from None
    counts = parse_expected(path.read_bytes(), str(path))
    return KeptExpected(metric_id, by, counts, name, kept_by, at, path, withdrawn_by, withdrawn_at)


def keep_expected(
    home: Path, metric_id: str, content: bytes, *, by: str = "site", name: str, who: str, at: datetime
) -> tuple[KeptExpected, KeptExpected | None]:
    """Check ``content`` whole (``parse_expected``: nothing is written when any row is wrong), then
    keep it as the measure's expected counts; the counts it replaces are withdrawn beside it, with
    who replaced them and when. Returns the kept counts and the withdrawn ones (None when none).
    Each file is written whole (a temporary file renamed), readable by the home's account only."""
    counts = parse_expected(content, name)
    folder = expected_folder(home, by)
    path = folder / f"{_checked_name(metric_id)}.csv"
    previous = kept_expected(home, metric_id, by)
    for made in (folder.parent, folder):  # private as the home is, whatever the umask
        made.mkdir(mode=0o700, exist_ok=True)
    withdrawn = None
    if previous is not None:
        (folder / WITHDRAWN).mkdir(mode=0o700, exist_ok=True)
        stamp = _free_stamp(folder / WITHDRAWN, metric_id, previous.at)
        old = folder / WITHDRAWN / f"{metric_id}.{stamp}.csv"
        about = _about(previous.name, previous.kept_by, previous.at) | {
            "withdrawn_by": who,
            "withdrawn_at": at.isoformat(timespec="seconds"),
        }
        _write_whole(old, path.read_bytes())
        _write_whole(old.with_suffix(".json"), json.dumps(about, indent=1).encode())
        withdrawn = dataclasses.replace(previous, path=old, withdrawn_by=who, withdrawn_at=at)
    # the counts before what says who kept them: a reader never finds new words on old counts
    _write_whole(path, content)
    _write_whole(path.with_suffix(".json"), json.dumps(_about(name, who, at), indent=1).encode())
    return KeptExpected(metric_id, by, counts, name, who, at, path), withdrawn


def _about(name: str, by: str, at: datetime) -> dict:
    return {"name": name, "by": by, "at": at.isoformat(timespec="seconds")}


def _free_stamp(folder: Path, metric_id: str, at: datetime) -> str:
    stamp, number = at.strftime("%Y%m%dT%H%M%S"), 1
    candidate = stamp
    while (folder / f"{metric_id}.{candidate}.csv").exists():
        number += 1
        candidate = f"{stamp}-{number}"
    return candidate


def _write_whole(path: Path, content: bytes) -> None:
    """The file is the old one or the new one, never half of either; 0600, as the home's files are."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
