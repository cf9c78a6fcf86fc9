"""`stocktake serve`, `stocktake users …` and `stocktake db`: the web workspace and its app database."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _settings, _step, console


def serve(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Start the department's web workspace (the demo's until a department's data are loaded)."""
    import threading

    import uvicorn

    from stocktake.settings import DEMO_HOME
    from stocktake.web.app import FrontendMissing, create_app, server_config

    settings = _settings(home)
    if not settings.warehouse.exists() and settings.home == DEMO_HOME.resolve():
        from stocktake.demo.run import run_demo

        run_demo(settings.home, step=_step)
    try:
        web = create_app(settings)
    except FrontendMissing as error:
        _fail(str(error))
    console.print(f"Stocktake on http://{host}:{port}  (workspace {settings.home})")
    if not _has_accounts(web.state.sessions):
        console.print(
            "No account yet? [bold]stocktake users add NAME --role admin[/bold] makes the first admin."
        )
    threading.Thread(target=web.state.warm).start()  # not a daemon: see web.routes.uploads._rewarm
    uvicorn.Server(server_config(web, host, port)).run()


def _has_accounts(sessions) -> bool:
    """Whether the app database holds any account (else serve says how to make the first admin)."""
    from sqlalchemy import select

    from stocktake.appdb.models import User

    with sessions() as session:
        return session.scalar(select(User.id).limit(1)) is not None


users_app = typer.Typer(help="Accounts of the web workspace.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Their sign-in name.")],
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer",
    full_name: Annotated[str, typer.Option(help="Their name as pages show it.")] = "",
    home: HomeOption = None,
) -> None:
    """Add an account (the first admin is made this way). The password is asked for, or read from
    $STOCKTAKE_PASSWORD for scripts."""
    from stocktake.appdb.actions import create_user
    from stocktake.web.form_text import unfit_fields

    # the workspace's own check of a full name (shown on every page and in the audit log): a right-to-
    # left override or an NHS number had been taken from here, refused from the users page
    if problems := unfit_fields([("--full-name", full_name)]):
        _fail(problems[0])
    with _app_database(home) as session:
        create_user(
            session, by=None, username=username, full_name=full_name, password=_new_password(), role=role
        )
    console.print(f"Added {username} ({role})")


def _new_password() -> str:
    """The password from $STOCKTAKE_PASSWORD, else asked for; an empty variable is a mistake said, not
    a prompt a script waits at (an outside check saw a bare "Aborted.")."""
    given = os.environ.get("STOCKTAKE_PASSWORD")
    if given == "":
        _fail("$STOCKTAKE_PASSWORD is set but empty: set it to the password, or unset it to be asked")
    return given or typer.prompt(
        "Password (12 characters or more, not your name, hard to guess: four or more unrelated words do it)",
        hide_input=True,
        confirmation_prompt=True,
    )


@contextmanager
def _app_database(home: Path | None):
    """The workspace's app database, brought up to date; a refused change exits with its reason. Its
    events say they came from the command line and whose (the log's "From"), as a read's do."""
    from stocktake.appdb.actions import ActionError
    from stocktake.appdb.actions.audit_log import acting_from
    from stocktake.appdb.database import make_engine, session_factory, upgrade
    from stocktake.cli.recorded import COMMAND_LINE, user_name

    url = _settings(home).database_url
    upgrade(url)
    with session_factory(make_engine(url))() as session, acting_from(COMMAND_LINE, user_name()):
        try:
            yield session
        except ActionError as error:
            _fail(str(error))


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Argument(help="Whose password to replace.")],
    home: HomeOption = None,
) -> None:
    """Replace a forgotten password (asked for, or read from $STOCKTAKE_PASSWORD); logged."""
    from stocktake.appdb.actions import reset_password

    with _app_database(home) as session:
        reset_password(session, by=None, username=username, password=_new_password())
    console.print(f"Replaced the password of {username}")


def db_migrate(
    revision: Annotated[
        str, typer.Argument(help="'head' (the latest), 'base' (empty) or a revision id.")
    ] = "head",
    home: HomeOption = None,
    down: Annotated[bool, typer.Option(help="Go down to REVISION instead of up.")] = False,
) -> None:
    """Bring the app database's schema to a revision (serve does 'head' itself)."""
    from stocktake.appdb.database import downgrade, upgrade

    url = _settings(home).database_url
    (downgrade if down else upgrade)(url, revision)
    console.print(f"App database at {'down to' if down else 'up to'} {revision}")
