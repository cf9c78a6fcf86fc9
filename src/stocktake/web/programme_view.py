"""What a programme's pages and its report show, read from the app database and the workspace:
attendance per cohort, each evaluation read from its stored files, and the QI projects participants
lead with the stock-take's verdict on each of their measures (Kirkpatrick level 4)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb.models import (
    Attendance,
    Participant,
    Programme,
    ProgrammeCohort,
    ProgrammeEvaluation,
    ProgrammeFile,
    User,
)
from stocktake.files.programme import ProgrammeFileError, read_domains, read_scales, read_survey
from stocktake.programmes import Evaluation, evaluate
from stocktake.programmes.attendance import CohortAttendance, SessionMarks, cohort_attendance
from stocktake.programmes.timing import against_cohort, change_began
from stocktake.verdicts.narrative import CATEGORIES


def participant_of(db: Session, user: User, programme_id: int | None = None) -> list[Participant]:
    """The participant records linked to this account (in one programme when given); read on every
    request, so unlinking an account takes effect at once."""
    query = select(Participant).where(Participant.user_id == user.id)
    found = list(db.scalars(query))
    if programme_id is not None:
        found = [p for p in found if p.cohort.programme_id == programme_id]
    return found


def sees_everyone(user: User, db: Session) -> bool:
    """Editors and admins see every participant; a viewer too, unless their account is a participant's,
    when they see their own record only."""
    return user.role != "viewer" or not participant_of(db, user)


def attendance_of(db: Session, cohort: ProgrammeCohort, share: float) -> CohortAttendance:
    ids = [s.id for s in cohort.sessions]
    marks: dict[int, dict[int, bool]] = {i: {} for i in ids}
    if ids:
        for mark in db.scalars(select(Attendance).where(Attendance.session_id.in_(ids))):
            marks[mark.session_id][mark.participant_id] = mark.attended
    sessions = [SessionMarks(s.id, s.module.name, marks[s.id]) for s in cohort.sessions]
    return cohort_attendance([p.id for p in cohort.current], sessions, share)  # withdrawn left out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name).name).strip() or "file"


def evaluate_stored(
    files: Mapping[str, tuple[str, bytes]],
    cohort: Sequence[str],
    id_column: str,
    labels: tuple[str, str] = ("before", "after"),
    unknown_as_missing: bool = False,
    level: str = "learning",
    withdrawn: Sequence[str] = (),
) -> tuple[Evaluation, tuple[str, ...]]:
    """Evaluate files kept in the app database (``files``: before, after, scale, domains → (filename,
    bytes)); a problem is a ``ProgrammeFileError`` naming the file as uploaded, row, column and value,
    worded for the web (``for_the_web``). Reaction domains (L1) are read from the after survey of a
    learning evaluation only: the before survey and a behaviour evaluation's follow-up need not carry
    them. Responses from ``withdrawn`` participants' ids are left out and counted in the notes."""
    with tempfile.TemporaryDirectory(prefix="stocktake-programme-") as folder:
        paths = {}
        for role, (filename, content) in files.items():
            where = Path(folder) / role
            where.mkdir()
            paths[role] = where / _safe(filename)
            paths[role].write_bytes(content)
        try:
            scales = read_scales(paths["scale"])
            domains = read_domains(paths["domains"], scales)
            paired = tuple(d for d in domains if d.level != "reaction")
            if level != "learning":
                domains = paired
            read = [
                read_survey(
                    paths[role],
                    label,
                    id_column,
                    paired if role == "before" else domains,
                    cohort=cohort,
                    cohort_file=Path("the cohort's participants"),
                    unknown_as_missing=unknown_as_missing,
                    withdrawn=withdrawn,
                )
                for role, label in zip(("before", "after"), labels, strict=True)
            ]
            evaluation = evaluate(read[0].survey, read[1].survey, domains, cohort)
        except (ProgrammeFileError, ValueError) as error:
            raise ProgrammeFileError(for_the_web(_without_folder(str(error), folder))) from None
        notes = tuple(_without_folder(f"{r.path.name}: {note}", folder) for r in read for note in r.notes)
        return evaluation, notes


def _without_folder(text: str, folder: str) -> str:
    return re.sub(re.escape(folder) + r"/(before|after|scale|domains)/", "", text)


#: The command line's words in the file readers' messages, and what the evaluation form calls them.
WEB_WORDS = (
    (
        "use --unknown-as-missing to count them as skipped",
        'tick "Count answers not on the scale as skipped" on the form to count them as skipped',
    ),
    ("which --id names", "which the form's id column names"),
)


def for_the_web(message: str) -> str:
    """A reader's refusal worded for someone using the evaluation form, not the command line."""
    for command_line, form in WEB_WORDS:
        message = message.replace(command_line, form)
    return message


@dataclass(frozen=True)
class EvaluationView:
    record: ProgrammeEvaluation
    evaluation: Evaluation | None
    notes: tuple[str, ...]
    problem: str | None


def evaluation_view(db: Session, record: ProgrammeEvaluation, cohort: ProgrammeCohort) -> EvaluationView:
    ids = (record.before_file_id, record.after_file_id, record.scale_file_id, record.domains_file_id)
    kept = {f.id: f for f in db.scalars(select(ProgrammeFile).where(ProgrammeFile.id.in_(ids)))}
    files = {
        role: (kept[i].filename, kept[i].content)
        for role, i in zip(("before", "after", "scale", "domains"), ids, strict=True)
    }
    labels = ("before", "follow-up") if record.level == "behaviour" else ("before", "after")
    try:
        evaluation, notes = evaluate_stored(
            files,
            _invited(record, cohort),
            record.id_column,
            labels,
            record.unknown_as_missing,
            level=record.level,
            withdrawn=withdrawn_codes(cohort),
        )
    except ProgrammeFileError as error:  # a participant removed since: say so, do not fail the page
        return EvaluationView(record, None, (), str(error))
    return EvaluationView(record, evaluation, notes, None)


def withdrawn_codes(cohort: ProgrammeCohort) -> list[str]:
    """The ids of the cohort's withdrawn participants: their responses are left out, not refused."""
    return [p.code for p in cohort.participants if p.withdrawn]


def _invited(record: ProgrammeEvaluation, cohort: ProgrammeCohort) -> list[str]:
    """The response rates' denominator: those enrolled when the evaluation was uploaded (ADR 0031)."""
    return list(record.invited) or [p.code for p in cohort.current]


@dataclass(frozen=True)
class MeasureVerdict:
    metric_id: str
    title: str
    kind: str
    category: str  # the stock-take's words ("Moved the needle"), or why there is none
    sentence: str
    #: When the change the verdict reads began, against the cohort's start ("" when it claims none).
    timing: str = ""
    after_start: bool | None = None


@dataclass(frozen=True)
class ProjectResult:
    participant: Participant
    project_id: int
    title: str
    measures: tuple[MeasureVerdict, ...]


def project_results(
    participants: Sequence[Participant], verdicts: Mapping, starts_on=None
) -> list[ProjectResult]:
    """Level 4: each participant's QI projects and the verdict on each measure (``verdicts``: metric id
    → the workspace stock-take's entry), with when its change began against the cohort's start
    (``starts_on``): a change before the cohort began is no evidence of the programme."""
    results = []
    for participant in participants:
        for project in participant.projects:
            if project.withdrawn:
                continue
            measures = []
            for measure in project.measures:
                entry = verdicts.get(measure.metric_id)
                if entry is None:
                    measures.append(
                        MeasureVerdict(measure.metric_id, measure.metric_id, measure.kind, "No data", "")
                    )
                    continue
                timing = measure_timing(entry, starts_on)
                measures.append(
                    MeasureVerdict(
                        measure.metric_id,
                        entry.result.metric.title,
                        measure.kind,
                        CATEGORIES[entry.category],
                        entry.sentence,
                        timing.words,
                        timing.after_start,
                    )
                )
            results.append(ProjectResult(participant, project.id, project.title, tuple(measures)))
    return results


def measure_timing(entry, starts_on):
    """The stock-take entry's change (its latest rebase, else the start of the verdict's run of
    special causes) against the cohort's start (``programmes.timing``)."""
    result = entry.result
    rebases = result.rebasing.applied if result.rebasing is not None else ()
    changed = change_began(list(result.x), [str(t) for t in result.chart.point_type], entry.category, rebases)
    return against_cohort(changed, starts_on)


@dataclass(frozen=True)
class CohortView:
    cohort: ProgrammeCohort
    participants: tuple[Participant, ...]  # those this user may see
    attendance: CohortAttendance
    evaluations: tuple[EvaluationView, ...]
    results: tuple[ProjectResult, ...]


def cohort_view(
    db: Session, programme: Programme, cohort: ProgrammeCohort, verdicts: Mapping, only: set[int] | None
) -> CohortView:
    """``only``: the participant ids this user may see (None: everyone), the rest left out of every
    list; a participant sees no evaluation (its figures are the cohort's, not theirs)."""
    attendance = attendance_of(db, cohort, programme.completion_share)
    shown = tuple(p for p in cohort.current if only is None or p.id in only)
    if only is not None:
        attendance = CohortAttendance(
            attendance.sessions,
            attendance.recorded,
            attendance.needed,
            tuple(a for a in attendance.by_participant if a.participant_id in only),
            (),
        )
    records = db.scalars(
        select(ProgrammeEvaluation)
        .where(ProgrammeEvaluation.cohort_id == cohort.id, ProgrammeEvaluation.withdrawn_at.is_(None))
        .order_by(ProgrammeEvaluation.id)
    ).all()
    evaluations = () if only is not None else tuple(evaluation_view(db, r, cohort) for r in records)
    results = project_results(shown, verdicts, cohort.starts_on)
    return CohortView(cohort, shown, attendance, evaluations, tuple(results))


def workspace_verdicts(workspace, db: Session) -> dict:
    """The workspace stock-take's entries by metric id (none when there is no warehouse yet)."""
    if not workspace.warehouse.exists():
        return {}
    return {e.result.metric.id: e for e in workspace.stocktake(db).entries}
