"""Signing in and out, and the admin pages: users and their roles, the audit log."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import ROLES, AuditEvent, User
from stocktake.web.clock import local_time
from stocktake.web.pages import change_then, change_then_redirect, render
from stocktake.web.security import admin, current_user, database, sign_in, sign_out, viewer

router = APIRouter()


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/", user: User | None = Depends(current_user)):
    return render(request, "sign_in.html", user, next=_local(next), username="")


@router.post("/sign-in")
def sign_in_submit(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    db: Session = Depends(database),
):
    user, recorded = actions.attempt_sign_in(db, username=username, password=password)
    if user is None:
        client = request.client.host if request.client else ""
        # said only of a refusal for the address (after an admin's unlock, a typo is a typo)
        until = dict(actions.throttled_addresses(db)).get(client) if recorded == "sign_in_throttled" else None
        # an outside check: locked out, a clinician was told their right password was wrong. Said so
        # for every name alike, a lock tells no one whether an account exists
        errors = [
            f"Too many failed sign-ins from this computer's address: signing in from it waits until "
            f"{local_time(until)}, or until an admin unlocks your account."
            if until is not None
            else "The username or password is not right, or the account is not active, or locked after five "
            "wrong tries from this computer (for up to 15 minutes, or until an admin unlocks it)."
        ]
        return render(
            request,
            "sign_in.html",
            None,
            status_code=401,
            errors=errors,
            next=_local(next),
            username=username,
        )
    sign_in(request, user, db)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/sign-out")
def sign_out_submit(request: Request, db: Session = Depends(database)):
    """Always signs out, even from a page whose form token is stale (no CSRF check here)."""
    sign_out(request, db)
    return render(request, "sign_in.html", None, next="/", username="", message="You are signed out.")


@router.get("/account")
def account_page(request: Request, user: User = Depends(viewer)):
    return render(request, "account.html", user)


@router.post("/account/password")
def change_password(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    again: str = Form(""),
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    def signed_in_again(_):
        """The change ended every session, this one too: start a new one here."""
        sign_in(request, user, db)
        message = "Your password is changed. Anywhere else you were signed in, you are now signed out."
        return render(request, "account.html", user, message=message)

    return change_then(
        lambda: actions.change_password(db, user=user, current=current, new=new, again=again),
        then=signed_in_again,
        page=partial(render, request, "account.html", user),
    )


def _local(path: str) -> str:
    """Only ever redirect within this site after sign-in."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


@router.get("/admin/users")
def users_page(request: Request, user: User = Depends(admin), db: Session = Depends(database)):
    return _users(request, user, db)


def _users(request, user, db, **context):
    people = db.scalars(select(User).order_by(User.username)).all()
    locks = {person.id: actions.locked_out(db, person) for person in people}
    throttled = [(client, local_time(until)) for client, until in actions.throttled_addresses(db)]
    return render(
        request,
        "users.html",
        user,
        title="Users",
        people=people,
        roles=ROLES,
        locks=locks,
        throttled=throttled,
        address_attempts=actions.ADDRESS_ATTEMPTS,
        **context,
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    username: str = Form(""),
    full_name: str = Form(""),
    password: str = Form(""),
    role: str = Form("viewer"),
    user: User = Depends(admin),
    db: Session = Depends(database),
):
    return change_then(
        lambda: actions.create_user(
            db, by=user, username=username, full_name=full_name, password=password, role=role
        ),
        then=lambda _: _users(request, user, db, message=f"Added {username.strip().lower()} as {role}."),
        page=partial(_users, request, user, db),
    )


@router.post("/admin/users/{user_id}")
def change_user(
    request: Request,
    user_id: int,
    role: str = Form(...),
    active: bool = Form(False),
    user: User = Depends(admin),
    db: Session = Depends(database),
):
    return change_then_redirect(
        lambda: actions.set_role(db, by=user, user_id=user_id, role=role, active=active),
        to="/admin/users",
        page=partial(_users, request, user, db),
    )


@router.post("/admin/users/{user_id}/unlock")
def unlock_user(request: Request, user_id: int, user: User = Depends(admin), db: Session = Depends(database)):
    return change_then_redirect(
        lambda: actions.unlock_user(db, by=user, user_id=user_id),
        to="/admin/users",
        page=partial(_users, request, user, db),
    )


@router.get("/admin/audit-log")
def audit_log(request: Request, page: int = 1, user: User = Depends(admin), db: Session = Depends(database)):
    size = 100
    events = db.scalars(
        select(AuditEvent).order_by(AuditEvent.id.desc()).offset((max(page, 1) - 1) * size).limit(size + 1)
    ).all()
    return render(
        request,
        "audit_log.html",
        user,
        title="Audit log",
        events=events[:size],
        page=max(page, 1),
        more=len(events) > size,
    )
