"""QI projects: aim, measures linked to metrics, change ideas, PDSA cycles and the progress score;
projects and their cycles corrected with history, or withdrawn (ADR 0024)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import PdsaCycle, Project, User
from stocktake.qi.progress import SCALE, describe
from stocktake.web.comments import comments_page, their_comment
from stocktake.web.corrections import Field, edit_page, labels_of, shown, with_values
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date, a_metric, a_number
from stocktake.web.security import database, editor, viewer

router = APIRouter(prefix="/projects")


@router.get("")
def projects_page(request: Request, user: User = Depends(viewer), db: Session = Depends(database)):
    return _list(request, user, db)


def _showing_withdrawn(request: Request) -> bool:
    return request.query_params.get("withdrawn") == "1"


def _list(request, user, db, **context):
    projects = db.scalars(select(Project).order_by(Project.created_at.desc())).all()
    showing = _showing_withdrawn(request)
    return render(
        request,
        "projects.html",
        user,
        title="QI projects",
        projects=[p for p in projects if showing or not p.withdrawn],
        showing_withdrawn=showing,
        withdrawn_count=sum(p.withdrawn for p in projects),
        describe=describe,
        **context,
    )


@router.post("")
def create_project(
    request: Request,
    title: str = Form(""),
    aim: str = Form(""),
    lead: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.create_project(db, by=user, title=title, aim=aim, lead=lead),
        to=lambda project: f"/projects/{project.id}",
        page=partial(_list, request, user, db),
    )


def _project_page(request, user, db, project_id: int, **context):
    project = db.get(Project, project_id)
    if project is None:
        raise HTTPException(404, f"no project {project_id}")
    workspace = request.app.state.workspace
    verdicts = {}
    if workspace.warehouse.exists():
        verdicts = {e.result.metric.id: e for e in workspace.stocktake(db).entries}
    showing = _showing_withdrawn(request)
    return render(
        request,
        "project.html",
        user,
        title=project.title,
        project=project,
        cycles=[c for c in project.cycles if showing or not c.withdrawn],
        showing_withdrawn=showing,
        withdrawn_count=sum(c.withdrawn for c in project.cycles),
        changes=actions.history(db, "project", [project.id])[project.id],
        project_labels=labels_of(_project_fields(project)) | {"progress_score": "Progress score"},
        cycle_changes=actions.history(db, "pdsa_cycle", [c.id for c in project.cycles]),
        cycle_labels=labels_of(_cycle_fields(project, None)),
        metrics=workspace.catalogue.metrics,
        verdicts=verdicts,
        scale=SCALE,
        describe=describe,
        kinds=actions.MEASURE_KINDS,
        acts=actions.PDSA_ACTS,
        **context,
    )


@router.get("/{project_id}")
def project_page(
    request: Request, project_id: int, user: User = Depends(viewer), db: Session = Depends(database)
):
    return _project_page(request, user, db, project_id)


def _change(request, user, db, project_id: int, change):
    """Run one action on the project; back to its page, with the error if it was refused."""
    page = partial(_project_page, request, user, db, project_id)
    return change_then_redirect(change, to=f"/projects/{project_id}", page=page)


@router.post("/{project_id}/measures")
def add_measure(
    request: Request,
    project_id: int,
    metric_id: str = Form(""),
    kind: str = Form("outcome"),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    catalogue = request.app.state.workspace.catalogue

    def change():
        a_metric("measure", metric_id, catalogue)
        actions.add_measure(db, by=user, project_id=project_id, metric_id=metric_id, kind=kind)

    return _change(request, user, db, project_id, change)


@router.post("/{project_id}/change-ideas")
def add_change_idea(
    request: Request,
    project_id: int,
    description: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _change(
        request,
        user,
        db,
        project_id,
        lambda: actions.add_change_idea(db, by=user, project_id=project_id, description=description),
    )


@router.post("/{project_id}/cycles")
def add_cycle(
    request: Request,
    project_id: int,
    title: str = Form(""),
    started_on: str = Form(""),
    ended_on: str = Form(""),
    change_idea_id: str = Form(""),
    plan: str = Form(""),
    prediction: str = Form(""),
    study: str = Form(""),
    act: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    def change():
        actions.add_pdsa_cycle(
            db,
            by=user,
            project_id=project_id,
            title=title,
            started_on=a_date("Started on", started_on),
            ended_on=a_date("Ended on", ended_on, optional=True),
            change_idea_id=a_number("Change idea", change_idea_id, int) if change_idea_id else None,
            plan=plan,
            prediction=prediction,
            study=study,
            act=act,
        )

    return _change(request, user, db, project_id, change)


@router.post("/{project_id}/progress")
def set_progress(
    request: Request,
    project_id: int,
    score: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _change(
        request,
        user,
        db,
        project_id,
        lambda: actions.set_progress(
            db, by=user, project_id=project_id, score=a_number("Progress score", score)
        ),
    )


# Corrections: an edit form prefilled, a withdrawal with its reason, the history kept


def _project_fields(project: Project) -> list[Field]:
    return [
        Field("title", "Title", project.title),
        Field("aim", "Aim", project.aim, "textarea"),
        Field("lead", "Lead", project.lead),
    ]


def _cycle_fields(project: Project, cycle: PdsaCycle | None) -> list[Field]:
    value = (lambda name: shown(getattr(cycle, name))) if cycle else (lambda name: "")
    ideas = tuple((str(c.id), c.description) for c in project.change_ideas)
    return [
        Field("title", "Cycle", value("title")),
        Field("started_on", "Started on", value("started_on"), "date", hint="Its mark on the charts"),
        Field("ended_on", "Ended on (optional)", value("ended_on"), "date"),
        Field(
            "change_idea_id", "Change idea tested", value("change_idea_id"), "select", (("", "None"), *ideas)
        ),
        Field("plan", "Plan", value("plan"), "textarea"),
        Field("prediction", "Prediction", value("prediction"), "textarea"),
        Field("study", "Study: what happened", value("study"), "textarea"),
        Field(
            "act",
            "Act",
            value("act"),
            "select",
            tuple((a, a.capitalize() if a else "Not decided yet") for a in actions.PDSA_ACTS),
        ),
    ]


def _edit_project_page(request, user, db, project_id: int, sent: dict | None = None, **context):
    project = db.get(Project, project_id)
    if project is None:
        raise HTTPException(404, f"no project {project_id}")
    return edit_page(
        request,
        user,
        noun="project",
        name=project.title,
        back=f"/projects/{project_id}",
        action=f"/projects/{project_id}/edit",
        fields=with_values(_project_fields(project), sent),
        changes=actions.history(db, "project", [project_id])[project_id],
        **context,
    )


@router.get("/{project_id}/edit")
def edit_project_page(
    request: Request, project_id: int, user: User = Depends(editor), db: Session = Depends(database)
):
    return _edit_project_page(request, user, db, project_id)


@router.post("/{project_id}/edit")
def edit_project(
    request: Request,
    project_id: int,
    title: str = Form(""),
    aim: str = Form(""),
    lead: str = Form(""),
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    sent = {"title": title, "aim": aim, "lead": lead}
    return change_then_redirect(
        lambda: actions.edit_project(
            db, by=user, project_id=project_id, title=title, aim=aim, lead=lead, reason=reason
        ),
        to=f"/projects/{project_id}",
        page=partial(_edit_project_page, request, user, db, project_id, sent),
    )


@router.post("/{project_id}/withdraw")
def withdraw_project(
    request: Request,
    project_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.withdraw(db, by=user, kind="project", record_id=project_id, reason=reason),
        to=f"/projects/{project_id}",
        page=partial(_edit_project_page, request, user, db, project_id),
    )


def _cycle(db: Session, project_id: int, cycle_id: int) -> PdsaCycle:
    cycle = db.get(PdsaCycle, cycle_id)
    if cycle is None or cycle.project_id != project_id:
        raise HTTPException(404, f"no PDSA cycle {cycle_id} in project {project_id}")
    return cycle


def _edit_cycle_page(request, user, db, project_id: int, cycle_id: int, sent: dict | None = None, **context):
    cycle = _cycle(db, project_id, cycle_id)
    project = db.get(Project, project_id)
    return edit_page(
        request,
        user,
        noun="PDSA cycle",
        name=cycle.title,
        back=f"/projects/{project_id}",
        action=f"/projects/{project_id}/cycles/{cycle_id}/edit",
        fields=with_values(_cycle_fields(project, cycle), sent),
        changes=actions.history(db, "pdsa_cycle", [cycle_id])[cycle_id],
        **context,
    )


@router.get("/{project_id}/cycles/{cycle_id}/edit")
def edit_cycle_page(
    request: Request,
    project_id: int,
    cycle_id: int,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return _edit_cycle_page(request, user, db, project_id, cycle_id)


@router.post("/{project_id}/cycles/{cycle_id}/edit")
def edit_cycle(
    request: Request,
    project_id: int,
    cycle_id: int,
    title: str = Form(""),
    started_on: str = Form(""),
    ended_on: str = Form(""),
    change_idea_id: str = Form(""),
    plan: str = Form(""),
    prediction: str = Form(""),
    study: str = Form(""),
    act: str = Form(""),
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cycle(db, project_id, cycle_id)
    sent = {
        "title": title,
        "started_on": started_on,
        "ended_on": ended_on,
        "change_idea_id": change_idea_id,
        "plan": plan,
        "prediction": prediction,
        "study": study,
        "act": act,
    }

    def change():
        return actions.edit_pdsa_cycle(
            db,
            by=user,
            cycle_id=cycle_id,
            title=title,
            started_on=a_date("Started on", started_on),
            ended_on=a_date("Ended on", ended_on, optional=True),
            change_idea_id=a_number("Change idea", change_idea_id, int) if change_idea_id else None,
            plan=plan,
            prediction=prediction,
            study=study,
            act=act,
            reason=reason,
        )

    return change_then_redirect(
        change,
        to=f"/projects/{project_id}",
        page=partial(_edit_cycle_page, request, user, db, project_id, cycle_id, sent),
    )


@router.post("/{project_id}/cycles/{cycle_id}/withdraw")
def withdraw_cycle(
    request: Request,
    project_id: int,
    cycle_id: int,
    reason: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    _cycle(db, project_id, cycle_id)
    return change_then_redirect(
        lambda: actions.withdraw(db, by=user, kind="pdsa_cycle", record_id=cycle_id, reason=reason),
        to=f"/projects/{project_id}",
        page=partial(_edit_cycle_page, request, user, db, project_id, cycle_id),
    )


# Comments on the project (ADR 0028): editors write, everyone signed in reads; withdrawn, not deleted


def _comments(request, user, db, project_id: int, **context):
    project = db.get(Project, project_id)
    if project is None:
        raise HTTPException(404, f"no project {project_id}")
    return comments_page(
        request,
        user,
        db,
        kind="project",
        subject_id=str(project_id),
        name=project.title,
        path=f"/projects/{project_id}",
        **context,
    )


@router.get("/{project_id}/comments")
def project_comments(
    request: Request, project_id: int, user: User = Depends(viewer), db: Session = Depends(database)
):
    return _comments(request, user, db, project_id)


@router.post("/{project_id}/comments")
def add_project_comment(
    request: Request,
    project_id: int,
    body: str = Form(""),
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.add_comment(
            db, by=user, subject_kind="project", subject_id=str(project_id), body=body
        ),
        to=f"/projects/{project_id}#comments-heading",
        page=partial(_comments, request, user, db, project_id, typed=body),
    )


@router.post("/{project_id}/comments/{comment_id}/withdraw")
def withdraw_project_comment(
    request: Request,
    project_id: int,
    comment_id: int,
    user: User = Depends(editor),
    db: Session = Depends(database),
):
    their_comment(db, comment_id, "project", str(project_id))
    return change_then_redirect(
        lambda: actions.withdraw_comment(db, by=user, comment_id=comment_id),
        to=f"/projects/{project_id}#comments-heading",
        page=partial(_comments, request, user, db, project_id),
    )
