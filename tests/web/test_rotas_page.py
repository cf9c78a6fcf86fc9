"""The Rotas area: an uploaded grid's breaches listed with their rules and sources; the worked example
built in the background, with no breach and its fairness table; published; re-planned after sickness
changing only the absent doctor's duties and a few others, each change under eight weeks flagged
(R19b); the grid and calendars downloaded; viewers read, editors change; each step in the audit log."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html import unescape

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from stocktake.appdb.models import AuditEvent
from stocktake.rota.store import RotaStore, RotaStoreError
from stocktake.web.rota_jobs import DONE

LEGEND = b"code,start,end,kind\nD,08:00,17:00,shift\nLL,07:00,21:00,shift\n"
SECONDS = "5"


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(
            db.scalars(
                select(AuditEvent)
                .options(joinedload(AuditEvent.user))
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


def _grid() -> bytes:
    """Two doctors for a week; dr_a's Monday is a 14-hour shift (R3: at most 13)."""
    days = [date(2026, 2, 2) + timedelta(days=k) for k in range(7)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["doctor", *(f"{d:%a} {d.isoformat()}" for d in days)])
    writer.writerow(["dr_a", "LL", "D", "D", "", "", "", ""])
    writer.writerow(["dr_b", "D", "", "D", "D", "D", "", ""])
    return out.getvalue().encode()


def _slug(answer) -> str:
    assert answer.status_code == 303, answer.text[:2000]
    return answer.headers["location"].removeprefix("/rotas/")


def test_an_uploaded_grid_lists_its_breach_with_the_rule_and_its_source(app, clients):
    editor, viewer = clients["editor"], clients["viewer"]
    files = {"grid": ("ward.csv", _grid(), "text/csv"), "legend": ("codes.csv", LEGEND, "text/csv")}
    refused = viewer.post(
        "/rotas/upload", data={"csrf_token": viewer.csrf}, files=files, follow_redirects=False
    )
    assert refused.status_code == 403
    no_csrf = editor.post("/rotas/upload", files=files, follow_redirects=False)
    assert no_csrf.status_code == 403
    slug = _slug(
        editor.post(
            "/rotas/upload",
            data={"csrf_token": editor.csrf, "one_in_three": "yes"},
            files=files,
            follow_redirects=False,
        )
    )
    page = viewer.get(f"/rotas/{slug}").text
    table = re.search(r'<table class="nhsuk-table" id="breach-table">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", table, re.S)
    assert len(rows) == 1
    assert "dr_a" in rows[0] and "2026-02-02" in rows[0] and "R3 shift length" in rows[0]
    assert "a 14 h shift" in rows[0] and "TCS 2016 Sch. 3 (confidence A)" in rows[0]
    assert 'id="hours-table"' in page and "Draft" in page
    assert "Publish this rota" not in page  # a viewer's page offers no change
    [logged] = [e for e in _events(app, "rota_uploaded") if e.subject == f"rota:{slug}"]
    assert logged.user.username == "editor" and "1 breach" in logged.detail
    # The grid back as a workbook rota check reads (Grid and Shifts), each doctor's calendar.
    book = load_workbook(io.BytesIO(viewer.get(f"/rotas/{slug}/rota.xlsx").content))
    assert book.sheetnames == ["Grid", "Shifts"]
    calendar = viewer.get(f"/rotas/{slug}/calendars/dr_a.ics")
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert (
        calendar.text.count("BEGIN:VEVENT") == 3
        and "DTSTART;TZID=Europe/London:20260202T070000" in calendar.text
    )
    assert viewer.get(f"/rotas/{slug}/calendars/nobody.ics").status_code == 404


def test_a_file_that_is_not_a_rota_is_refused_in_the_readers_words(clients):
    editor = clients["editor"]
    answer = editor.post(
        "/rotas/upload",
        data={"csrf_token": editor.csrf},
        files={"grid": ("ward.csv", _grid(), "text/csv")},  # no legend
    )
    assert answer.status_code == 422 and "legend" in answer.text and "ward.csv" in answer.text
    answer = editor.post(
        "/rotas/build",
        data={"csrf_token": editor.csrf},
        files={"spec": ("rota.yaml", b"name: x\nstart: 2026-02-03\nweeks: 4\n", "application/yaml")},
    )
    assert answer.status_code == 422 and "a rota period starts on a Monday" in answer.text
    answer = editor.post("/rotas/build", data={"csrf_token": editor.csrf, "example": "yes", "wte": "Z9 0.5"})
    assert answer.status_code == 422
    assert "Whole-time equivalents, line 1: no doctor 'Z9'" in unescape(answer.text)


@pytest.fixture(scope="module")
def built(app, clients):
    """The worked example, four weeks from the Monday after next, built by an editor in 5 s."""
    editor = clients["editor"]
    start = date.today() + timedelta(days=7 - date.today().weekday() + 7)
    form = {
        "csrf_token": editor.csrf,
        "example": "yes",
        "name": "T&O registrars",
        "start": start.isoformat(),
        "weeks": "4",
        "leave": f"S2 {start + timedelta(days=21)}..{start + timedelta(days=22)}",
        "wte": "S1 80%",
        "seconds": SECONDS,
    }
    answer = editor.post("/rotas/build", data=form, headers={"HX-Request": "1"})
    assert (
        answer.status_code == 200
        and "every 1s" in answer.text
        and "Building T&amp;O registrars" in answer.text
    )
    busy = editor.post("/rotas/build", data=form, headers={"HX-Request": "1"})
    assert "The rota was not started" in busy.text and "being worked on" in busy.text  # one at a time
    job = app.state.rota_jobs.wait(timeout=60)
    assert job.state == DONE, job.error
    assert job.seconds < 20
    return job.slug, start


def test_the_example_is_built_in_the_background_with_no_breach_and_its_fairness(app, clients, built):
    slug, start = built
    viewer = clients["viewer"]
    progress = viewer.get("/rotas/job")
    assert (
        "Done" in progress.text
        and f'href="/rotas/{slug}"' in progress.text
        and "every 1s" not in progress.text
    )
    page = viewer.get(f"/rotas/{slug}").text
    assert "No breach of any rule checked." in page
    assert 'id="fairness-table"' in page and "1:8 on-call, both sites" in page
    assert 'id="grid-table"' in page and f"{start:%a %Y-%m-%d}" in page
    assert "Re-plan after sickness" not in page  # viewers read
    [logged] = _events(app, "rota_built")
    assert logged.user.username == "editor" and "0 breach(es)" in logged.detail
    assert [e.user.username for e in _events(app, "rota_build_started")] == ["editor"]
    spec = viewer.get(f"/rotas/{slug}/spec.yaml")
    assert "T&O registrars" in spec.text and start.isoformat() in spec.text
    problem = RotaStore(app.state.settings.home / "rotas").get(slug).problem()
    assert problem.doctor("S1").wte == 0.8 and start + timedelta(days=22) in problem.doctor("S2").leave
    assert not any(
        a.doctor == "S2" and a.date == start + timedelta(days=21)
        for a in RotaStore(app.state.settings.home / "rotas").get(slug).solution().assignments
    )
    book = load_workbook(io.BytesIO(viewer.get(f"/rotas/{slug}/rota.xlsx").content))
    assert {"Grid", "Shifts", "Fairness", "Breaches"} <= set(book.sheetnames)
    downloads = [e.subject for e in _events(app, "rota_downloaded") if e.subject.startswith(f"rota:{slug}")]
    assert downloads == [f"rota:{slug}:yaml", f"rota:{slug}:xlsx"]


def test_publish_then_replan_changes_few_duties_and_flags_short_notice(app, clients, built):
    slug, start = built
    editor, viewer = clients["editor"], clients["viewer"]
    assert viewer.post(f"/rotas/{slug}/publish", data={"csrf_token": viewer.csrf}).status_code == 403
    answer = editor.post(f"/rotas/{slug}/publish", data={"csrf_token": editor.csrf}, follow_redirects=False)
    assert answer.status_code == 303
    again = editor.post(f"/rotas/{slug}/publish", data={"csrf_token": editor.csrf})
    assert again.status_code == 422 and "was published on" in again.text
    [published] = _events(app, "rota_published")
    assert published.user.username == "editor" and "8 weeks' notice" in published.detail
    assert "Published" in viewer.get(f"/rotas/{slug}").text
    assert ">Dr Erin Walsh (S3)</option>" in editor.get(f"/rotas/{slug}").text  # named once, then the id

    rotas = RotaStore(app.state.settings.home / "rotas")
    before = set(rotas.get(slug).solution().assignments)
    # The absence starts on S3's first duty from the third week, so it always takes duties away (which
    # days S3 works depends on the rota the solver found in its time).
    first = min(a.date for a in before if a.doctor == "S3" and a.date >= start + timedelta(days=14))
    last = first + timedelta(days=2)
    form = {"doctor": "S3", "first": first.isoformat(), "last": last.isoformat(), "seconds": SECONDS}
    refused = viewer.post(f"/rotas/{slug}/replan", data=form | {"csrf_token": viewer.csrf})
    assert refused.status_code == 403
    wrong = editor.post(f"/rotas/{slug}/replan", data=form | {"last": "soon", "csrf_token": editor.csrf})
    assert wrong.status_code == 422 and "Last day absent" in wrong.text
    # An absence wholly past changes nothing still to come: refused before any solve, here and in the store.
    gone = {
        "first": (date.today() - timedelta(days=3)).isoformat(),
        "last": str(date.today() - timedelta(days=1)),
    }
    over = editor.post(f"/rotas/{slug}/replan", data=form | gone | {"csrf_token": editor.csrf})
    assert (
        over.status_code == 422 and "the absence is over" in over.text and "nothing to re-plan" in over.text
    )
    with pytest.raises(RotaStoreError, match="the absence is over"):
        rotas.replan(slug, "S3", date.today() - timedelta(days=3), date.today() - timedelta(days=1), by="x")
    answer = editor.post(
        f"/rotas/{slug}/replan", data=form | {"csrf_token": editor.csrf}, follow_redirects=False
    )
    assert answer.status_code == 303
    job = app.state.rota_jobs.wait(timeout=60)
    assert job.state == DONE, job.error

    rota = rotas.get(slug)
    after = set(rota.solution().assignments)
    removed, added = before - after, after - before
    lost = {a for a in before if a.doctor == "S3" and first <= a.date <= last}
    assert lost and lost <= removed
    assert not any(a.doctor == "S3" and first <= a.date <= last for a in after)
    assert all(a.date >= first for a in removed | added)  # the past is kept
    assert len(removed) <= len(lost) + 4 and len(added) <= len(lost) + 4  # a few knock-on moves at most
    assert not rota.check().breaches or {b.rule for b in rota.check().breaches} <= {"R19"}
    [record] = rota.replans
    assert len(record["changes"]) == len(removed) + len(added)
    assert all(c["late"] for c in record["changes"])  # all within eight weeks of today: R19b
    page = viewer.get(f"/rotas/{slug}").text
    assert "S3 absent" in page and page.count("Under 8 weeks (R19b, unverified)") == len(record["changes"])
    [logged] = _events(app, "rota_replanned")
    assert logged.user.username == "editor" and "R19b" in logged.detail
    assert [e.user.username for e in _events(app, "rota_replan_started")] == ["editor"]
    assert (rota.folder / "versions" / "1" / "assignments.csv").exists()  # the old version kept


def test_the_rotas_area_is_in_the_navigation_and_reads_for_viewers(clients):
    page = clients["viewer"].get("/rotas")
    assert page.status_code == 200 and 'href="/rotas"' in page.text
    assert "Check the rota" not in page.text  # no upload form for a viewer
    assert "Check the rota" in clients["editor"].get("/rotas").text
    assert clients["viewer"].get("/rotas/no-such-rota").status_code == 404
    assert clients[None].get("/rotas", follow_redirects=False).status_code == 303


def test_an_uploaded_grid_comes_back_as_text_and_an_nhs_number_in_its_name_is_masked(app, clients):
    """A formula planted in a cell is text in the workbook a viewer downloads (never live), and an
    NHS number in the file's name reaches neither the rota's address nor the audit log."""
    editor, viewer = clients["editor"], clients["viewer"]
    planted = _grid().replace(b"dr_b", b'"=HYPERLINK(""http://evil.example/"",""click"")"')
    files = {
        "grid": ("ward 943 476 5919.csv", planted, "text/csv"),
        "legend": ("codes.csv", LEGEND, "text/csv"),
    }
    slug = _slug(
        editor.post("/rotas/upload", data={"csrf_token": editor.csrf}, files=files, follow_redirects=False)
    )
    assert "5919" not in slug
    book = load_workbook(io.BytesIO(viewer.get(f"/rotas/{slug}/rota.xlsx").content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(str(c.value).startswith("=HYPERLINK") for c in cells)
    assert all(c.data_type != "f" for c in cells)
    logged = " ".join(f"{e.subject} {e.detail}" for e in _events(app, "rota_uploaded"))
    assert "4765919" not in logged and "943" in logged
