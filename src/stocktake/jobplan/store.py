"""Job plans kept in the home (``HOME/jobplans/SLUG/``), as rotas are (ADR 0030): each plan's
uploaded files and its state, draft → proposed → agreed (who, when) → superseded.

A plan's folder holds ``about.json`` (the consultant, their name and the year; the state; who agreed
it and when, or which plan superseded it; every version with who uploaded it and when; every change
of state) and ``versions/N/`` with the file as uploaded (the YAML or workbook ``stocktake jobplan
check`` reads). ``about.json`` is written beside itself and renamed into place, under a lock, so a
reader never sees half of it. The workspace's state wins over a ``state`` the file itself states:
agreeing happens here, with who and when.

Uploading a plan for a consultant and year whose plan is still a draft or proposed adds a version to
it (and makes it a draft again: what was proposed has changed); otherwise it is a new plan. A proposal
may be withdrawn (proposed → draft) without a new upload. Agreeing
a plan supersedes the consultant's agreed plans for the same or an earlier year; a plan for a year
before one already agreed is refused (ADR 0036, addendum). Proposing and agreeing name the version
the editor saw, and are refused when another has been uploaded since. Consultants' codes are compared
as ``consultant_code`` writes them (``c01`` is ``C01``), for plans kept before that too.
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
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from stocktake.jobplan.model import JobPlan, consultant_code, financial_year, year_key
from stocktake.jobplan.read import JobPlanInputError, read_plan, year_too_far

DRAFT, PROPOSED, AGREED, SUPERSEDED = "draft", "proposed", "agreed", "superseded"
OPEN = (DRAFT, PROPOSED)  # a new upload for the same consultant and year revises these
SUFFIXES = (".yaml", ".yml", ".xlsx")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
LONDON = ZoneInfo("Europe/London")
_LOCK = threading.Lock()  # about.json files are read, changed and written under it


class JobPlanStoreError(ValueError):
    """A plan that cannot be kept, found or moved on; the message says why in one line."""


@dataclass(frozen=True)
class KeptPlan:
    slug: str
    folder: Path
    about: dict

    @property
    def consultant(self) -> str:
        return consultant_code(self.about["consultant"])

    @property
    def name(self) -> str:
        return self.about.get("name", "")

    @property
    def year(self) -> str:
        """``YYYY/YY`` as the plan reads it now, for plans kept before years were (``26/27``)."""
        return year_key(self.about["year"])[1]

    @property
    def state(self) -> str:
        return self.about["state"]

    def year_problem(self, today: date | None = None) -> str:
        """Why this plan's year is out of range ("" when it is not): a year that does not parse, or one
        past the limit, kept before years were checked (``2099/00``). Such a plan is read and shown,
        but its year is compared with no other plan's: it neither blocks an agreement nor stands as a
        consultant's latest plan while they have another (ADR 0041)."""
        try:
            year = financial_year(self.about["year"])
        except ValueError as error:
            return f"year out of range: {error}"
        too_far = year_too_far(year, today)
        return f"year out of range: {year} {too_far}" if too_far else ""

    def in_range(self, today: date | None = None) -> bool:
        return not self.year_problem(today)

    @property
    def versions(self) -> list[dict]:
        return self.about["versions"]

    @property
    def version(self) -> int:
        """The current version's number, which the propose and agree forms carry."""
        return int(self.versions[-1]["number"])

    @property
    def history(self) -> list[dict]:
        return self.about["history"]

    @property
    def file(self) -> Path:
        """The current version's file."""
        latest = self.versions[-1]
        return self.folder / "versions" / str(latest["number"]) / latest["file"]

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.versions[0]["at"])

    def plan(self) -> JobPlan:
        """The current version, read as ``jobplan check`` reads it, with the workspace's state; a year
        past today's limit is read (the plan was kept before the limit) and reported by
        ``year_problem``."""
        plan = read_plan(self.file, far_ahead=True).plan
        agreed_at = self.about.get("agreed_at")
        return dataclasses.replace(
            plan,
            state=self.state,
            agreed_by=self.about.get("agreed_by", ""),
            agreed_on=london_date(agreed_at) if agreed_at else None,
        )


def london_date(moment: str) -> date:
    """The day a moment (ISO text, naive taken as UTC) falls on in London, as the pages show it: an
    agreement at 23:30 UTC in summer was made the next day."""
    at = datetime.fromisoformat(moment)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LONDON).date()


class JobPlanStore:
    """The job plans of one home."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def all(self) -> list[KeptPlan]:
        """Every plan kept: by consultant, then year, then the newest first."""
        if not self.folder.is_dir():
            return []
        found = [self._read(f) for f in self.folder.iterdir() if f.is_dir() and SLUG.fullmatch(f.name)]
        found = sorted((p for p in found if p), key=lambda p: p.created_at, reverse=True)
        return sorted(found, key=lambda p: (p.consultant, p.year))

    def get(self, slug: str) -> KeptPlan:
        found = self._read(self.folder / slug) if SLUG.fullmatch(slug) else None
        if found is None:
            raise JobPlanStoreError(f"there is no job plan {slug[:80]!r}")
        return found

    def _read(self, folder: Path) -> KeptPlan | None:
        try:
            return KeptPlan(folder.name, folder, json.loads((folder / "about.json").read_text()))
        except (OSError, ValueError):
            return None

    def _write(self, folder: Path, about: dict) -> None:
        temporary = folder / ".about.json"
        temporary.write_text(json.dumps(about, indent=1))
        temporary.replace(folder / "about.json")

    # --- keeping one ----------------------------------------------------------------------------

    def keep_uploaded(
        self,
        filename: str,
        content: bytes,
        *,
        by: str,
        at: datetime | None = None,
        uploaded_as: str = "",
    ) -> KeptPlan:
        """Read the file as ``jobplan check`` does and keep it as a draft (a new version of the
        consultant's open plan for that year, if there is one). Bad input: ``JobPlanStoreError``
        naming the file, row and field as uploaded; nothing is kept. ``uploaded_as``: where the
        version came from when it was no upload (the workspace's form)."""
        base = Path(filename).name or "plan"
        suffix = Path(base).suffix.lower()
        if suffix not in SUFFIXES:
            raise JobPlanStoreError(
                f"{base}: a job plan is a .yaml or .xlsx file, not {suffix or 'no suffix'}"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".upload-", dir=self.folder))
        try:
            path = scratch / f"plan{suffix}"
            path.write_bytes(content)
            try:
                plan = read_plan(path).plan
            except JobPlanInputError as error:
                raise JobPlanStoreError(str(error).replace(str(path), base, 1)) from None
            at = at or datetime.now(UTC)
            version = {"file": path.name, "uploaded_as": uploaded_as or base, "by": by, "at": at.isoformat()}
            with _LOCK:
                kept = self._open(plan.consultant, plan.year)
                if kept is None:
                    folder = self._new_folder(plan.consultant, plan.year)
                    about = {
                        "consultant": plan.consultant,
                        "year": plan.year,
                        "versions": [],
                        "history": [],
                    }
                else:
                    folder, about = kept.folder, dict(kept.about)
                number = len(about["versions"]) + 1
                (folder / "versions").mkdir(exist_ok=True)
                path.parent.rename(folder / "versions" / str(number))
                change = {"state": DRAFT, "by": by, "at": at.isoformat(), "why": f"version {number} uploaded"}
                about |= {
                    "name": plan.name,
                    "state": DRAFT,
                    "versions": [*about["versions"], version | {"number": number}],
                    "history": [*about["history"], change],
                }
                self._write(folder, about)
                return self.get(folder.name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _open(self, consultant: str, year: str) -> KeptPlan | None:
        return next(
            (p for p in self.all() if p.consultant == consultant and p.year == year and p.state in OPEN), None
        )

    def _new_folder(self, consultant: str, year: str) -> Path:
        words = re.sub(r"[^a-z0-9]+", "-", f"{consultant} {year}".lower()).strip("-")[:50] or "plan"
        folder = self.folder / f"{words}-{secrets.token_hex(3)}"
        folder.mkdir()
        return folder

    # --- moving one on --------------------------------------------------------------------------

    def propose(
        self, slug: str, *, by: str, at: datetime | None = None, version: int | None = None
    ) -> KeptPlan:
        """draft → proposed; ``version``: the one the editor saw, refused if it is no longer current."""
        with _LOCK:
            kept = self.get(slug)
            _seen(kept, version, "proposed")
            if kept.state != DRAFT:
                raise JobPlanStoreError(f"{_title(kept)} is {kept.state}: only a draft can be proposed")
            return self._move(kept, PROPOSED, by, at or datetime.now(UTC))

    def withdraw(
        self, slug: str, *, by: str, at: datetime | None = None, version: int | None = None
    ) -> KeptPlan:
        """proposed → draft: a proposal taken out of the review queue without a new upload (to be
        changed, or left), with who and when; ``version`` as for ``propose``."""
        with _LOCK:
            kept = self.get(slug)
            _seen(kept, version, "withdrawn")
            if kept.state != PROPOSED:
                raise JobPlanStoreError(
                    f"{_title(kept)} is {kept.state}: only a proposed plan can be withdrawn"
                )
            return self._move(kept, DRAFT, by, at or datetime.now(UTC), why="proposal withdrawn")

    def agree(
        self,
        slug: str,
        *,
        by: str,
        at: datetime | None = None,
        version: int | None = None,
        before_saving: Callable[[list[KeptPlan]], object] | None = None,
    ) -> tuple[KeptPlan, list[KeptPlan]]:
        """proposed → agreed (who, when); the consultant's agreed plans for the same or an earlier year
        → superseded. Refused: a version other than the one the editor saw (``version``), or a year
        before one of the consultant's agreed plans (that plan stands; ADR 0036, addendum).

        ``before_saving`` gets the plans that will be agreed afterwards, one a consultant, and runs
        before anything is written: if it raises, nothing changes (the workspace computes the team's
        capacity there, so an agreement never lands without it). Returns the plan and the plans it
        superseded.

        The moment is taken inside the lock: an agreement waiting for another is later than the
        capacity the other made, so ``newest_change`` is later than a capacity that lacks it."""
        with _LOCK:
            at = at or datetime.now(UTC)
            kept = self.get(slug)
            _seen(kept, version, "agreed")
            if kept.state != PROPOSED:
                raise JobPlanStoreError(f"{_title(kept)} is {kept.state}: only a proposed plan can be agreed")
            if not kept.in_range():
                raise JobPlanStoreError(
                    f"{_title(kept)} cannot be agreed: {kept.year_problem()}; upload the plan again with "
                    "its right year"
                )
            everything = self.all()
            theirs = [
                p
                for p in everything
                if p.consultant == kept.consultant and p.state == AGREED and p.slug != slug
            ]
            later = [p for p in theirs if p.in_range() and year_key(p.year) > year_key(kept.year)]
            if later:
                raise JobPlanStoreError(
                    f"{_title(kept)} cannot be agreed: {kept.consultant}'s plan for {later[0].year} is "
                    "agreed, and a later year's agreed plan stands (an earlier year's plan is not agreed "
                    "after it)"
                )
            after = [p for p in everything if p.state == AGREED and p not in theirs and p.slug != slug]
            if before_saving is not None:
                to_be = KeptPlan(
                    kept.slug, kept.folder, kept.about | {"state": AGREED, "agreed_at": at.isoformat()}
                )
                before_saving(latest_agreed([*after, to_be]))
            superseded = [
                self._move(p, SUPERSEDED, by, at, why=p.year_problem(), superseded_by=slug) for p in theirs
            ]
            agreed = self._move(kept, AGREED, by, at)
            return agreed, superseded

    def _move(self, kept: KeptPlan, state: str, by: str, at: datetime, why: str = "", **more) -> KeptPlan:
        change = {"state": state, "by": by, "at": at.isoformat()} | ({"why": why} if why else {})
        about = kept.about | {"state": state, "history": [*kept.history, change]}
        if state == AGREED:
            about |= {"agreed_by": by, "agreed_at": at.isoformat()}
        if state == SUPERSEDED:
            about |= {"superseded_at": at.isoformat(), **more}
        self._write(kept.folder, about)
        return self.get(kept.slug)


def _title(kept: KeptPlan) -> str:
    return f"{kept.consultant} {kept.year}"


def _seen(kept: KeptPlan, version: int | None, doing: str) -> None:
    if version is not None and version != kept.version:
        raise JobPlanStoreError(
            f"{_title(kept)} was not {doing}: you saw version {version}, and version {kept.version} has "
            f"been uploaded since; read version {kept.version} below first"
        )


def agreed(kept: list[KeptPlan]) -> list[KeptPlan]:
    return [p for p in kept if p.state == AGREED]


def latest_agreed(kept: list[KeptPlan]) -> list[KeptPlan]:
    """Each consultant's agreed plan for their latest year (the newest agreement on a tie): what the
    team's capacity is made of. Only plans kept before the same-or-earlier rule can give a
    consultant two agreed plans. A year out of range (``year_problem``) is no one's latest while
    they have an agreed plan in range; alone, it is still their agreed plan."""
    chosen: dict[str, KeptPlan] = {}
    for plan in agreed(kept):
        held = chosen.get(plan.consultant)
        if held is None or _rank(plan) > _rank(held):
            chosen[plan.consultant] = plan
    return [chosen[c] for c in sorted(chosen)]


def _rank(plan: KeptPlan) -> tuple:
    """An agreed plan's standing: a year in range first, then the latest year, then the newest."""
    return (plan.in_range(), year_key(plan.year), plan.about.get("agreed_at", ""))


def newest_change(kept: list[KeptPlan]) -> datetime | None:
    """The latest moment a plan was agreed or superseded: what ``team_capacity`` must be written
    after to be up to date (``capacity.out_of_date``)."""
    moments = []
    for plan in kept:
        for key in ("agreed_at", "superseded_at"):
            try:
                moment = datetime.fromisoformat(str(plan.about.get(key) or ""))
            except ValueError:  # none, or a file changed by hand: no moment to go by
                continue
            moments.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return max(moments, default=None)


def current(kept: list[KeptPlan]) -> list[KeptPlan]:
    """One plan per consultant for what the rota asks of them: the agreed one, else the newest open one."""
    chosen: dict[str, KeptPlan] = {}
    for plan in kept:
        if plan.state == SUPERSEDED:
            continue
        held = chosen.get(plan.consultant)
        if (
            held is None
            or (held.state != AGREED and (plan.state == AGREED or plan.created_at > held.created_at))
            or (held.state == plan.state == AGREED and _rank(plan) > _rank(held))
        ):
            chosen[plan.consultant] = plan
    return [chosen[c] for c in sorted(chosen)]
