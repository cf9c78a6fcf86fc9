"""Other trusts' published figures for a measure: ``unit,numerator,denominator``, one row per trust
or hospital, for a period (e.g. the NHFD's per-hospital KPIs, a GIRFT data pack).

A department's warehouse holds only its own trust's patients, so "compared with other trusts" rests
on figures others publish. An editor keeps them per measure in the home
(``HOME/peers/figures/<metric id>.csv``, who, when, the source and the period beside it as JSON);
the file replaced is withdrawn to ``HOME/peers/figures/withdrawn/``, never deleted (ADR 39, as ADR 34
keeps expected counts). The folder is below ``HOME/peers/``, where other trusts' orders files are
kept (ADR 34), and is not read as one of them.

Checked whole: every problem is one line naming the file, row, column and value, and nothing is kept
while there is one.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from stocktake.files.kept import (
    WITHDRAWN,
    free_stamp,
    from_home,
    in_the_way,
    is_id,
    private_folders,
    withdraw_damaged,
    write_whole,
)
from stocktake.ingest.sniff import number_value
from stocktake.periods import months_between

COLUMNS = ("unit", "numerator", "denominator")
PERIOD_COLUMNS = ("period_from", "period_to")
#: A file longer than this is not a list of trusts.
MAX_ROWS = 5_000
#: Problems listed before the rest are counted, not listed.
MAX_PROBLEMS = 20
#: Where a home keeps each measure's peer figures (below the peers' orders folder, ADR 34).
FOLDER = Path("peers") / "figures"
SOURCE_LENGTH = 300
#: A count above this is not one trust's (and 1e300 would break the funnel's arithmetic).
MAX_COUNT = 10_000_000
#: The characters a count may be written with: digits, thousands commas, a point, a sign.
_WRITTEN = set("0123456789,.+-")
#: ASCII digits only: "２０２４-０１" (full-width) matched \d, was kept, and compared as text out of order.
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
#: The years a month may be in: NHS figures, and within what dates can hold (year 0 was a crash).
YEARS = (1900, 2199)


class PeerFiguresError(ValueError):
    """Figures that cannot be kept; ``problems`` holds one line per problem (file, row, column, value).
    ``file``: a kept file that cannot be read, named from the home (it is damaged: replace it)."""

    def __init__(self, problems: list[str] | str, *, file: str = ""):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.file = file
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class PeerFigures:
    """Each peer's counts as published, in the file's order, and the months they cover (YYYY-MM,
    inclusive; None when neither the file nor the person keeping it said)."""

    units: tuple[str, ...]
    numerator: tuple[float, ...]
    denominator: tuple[float, ...]
    period: tuple[str, str] | None = None


@dataclass(frozen=True)
class KeptPeerFigures:
    """A measure's peer figures as kept: the figures, the file's name as given, the source named
    ("NHFD 2024 annual report, table 3"), who kept them and when; a withdrawn one also says who
    replaced it and when."""

    metric_id: str
    figures: PeerFigures
    name: str
    source: str
    kept_by: str
    at: datetime
    path: Path
    withdrawn_by: str = ""
    withdrawn_at: datetime | None = None

    @property
    def period_words(self) -> str:
        return period_words(self.figures.period)


def trust_key(name: str) -> str:
    """A trust's name as compared: spaces collapsed, without case ("Royal  Devon " is "royal devon"),
    so that one trust is never two, nor the department's own another's."""
    return " ".join(name.split()).casefold()


def period_words(period: tuple[str, str] | None) -> str:
    """ "January 2024 to December 2024", or "period not given"."""
    if readable_period(period) is None:
        return "period not given" if period is None else "period not readable"
    return months_between(*period)


def readable_period(period: tuple[str, str] | None) -> tuple[str, str] | None:
    """``period`` when it is two real months, the first not after the last; else None. Kept files
    are checked when read; this guards figures made any other way (issue 28)."""
    if period is None:
        return None
    try:
        return a_period(str(period[0]), str(period[1]))
    except PeerFiguresError:
        return None


def a_month(text: str, where: str) -> str:
    """``text`` as YYYY-MM (a real month), else PeerFiguresError naming ``where``."""
    text = text.strip()
    found = _MONTH.fullmatch(text)
    if not found or not 1 <= int(found[2]) <= 12 or not YEARS[0] <= int(found[1]) <= YEARS[1]:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise PeerFiguresError(f"{where}: {shown!r} is not a month (YYYY-MM, e.g. 2024-01)")
    return text


def a_period(first: str, last: str, where: str = "period") -> tuple[str, str] | None:
    """The period given as two months (YYYY-MM), None when neither is; one without the other, or
    the first after the last, is refused."""
    first, last = first.strip(), last.strip()
    if not first and not last:
        return None
    if not first or not last:
        raise PeerFiguresError(f"{where}: give both the first and the last month (YYYY-MM), or neither")
    period = (a_month(first, f"{where}, from"), a_month(last, f"{where}, to"))
    if period[0] > period[1]:
        raise PeerFiguresError(f"{where}: {period[0]} is after {period[1]}")
    return period


def parse_peer_figures(
    content: bytes,
    name: str = "peer figures",
    *,
    proportion: bool,
    own_trust: str = "",
    period: tuple[str, str] | None = None,
) -> PeerFigures:
    """The figures in ``content``, checked whole. ``proportion``: the measure is a percentage of
    cases, so a numerator above its denominator is wrong. ``own_trust``: the department's own trust,
    which must not be among its peers. ``period``: the months the figures cover as the person keeping
    them gave them; period columns in the file must agree with it and with each other."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PeerFiguresError(f"{name}: not a text (CSV) file in UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise PeerFiguresError(
            f"{name}, row 1: no column {missing[0]!r} (expected the columns unit,numerator,denominator)"
        )
    if len(rows) > MAX_ROWS + 1:
        raise PeerFiguresError(f"{name}: more than {MAX_ROWS:,} rows; expected one row per trust")
    at = {c: header.index(c) for c in (*COLUMNS, *PERIOD_COLUMNS) if c in header}
    problems: list[str] = []
    units, numerators, denominators = [], [], []
    seen: dict[str, tuple[int, str]] = {}  # a trust's name compared (trust_key) → (first row, as written)
    own = trust_key(own_trust)
    filed: dict[str, tuple[int, str]] = {}  # period column → (first row, its month)
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in at.items()}
        where = f"{name}, row {number}, column"
        unit, key = cells["unit"], trust_key(cells["unit"])
        if not unit:
            problems.append(f"{where} unit: empty; name the trust or hospital")
        elif key in seen:
            first, written = seen[key]
            also = (
                "" if written == unit else f" as {written!r}; names are compared without case or extra spaces"
            )
            problems.append(f"{where} unit: {unit!r} is listed twice (first in row {first}{also})")
        elif own and key == own:
            problems.append(
                f"{where} unit: {unit!r} is the department's own trust; its figures come from the warehouse"
            )
        else:
            seen[key] = (number, unit)
        counts = {c: _count(cells[c], f"{where} {c}", problems) for c in ("numerator", "denominator")}
        n, d = counts["numerator"], counts["denominator"]
        if d is not None and d <= 0:
            problems.append(f"{where} denominator: {cells['denominator']!r}; a denominator must be above 0")
        elif proportion and n is not None and d is not None and n > d:
            problems.append(
                f"{where} numerator: {cells['numerator']!r} is above the denominator "
                f"({cells['denominator']}); a percentage of cases cannot be"
            )
        for column in PERIOD_COLUMNS:
            if column not in cells:
                continue
            try:
                month = a_month(cells[column], f"{where} {column}")
            except PeerFiguresError as error:
                problems.append(str(error))
                continue
            first = filed.setdefault(column, (number, month))
            if month != first[1]:
                problems.append(
                    f"{where} {column}: {month!r}, but row {first[0]} says {first[1]!r}; "
                    "one file is one period"
                )
        units.append(" ".join(unit.split()))  # "Royal  Devon" kept as "Royal Devon"
        numerators.append(n)
        denominators.append(d)
    if not units and not problems:
        problems.append(f"{name}: no rows; expected one row per trust (unit,numerator,denominator)")
    in_file = tuple(filed[c][1] for c in PERIOD_COLUMNS) if len(filed) == 2 else None
    lacking = [c for c in PERIOD_COLUMNS if c not in at]
    if len(lacking) == 1:
        problems.append(
            f"{name}, row 1: no column {lacking[0]!r}; give both period_from and period_to, or neither"
        )
    if in_file and in_file[0] > in_file[1]:
        problems.append(f"{name}, column period_from: {in_file[0]} is after period_to {in_file[1]}")
    if in_file and period and in_file != period:
        problems.append(
            f"{name}, columns period_from/period_to: {in_file[0]} to {in_file[1]}, "
            f"but the period given is {period[0]} to {period[1]}"
        )
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([f"{name}: and {extra} more problem(s)"] if extra > 0 else [])
        raise PeerFiguresError(shown)
    return PeerFigures(tuple(units), tuple(numerators), tuple(denominators), period or in_file)


def written_number(text: str) -> float | None:
    """A number as people write one in a comma file (``ingest.sniff.number_value``: 1234, 1,234,
    12.5), else None: an exponent (1e3), underscores, a decimal comma ("1,5"), a £ or a % read as
    some other number would be worse. The one strict reader of the analyst's counts (these figures,
    ``stocktake funnel``'s numerators and denominators)."""
    return number_value(text) if text and set(text) <= _WRITTEN else None


def _count(text: str, where: str, problems: list[str]) -> float | None:
    """A count as written (``ingest.sniff.number_value``: 1234 or 1,234, as ``files.expected`` reads
    them), whole and at most MAX_COUNT. A decimal comma ("1,5"), underscores, an exponent, a £ or a %
    read as some other number would be worse; an absurd size would break the funnel's arithmetic."""
    value = written_number(text)
    if value is None:
        problems.append(f"{where}: {text!r} is not a number (a count in digits, e.g. 1234 or 1,234)")
        return None
    if value < 0 or value != int(value):
        problems.append(f"{where}: {text!r}; a count is a whole number, 0 or more")
        return None
    if value > MAX_COUNT:
        problems.append(f"{where}: {text!r}; more than {MAX_COUNT:,}, not one trust's count")
        return None
    return value


# --- kept in the department's home (ADR 39) ----------------------------------------------------------


def figures_folder(home: Path) -> Path:
    return Path(home) / FOLDER


def _checked(metric_id: str) -> str:
    if not is_id(metric_id):
        raise PeerFiguresError(f"{metric_id!r}: not a measure's id (lower case, digits and _)")
    return metric_id


def kept_peer_figures(home: Path, metric_id: str, *, proportion: bool = False) -> KeptPeerFigures | None:
    """The measure's peer figures kept in ``home``, or None when none are. Either file damaged (or
    one without the other): PeerFiguresError naming it from the home, and what to do."""
    path = figures_folder(home) / f"{_checked(metric_id)}.csv"
    if not path.exists() and not path.with_suffix(".json").exists():
        return None  # a folder in a file's place is damage, said, never figures silently dropped
    return _read_kept(home, metric_id, path, proportion)


def withdrawn_peer_figures(home: Path, metric_id: str, *, proportion: bool = False) -> list[KeptPeerFigures]:
    """The measure's earlier peer figures, each withdrawn when others replaced them, newest first."""
    folder = figures_folder(home) / WITHDRAWN
    if not folder.is_dir():
        return []
    paths = folder.glob(f"{_checked(metric_id)}.*.csv")
    found = []
    for path in paths:
        if path.name.count(".") != 2 or path.name.startswith(f"{metric_id}.damaged."):
            continue
        try:
            found.append(_read_kept(home, metric_id, path, proportion))
        except PeerFiguresError:
            continue  # history that cannot be read is no longer used; it stays on disk, never deleted
    return sorted(found, key=lambda k: (k.withdrawn_at or k.at, k.path.name), reverse=True)


def damaged_words(home: Path, problem: PeerFiguresError | str) -> str:
    """What a page or the report says of kept figures that cannot be read: the file, from the home,
    and what to do ("peer figures file damaged: peers/figures/x.json; replace it with stocktake
    peers set")."""
    named = getattr(problem, "file", "") or str(problem)
    return f"peer figures file damaged: {named}; replace it with stocktake peers set"


def _read_kept(home: Path, metric_id: str, path: Path, proportion: bool) -> KeptPeerFigures:
    about_path = path.with_suffix(".json")
    shown_about, shown = from_home(home, about_path), from_home(home, path)
    for obstacle, named in ((path, shown), (about_path, shown_about)):
        if obstacle.is_dir():
            raise PeerFiguresError(in_the_way(named), file=named)
    try:
        about = json.loads(about_path.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(about["at"])
        withdrawn_at = datetime.fromisoformat(about["withdrawn_at"]) if about.get("withdrawn_at") else None
        name, kept_by, source = str(about["name"]), str(about["by"]), str(about["source"])
        withdrawn_by = str(about.get("withdrawn_by", ""))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise PeerFiguresError(
            f"{shown_about}: missing or damaged (it says who kept {path.name}, when and from what source)",
            file=shown_about,
        ) from None
    try:  # a period written by hand ("zzz", "2024-13", backwards) would stop every page that words it
        period = a_period(str(about.get("period_from") or ""), str(about.get("period_to") or ""))
    except PeerFiguresError as error:
        raise PeerFiguresError(f"{shown_about}: damaged ({error})", file=shown_about) from None
    # the department's own trust was checked when kept; a later rename of it does not unkeep them
    try:
        content = path.read_bytes()
    except OSError:
        raise PeerFiguresError(f"{shown}: missing or cannot be read", file=shown) from None
    try:
        figures = parse_peer_figures(content, shown, proportion=proportion, period=period)
    except PeerFiguresError as error:
        raise PeerFiguresError(error.problems, file=shown) from None
    return KeptPeerFigures(metric_id, figures, name, source, kept_by, at, path, withdrawn_by, withdrawn_at)


def keep_peer_figures(
    home: Path,
    metric_id: str,
    content: bytes,
    *,
    name: str,
    source: str,
    who: str,
    at: datetime,
    proportion: bool,
    own_trust: str = "",
    period: tuple[str, str] | None = None,
) -> tuple[KeptPeerFigures, KeptPeerFigures | None]:
    """Check ``content`` whole (nothing is written on any problem), then keep it as the measure's
    peer figures; those it replaces are withdrawn beside it with who replaced them and when. Returns
    the kept figures and the withdrawn ones (None when none)."""
    source = checked_source(source)
    figures = parse_peer_figures(content, name, proportion=proportion, own_trust=own_trust, period=period)
    folder = figures_folder(home)
    path = folder / f"{_checked(metric_id)}.csv"
    try:
        previous, damaged = kept_peer_figures(home, metric_id, proportion=proportion), ""
    except PeerFiguresError as error:  # figures kept before that cannot be read are not in the way
        previous, damaged = None, str(error)
    for obstacle in (path, path.with_suffix(".json")):
        if obstacle.is_dir():  # not moved: a folder may hold anything; its owner moves it
            raise PeerFiguresError(in_the_way(from_home(home, obstacle)), file=from_home(home, obstacle))
    private_folders(folder.parent, folder)
    if damaged:
        withdraw_damaged(folder, metric_id, damaged, who=who, at=at, replaced_by=name)
    withdrawn = None
    if previous is not None:
        private_folders(folder / WITHDRAWN)
        old = folder / WITHDRAWN / f"{metric_id}.{free_stamp(folder / WITHDRAWN, metric_id, previous.at)}.csv"
        about = _about(previous.name, previous.source, previous.figures.period, previous.kept_by, previous.at)
        about |= {"withdrawn_by": who, "withdrawn_at": at.isoformat(timespec="seconds")}
        write_whole(old, path.read_bytes())
        write_whole(old.with_suffix(".json"), json.dumps(about, indent=1).encode())
        withdrawn = dataclasses.replace(previous, path=old, withdrawn_by=who, withdrawn_at=at)
    # the figures before what says who kept them: a reader never finds new words on old figures
    write_whole(path, content)
    about = _about(name, source, figures.period, who, at)
    write_whole(path.with_suffix(".json"), json.dumps(about, indent=1).encode())
    return KeptPeerFigures(metric_id, figures, name, source, who, at, path), withdrawn


def checked_source(source: str) -> str:
    """Where the figures were published, one line: required, so a reader can check them."""
    source = " ".join(source.split())
    if not source:
        raise PeerFiguresError(
            "Source: name where the figures were published (e.g. NHFD 2024 report, table 3)"
        )
    if len(source) > SOURCE_LENGTH:
        raise PeerFiguresError(f"Source: {len(source)} characters; at most {SOURCE_LENGTH}")
    return source


def _about(name: str, source: str, period: tuple[str, str] | None, by: str, at: datetime) -> dict:
    about = {"name": name, "source": source, "by": by, "at": at.isoformat(timespec="seconds")}
    if period is not None:
        about |= {"period_from": period[0], "period_to": period[1]}
    return about
