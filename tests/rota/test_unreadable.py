"""Files a reader cannot use, refused in one line naming the file: a workbook whose XML is broken (a raw
control byte a hand-edited or badly exported file can hold), a truncated one, and a grid, legend or
list of duties with a control character in a cell (kept, it would fail the rota's own workbook)."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.jobplan.read import EXAMPLE, JobPlanInputError, read_plan
from stocktake.rota.duties import RotaInputError, read_rota, read_workbook
from stocktake.rota.grid import read_legend, read_rota_file

LEGEND = "code,start,end,kind\nD,08:00,17:00,shift\n"
GRID = "doctor,name,Mon 2026-02-02,Tue 2026-02-03\ndr_a,Dr Asha Patel,D,D\n"
MARK = "Dr Asha Patel"


def broken_workbook(path, marker: str = MARK, raw: bytes = b"Dr\x0bAsha"):
    """A workbook of the grid whose sheet XML holds ``raw`` (a vertical tab openpyxl never writes, so no
    reader can parse it) in place of ``marker``; the rest of the file is sound."""
    frame = pd.read_csv(io.StringIO(GRID), dtype=str)
    sound = io.BytesIO()
    with pd.ExcelWriter(sound) as writer:
        frame.to_excel(writer, sheet_name="Grid", index=False)
        pd.read_csv(io.StringIO(LEGEND), dtype=str).to_excel(writer, sheet_name="Shifts", index=False)
    found = False
    with zipfile.ZipFile(sound) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            found |= marker.encode() in data
            target.writestr(item, data.replace(marker.encode(), raw))
    assert found, "the marker is in the workbook's XML"
    return path


def test_a_workbook_with_broken_xml_is_not_a_readable_workbook_in_every_reader(tmp_path):
    path = broken_workbook(tmp_path / "grid.xlsx")
    with pytest.raises(RotaInputError) as raised:
        read_rota_file(path)
    assert str(raised.value) == f"{path}: not a readable workbook: openpyxl could not read it (ParseError)"
    with pytest.raises(RotaInputError, match="not a readable workbook"):
        read_legend(path)
    with pytest.raises(RotaInputError, match="not a readable workbook"):
        read_rota(path)
    plan = tmp_path / "plan.xlsx"
    plan.write_bytes(path.read_bytes())
    with pytest.raises(JobPlanInputError) as raised:
        read_plan(plan)
    assert str(raised.value).startswith(f"{plan}: not a readable workbook")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 cut short", b"just,a,csv\n"])
def test_a_truncated_or_other_file_is_not_a_readable_workbook_rather_than_row_0(tmp_path, content):
    path = tmp_path / "grid.xlsx"
    path.write_bytes(content)
    with pytest.raises(RotaInputError) as raised:
        read_rota_file(path)
    assert str(raised.value) == (f"{path}: not a readable workbook: truncated, empty or another kind of file")
    with pytest.raises(JobPlanInputError, match="not a readable workbook: truncated"):
        read_plan(path)


def test_a_missing_file_is_still_said_to_be_missing(tmp_path):
    with pytest.raises(OSError):
        read_workbook(tmp_path / "none.xlsx")


@pytest.mark.parametrize("char", ["\x0b", "\x00", "\x1b", "\x7f"])
def test_a_control_character_in_a_grid_cell_is_refused_naming_row_and_column(tmp_path, char):
    grid, legend = tmp_path / "grid.csv", tmp_path / "legend.csv"
    grid.write_text(GRID.replace("Dr Asha", f"Dr{char}Asha"))
    legend.write_text(LEGEND)
    with pytest.raises(RotaInputError) as raised:
        read_rota_file(grid, legend)
    assert str(raised.value) == (
        f"{grid}, row 2, column name: {f'Dr{char}Asha Patel'!r} contains a control character ({char!r})"
    )


def test_a_control_character_in_a_legend_or_a_duty_list_is_refused_too(tmp_path):
    grid, legend = tmp_path / "grid.csv", tmp_path / "legend.csv"
    grid.write_text(GRID)
    legend.write_text(LEGEND.replace("D,08", "D\x0bX,08"))
    with pytest.raises(RotaInputError, match=r"legend.csv, row 2, column code: .* control character"):
        read_rota_file(grid, legend)
    duties = tmp_path / "duties.csv"
    duties.write_text("doctor,start,end,kind,label\ndr_a,2026-02-02 08:00,2026-02-02 17:00,shift,D\x1b\n")
    with pytest.raises(RotaInputError, match=r"duties.csv, row 2, column label: .* control character"):
        read_rota(duties)


def test_the_commands_say_the_file_is_unreadable_in_one_line_without_a_traceback(tmp_path):
    path = broken_workbook(tmp_path / "grid.xlsx")
    runner = CliRunner()
    for args in (["rota", "check", str(path)], ["jobplan", "check", str(EXAMPLE), "--rota", str(path)]):
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and not isinstance(result.exception, SyntaxError), args
        assert "not a readable workbook" in result.output and "Traceback" not in result.output


def test_a_rota_problem_given_to_check_is_told_apart_from_a_rota_and_pointed_at_solve(tmp_path):
    runner = CliRunner()
    spec = tmp_path / "spec.yaml"
    assert runner.invoke(app, ["rota", "example", str(spec)]).exit_code == 0
    result = runner.invoke(app, ["rota", "check", str(spec)])
    assert result.exit_code == 2
    assert "a rota problem to build from, not a rota" in result.output
    assert f"stocktake rota solve {spec}" in " ".join(result.output.split())
    assert "tokenizing" not in result.output
