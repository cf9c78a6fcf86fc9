"""The workspace's own records (SQLAlchemy 2): accounts, the audit log, targets and annotations,
QI projects with their PDSA cycles, clinical audits and the decision log.

Governance records (projects, PDSA cycles, audits, audit cycles, decisions) are corrected, never
deleted: each edit leaves a ``RecordChange`` per field with the old value, and a record taken back
is marked withdrawn (``Withdrawable``) and stays in the history (ADR 0024).

Patient data never comes here: it stays in the warehouse. Schema changes go through an Alembic
migration in ``migrations/versions``; a test checks the models and the migrations agree.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

ROLES = ("viewer", "editor", "admin")  # each can do what the ones before it can


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WebSession(Base):
    """A signed-in browser session, kept here so that it can be ended: at sign-out, when the
    password changes or is reset and when the account is disabled (a copied cookie then signs no one
    in). The cookie holds a random token; only its SHA-256 is kept, so a copy of this table does not."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's token, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    seen_at: Mapped[datetime] = mapped_column(DateTime)  # for the idle timeout, updated once a minute
    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Who did what, when and from where: sign-ins and sign-outs, patient-level views, uploads,
    refused requests and every edit."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    #: The client's address (as the server saw it) and its user agent; empty from the command line.
    client: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)
    agent: Mapped[str] = mapped_column(String(200), default="", server_default="")
    user: Mapped[User | None] = relationship()


class RecordChange(Base):
    """One field of one governance record changed: the old value kept beside the new, who and when.

    One table for every kind of record (``record_kind`` is a key of ``actions.corrections.KINDS``),
    so the history is written and shown by one helper. Values are kept as text (dates ISO, numbers
    as typed); NULL is a field that was empty. A withdrawal is a change of the field ``withdrawn``.
    """

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_record", "record_kind", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(80))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    user: Mapped[User] = relationship()


class Withdrawable:
    """A record taken back rather than deleted: it stays, marked, with who withdrew it and why;
    lists hide it unless asked, and a withdrawn PDSA cycle leaves the charts."""

    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    @declared_attr
    def withdrawer(cls) -> Mapped[User | None]:
        return relationship(User, foreign_keys=lambda: [cls.withdrawn_by])

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class TargetSetting(Base):
    """A department's own target for a metric, replacing the catalogue's."""

    __tablename__ = "target_settings"
    metric_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(Text)
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime)


class Annotation(Base):
    """A dated note on a metric's chart; with ``rebase`` its limits start again from that date."""

    __tablename__ = "annotations"
    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[str] = mapped_column(String(80), index=True)
    dated: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200))
    rebase: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Project(Withdrawable, Base):
    """A quality-improvement project (Model for Improvement): aim, measures, change ideas, cycles."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    aim: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(String(200))
    #: The team's own IHI progress score, 0.5 to 5.0 (``qi.progress.SCALE``).
    progress_score: Mapped[float] = mapped_column(Float, default=0.5)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    measures: Mapped[list[ProjectMeasure]] = relationship(cascade="all, delete-orphan")
    change_ideas: Mapped[list[ChangeIdea]] = relationship(cascade="all, delete-orphan")
    cycles: Mapped[list[PdsaCycle]] = relationship(
        cascade="all, delete-orphan", order_by="PdsaCycle.started_on"
    )


class ProjectMeasure(Base):
    __tablename__ = "project_measures"
    __table_args__ = (UniqueConstraint("project_id", "metric_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    metric_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # outcome, process or balancing


class ChangeIdea(Base):
    __tablename__ = "change_ideas"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    description: Mapped[str] = mapped_column(Text)


class PdsaCycle(Withdrawable, Base):
    """One Plan-Do-Study-Act cycle; its start date marks the charts of the project's measures."""

    __tablename__ = "pdsa_cycles"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    change_idea_id: Mapped[int | None] = mapped_column(ForeignKey("change_ideas.id"))
    title: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(Text, default="")
    prediction: Mapped[str] = mapped_column(Text, default="")
    study: Mapped[str] = mapped_column(Text, default="")
    act: Mapped[str] = mapped_column(String(20), default="")  # adopt, adapt or abandon
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class ClinicalAudit(Withdrawable, Base):
    """An audit against a standard: its criteria, and the cycles measured (audit, re-audit…)."""

    __tablename__ = "clinical_audits"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    standard: Mapped[str] = mapped_column(Text)  # the guideline it audits against, with its source
    criteria: Mapped[list[AuditCriterion]] = relationship(
        cascade="all, delete-orphan", order_by="AuditCriterion.id"
    )
    cycles: Mapped[list[AuditCycle]] = relationship(
        cascade="all, delete-orphan", order_by="AuditCycle.ended_on"
    )


class AuditCriterion(Base):
    __tablename__ = "audit_criteria"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("clinical_audits.id"))
    text: Mapped[str] = mapped_column(Text)
    target_percent: Mapped[float] = mapped_column(Float)


class AuditCycle(Withdrawable, Base):
    __tablename__ = "audit_cycles"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("clinical_audits.id"))
    label: Mapped[str] = mapped_column(String(100))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date] = mapped_column(Date)
    sample: Mapped[str] = mapped_column(Text)  # how the cases were chosen
    results: Mapped[list[CriterionResult]] = relationship(cascade="all, delete-orphan")


class CriterionResult(Base):
    __tablename__ = "criterion_results"
    __table_args__ = (UniqueConstraint("cycle_id", "criterion_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("audit_cycles.id"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("audit_criteria.id"))
    eligible: Mapped[int] = mapped_column(Integer)
    met: Mapped[int] = mapped_column(Integer)


class Decision(Withdrawable, Base):
    """What was decided, why, on what evidence, by whom and when."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    decided_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    rationale: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    metric_id: Mapped[str | None] = mapped_column(String(80))
    decided_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


#: An audit action's states: still to do, done, or decided against (``dropped``, with the history saying why).
ACTION_STATUSES = ("open", "done", "dropped")


class AuditAction(Withdrawable, Base):
    """One action of an audit cycle's plan: what is to be done, by whom, by when, and where it stands.
    Corrected with history (``record_changes``, kind ``audit_action``) and withdrawn, never deleted."""

    __tablename__ = "audit_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("audit_cycles.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    cycle: Mapped[AuditCycle] = relationship()

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_on < today


class DecisionDocument(Withdrawable, Base):
    """A file attached to a decision (minutes, a paper, a chart): kept here as a blob, its type found
    from its first bytes; withdrawn, never deleted (ADR 0028). ``content`` is loaded only when asked."""

    __tablename__ = "decision_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # pdf, docx, xlsx, png or jpg: sniffed, not trusted
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    uploader: Mapped[User] = relationship(foreign_keys=[uploaded_by])


class Comment(Withdrawable, Base):
    """A signed-in editor's comment on a measure (``metric``, by metric id) or a QI project
    (``project``, by project id); withdrawn by its author or an admin, never deleted."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_subject", "subject_kind", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[User] = relationship(foreign_keys=[author_id])


# Leadership programmes (ADR 0031): cohorts of participants, the sessions they attend, the survey files
# their evaluation reads, and the QI projects they lead (the programme's Kirkpatrick level 4).


class Programme(Base):
    """A leadership programme; a participant completes it on attending at least ``completion_share``
    of their cohort's sessions (the programme lead sets it)."""

    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    completion_share: Mapped[float] = mapped_column(Float, default=0.8)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    cohorts: Mapped[list[ProgrammeCohort]] = relationship(
        cascade="all, delete-orphan", order_by="ProgrammeCohort.id"
    )
    modules: Mapped[list[ProgrammeModule]] = relationship(
        cascade="all, delete-orphan", order_by="ProgrammeModule.position"
    )


class ProgrammeModule(Base):
    __tablename__ = "programme_modules"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProgrammeCohort(Base):
    __tablename__ = "programme_cohorts"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None] = mapped_column(Date)
    programme: Mapped[Programme] = relationship(back_populates="cohorts")
    participants: Mapped[list[Participant]] = relationship(
        cascade="all, delete-orphan", order_by="Participant.name"
    )
    sessions: Mapped[list[ProgrammeSession]] = relationship(
        cascade="all, delete-orphan", order_by="ProgrammeSession.held_on"
    )

    @property
    def current(self) -> list[Participant]:
        """The participants not withdrawn: the ones lists, rates and completion count."""
        return [p for p in self.participants if not p.withdrawn]


class Participant(Withdrawable, Base):
    """One person on a cohort: ``code`` is the id their survey responses carry; ``user_id`` their
    workspace account when they have one (then they see their own record, and only it). Withdrawn,
    never deleted: a withdrawn participant leaves the cohort's lists, rates and completion."""

    __tablename__ = "programme_participants"
    __table_args__ = (UniqueConstraint("cohort_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("programme_cohorts.id"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    job_role: Mapped[str] = mapped_column(String(200), default="")
    service: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    cohort: Mapped[ProgrammeCohort] = relationship(back_populates="participants")
    projects: Mapped[list[Project]] = relationship(secondary="participant_projects", order_by="Project.id")


class ParticipantProject(Base):
    """A participant leads (or co-leads) a QI project of the workspace."""

    __tablename__ = "participant_projects"
    participant_id: Mapped[int] = mapped_column(ForeignKey("programme_participants.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)


class ProgrammeSession(Base):
    """A session of a cohort: a module taught on a day."""

    __tablename__ = "programme_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("programme_cohorts.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("programme_modules.id"))
    held_on: Mapped[date] = mapped_column(Date)
    module: Mapped[ProgrammeModule] = relationship()


class Attendance(Base):
    """Whether a participant attended a session (a row for each one recorded; none: not recorded)."""

    __tablename__ = "programme_attendance"
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("programme_sessions.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("programme_participants.id"), index=True)
    attended: Mapped[bool] = mapped_column(Boolean)


#: What a programme's uploaded file is: a survey export, a SCALE.yaml or a DOMAINS.yaml.
PROGRAMME_FILE_KINDS = ("survey", "scale", "domains")


class ProgrammeFile(Base):
    """A file an evaluation reads, kept as uploaded so an evaluation can be chosen again later."""

    __tablename__ = "programme_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)


#: An evaluation's Kirkpatrick level: learning (L2, pre and post) or behaviour (L3, a follow-up).
EVALUATION_LEVELS = ("learning", "behaviour")


class ProgrammeEvaluation(Withdrawable, Base):
    """A cohort's before/after comparison: two survey files, a scale and domains, read by ``id_column``.
    ``invited_codes`` (a JSON list) freezes who was enrolled at upload: the response rate's
    denominator, which participants added or withdrawn later do not change."""

    __tablename__ = "programme_evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("programme_cohorts.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    before_file_id: Mapped[int] = mapped_column(ForeignKey("programme_files.id"))
    after_file_id: Mapped[int] = mapped_column(ForeignKey("programme_files.id"))
    scale_file_id: Mapped[int] = mapped_column(ForeignKey("programme_files.id"))
    domains_file_id: Mapped[int] = mapped_column(ForeignKey("programme_files.id"))
    id_column: Mapped[str] = mapped_column(String(200))
    unknown_as_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    invited_codes: Mapped[str | None] = mapped_column(Text)

    @property
    def invited(self) -> tuple[str, ...]:
        """The codes of the participants enrolled when the evaluation was uploaded."""
        return tuple(json.loads(self.invited_codes)) if self.invited_codes else ()
