"""The workspace's own records (SQLAlchemy 2): accounts, the audit log, targets and annotations,
QI projects with their PDSA cycles, clinical audits and the decision log.

Governance records (projects, PDSA cycles, audits, audit cycles, decisions) are corrected, never
deleted: each edit leaves a ``RecordChange`` per field with the old value, and a record taken back
is marked withdrawn (``Withdrawable``) and stays in the history (ADR 0024).

Patient data never comes here: it stays in the warehouse. Schema changes go through an Alembic
migration in ``migrations/versions``; a test checks the models and the migrations agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
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
