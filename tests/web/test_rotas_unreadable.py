"""A rota or job plan file no reader can use is refused on upload in one line and nothing is kept; a
kept rota that later cannot be read (its file changed by hand) is said to be unreadable on its own
page and skipped by the pages that read every kept rota, never a 500 for everyone."""

from __future__ import annotations

import io
import shutil
import zipfile
from html import unescape

import pandas as pd
import pytest

from stocktake.rota.store import RotaStore

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEGEND = "code,start,end,kind\nD,08:00,17:00,shift\n"
GRID = "doctor,name,Mon 2026-02-02,Tue 2026-02-03\ndr_a,Dr Asha Patel,D,D\n"


def sound_workbook() -> bytes:
    sound = io.BytesIO()
    with pd.ExcelWriter(sound) as writer:
        pd.read_csv(io.StringIO(GRID), dtype=str).to_excel(writer, sheet_name="Grid", index=False)
    return sound.getvalue()


def broken_workbook(path):
    """A workbook of the grid whose XML holds a raw vertical tab (which openpyxl never writes, so no
    reader can parse it) in the doctor's name; as tests/rota/test_unreadable.py makes it."""
    with zipfile.ZipFile(io.BytesIO(sound_workbook())) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item).replace(b"Dr Asha", b"Dr\x0bAsha"))
    return path


def _kept(app) -> set[str]:
    return {r.slug for r in RotaStore(app.state.settings.home / "rotas").all()}


def _upload(editor, name: str, content: bytes, legend: bytes | None = None):
    files = {"grid": (name, content, XLSX if name.endswith(".xlsx") else "text/csv")}
    if legend is not None:
        files["legend"] = ("legend.csv", legend, "text/csv")
    return editor.post("/rotas/upload", data={"csrf_token": editor.csrf}, files=files, follow_redirects=False)


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("raw.xlsx", None, "raw.xlsx: not a readable workbook: openpyxl could not read it (ParseError)"),
        (
            "cut.xlsx",
            b"PK\x03\x04 cut",
            "cut.xlsx: not a readable workbook: truncated, empty or another kind",
        ),
        (
            "vt.csv",
            GRID.replace("Dr Asha", "Dr\x0bAsha").encode(),
            "vt.csv, row 2, column name: 'Dr\\x0bAsha Patel' contains a control character ('\\x0b')",
        ),
    ],
)
def test_an_unreadable_grid_is_refused_in_one_line_and_nothing_is_kept(
    app, clients, tmp_path, name, content, said
):
    editor = clients["editor"]
    if content is None:
        content = broken_workbook(tmp_path / name).read_bytes()
    before = _kept(app)
    answer = _upload(editor, name, content, LEGEND.encode())
    assert answer.status_code == 422, answer.text[:500]
    assert said in unescape(answer.text) and "row 0" not in answer.text
    assert _kept(app) == before


def test_a_kept_rota_that_cannot_be_read_is_said_so_and_skipped_by_the_pages_that_list_rotas(
    app, clients, tmp_path
):
    editor, viewer = clients["editor"], clients["viewer"]
    answer = _upload(editor, "ward.xlsx", sound_workbook(), LEGEND.encode())
    assert answer.status_code == 303, answer.text[:500]
    slug = answer.headers["location"].removeprefix("/rotas/")
    rota = RotaStore(app.state.settings.home / "rotas").get(slug)
    # Changed by hand after it was kept (or kept before this check): the workbook's XML is now broken.
    shutil.copy(broken_workbook(tmp_path / "rota.xlsx"), rota.current / "rota.xlsx")
    page = viewer.get(f"/rotas/{slug}")
    assert page.status_code == 422
    assert f"ward ({slug}) cannot be read" in unescape(page.text) and str(rota.current) not in page.text
    assert viewer.get(f"/rotas/{slug}/rota.xlsx").status_code == 422
    assert viewer.get("/rotas").status_code == 200
    assert editor.get("/job-plans/compare").status_code == 200
    assert editor.get(f"/job-plans?rota={slug}").status_code == 200
    assert editor.get(f"/job-plans/compare?a={slug}").status_code == 200
    shutil.rmtree(rota.folder)


def test_a_truncated_or_broken_job_plan_workbook_is_refused_in_one_line(clients, tmp_path):
    editor = clients["editor"]
    raw = broken_workbook(tmp_path / "plan.xlsx").read_bytes()
    for name, content in (("plan.xlsx", raw), ("cut.xlsx", b"PK\x03\x04 cut")):
        answer = editor.post(
            "/job-plans/upload",
            data={"csrf_token": editor.csrf},
            files={"plan": (name, content, XLSX)},
            follow_redirects=False,
        )
        assert answer.status_code == 422, answer.text[:500]
        assert "not a readable workbook" in unescape(answer.text)
