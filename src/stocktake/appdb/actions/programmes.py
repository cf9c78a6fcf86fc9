"""Leadership programmes (ADR 0031): programmes, modules, cohorts, participants, sessions and
attendance, the files an evaluation reads, and the QI projects participants lead.

Imports are all or nothing: the rows come already read and checked (``files.programme_roster``), and
are checked again here against the database (an id already in the cohort, a username with no
account) before anything is written, in one transaction with one audit event. A load is previewed
first (``preview_participants``, ``preview_attendance``: sessions created, marks added and changed,
people made absent, completion before and after) for the lead to confirm.

Corrections follow ADR 0024 without deleting: a participant or an evaluation is withdrawn (it stays,
marked, and leaves the lists, rates and completion); a changed attendance mark keeps its old value in
``record_changes`` (kind ``attendance``, field ``attended:<participant id>``) with who, when and why.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.actions.corrections import WITHDRAWN, _reason, as_text
from stocktake.appdb.models import (
    EVALUATION_LEVELS,
    PROGRAMME_FILE_KINDS,
    Attendance,
    Participant,
    ParticipantProject,
    Programme,
    ProgrammeCohort,
    ProgrammeEvaluation,
    ProgrammeFile,
    ProgrammeModule,
    ProgrammeSession,
    Project,
    RecordChange,
    User,
)
from stocktake.files.programme_roster import AttendanceRow, ParticipantRow, day_text
from stocktake.programmes.attendance import AttendancePreview, SessionMarks, compare

#: The largest programme file (a survey export, a roster, a register): 10 MB, the cap ``web.limits``
#: puts on programme uploads.
PROGRAMME_FILE_LIMIT = 10 * 1024 * 1024
#: The history's record kinds for a programme's corrections (``record_changes.record_kind``).
PARTICIPANT, EVALUATION, ATTENDANCE = "participant", "evaluation", "attendance"


def _name(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise ActionError(f"{what}: give it a name")
    if len(text) > 200:
        raise ActionError(f"{what}: at most 200 characters")
    return text


def _share(share: float) -> float:
    if not 0 < share <= 1:
        raise ActionError(f"completion: a share of sessions above 0 and at most 1 (80% is 0.8), not {share}")
    return share


def create_programme(
    session: Session,
    *,
    by: User | None,
    name: str,
    description: str = "",
    completion_share: float = 0.8,
    modules: Sequence[str] = (),
) -> Programme:
    name, share = _name(name, "programme"), _share(completion_share)
    names = [m.strip() for m in modules if m.strip()]
    if len({m.casefold() for m in names}) != len(names):
        raise ActionError("modules: each module once")
    with _transaction(session):
        programme = Programme(
            name=name,
            description=description.strip(),
            completion_share=share,
            created_by=by.id if by else None,
            created_at=base._now(),
        )
        programme.modules = [
            ProgrammeModule(name=_name(m, "module"), position=i) for i, m in enumerate(names)
        ]
        session.add(programme)
        session.flush()
        record(session, user=by, action="programme_created", subject=f"programme:{programme.id}")
    return programme


def set_completion_rule(
    session: Session, *, by: User | None, programme_id: int, completion_share: float
) -> None:
    share = _share(completion_share)
    with _transaction(session):
        programme = _programme(session, programme_id)
        old = programme.completion_share
        programme.completion_share = share
        record(
            session,
            user=by,
            action="programme_completion_set",
            subject=f"programme:{programme_id}",
            detail=f"{old} -> {share}",
        )


def add_module(session: Session, *, by: User | None, programme_id: int, name: str) -> ProgrammeModule:
    name = _name(name, "module")
    with _transaction(session):
        programme = _programme(session, programme_id)
        if any(m.name.casefold() == name.casefold() for m in programme.modules):
            raise ActionError(f"module: {name!r} is already one of this programme's")
        module = ProgrammeModule(name=name, position=len(programme.modules))
        programme.modules.append(module)
        record(session, user=by, action="programme_module_added", subject=f"programme:{programme_id}")
    return module


def add_cohort(
    session: Session, *, by: User | None, programme_id: int, name: str, starts_on: date | None = None
) -> ProgrammeCohort:
    name = _name(name, "cohort")
    with _transaction(session):
        programme = _programme(session, programme_id)
        if any(c.name.casefold() == name.casefold() for c in programme.cohorts):
            raise ActionError(f"cohort: {name!r} is already one of this programme's")
        cohort = ProgrammeCohort(name=name, starts_on=starts_on)
        programme.cohorts.append(cohort)
        session.flush()
        record(session, user=by, action="cohort_added", subject=f"cohort:{cohort.id}")
    return cohort


def _account(session: Session, username: str) -> User | None:
    if not username.strip():
        return None
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def add_participant(
    session: Session,
    *,
    by: User | None,
    cohort_id: int,
    code: str,
    name: str,
    job_role: str = "",
    service: str = "",
    username: str = "",
) -> Participant:
    row = ParticipantRow(0, code.strip(), name.strip(), job_role.strip(), service.strip(), username.strip())
    if not row.code:
        raise ActionError("id: the id the participant's survey responses carry")
    _name(row.name, "participant")
    return import_participants(session, by=by, cohort_id=cohort_id, rows=[row], source="form")[0]


def _check_participants(
    session: Session, cohort: ProgrammeCohort, rows: Sequence[ParticipantRow], source: str
) -> list[User | None]:
    """Each row's account; an id already in the cohort (withdrawn people keep theirs) or a username
    without an account refuses them all."""
    taken = {p.code for p in cohort.participants}
    withdrawn = {p.code: p.withdrawn_at for p in cohort.participants if p.withdrawn}
    accounts = []
    for row in rows:
        where = f"{source}, row {row.row}" if row.row else source
        if row.code in withdrawn:  # as the file import says it (``read_participants``)
            raise ActionError(
                f"{where}, column id: found {row.code!r}, expected an id not already in this cohort "
                f"({row.code} was withdrawn from it on {day_text(withdrawn[row.code].date())}; their "
                "record is kept: give a new id to enrol them again)"
            )
        if row.code in taken:
            raise ActionError(
                f"{where}, column id: found {row.code!r}, expected an id not already in this cohort"
            )
        account = _account(session, row.username)
        if row.username and account is None:
            raise ActionError(
                f"{where}, column username: found {row.username!r}, expected an account's username"
            )
        taken.add(row.code)
        accounts.append(account)
    return accounts


def preview_participants(
    session: Session, *, cohort_id: int, rows: Sequence[ParticipantRow], source: str
) -> AttendancePreview:
    """What adding these people would do (they join with no attendance: rates and completion counts
    move); refused in one line as ``import_participants`` would be. Writes nothing."""
    cohort = _cohort(session, cohort_id)
    _check_participants(session, cohort, rows, source)
    sessions = _sessions(session, cohort)
    joining = [-(i + 1) for i in range(len(rows))]
    return compare(_current_ids(cohort), sessions, sessions, cohort.programme.completion_share, joining)


def import_participants(
    session: Session, *, by: User | None, cohort_id: int, rows: Sequence[ParticipantRow], source: str
) -> list[Participant]:
    """Every row or none: an id already in the cohort or a username without an account refuses all."""
    with _transaction(session):
        cohort = _cohort(session, cohort_id)
        accounts = _check_participants(session, cohort, rows, source)
        made = []
        for row, account in zip(rows, accounts, strict=True):
            participant = Participant(
                code=row.code,
                name=row.name,
                job_role=row.job_role,
                service=row.service,
                user_id=account.id if account else None,
            )
            cohort.participants.append(participant)
            made.append(participant)
        session.flush()
        record(
            session,
            user=by,
            action="participants_imported" if source != "form" else "participant_added",
            subject=f"cohort:{cohort_id}",
            detail=f"{len(made)} from {source}"[:200],
        )
    return made


def withdraw_participant(session: Session, *, by: User, participant_id: int, reason: str) -> Participant:
    """Take a participant off the cohort without deleting them: their record, marks and history stay;
    they leave the cohort's lists, rates and completion. An evaluation already uploaded keeps them
    among those it invited."""
    return _withdraw(
        session, by=by, kind=PARTICIPANT, found=_participant(session, participant_id), reason=reason
    )


def withdraw_evaluation(
    session: Session, *, by: User, evaluation_id: int, reason: str
) -> ProgrammeEvaluation:
    """Take an evaluation back (a wrong file, the wrong cohort): it stays, marked, and leaves the
    cohort's page and the programme report; its files stay among the programme's."""
    found = session.get(ProgrammeEvaluation, evaluation_id)
    if found is None:
        raise ActionError(f"no evaluation {evaluation_id}")
    return _withdraw(session, by=by, kind=EVALUATION, found=found, reason=reason)


def _withdraw(session: Session, *, by: User, kind: str, found, reason: str):
    why = _reason(reason)
    with _transaction(session):
        if found.withdrawn:
            raise ActionError(f"{kind} {found.id}: already withdrawn")
        at = base._now()
        found.withdrawn_at, found.withdrawn_by, found.withdrawn_reason = at, by.id, why
        session.add(
            RecordChange(
                record_kind=kind,
                record_id=found.id,
                field=WITHDRAWN,
                old_value=None,
                new_value=WITHDRAWN,
                changed_by=by.id,
                changed_at=at,
                reason=why,
            )
        )
        record(
            session,
            user=by,
            action=f"{kind}_withdrawn",
            subject=f"cohort:{found.cohort_id}",
            detail=f"{kind} {found.id}",
        )
    return found


def link_account(session: Session, *, by: User | None, participant_id: int, username: str) -> None:
    """The participant's workspace account (blank: none): they then see their own record, only it."""
    with _transaction(session):
        participant = _participant(session, participant_id)
        if participant.withdrawn and username.strip():  # unlinking stays possible
            raise ActionError(
                f"participant {participant.code}: withdrawn from the cohort on "
                f"{day_text(participant.withdrawn_at.date())}, so no account is linked to them (their "
                "record is kept as it was); to enrol them again, add them with a new id and link that"
            )
        account = _account(session, username)
        if username.strip() and account is None:
            raise ActionError(f"username: no account {username.strip()!r}")
        participant.user_id = account.id if account else None
        record(
            session,
            user=by,
            action="participant_account_linked",
            subject=f"participant:{participant_id}",
            detail=f"user:{account.id}" if account else "none",
        )


def link_project(session: Session, *, by: User | None, participant_id: int, project_id: int) -> None:
    """The participant leads this QI project: its measures' verdicts are the programme's level 4."""
    with _transaction(session):
        _participant(session, participant_id)
        project = session.get(Project, project_id)
        if project is None or project.withdrawn:
            raise ActionError(f"project: no project {project_id}")
        if session.get(ParticipantProject, (participant_id, project_id)) is not None:
            raise ActionError(f"project: {project.title!r} is already linked")
        session.add(ParticipantProject(participant_id=participant_id, project_id=project_id))
        record(
            session,
            user=by,
            action="participant_project_linked",
            subject=f"participant:{participant_id}",
            detail=f"project:{project_id}",
        )


def add_session(
    session: Session, *, by: User | None, cohort_id: int, module_id: int, held_on: date
) -> ProgrammeSession:
    with _transaction(session):
        cohort = _cohort(session, cohort_id)
        module = session.get(ProgrammeModule, module_id)
        if module is None or module.programme_id != cohort.programme_id:
            raise ActionError("module: one of this programme's modules")
        held = ProgrammeSession(module_id=module_id, held_on=held_on)
        cohort.sessions.append(held)
        session.flush()
        record(
            session,
            user=by,
            action="programme_session_added",
            subject=f"cohort:{cohort_id}",
            detail=str(held_on),
        )
    return held


def record_attendance(
    session: Session,
    *,
    by: User | None,
    session_id: int,
    attended: Mapping[int, bool],
    reason: str = "",
) -> AttendancePreview:
    """Who attended one session (participant id → attended). A mark already there that changes keeps
    its old value in the history, with ``reason``; what changed is returned."""
    with _transaction(session):
        held = session.get(ProgrammeSession, session_id)
        if held is None:
            raise ActionError(f"no session {session_id}")
        cohort = _cohort(session, held.cohort_id)
        strangers = set(attended) - set(_current_ids(cohort))
        if strangers:
            raise ActionError(
                f"attendance: participant {min(strangers)} is not (or no longer) in this session's cohort"
            )
        before = _sessions(session, cohort)
        after = [
            SessionMarks(s.id, s.module, {**s.marks, **attended} if s.id == session_id else s.marks, s.label)
            for s in before
        ]
        done = compare(_current_ids(cohort), before, after, cohort.programme.completion_share)
        _mark(session, by, held.id, attended, reason)
        record(
            session,
            user=by,
            action="attendance_recorded",
            subject=f"session:{session_id}",
            detail=f"{sum(attended.values())} of {len(attended)} attended; {len(done.changed)} marks changed",
        )
    return done


def _mark(
    session: Session, by: User | None, session_id: int, attended: Mapping[int, bool], reason: str
) -> None:
    """Write the marks; a changed one leaves a ``RecordChange`` (who, when, why) with its old value."""
    existing = {
        a.participant_id: a
        for a in session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }
    for participant_id, present in attended.items():
        mark = existing.get(participant_id)
        if mark is None:
            session.add(
                Attendance(session_id=session_id, participant_id=participant_id, attended=bool(present))
            )
        elif mark.attended != bool(present):
            if by is None:
                raise ActionError("attendance: a changed mark needs who changed it")
            session.add(
                RecordChange(
                    record_kind=ATTENDANCE,
                    record_id=mark.id,
                    field=f"attended:{participant_id}",
                    old_value=as_text(_yes(mark.attended)),
                    new_value=as_text(_yes(bool(present))),
                    changed_by=by.id,
                    changed_at=base._now(),
                    reason=reason.strip(),
                )
            )
            mark.attended = bool(present)


def _yes(present: bool) -> str:
    return "attended" if present else "absent"


def _label(module: str, held_on: date) -> str:
    return f"{module}, {held_on:%d %b %Y}"


def _current_ids(cohort: ProgrammeCohort) -> list[int]:
    return [p.id for p in cohort.current]


def _sessions(session: Session, cohort: ProgrammeCohort) -> list[SessionMarks]:
    """The cohort's sessions with the marks of its current participants (withdrawn people left out)."""
    ids = [s.id for s in cohort.sessions]
    current = set(_current_ids(cohort))
    marks: dict[int, dict[int, bool]] = {i: {} for i in ids}
    if ids:
        for mark in session.scalars(select(Attendance).where(Attendance.session_id.in_(ids))):
            if mark.participant_id in current:
                marks[mark.session_id][mark.participant_id] = mark.attended
    return [
        SessionMarks(s.id, s.module.name, marks[s.id], _label(s.module.name, s.held_on))
        for s in cohort.sessions
    ]


def _attendance_plan(
    session: Session, cohort: ProgrammeCohort, rows: Sequence[AttendanceRow], source: str
) -> tuple[
    list[SessionMarks], list[SessionMarks], dict[tuple[str, date], dict[int, bool]], set[tuple[int, int]]
]:
    """The sessions now, the sessions as the load would leave them (new ones with negative ids), the
    load's marks by (module, date) and as (session id, participant id) pairs; a row naming no current
    participant or module refuses all."""
    modules = {m.name for m in cohort.programme.modules}
    by_code = {p.code: p for p in cohort.current}
    marks: dict[tuple[str, date], dict[int, bool]] = {}
    for row in rows:
        if row.code not in by_code:
            raise ActionError(
                f"{source}, row {row.row}, column id: found {row.code!r}, expected a participant"
            )
        if row.module not in modules:
            raise ActionError(
                f"{source}, row {row.row}, column module: found {row.module!r}, expected a module"
            )
        marks.setdefault((row.module, row.held_on), {})[by_code[row.code].id] = row.attended
    before = _sessions(session, cohort)
    keys = {(s.module.name, s.held_on): s.id for s in cohort.sessions}
    after = [SessionMarks(s.id, s.module, dict(s.marks), s.label) for s in before]
    by_id = {s.id: s for s in after}
    loaded = set()
    for n, (key, given) in enumerate(sorted(marks.items())):
        if key in keys:
            by_id[keys[key]].marks.update(given)  # a fresh dict made just above
        else:
            after.append(SessionMarks(-(n + 1), key[0], given, _label(*key)))
        loaded |= {(keys.get(key, -(n + 1)), pid) for pid in given}
    return before, after, marks, loaded


def preview_attendance(
    session: Session, *, cohort_id: int, rows: Sequence[AttendanceRow], source: str
) -> AttendancePreview:
    """What loading these marks would do; refused in one line as ``import_attendance`` would be."""
    cohort = _cohort(session, cohort_id)
    before, after, _, loaded = _attendance_plan(session, cohort, rows, source)
    return compare(_current_ids(cohort), before, after, cohort.programme.completion_share, loaded=loaded)


def import_attendance(
    session: Session,
    *,
    by: User | None,
    cohort_id: int,
    rows: Sequence[AttendanceRow],
    source: str,
    reason: str = "",
) -> int:
    """Every row or none: each (module, date) a session of the cohort (made if new), each id one of
    its current participants; a mark already there that changes keeps its history. The number of
    marks in the load. Callers show ``preview_attendance`` and have it confirmed first."""
    with _transaction(session):
        cohort = _cohort(session, cohort_id)
        before, after, marks, loaded = _attendance_plan(session, cohort, rows, source)
        done = compare(_current_ids(cohort), before, after, cohort.programme.completion_share, loaded=loaded)
        modules = {m.name: m for m in cohort.programme.modules}
        sessions = {(s.module.name, s.held_on): s for s in cohort.sessions}
        for key, given in marks.items():
            held = sessions.get(key)
            if held is None:
                held = ProgrammeSession(module_id=modules[key[0]].id, held_on=key[1])
                cohort.sessions.append(held)
                session.flush()
            _mark(session, by, held.id, given, reason or f"loaded from {source}")
        written = sum(len(m) for m in marks.values())
        detail = (
            f"{written} marks ({len(done.added)} added, {len(done.changed)} changed), "
            f"{len(done.created)} sessions created, {len(done.made_absent)} made absent, from {source}"
        )
        record(
            session, user=by, action="attendance_imported", subject=f"cohort:{cohort_id}", detail=detail[:200]
        )
    return written


def add_programme_file(
    session: Session, *, by: User | None, programme_id: int, kind: str, filename: str, content: bytes
) -> ProgrammeFile:
    if kind not in PROGRAMME_FILE_KINDS:
        raise ActionError(f"file: one of {', '.join(PROGRAMME_FILE_KINDS)}")
    if not content:
        raise ActionError(f"{filename or 'file'}: the file is empty")
    if len(content) > PROGRAMME_FILE_LIMIT:
        raise ActionError(f"{filename}: larger than {PROGRAMME_FILE_LIMIT // (1024 * 1024)} MB")
    with _transaction(session):
        _programme(session, programme_id)
        kept = ProgrammeFile(
            programme_id=programme_id,
            kind=kind,
            filename=filename.strip()[:200] or kind,
            content=content,
            uploaded_by=by.id if by else None,
            uploaded_at=base._now(),
        )
        session.add(kept)
        session.flush()
        record(
            session,
            user=by,
            action="programme_file_uploaded",
            subject=f"programme:{programme_id}",
            detail=f"{kind} {hashlib.sha256(content).hexdigest()[:16]}",
        )
    return kept


def add_evaluation(
    session: Session,
    *,
    by: User | None,
    cohort_id: int,
    level: str,
    label: str,
    before_file_id: int,
    after_file_id: int,
    scale_file_id: int,
    domains_file_id: int,
    id_column: str,
    unknown_as_missing: bool = False,
) -> ProgrammeEvaluation:
    """An evaluation of the cohort; the caller has read its files and evaluated them (a bad file is
    refused before this), so a stored evaluation always reads. The participants enrolled now are
    kept with it (``invited_codes``): its response rates' denominator, which later changes to the
    cohort do not move."""
    if level not in EVALUATION_LEVELS:
        raise ActionError(f"level: one of {', '.join(EVALUATION_LEVELS)}")
    if not id_column.strip():
        raise ActionError("id column: the survey column holding the participant's id")
    with _transaction(session):
        cohort = _cohort(session, cohort_id)
        files = {
            "before": before_file_id,
            "after": after_file_id,
            "scale": scale_file_id,
            "domains": domains_file_id,
        }
        for what, file_id in files.items():
            kept = session.get(ProgrammeFile, file_id)
            wanted = what if what in ("scale", "domains") else "survey"
            if kept is None or kept.programme_id != cohort.programme_id or kept.kind != wanted:
                raise ActionError(f"{what}: one of this programme's {wanted} files")
        evaluation = ProgrammeEvaluation(
            cohort_id=cohort_id,
            level=level,
            label=_name(label or level, "evaluation"),
            before_file_id=before_file_id,
            after_file_id=after_file_id,
            scale_file_id=scale_file_id,
            domains_file_id=domains_file_id,
            id_column=id_column.strip(),
            unknown_as_missing=unknown_as_missing,
            created_by=by.id if by else None,
            created_at=base._now(),
            invited_codes=json.dumps(sorted(p.code for p in cohort.current)),
        )
        session.add(evaluation)
        session.flush()
        record(session, user=by, action="evaluation_added", subject=f"cohort:{cohort_id}", detail=level)
    return evaluation


def _programme(session: Session, programme_id: int) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise ActionError(f"no programme {programme_id}")
    return programme


def _cohort(session: Session, cohort_id: int) -> ProgrammeCohort:
    cohort = session.get(ProgrammeCohort, cohort_id)
    if cohort is None:
        raise ActionError(f"no cohort {cohort_id}")
    return cohort


def _participant(session: Session, participant_id: int) -> Participant:
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise ActionError(f"no participant {participant_id}")
    return participant
