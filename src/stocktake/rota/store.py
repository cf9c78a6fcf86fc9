"""Rotas kept in the home (``HOME/rotas/SLUG/``): built from a specification or uploaded as a grid,
each a draft until it is published, and re-planned after sickness with the fewest changes.

A rota's folder holds ``about.json`` (its name, who made it and when, its state, who published it
and when, every absence re-planned for and what each re-plan changed), ``spec.yaml`` for a built
rota, ``current/`` (the files ``rota solve`` writes, or the uploaded grid and its legend) and
``versions/N/``, each version a re-plan replaced. A new version is written beside the current one
and swapped in by renaming, so a download never reads half a rota.

Once a rota is published, a change to it owes notice (R19b, C-rated: unverified): a re-plan lists
every changed duty that falls less than ``Limits.change_notice_weeks`` weeks after the day of the
re-plan.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

from stocktake.rota.check import RotaCheck, check_rota, limits_for
from stocktake.rota.duties import Duty, RotaInputError, parse_wte, read_table
from stocktake.rota.export import read_assignments, write_rota
from stocktake.rota.grid import read_rota_file
from stocktake.rota.model import RotaProblem, RotaSpecError, parse_problem
from stocktake.rota.rules import Limits
from stocktake.rota.solver import Replan, RotaSolution, solve
from stocktake.spreadsheets import write_tables

DRAFT, PUBLISHED = "draft", "published"
BUILT, UPLOADED = "built", "uploaded"
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
GRID_SUFFIXES = (".xlsx", ".csv")
_LOCK = threading.Lock()  # about.json is read, changed and written under it


class RotaStoreError(ValueError):
    """A rota that cannot be kept, found or changed; the message says why, in plain words."""


@dataclass(frozen=True)
class Change:
    """A duty added to or removed from the rota by a re-plan."""

    sign: str  # "+" added, "-" removed
    doctor: str
    shift: str
    date: date
    late: bool = False  # less notice than R19b asks, on a published rota


@dataclass(frozen=True)
class KeptRota:
    slug: str
    folder: Path
    about: dict

    @property
    def name(self) -> str:
        return self.about["name"]

    @property
    def source(self) -> str:
        return self.about["source"]

    @property
    def state(self) -> str:
        return self.about["state"]

    @property
    def published(self) -> bool:
        return self.state == PUBLISHED

    @property
    def published_on(self) -> date | None:
        at = self.about.get("published_at")
        return datetime.fromisoformat(at).date() if at else None

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.about["created_at"])

    @property
    def current(self) -> Path:
        return self.folder / "current"

    @property
    def replans(self) -> list[dict]:
        return self.about.get("replans", [])

    def changes(self, replan: dict) -> list[Change]:
        return [
            Change(c["sign"], c["doctor"], c["shift"], date.fromisoformat(c["date"]), c["late"])
            for c in replan["changes"]
        ]

    # --- what the rota holds ------------------------------------------------------------------

    def problem(self) -> RotaProblem:
        """A built rota's problem, with every absence re-planned for added to the doctors' leave."""
        if self.source != BUILT:
            raise RotaStoreError(f"{self.name} was uploaded as a grid: it has no specification")
        problem = parse_problem(yaml.safe_load((self.folder / "spec.yaml").read_text()), self.name)
        return with_absences(problem, self.about.get("absences", []))

    def solution(self) -> RotaSolution:
        """A built rota as it stands (its current version's assignments)."""
        assigned = sorted(
            read_assignments(self.current / "assignments.csv"), key=lambda a: (a.date, a.shift, a.doctor)
        )
        return RotaSolution(self.problem(), tuple(assigned), "KEPT", None, 0.0)

    def duties(self) -> tuple[list[Duty], tuple[date, date] | None, Limits]:
        """Every duty, the rota's period and the limits it is checked against."""
        if self.source == BUILT:
            solution = self.solution()
            problem = solution.problem
            return solution.duties(), (problem.start, problem.end), problem.limits
        legend = self.about.get("legend")
        found = read_rota_file(self.current / self.about["file"], self.current / legend if legend else None)
        limits, _ = limits_for(
            found.doctors, found.wte, check_one_in_three_weekends=self.about.get("one_in_three", True)
        )
        return list(found.duties), found.period, limits

    def check(self) -> RotaCheck:
        """The rota against the rules; once published, R19's notice from the day it was published."""
        duties, period, limits = self.duties()
        return check_rota(duties, limits, period, self.published_on)

    def last_day(self) -> date | None:
        """The rota's last day: a built rota's end, an uploaded grid's last date column (or a list of
        duties' last end); None for one with no duty."""
        if self.source == BUILT:
            return date.fromisoformat(self.about["end"]) if "end" in self.about else self.problem().end
        duties, period, _ = self.duties()
        if period is not None:
            return period[1]
        return max((d.end.date() for d in duties), default=None)

    def doctors(self) -> list[tuple[str, str]]:
        """(id, name) of each doctor, in the rota's order."""
        if self.source == BUILT:
            return [(d.id, d.name) for d in self.problem().doctors]
        duties, _, _ = self.duties()
        return [(d, d) for d in sorted({duty.doctor for duty in duties})]

    def workbook(self) -> bytes:
        """The grid as an XLSX that ``stocktake rota check`` reads back (an uploaded CSV grid and its
        legend become its Grid and Shifts sheets)."""
        if self.source == BUILT:
            return (self.current / "rota.xlsx").read_bytes()
        original = self.current / self.about["file"]
        if original.suffix.lower() == ".xlsx":  # rewritten, never served as uploaded: text stays text
            sheets = {name or "Grid": frame for name, frame in read_table(original).items()}
        else:
            sheets = {"Grid": next(iter(read_table(original).values()))}
            if self.about.get("legend"):
                sheets["Shifts"] = next(iter(read_table(self.current / self.about["legend"]).values()))
        with tempfile.TemporaryDirectory() as scratch:
            return write_tables(sheets, Path(scratch) / "rota.xlsx").read_bytes()


def with_absences(problem: RotaProblem, absences: list[dict]) -> RotaProblem:
    """The problem with each absence (doctor, first, last) added to that doctor's leave."""
    extra: dict[str, set[date]] = {}
    for absence in absences:
        first, last = date.fromisoformat(absence["first"]), date.fromisoformat(absence["last"])
        days = {first + timedelta(days=k) for k in range((last - first).days + 1)}
        extra.setdefault(absence["doctor"], set()).update(days)
    doctors = tuple(
        dataclasses.replace(d, leave=d.leave | frozenset(extra[d.id])) if d.id in extra else d
        for d in problem.doctors
    )
    return dataclasses.replace(problem, doctors=doctors)


# --- the store ----------------------------------------------------------------------------------


class RotaStore:
    """The rotas of one home."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def all(self) -> list[KeptRota]:
        """Every rota kept, the newest first."""
        if not self.folder.is_dir():
            return []
        found = [self._read(f) for f in self.folder.iterdir() if f.is_dir() and SLUG.fullmatch(f.name)]
        return sorted((r for r in found if r), key=lambda r: r.created_at, reverse=True)

    def get(self, slug: str) -> KeptRota:
        found = self._read(self.folder / slug) if SLUG.fullmatch(slug) else None
        if found is None:
            raise RotaStoreError(f"there is no rota {slug[:80]!r}")
        return found

    def _read(self, folder: Path) -> KeptRota | None:
        try:
            return KeptRota(folder.name, folder, json.loads((folder / "about.json").read_text()))
        except (OSError, ValueError):
            return None

    def _new_folder(self, name: str, slug: str | None = None) -> Path:
        words = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "rota"
        if slug is not None and not SLUG.fullmatch(slug):
            raise RotaStoreError(f"{slug[:80]!r} is not a rota's address (lower case, digits and -)")
        self.folder.mkdir(parents=True, exist_ok=True)
        folder = self.folder / (slug or f"{words}-{secrets.token_hex(3)}")
        try:
            folder.mkdir()
        except FileExistsError:
            raise RotaStoreError(f"there is a rota {folder.name!r} already") from None
        return folder

    def _about(self, folder: Path, about: dict) -> None:
        temporary = folder / ".about.json"
        temporary.write_text(json.dumps(about, indent=1))
        temporary.replace(folder / "about.json")

    # --- making one -----------------------------------------------------------------------------

    def keep_built(self, solution: RotaSolution, spec: str, *, by: str, slug: str | None = None) -> KeptRota:
        """A rota ``solve`` built from the YAML ``spec``, as a draft; at ``slug`` when given (the demo's
        rotas, which other pages name), else at a new address from its name."""
        folder = self._new_folder(solution.problem.name, slug)
        (folder / "spec.yaml").write_text(spec)
        write_rota(solution, folder / "current")
        about = _about(solution.problem.name, BUILT, by)
        about.update(start=solution.problem.start.isoformat(), end=solution.problem.end.isoformat())
        about.update(solved=f"{solution.status.lower()}, {solution.seconds:.1f} s")
        self._about(folder, about)
        return self.get(folder.name)

    def keep_uploaded(
        self,
        filename: str,
        content: bytes,
        *,
        by: str,
        legend: tuple[str, bytes] | None = None,
        one_in_three: bool = True,
    ) -> KeptRota:
        """An uploaded grid (or list of duties) and its legend, as a draft; refused, with the reader's
        own words, if ``rota check`` could not read it."""
        suffix = Path(filename).suffix.lower()
        if suffix not in GRID_SUFFIXES:
            raise RotaStoreError(f"{filename}: a rota is an .xlsx or .csv file, not {suffix or 'no suffix'}")
        if legend and Path(legend[0]).suffix.lower() not in GRID_SUFFIXES:
            raise RotaStoreError(f"{legend[0]}: a legend is an .xlsx or .csv file")
        name = Path(filename).stem[:80] or "rota"
        folder = self._new_folder(name)
        current = folder / "current"
        current.mkdir()
        (current / f"rota{suffix}").write_bytes(content)
        about = _about(name, UPLOADED, by) | {"file": f"rota{suffix}", "one_in_three": one_in_three}
        if legend:
            about["legend"] = f"legend{Path(legend[0]).suffix.lower()}"
            (current / about["legend"]).write_bytes(legend[1])
        self._about(folder, about)
        kept = self.get(folder.name)
        try:  # all or nothing: what is kept can be checked and downloaded, or is not kept at all
            duties, _, _ = kept.duties()
            if not duties:
                raise RotaInputError(f"{filename}: no duties found")
            kept.check()
            kept.workbook()
        except (RotaInputError, ValueError, OSError) as error:
            shutil.rmtree(folder, ignore_errors=True)
            message = str(error).replace(str(current / f"rota{suffix}"), filename)
            if legend:
                message = message.replace(str(current / about["legend"]), legend[0])
            raise RotaStoreError(message) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return kept

    # --- changing one ---------------------------------------------------------------------------

    def publish(self, slug: str, *, by: str, at: datetime | None = None) -> KeptRota:
        with _LOCK:
            rota = self.get(slug)
            if rota.published:
                raise RotaStoreError(f"{rota.name} was published on {rota.published_on:%d %B %Y}")
            at = at or datetime.now(UTC)
            last = rota.last_day()
            if last is not None and last < at.date():
                raise RotaStoreError(
                    f"{rota.name} ended on {last:%d %B %Y}: a rota whose last day is past is not published"
                )
            self._about(
                rota.folder,
                rota.about | {"state": PUBLISHED, "published_by": by, "published_at": at.isoformat()},
            )
            return self.get(slug)

    def replan(
        self,
        slug: str,
        doctor: str,
        first: date,
        last: date,
        *,
        by: str,
        seconds: float = 30.0,
        today: date | None = None,
        workers: int | None = None,
        on_phase: Callable[[str], None] | None = None,
    ) -> tuple[KeptRota, dict]:
        """Re-solve with ``doctor`` absent from ``first`` to ``last``, keeping every duty before ``first``
        and changing as few others as the rules allow; the result becomes the current version."""
        rota = self.get(slug)
        problem = rota.problem()
        today = today or date.today()
        if last < today:
            raise RotaStoreError(f"the absence is over (its last day, {last}, is past): nothing to re-plan")
        if doctor not in {d.id for d in problem.doctors}:
            raise RotaStoreError(f"{doctor!r} is not a doctor of {rota.name}")
        if last < first:
            raise RotaStoreError(f"the absence ends ({last}) before it starts ({first})")
        if last < problem.start or first > problem.end:
            raise RotaStoreError(f"{first} to {last} is outside the rota ({problem.start} to {problem.end})")
        absence = {"doctor": doctor, "first": first.isoformat(), "last": last.isoformat()}
        changed = with_absences(problem, [absence])
        published = frozenset(rota.solution().assignments)
        solution = solve(
            changed, seconds=seconds, workers=workers, replan=Replan(published, first), on_phase=on_phase
        )
        weeks = changed.limits.change_notice_weeks
        changes = [
            Change(
                sign, a.doctor, a.shift, a.date, rota.published and a.date < today + timedelta(weeks=weeks)
            )
            for sign, found in (("-", solution.removed), ("+", solution.added))
            for a in found
        ]
        changes.sort(key=lambda c: (c.date, c.shift, c.sign, c.doctor))
        record = {
            "by": by,
            "at": datetime.now(UTC).isoformat(),
            "on": today.isoformat(),
            **absence,
            "published": rota.published,
            "notice_weeks": weeks,
            "solved": f"{solution.status.lower()}, {solution.seconds:.1f} s",
            "changes": [
                {
                    "sign": c.sign,
                    "doctor": c.doctor,
                    "shift": c.shift,
                    "date": c.date.isoformat(),
                    "late": c.late,
                }
                for c in changes
            ],
        }
        with _LOCK:
            rota = self.get(slug)
            scratch = Path(tempfile.mkdtemp(prefix=".replan-", dir=rota.folder))
            write_rota(solution, scratch)
            versions = rota.folder / "versions"
            versions.mkdir(exist_ok=True)
            number = len(list(versions.iterdir())) + 1
            rota.current.rename(versions / str(number))
            scratch.rename(rota.current)
            about = rota.about | {
                "absences": [*rota.about.get("absences", []), absence],
                "replans": [*rota.replans, record | {"version": number}],
            }
            self._about(rota.folder, about)
            return self.get(slug), record


def _about(name: str, source: str, by: str) -> dict:
    return {
        "name": name,
        "source": source,
        "state": DRAFT,
        "created_by": by,
        "created_at": datetime.now(UTC).isoformat(),
    }


def read_spec(text: str, where: str = "the rota specification") -> RotaProblem:
    """The YAML ``stocktake rota solve`` takes, checked; ``RotaSpecError`` names the field."""
    return parse_problem(_mapping(text, where), where)


def spec_with(
    text: str,
    where: str,
    *,
    name: str = "",
    start: str = "",
    weeks: str = "",
    leave: str = "",
    wte: str = "",
) -> str:
    """The YAML with a form's fields in place of its own: name, start (a Monday) and weeks; leave, one
    line per doctor (``S2 2026-02-16..2026-02-20, 2026-03-02``), added to theirs; whole-time
    equivalents, one line per doctor (``S5 0.8`` or ``S5 80%``). Nothing given: the text unchanged."""
    if not any(v.strip() for v in (name, start, weeks, leave, wte)):
        return text
    data = _mapping(text, where)
    if name.strip():
        data["name"] = name.strip()
    if start.strip():
        try:
            data["start"] = date.fromisoformat(start.strip())
        except ValueError:
            raise RotaSpecError(f"First day: {start.strip()[:20]!r} is not a date like 2026-02-02") from None
    if weeks.strip():
        if not weeks.strip().isdigit():
            raise RotaSpecError(f"Weeks: {weeks.strip()[:10]!r} is not a whole number")
        data["weeks"] = int(weeks.strip())
    doctors = {d.get("id"): d for d in data.get("doctors") or [] if isinstance(d, dict)}
    for number, (doctor, rest) in _lines(leave, doctors, "Leave"):
        days = [part for part in re.split(r"[,\s]+", rest) if part]
        if not days:
            raise RotaSpecError(
                f"Leave, line {number}: give dates after {doctor}, like 2026-02-16..2026-02-20"
            )
        doctors[doctor]["leave"] = [*(doctors[doctor].get("leave") or []), *days]
    for number, (doctor, rest) in _lines(wte, doctors, "Whole-time equivalents"):
        try:
            doctors[doctor]["wte"] = parse_wte(rest)
        except ValueError as error:
            raise RotaSpecError(f"Whole-time equivalents, line {number}: {error}") from None
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _mapping(text: str, where: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RotaSpecError(f"{where}: not YAML: {error}") from None
    if not isinstance(data, dict):
        raise RotaSpecError(f"{where}: expected a mapping with name, start, weeks, doctors, shifts")
    return data


def _lines(text: str, doctors: dict, field: str):
    """(line number, (doctor, the rest)) for each line that is not blank; an unknown doctor refused."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        doctor, _, rest = re.sub(r"^\s*([^\s:=]+)\s*[:=]?\s*", r"\1 ", line).partition(" ")
        if doctor not in doctors:
            known = ", ".join(str(d) for d in doctors)
            raise RotaSpecError(f"{field}, line {number}: no doctor {doctor[:20]!r} (the doctors: {known})")
        yield number, (doctor, rest.strip())
