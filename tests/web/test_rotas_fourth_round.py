"""An outside review's fourth round: a rota whose last day is past is not published; a build with no
compliant rota says "No rota meets every ..." once; a specification's places are counted from 1."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

import pytest

from stocktake.rota.model import spec_place
from stocktake.rota.solver import NoCompliantRota
from stocktake.rota.store import RotaStore
from stocktake.web.routes.rotas import _none_meets

LEGEND = b"code,start,end,kind\nD,08:00,17:00,shift\n"


def _grid(first: date) -> bytes:
    days = [first + timedelta(days=k) for k in range(3)]
    return ("doctor," + ",".join(d.isoformat() for d in days) + "\ndr_a,D,D,D\n").encode()


def _upload(editor, first: date) -> str:
    files = {"grid": ("ward.csv", _grid(first), "text/csv"), "legend": ("codes.csv", LEGEND, "text/csv")}
    answer = editor.post(
        "/rotas/upload", data={"csrf_token": editor.csrf}, files=files, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["location"].removeprefix("/rotas/")


def test_a_rota_whose_last_day_is_past_is_not_published(app, clients):
    editor = clients["editor"]
    store = RotaStore(app.state.settings.home / "rotas")
    past = _upload(editor, date.today() - timedelta(days=5))  # its last day: three days ago
    answer = editor.post(f"/rotas/{past}/publish", data={"csrf_token": editor.csrf})
    last = date.today() - timedelta(days=3)
    assert answer.status_code == 422
    assert f"ended on {last:%d %B %Y}: a rota whose last day is past is not published" in unescape(
        answer.text
    )
    assert not store.get(past).published
    today = _upload(editor, date.today() - timedelta(days=2))  # its last day is today: still to be worked
    answer = editor.post(f"/rotas/{today}/publish", data={"csrf_token": editor.csrf}, follow_redirects=False)
    assert answer.status_code == 303 and store.get(today).published


@pytest.mark.parametrize(
    ("reasons", "said"),
    [
        (
            ["No rota meets every requirement. These cannot all hold together:", "- S1 on leave"],
            "No rota meets every requirement. These cannot all hold together: - S1 on leave",
        ),
        (["No compliant rota was found; try longer."], "No compliant rota was found; try longer."),
        (["S9 is on no shift's site."], "No rota meets every rule: S9 is on no shift's site."),
    ],
)
def test_why_no_rota_was_built_is_said_once(reasons, said):
    assert str(_none_meets(NoCompliantRota(reasons))) == said


@pytest.mark.parametrize(
    ("loc", "said"),
    [
        (("doctors", 0, "name"), "doctors, row 1, name"),
        (("doctors", 2, "leave", 1), "doctors, row 3, leave, item 2"),
        (("weeks",), "weeks"),
        ((), "top level"),
    ],
)
def test_a_specifications_place_is_counted_from_one_as_the_form_does(loc, said):
    assert spec_place(loc) == said
