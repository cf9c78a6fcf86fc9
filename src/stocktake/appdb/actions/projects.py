"""Quality-improvement projects: their measures, change ideas and PDSA cycles."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.actions.corrections import Edit, editable, record_edit, revise
from stocktake.appdb.models import ChangeIdea, PdsaCycle, Project, ProjectMeasure, User
from stocktake.qi.progress import SCALE

MEASURE_KINDS = ("outcome", "process", "balancing")
PDSA_ACTS = ("", "adopt", "adapt", "abandon")


def _check_project(title: str, aim: str) -> None:
    if not title.strip() or not aim.strip():
        raise ActionError("title and aim: both are needed (what are we trying to accomplish?)")


def create_project(session: Session, *, by: User, title: str, aim: str, lead: str) -> Project:
    _check_project(title, aim)
    with _transaction(session):
        project = Project(title=title.strip(), aim=aim.strip(), lead=lead.strip(), created_at=base._now())
        session.add(project)
        session.flush()
        record(session, user=by, action="project_created", subject=f"project:{project.id}")
    return project


def edit_project(
    session: Session, *, by: User, project_id: int, title: str, aim: str, lead: str, reason: str = ""
) -> tuple[str, ...]:
    """Correct a project's title, aim or lead; the fields changed (none: nothing written)."""
    _check_project(title, aim)
    with _transaction(session):
        project = editable(session, "project", project_id)
        edits = [
            Edit("title", project, "title", title.strip()),
            Edit("aim", project, "aim", aim.strip()),
            Edit("lead", project, "lead", lead.strip()),
        ]
        changed = revise(session, by=by, kind="project", record_id=project_id, edits=edits, reason=reason)
        if changed:
            record_edit(session, by=by, kind="project", found=project, fields=changed)
    return changed


def set_progress(session: Session, *, by: User, project_id: int, score: float) -> None:
    """The team's progress score; its history keeps the scores before (the same score: nothing written)."""
    if score not in SCALE:
        raise ActionError(f"progress score: one of {', '.join(map(str, SCALE))}")
    with _transaction(session):
        project = editable(session, "project", project_id)
        edit = Edit("progress_score", project, "progress_score", score)
        if revise(session, by=by, kind="project", record_id=project_id, edits=[edit]):
            record(
                session, user=by, action="progress_set", subject=f"project:{project_id}", detail=f"{score}"
            )


def add_measure(session: Session, *, by: User, project_id: int, metric_id: str, kind: str) -> None:
    if kind not in MEASURE_KINDS:
        raise ActionError(f"kind: one of {', '.join(MEASURE_KINDS)}")
    with _transaction(session):
        project = _project(session, project_id)
        if any(m.metric_id == metric_id for m in project.measures):
            raise ActionError(f"measure: {metric_id} is already linked")
        project.measures.append(ProjectMeasure(metric_id=metric_id, kind=kind))
        record(session, user=by, action="measure_added", subject=f"project:{project_id}", detail=metric_id)


def add_change_idea(session: Session, *, by: User, project_id: int, description: str) -> None:
    if not description.strip():
        raise ActionError("change idea: describe it")
    with _transaction(session):
        project = _project(session, project_id)  # held: a collection cannot outlive its parent
        project.change_ideas.append(ChangeIdea(description=description.strip()))
        record(session, user=by, action="change_idea_added", subject=f"project:{project_id}")


def add_pdsa_cycle(
    session: Session,
    *,
    by: User,
    project_id: int,
    title: str,
    started_on: date,
    ended_on: date | None = None,
    change_idea_id: int | None = None,
    plan: str = "",
    prediction: str = "",
    study: str = "",
    act: str = "",
) -> PdsaCycle:
    _check_cycle(title, started_on, ended_on, act)
    with _transaction(session):
        project = _project(session, project_id)
        _check_change_idea(project, change_idea_id)
        cycle = PdsaCycle(
            title=title.strip(),
            started_on=started_on,
            ended_on=ended_on,
            change_idea_id=change_idea_id,
            plan=plan,
            prediction=prediction,
            study=study,
            act=act,
        )
        project.cycles.append(cycle)
        record(session, user=by, action="pdsa_added", subject=f"project:{project_id}", detail=str(started_on))
    return cycle


def edit_pdsa_cycle(
    session: Session,
    *,
    by: User,
    cycle_id: int,
    title: str,
    started_on: date,
    ended_on: date | None = None,
    change_idea_id: int | None = None,
    plan: str = "",
    prediction: str = "",
    study: str = "",
    act: str = "",
    reason: str = "",
) -> tuple[str, ...]:
    """Correct a PDSA cycle (a changed start date moves its mark on the charts); the fields changed."""
    _check_cycle(title, started_on, ended_on, act)
    with _transaction(session):
        cycle = editable(session, "pdsa_cycle", cycle_id)
        _check_change_idea(_project(session, cycle.project_id), change_idea_id)
        new = {
            "title": title.strip(),
            "started_on": started_on,
            "ended_on": ended_on,
            "change_idea_id": change_idea_id,
            "plan": plan,
            "prediction": prediction,
            "study": study,
            "act": act,
        }
        edits = [Edit(field, cycle, field, value) for field, value in new.items()]
        changed = revise(session, by=by, kind="pdsa_cycle", record_id=cycle_id, edits=edits, reason=reason)
        if changed:
            record_edit(session, by=by, kind="pdsa_cycle", found=cycle, fields=changed)
    return changed


def _check_cycle(title: str, started_on: date, ended_on: date | None, act: str) -> None:
    if not title.strip():
        raise ActionError("title: name the cycle")
    if ended_on is not None and ended_on < started_on:
        raise ActionError("ended on: the cycle cannot end before it starts")
    if act not in PDSA_ACTS:
        raise ActionError("act: adopt, adapt or abandon")


def _check_change_idea(project: Project, change_idea_id: int | None) -> None:
    if change_idea_id is not None and change_idea_id not in {c.id for c in project.change_ideas}:
        raise ActionError("change idea: not one of this project's")


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise ActionError(f"no project {project_id}")
    return project
