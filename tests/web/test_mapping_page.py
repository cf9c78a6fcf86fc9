"""The column mapping in the workspace: an admin uploads sample extracts written in another trust's
style (tests/ingest/trust_styles: Westbrook, the style the suggester was never tuned on), sees the
suggestion as a form, corrects it and saves it; the saved file is the true mapping where it was
corrected, the next upload in that style loads through it, and nothing else can write it."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import tinyhtml5
from sqlalchemy import func, select

from stocktake.appdb.models import AuditEvent
from stocktake.demo.generate import Department, generate
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.pseudonymise import is_valid_nhs_number, ten_digit_runs
from stocktake.ingest.schemas import DATASETS
from stocktake.ingest.validate import FALSE_WORDS, TRUE_WORDS
from stocktake.settings import DEMO_MAPPING, Settings
from stocktake.web.routes.mapping import REVIEW_FILE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from trust_styles import true_mapping, write_extracts

STYLE = "westbrook_held_out"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    """Westbrook's extracts of a two-month synthetic department."""
    folder = tmp_path_factory.mktemp("westbrook")
    return write_extracts(generate(Department(seed=7, months=2)), true_mapping(STYLE), folder)


def _files(folder: Path, *names: str) -> list:
    return [("extracts", (name, (folder / name).read_bytes())) for name in names]


def form_fields(html: str) -> dict[str, str]:
    """What the page's review form would send as it stands: inputs, checked boxes, selected options."""
    fields = {}
    for element in tinyhtml5.parse(html).iter():
        name = element.get("name")
        if not name or name == "action":
            continue
        if element.tag == f"{XHTML}input":
            if element.get("type") == "checkbox" and element.get("checked") is None:
                continue
            fields[name] = element.get("value", "")
        elif element.tag == f"{XHTML}select":
            options = list(element.iter(f"{XHTML}option"))
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            fields[name] = chosen[0].get("value", "")
    return fields


def _suggest(client, folder: Path, *names: str):
    page = client.post("/admin/mapping", data={"csrf_token": client.csrf}, files=_files(folder, *names))
    assert page.status_code == 200, page.text
    token = re.search(r'action="/admin/mapping/([A-Za-z0-9_-]{32})"', page.text).group(1)
    return page, token


def _send(client, token: str, fields: dict, action: str):
    return client.post(
        f"/admin/mapping/{token}", data={**fields, "action": action, "csrf_token": client.csrf}
    )


def _events(app, action: str) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def _mapping_file(app) -> Path:
    return app.state.settings.home / "mapping.yaml"


def test_editors_and_viewers_are_refused_and_anonymous_visitors_sent_to_sign_in(clients, extracts):
    for role in ("viewer", "editor"):
        client = clients[role]
        assert client.get("/admin/mapping").status_code == 403
        sent = client.post(
            "/admin/mapping", data={"csrf_token": client.csrf}, files=_files(extracts, "hip_registry.csv")
        )
        assert sent.status_code == 403 and "Not allowed" in sent.text
        token = "a" * 32
        assert _send(client, token, {"source": "x"}, "save").status_code == 403
    assert clients[None].get("/admin/mapping", follow_redirects=False).status_code == 303
    editor_uploads = clients["editor"].get("/uploads").text
    assert 'href="/admin/mapping"' not in editor_uploads
    assert 'href="/admin/mapping"' in clients["admin"].get("/uploads").text


def test_another_admins_review_is_answered_as_gone_and_logged(app, clients, extracts):
    """A security review: an admin using another admin's staged review had a 404 and no audit event,
    where another user's staged upload is logged."""
    from fastapi.testclient import TestClient

    from stocktake.appdb import actions

    _, token = _suggest(clients["admin"], extracts, "hip_registry.csv")
    with app.state.sessions() as db:
        actions.create_user(
            db,
            by=None,
            username="second",
            full_name="Second",
            password="a long enough password, kettle",
            role="admin",
        )
    second = TestClient(app)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', second.get("/sign-in").text)[1]
    data = {"username": "second", "password": "a long enough password, kettle", "csrf_token": csrf}
    assert second.post("/sign-in", data=data, follow_redirects=False).status_code == 303
    second.csrf = re.search(r'name="csrf_token" value="([^"]+)"', second.get("/account").text)[1]
    assert _send(second, token, {"source": "x"}, "save").status_code == 404
    with app.state.sessions() as db:
        event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.detail) == ("request_refused", "another admin's mapping review")
        assert event.subject == "POST /admin/mapping/…" and event.user.username == "second"


def test_admin_corrects_the_suggestion_saves_it_and_the_next_upload_reads_through_it(app, clients, extracts):
    admin = clients["admin"]
    page, token = _suggest(admin, extracts, "hip_registry.csv")
    # The suggestion as a form: Westbrook's `facility` was not recognised as the site (held-out
    # style): no column chosen, marked for a check; the dates' format and evidence are shown.
    fields = form_fields(page.text)
    assert fields["hip_fractures.site.column"] == ""
    assert "Check" in _row(page.text, "hip_fractures-site")
    assert fields["hip_fractures.arrived_at.column"] == "ed_arrive_dt_tm"
    assert fields["hip_fractures.arrived_at.format"] == "%d/%m/%Y %H:%M"
    assert "100% parse as dd/mm/yyyy hh:mm" in _row(page.text, "hip_fractures-arrived_at")
    assert "hip_fractures.include" not in fields  # a required field is missing: not ticked
    # The admin corrects the one field and saves.
    fields |= {"hip_fractures.site.column": "facility", "hip_fractures.include": "yes"}
    before = _events(app, "mapping_saved")
    saved = _send(admin, token, fields, "save")
    assert saved.status_code == 200, saved.text
    assert "Saved the column mapping (hip_fractures)" in saved.text
    assert _events(app, "mapping_saved") == before + 1
    # The file: every field as the trust's true mapping has it, the correction included.
    mapping = load_mapping(_mapping_file(app))
    truth = true_mapping(STYLE).datasets["hip_fractures"]
    got = mapping.datasets["hip_fractures"]
    assert got.file == truth.file
    assert {f: c.column for f, c in got.columns.items()} == {f: c.column for f, c in truth.columns.items()}
    assert got.columns["site"].column == "facility"
    for name, column in truth.columns.items():  # each code read as the truth reads it (flags 1/0)
        for code, value in (column.codes or {}).items():
            assert _read_as(got.columns[name], code, DATASETS["hip_fractures"].column(name).type) == value
    # The form's staged copy is gone; the page now names the department's own mapping.
    assert not (app.state.settings.home / "staging" / token).exists()
    assert "The department's own mapping" in admin.get("/admin/mapping").text
    # The next upload, in Westbrook's style, reads through the saved mapping and loads.
    upload_page = admin.get("/uploads").text
    assert "hip_registry.csv" in upload_page
    preview = admin.post(
        "/uploads",
        data={"dataset": "hip_fractures", "kind": "months", "csrf_token": admin.csrf},
        files={"extract": ("hip_registry.csv", (extracts / "hip_registry.csv").read_bytes())},
    )
    assert preview.status_code == 200 and "Check before loading" in preview.text, preview.text
    upload_token = re.search(r"/uploads/([A-Za-z0-9_-]{32})/confirm", preview.text).group(1)
    loaded = admin.post(f"/uploads/{upload_token}/confirm", data={"csrf_token": admin.csrf})
    rows = len(pd.read_csv(extracts / "hip_registry.csv"))
    assert f"Loaded {rows:,} rows of hip_fractures" in loaded.text


def _read_as(column, code: str, kind: str):
    """What ingest makes of a code under a column's mapping: its code list, else a flag's yes/no
    word, else the code as written."""
    if column.codes:
        return column.codes.get(code)
    if kind == "boolean":
        return True if code.lower() in TRUE_WORDS else False if code.lower() in FALSE_WORDS else None
    return code


def _row(html: str, row_id: str) -> str:
    return re.search(rf'<tr class="nhsuk-table__row" id="row-{row_id}">(.*?)</tr>', html, re.S).group(1)


def test_a_required_field_left_unmapped_is_shown_and_nothing_is_written(app, clients, extracts):
    admin = clients["admin"]
    _page, token = _suggest(admin, extracts, "hip_registry.csv")
    fields = form_fields(_page.text) | {
        "hip_fractures.site.column": "facility",
        "hip_fractures.include": "yes",
    }
    fields["hip_fractures.spell_id.column"] = ""  # the correction that breaks it
    before = _mapping_file(app).read_bytes() if _mapping_file(app).exists() else None
    events = _events(app, "mapping_saved")
    refused = _send(admin, token, fields, "save")
    assert refused.status_code == 422
    assert "hip_fractures.columns: the required column spell_id is not mapped" in refused.text
    assert (_mapping_file(app).read_bytes() if _mapping_file(app).exists() else None) == before
    assert _events(app, "mapping_saved") == events
    # The form comes back as sent, so the admin fixes the one field and saves.
    assert form_fields(refused.text)["hip_fractures.site.column"] == "facility"
    assert form_fields(refused.text)["hip_fractures.spell_id.column"] == ""


def test_codes_are_assigned_on_the_form_and_a_changed_column_is_looked_at_before_saving(
    app, clients, extracts
):
    admin = clients["admin"]
    page, token = _suggest(admin, extracts, "encounters_ip.csv")
    fields = form_fields(page.text)
    assert fields["admissions.admission_method.column"] == ""  # encntr_type not recognised
    fields |= {
        "admissions.site.column": "facility",
        "admissions.admission_method.column": "encntr_type",
        "admissions.include": "yes",
    }
    # Saving straight after changing a coded field's column is refused: its codes were not shown.
    refused = _send(admin, token, fields, "save")
    assert refused.status_code == 422
    assert "admissions.admission_method: you chose the column 'encntr_type'" in unescape(refused.text)
    # The form now lists encntr_type's codes; one the suggester could not place is highlighted.
    fields = form_fields(refused.text)
    table = re.search(r'id="codes-admissions-admission_method">(.*?)</table>', refused.text, re.S).group(1)
    shown = {fields[f"admissions.admission_method.code{i}"]: i for i in range(3)}
    truth = true_mapping(STYLE).datasets["admissions"].columns["admission_method"].codes
    assert set(shown) == set(truth)
    assert fields[f"admissions.admission_method.value{shown['Day Patient']}"] == "day_case"  # synonym table
    assert fields[f"admissions.admission_method.value{shown['Inpatient Elective']}"] == ""
    assert table.count("Not placed") == 2  # Inpatient Elective and Inpatient Emergency
    # Left unassigned, a code's rows would be refused at every upload: the save is refused instead.
    unassigned = _send(admin, token, fields, "save")
    assert unassigned.status_code == 422
    assert "the code 'Inpatient Elective' (" in unescape(unassigned.text)
    for i in range(3):
        code = fields[f"admissions.admission_method.code{i}"]
        fields[f"admissions.admission_method.value{i}"] = truth[code]
    events = _events(app, "mapping_saved")
    saved = _send(admin, token, fields, "save")
    assert saved.status_code == 200, saved.text
    assert _events(app, "mapping_saved") == events + 1
    mapping = load_mapping(_mapping_file(app))
    assert mapping.datasets["admissions"].columns["admission_method"].codes == truth
    assert mapping.datasets["admissions"].columns["site"].column == "facility"


def test_a_save_keeps_the_mapping_it_replaces_and_the_datasets_not_reviewed(app, clients, extracts):
    admin = clients["admin"]
    page, token = _suggest(admin, extracts, "requisitions.csv")
    fields = form_fields(page.text) | {"procurement.site.column": "ship_to", "procurement.include": "yes"}
    first = _send(admin, token, fields, "save")
    assert first.status_code == 200, first.text
    old = _mapping_file(app).read_bytes()
    page, token = _suggest(admin, extracts, "requisitions.csv")
    fields = form_fields(page.text) | {
        "procurement.site.column": "ship_to",
        "procurement.include": "yes",
        "procurement.benchmark_unit_price.column": "",  # optional: left out on purpose
    }
    second = _send(admin, token, fields, "save")
    assert second.status_code == 200, second.text
    backup = re.search(r"kept as (mapping\.yaml\.\d{8}T\d{6}(?:-\d+)?\.bak)", second.text).group(1)
    assert (_mapping_file(app).parent / backup).read_bytes() == old
    assert backup in admin.get("/admin/mapping").text
    mapping = load_mapping(_mapping_file(app))
    assert "benchmark_unit_price" not in mapping.datasets["procurement"].columns
    earlier = load_mapping(_mapping_file(app).parent / backup).datasets["procurement"]
    assert earlier.columns["benchmark_unit_price"].column == "benchmark_cost"
    # Datasets saved earlier from other samples are kept, not dropped by a save of this one.
    assert set(load_mapping(_mapping_file(app).parent / backup).datasets) <= set(mapping.datasets)


def _valid_nhs_numbers(text: str) -> set[str]:
    return {n for _, _, n in ten_digit_runs(text) if is_valid_nhs_number(n)}


def test_no_nhs_number_in_a_sample_ever_appears_on_the_page_or_in_the_staged_form(
    app, clients, extracts, tmp_path
):
    """A small sample (30 rows: few enough distinct NHS numbers to pass for a code list) with an NHS
    number typed into a code column too."""
    frame = pd.read_csv(extracts / "encounters_ip.csv", dtype=str, keep_default_na=False).head(30)
    numbers = set(frame["nhs_nbr"].str.replace(r"\D", "", regex=True))
    assert len(numbers) >= 20 and all(is_valid_nhs_number(n) for n in numbers)
    stray = sorted(numbers)[0]
    frame.loc[3, "disch_disposition"] = f"{stray[:3]} {stray[3:6]} {stray[6:]}"
    frame.loc[4, "sex_cd"] = stray
    frame.to_csv(tmp_path / "encounters_ip.csv", index=False)
    admin = clients["admin"]
    page, token = _suggest(admin, tmp_path, "encounters_ip.csv")
    assert "nhs_nbr" in page.text  # the column is offered, its values never
    assert form_fields(page.text)["admissions.patient_id.column"] == "nhs_nbr"
    assert not (_valid_nhs_numbers(page.text) & numbers)
    staged = (app.state.settings.home / "staging" / token / REVIEW_FILE).read_text()
    assert not (_valid_nhs_numbers(staged) & numbers)
    # Pointing a coded field at the NHS number column lists no values either.
    fields = form_fields(page.text) | {"admissions.sex.column": "nhs_nbr"}
    again = _send(admin, token, fields, "check")
    assert again.status_code == 200
    assert not (_valid_nhs_numbers(again.text) & numbers)
    assert "not a code list" in again.text
    assert not any(p.suffix == ".csv" for p in (app.state.settings.home / "staging").rglob("*"))


def test_the_page_saves_where_the_settings_read_and_uploads_read_it_once_it_is_there(tmp_path):
    """Saved to HOME/mapping.yaml while the settings name the demo's mapping (then read at once,
    though the settings were read before it existed); to the named file when stocktake.toml or
    STOCKTAKE_MAPPING names one."""
    settings = Settings(home=tmp_path, database_url="sqlite://")
    assert settings.department_mapping == tmp_path / "mapping.yaml"
    assert settings.mapping_in_use == DEMO_MAPPING
    (tmp_path / "mapping.yaml").write_text("source: x\ndatasets: {}\n")
    assert settings.mapping_in_use == tmp_path / "mapping.yaml"
    named = Settings(home=tmp_path, database_url="sqlite://", mapping=tmp_path / "trust.yaml")
    assert named.department_mapping == named.mapping_in_use == tmp_path / "trust.yaml"
