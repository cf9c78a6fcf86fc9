"""QI projects: aim, measures linked to metrics, change ideas, PDSA cycles and the progress score."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import Project, User
from stocktake.qi.progress import SCALE, describe
from stocktake.web.pages import change_then_redirect, render
from stocktake.web.routes.forms import a_date, a_number
from stocktake.web.security import database, editor, viewer

router = APIRouter(prefix="/projects")


@router.get("")
def projects_page(request: Request, user: User = Depends(viewer), db: Session = Depends(database)):
    return _list(request, user, db)


def _list(request, user, db, **context):
    projects = db.scalars(select(Project).order_by(Project.created_at.desc())).all()
    return render(
        request, "projects.html", user, title="QI projects", projects=projects, describe=describe, **context
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
    return render(
        request,
        "project.html",
        user,
        title=project.title,
        project=project,
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
        if not catalogue.has(metric_id):
            raise actions.ActionError(f"measure: {metric_id!r} is not a metric of this department")
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
