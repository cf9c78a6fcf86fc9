"""The programme pages: roles (a participant sees only their own record), imports refused in one
line with nothing loaded, attendance rates worked by hand, the evaluation by level, level 4 showing
the linked project's verdict, and the report in HTML, Excel and PDF."""

from __future__ import annotations

import io
import re
import warnings

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from stocktake.appdb import actions
from stocktake.appdb.models import AuditEvent, Participant, User
from stocktake.verdicts.narrative import CATEGORIES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note that its test client moves to httpx2
    from fastapi.testclient import TestClient

SCALE = "scales:\n  agreement: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]\n"
DOMAINS = (
    "domains:\n  - name: Leading change\n    scale: agreement\n    items: [I lead change, I involve staff]\n"
)
LEVELS = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
METRIC = "hipfx_surgery_36h"
PASSWORD = "a long enough password, kettle"  # as tests/web/conftest.py gives every account


def csrf_of(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)


def _survey(levels: dict[str, int]) -> bytes:
    lines = ["Respondent,I lead change,I involve staff"]
    lines += [f"{pid},{LEVELS[v - 1]},{LEVELS[v - 1]}" for pid, v in levels.items()]
    return ("\n".join(lines) + "\n").encode()


def load(client, cohort_path: str, kind: str, filename: str, content: bytes, **form):
    """Upload a participants or attendance file, check its preview page, and confirm it: the
    preview page (200) and the confirmation's answer."""
    preview = client.post(
        f"{cohort_path}/{kind}/import",
        data={"csrf_token": client.csrf},
        files={"upload": (filename, content)},
        follow_redirects=False,
    )
    assert preview.status_code == 200, preview.text
    assert "Nothing is loaded until you confirm" in preview.text
    confirm = re.search(r'action="([^"]+/imports/[^"]+/confirm)"', preview.text).group(1)
    done = client.post(confirm, data={"csrf_token": client.csrf, **form}, follow_redirects=False)
    return preview, done


def _sign_in(app, username: str) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client)
    answer = client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    client.csrf = csrf_of(client)
    return client


def _new_programme(editor, name: str, modules: str) -> str:
    """A programme made through its form (80% completion): its page's address."""
    made = editor.post(
        "/programmes",
        data={"csrf_token": editor.csrf, "name": name, "modules": modules, "completion_percent": "80"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    return made.headers["location"]


@pytest.fixture(scope="module")
def programme(app, clients):
    """A programme with one cohort of six (P1 linked to the account "ann"), five sessions, a project."""
    with app.state.sessions() as db:
        actions.create_user(db, by=None, username="ann", full_name="Ann", password=PASSWORD, role="viewer")
        actions.create_user(db, by=None, username="cy", full_name="Cy", password=PASSWORD, role="viewer")
    editor = clients["editor"]
    programme_path = _new_programme(editor, "Clinical leaders", "Leading change\nQI")
    cohort = editor.post(
        f"{programme_path}/cohorts",
        data={"csrf_token": editor.csrf, "name": "Cohort 1"},
        follow_redirects=False,
    )
    cohort_path = cohort.headers["location"]
    people = "id,name,role,service,username\n" + "\n".join(
        f"P{i},Person {i},Matron,Service {i},{'ann' if i == 1 else ''}" for i in range(1, 7)
    )
    _preview, answer = load(editor, cohort_path, "participants", "people.csv", people.encode())
    assert answer.status_code == 303, answer.text
    # P1-P2 attend all five; P3 misses one QI session; P4-P6 attend the two Leading change sessions only.
    rows = ["id,module,date,attended"]
    days = [("Leading change", "2025-01-06"), ("Leading change", "2025-02-03"), ("QI", "2025-03-03")]
    days += [("QI", "2025-04-07"), ("QI", "2025-05-05")]
    for i in range(1, 7):
        for n, (module, day) in enumerate(days):
            here = i <= 2 or (i == 3 and n != 4) or (i > 3 and module == "Leading change")
            rows.append(f"P{i},{module},{day},{'yes' if here else 'no'}")
    _preview, answer = load(
        editor, cohort_path, "attendance", "attendance.csv", ("\n".join(rows) + "\n").encode()
    )
    assert answer.status_code == 303, answer.text
    with app.state.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        project = actions.create_project(
            db, by=admin, title="Hip fractures to theatre", aim="Faster", lead="Person 1"
        )
        actions.add_measure(db, by=admin, project_id=project.id, metric_id=METRIC, kind="outcome")
        p1 = db.scalar(select(Participant).where(Participant.code == "P1"))
    answer = editor.post(
        f"{cohort_path}/participants/{p1.id}/projects",
        data={"csrf_token": editor.csrf, "project_id": str(project.id)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return {"programme": programme_path, "cohort": cohort_path}


def test_attendance_rates_and_completion_as_worked_by_hand(clients, programme):
    """Five sessions, 80%: 4 needed. P1, P2: 5 of 5; P3: 4 of 5 (completed); P4-P6: 2 of 5 (not).
    Leading change: 6 people x 2 sessions, all there: 12 of 12; QI: 3 + 3 + 2 = 8 of 18 (44%).
    Overall: 5 + 5 + 4 + 2 + 2 + 2 = 20 of 30 (67%)."""
    page = clients["viewer"].get(programme["cohort"]).text
    assert "Completing needs 4 sessions attended" in page
    people = re.findall(
        r"Person (\d) .*?</td>.*?<td[^>]*>(\d) of (\d)</td>.*?<td[^>]*>(\d+%)</td>.*?<td[^>]*>([a-z ]+)</td>",
        page,
        re.S,
    )
    assert people == [
        ("1", "5", "5", "100%", "completed"),
        ("2", "5", "5", "100%", "completed"),
        ("3", "4", "5", "80%", "completed"),
        ("4", "2", "5", "40%", "not completed"),
        ("5", "2", "5", "40%", "not completed"),
        ("6", "2", "5", "40%", "not completed"),
    ]
    modules = page.split('id="by-module"')[1]
    assert re.search(r"Leading change</td><td[^>]*>12 of 12</td><td[^>]*>100%", modules)
    assert re.search(r"QI</td><td[^>]*>8 of 18</td><td[^>]*>44%", modules)
    overview = clients["viewer"].get(programme["programme"]).text
    assert "67%" in overview and "2 of 5" not in overview


def test_a_viewer_reads_and_cannot_change(clients, programme):
    viewer = clients["viewer"]
    assert viewer.get("/programmes").status_code == 200
    assert "Start a programme" not in viewer.get("/programmes").text
    refused = viewer.post(
        f"{programme['cohort']}/participants", data={"csrf_token": viewer.csrf, "code": "X", "name": "X"}
    )
    assert refused.status_code == 403


def test_a_participant_sees_their_own_record_only(app, programme):
    ann = _sign_in(app, "ann")
    page = ann.get(programme["cohort"])
    assert page.status_code == 200
    assert "Person 1" in page.text and "Person 2" not in page.text and "Person 6" not in page.text
    assert "you see your own record only" in page.text
    assert "Evaluation by Kirkpatrick level" not in page.text
    assert ann.get(f"{programme['programme']}/report.html").status_code == 403
    with app.state.sessions() as db:  # refused, and the refusal logged as every other one is
        refusal = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "request_refused").order_by(AuditEvent.id.desc())
        ).first()
        assert refusal.subject == f"GET {programme['programme']}/report.html"
        assert refusal.user.username == "ann"
    assert [a for a in re.findall(r'href="(/programmes/\d+)"', ann.get("/programmes").text)] == [
        programme["programme"]
    ]
    cy = _sign_in(app, "cy")  # a viewer linked to no one reads everything, as any viewer does
    assert "Person 6" in cy.get(programme["cohort"]).text


def test_a_participant_reaching_another_programme_is_answered_as_not_there_and_logged(
    app, clients, programme
):
    """A security review: a participant's account asking for a programme not theirs had a 404 and no
    audit event, where every other refusal is kept."""
    editor = clients["editor"]
    other = _new_programme(editor, "Another programme", "A")
    ann = _sign_in(app, "ann")
    report = ann.get(f"{programme['programme']}/report.html")  # refused: headed as every refusal is
    assert report.status_code == 403 and "Not allowed</h1>" in report.text
    assert ann.get(other).status_code == 404
    with app.state.sessions() as db:
        refusal = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (refusal.action, refusal.user.username) == ("request_refused", "ann")
        assert refusal.subject == f"programme:{other.rsplit('/', 1)[1]}"
    assert clients["viewer"].get(other).status_code == 200  # a viewer linked to no one reads it


def test_unlinking_an_account_takes_effect_on_the_next_request(app, clients, programme):
    ann = _sign_in(app, "ann")
    editor = clients["editor"]
    with app.state.sessions() as db:
        p1 = db.scalar(select(Participant).where(Participant.code == "P1"))
    path = f"{programme['cohort']}/participants/{p1.id}/account"
    assert (
        editor.post(
            path, data={"csrf_token": editor.csrf, "username": ""}, follow_redirects=False
        ).status_code
        == 303
    )
    try:
        assert "Person 6" in ann.get(programme["cohort"]).text
    finally:
        editor.post(path, data={"csrf_token": editor.csrf, "username": "ann"}, follow_redirects=False)
    assert "Person 6" not in ann.get(programme["cohort"]).text


def test_an_import_with_a_bad_row_is_refused_with_its_line_and_loads_nothing(app, clients, programme):
    editor = clients["editor"]
    with app.state.sessions() as db:
        before = db.scalar(select(func.count()).select_from(Participant))
    answer = editor.post(
        f"{programme['cohort']}/participants/import",
        data={"csrf_token": editor.csrf},
        files={"upload": ("more.csv", b"id,name\nP7,Person 7\nP1,Person 1 again\n")},
    )
    assert answer.status_code == 422
    assert (
        "more.csv, row 3, column id: found &#39;P1&#39;, expected an id not already in this cohort"
        in answer.text
    )
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Participant)) == before


def test_level_4_shows_the_linked_projects_verdict(app, clients, programme):
    with app.state.sessions() as db:
        entries = {e.result.metric.id: e for e in app.state.workspace.stocktake(db).entries}
    expected = CATEGORIES[entries[METRIC].category]
    page = clients["viewer"].get(programme["programme"]).text
    results = page.split('id="results-heading"')[1]
    assert "Hip fractures to theatre" in results
    assert f'<strong class="programme-verdict">{expected}</strong>' in results


def test_an_evaluation_uploaded_and_shown_by_level(app, clients, programme):
    editor = clients["editor"]
    before = {f"P{i}": 2 for i in range(1, 7)}
    after = {f"P{i}": 3 if i <= 4 else 2 for i in range(1, 7)} | {"P6": 4}
    files = {
        "before": ("pre.csv", _survey(before)),
        "after": ("post.csv", _survey(after)),
        "scale": ("SCALE.yaml", SCALE.encode()),
        "domains": ("DOMAINS.yaml", DOMAINS.encode()),
    }
    stranger = dict(files, after=("post.csv", _survey(after | {"Q9": 3})))
    refused = editor.post(
        f"{programme['cohort']}/evaluations",
        data={
            "csrf_token": editor.csrf,
            "level": "learning",
            "label": "Pre and post",
            "id_column": "Respondent",
        },
        files=stranger,
    )
    assert refused.status_code == 422
    assert "post.csv, row 8, column Respondent: found &#39;Q9&#39;" in refused.text
    answer = editor.post(
        f"{programme['cohort']}/evaluations",
        data={
            "csrf_token": editor.csrf,
            "level": "learning",
            "label": "Pre and post",
            "id_column": "Respondent",
        },
        files=files,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = clients["viewer"].get(programme["cohort"]).text
    # Differences: 1 x4, 0, 2: six pairs, mean 6/6 = 1.00.
    assert "Leading change" in page and "2.00 → 3.00" in page and "1.00 (" in page
    assert "Level 1, reaction" in page and "Level 2, learning" in page


@pytest.mark.parametrize("fmt", ["html", "xlsx", "pdf"])
def test_the_programme_report_downloads(clients, programme, fmt):
    answer = clients["viewer"].get(f"{programme['programme']}/report.{fmt}")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment")
    if fmt == "html":
        assert "Level 4, results" in answer.text and "Hip fractures to theatre" in answer.text
    elif fmt == "xlsx":
        book = load_workbook(io.BytesIO(answer.content))
        assert {"Completion", "Attendance by module", "L4 results"} <= set(book.sheetnames)
        notes = [row[0] for row in book["Notes"].iter_rows(min_row=2, values_only=True)]
        assert any(n.startswith("survey results: counts of 1-7 people") for n in notes)
        assert any(n.startswith("attendance and completion counts are of staff") for n in notes)
    else:
        assert answer.content.startswith(b"%PDF")


def test_a_programme_report_waits_its_turn_with_the_board_reports(app, clients, programme):
    """An outside check: programme reports (12 s each) were built side by side, outside the turns the
    board report's downloads take. Now one turn for both: while one is built, a second is refused with
    429 and why (a page for a browser, a line for a script), and the refusal is recorded."""
    from stocktake.web.report_jobs import DownloadTurns

    path = f"{programme['programme']}/report.html"
    kept, app.state.download_turns = app.state.download_turns, DownloadTurns(queued=0, wait_seconds=0.1)
    turns = app.state.download_turns
    try:
        assert turns.take()  # a board report being built
        page = clients["viewer"].get(path, headers={"Accept": "text/html,*/*"})
        line = clients["viewer"].get(path, headers={"Accept": "*/*"})
        turns.give_back()
        served = clients["viewer"].get(path)
    finally:
        app.state.download_turns = kept
    assert page.status_code == line.status_code == 429 and line.headers["Retry-After"] == "30"
    assert page.headers["Retry-After"] == "30" and "<html" in page.text
    assert "Other reports are being built for download just now" in page.text
    assert line.text.startswith("Other reports are being built") and "<" not in line.text
    assert served.status_code == 200 and "Level 4, results" in served.text
    with app.state.sessions() as db:
        refused = db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "request_refused", AuditEvent.subject.like("programme:%:html")
            )
        ).all()
    assert len(refused) == 2 and refused[-1].detail == "429: other reports being built"


def test_a_programme_report_waits_its_turn_holding_no_database_connection(app, clients, programme):
    """As the board report's downloads (an outside check: 80 at once held every pooled connection while
    waiting, and others' pages failed): the programme is read, then its connection given back."""
    from stocktake.web.report_jobs import DownloadTurns

    pool = app.state.sessions.kw["bind"].pool
    held = []

    class Watched(DownloadTurns):
        def take(self) -> bool:
            held.append(pool.checkedout())
            return False

    kept, app.state.download_turns = app.state.download_turns, Watched()
    try:
        answer = clients["viewer"].get(f"{programme['programme']}/report.pdf", headers={"Accept": "*/*"})
    finally:
        app.state.download_turns = kept
    assert answer.status_code == 429 and held == [0]


def test_the_demo_programme_shows_all_four_levels(app, clients):
    from stocktake.demo.programme import NAME, seed_programme

    assert seed_programme(app.state.settings) is True
    assert seed_programme(app.state.settings) is False  # made once
    page = clients["viewer"].get("/programmes").text
    path = re.search(rf'href="(/programmes/\d+)">{NAME}</a>', page).group(1)
    report = clients["viewer"].get(f"{path}/report.html").text
    for heading in ("Level 1, reaction", "Level 2, learning", "Level 3, behaviour", "Level 4, results"):
        assert heading in report
    assert "None yet." not in report and "No participant is linked" not in report
    assert "Virtual fracture clinic" in report and "Hip fracture to theatre" in report
    overview = clients["viewer"].get(path).text
    assert overview.count('class="programme-verdict"') >= 4
