"""Leadership programmes (ADR 0031): programmes, modules, cohorts, participants, sessions and
attendance, the files an evaluation reads, and the QI projects participants lead.

Imports are all or nothing: the rows come already read and checked (``files.programme_roster``), and
are checked again here against the database (an id already in the cohort, a username with no
account) before anything is written, in one transaction with one audit event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
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
    User,
)
from stocktake.files.programme_roster import AttendanceRow, ParticipantRow

#: The largest file an evaluation keeps: the request limit for forms (``Settings.body_limit``, 1 MB).
PROGRAMME_FILE_LIMIT = 1024 * 1024


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


def import_participants(
    session: Session, *, by: User | None, cohort_id: int, rows: Sequence[ParticipantRow], source: str
) -> list[Participant]:
    """Every row or none: an id already in the cohort or a username without an account refuses all."""
    with _transaction(session):
        cohort = _cohort(session, cohort_id)
        taken = {p.code for p in cohort.participants}
        made = []
        for row in rows:
            where = f"{source}, row {row.row}" if row.row else source
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


def link_account(session: Session, *, by: User | None, participant_id: int, username: str) -> None:
    """The participant's workspace account (blank: none): they then see their own record, only it."""
    with _transaction(session):
        participant = _participant(session, participant_id)
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
    session: Session, *, by: User | None, session_id: int, attended: Mapping[int, bool]
) -> None:
    """Who attended one session (participant id → attended); marks already there are replaced."""
    with _transaction(session):
        held = session.get(ProgrammeSession, session_id)
        if held is None:
            raise ActionError(f"no session {session_id}")
        members = {p.id for p in _cohort(session, held.cohort_id).participants}
        strangers = set(attended) - members
        if strangers:
            raise ActionError(f"attendance: participant {min(strangers)} is not in this session's cohort")
        _mark(session, held.id, attended)
        record(
            session,
            user=by,
            action="attendance_recorded",
            subject=f"session:{session_id}",
            detail=f"{sum(attended.values())} of {len(attended)} attended",
        )


def _mark(session: Session, session_id: int, attended: Mapping[int, bool]) -> None:
    existing = {
        a.participant_id: a
        for a in session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }
    for participant_id, present in attended.items():
        if participant_id in existing:
            existing[participant_id].attended = bool(present)
        else:
            session.add(
                Attendance(session_id=session_id, participant_id=participant_id, attended=bool(present))
            )


def import_attendance(
    session: Session, *, by: User | None, cohort_id: int, rows: Sequence[AttendanceRow], source: str
) -> int:
    """Every row or none: each (module, date) a session of the cohort (made if new), each id one of
    its participants; marks already there are replaced. The number of marks written."""
    with _transaction(session):
        cohort = _cohort(session, cohort_id)
        programme = _programme(session, cohort.programme_id)
        modules = {m.name: m for m in programme.modules}
        by_code = {p.code: p for p in cohort.participants}
        sessions = {(s.module.name, s.held_on): s for s in cohort.sessions}
        marks: dict[int, dict[int, bool]] = {}
        for row in rows:
            if row.code not in by_code:
                raise ActionError(
                    f"{source}, row {row.row}, column id: found {row.code!r}, expected a participant"
                )
            if row.module not in modules:
                raise ActionError(
                    f"{source}, row {row.row}, column module: found {row.module!r}, expected a module"
                )
            held = sessions.get((row.module, row.held_on))
            if held is None:
                held = ProgrammeSession(module_id=modules[row.module].id, held_on=row.held_on)
                cohort.sessions.append(held)
                session.flush()
                sessions[(row.module, row.held_on)] = held
            marks.setdefault(held.id, {})[by_code[row.code].id] = row.attended
        for session_id, attended in marks.items():
            _mark(session, session_id, attended)
        written = sum(len(m) for m in marks.values())
        record(
            session,
            user=by,
            action="attendance_imported",
            subject=f"cohort:{cohort_id}",
            detail=f"{written} marks, {len(marks)} sessions from {source}"[:200],
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
    refused before this), so a stored evaluation always reads."""
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
