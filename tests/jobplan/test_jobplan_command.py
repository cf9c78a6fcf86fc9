"""`stocktake jobplan check | compare | review` through the command line: the figures, the rota the
optimiser built, and bad input (one line naming file, row and field; exit 2; nothing written)."""

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.jobplan.read import EXAMPLE
from stocktake.rota.export import write_rota
from stocktake.rota.model import read_problem
from stocktake.rota.solver import solve

runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folders = {}
    for name in ("both_sites", "by_site"):
        problem = read_problem(EXAMPLE.parent / f"example_oncall_{name}.yaml")
        folders[name] = write_rota(solve(problem, seconds=20, workers=1), tmp_path_factory.mktemp(name))
    return folders


def consultant_plan(tmp_path, consultant: str, **changes):
    data = yaml.safe_load(EXAMPLE.read_text()) | {"consultant": consultant}
    data.update(changes)
    path = tmp_path / f"{consultant}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_check_prints_the_pas_the_stated_supplement_and_the_warnings():
    result = runner.invoke(app, ["jobplan", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "PAs a week: 9.82 (DCC 7.57, SPA 1.75, additional_nhs 0.50, external 0.00)" in result.output
    assert (
        "On-call supplement: 5% of full-time basic salary — medium frequency (1 in 8.00, stated"
        in result.output
    )
    assert "[unverified rate: U]" in result.output
    assert "warning: SPA 1.75 PAs is below the department's 2.5" in result.output
    assert "weekday boundary (unverified)" in result.output


def test_check_against_the_rota_built_writes_every_table(built, tmp_path):
    out = tmp_path / "plans.xlsx"
    plans = [str(consultant_plan(tmp_path, c)) for c in ("C01", "C02")]
    result = runner.invoke(
        app, ["jobplan", "check", *plans, "--rota", str(built["by_site"] / "rota.xlsx"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "8% of full-time basic salary — high frequency (1 in 3.23" in result.output
    assert "on call 14 of the rota's 56 on-call days (rostered 1 in 4.00)" in result.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["Summary", "Activities", "Supplement", "Team", "Terms"]
    assert list(sheets["Summary"]["supplement_pct"]) == [8.0, 8.0]
    assert set(sheets["Summary"]["verification"]) == {"V (JISCmail 2004 consultant: 1:3 Cat A = 8%)"}
    team = sheets["Team"].set_index(["activity", "site"])
    # two identical plans: 2 Monday theatre lists a working week at Northshire General, 2 × 42/52 a
    # calendar week
    assert team.loc[("theatre", "Northshire General"), "sessions_per_week_net_of_leave"] == pytest.approx(
        2 * 42 / 52, abs=1e-3
    )
    assert "no (unverified)" in set(sheets["Terms"]["verified"])


def test_compare_shows_both_designs_side_by_side(built, tmp_path):
    out = tmp_path / "compare.csv"
    plans = [str(consultant_plan(tmp_path, c)) for c in ("C01", "C05")]
    a, b = str(built["both_sites"] / "duties.csv"), str(built["by_site"] / "duties.csv")
    result = runner.invoke(app, ["jobplan", "compare", "--rota", a, "--rota", b, *plans, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("consultant")
    assert list(table[f"{a}: band"]) == ["medium", "medium"]
    assert list(table[f"{a}: supplement_pct"]) == [5.0, 5.0]
    assert list(table[f"{b}: band"]) == ["high", "high"]
    assert list(table[f"{b}: supplement_pct"]) == [8.0, 8.0]
    assert "Unverified supplement rates used: U" in result.output


BAD = [
    (
        {
            "activities": [
                {"weekday": "Mon", "start": "12:00", "end": "08:00", "activity": "x", "type": "DCC"}
            ]
        },
        "activities row 1, field end: 08:00 is not after the start 12:00",
    ),
    (
        {
            "activities": [
                {"weekday": "Mon", "start": "08:00", "end": "12:00", "activity": "x", "type": "clinic"}
            ]
        },
        "activities row 1, field type: 'clinic' is not an activity type",
    ),
    (
        {
            "activities": [
                {"weekday": "Mon", "start": "08:00", "end": "12:00", "activity": "theatre", "type": "DCC"},
                {"weekday": "Mon", "start": "09:00", "end": "10:00", "activity": "MDT", "type": "DCC"},
            ]
        },
        "activities row 2, field start: Mon 09:00–10:00 MDT overlaps activities row 1",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, changes, message):
    plan = consultant_plan(tmp_path, "C01", **changes)
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["jobplan", "check", str(plan), "--out", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {plan}, {message}")
    assert not out.exists() and list(tmp_path.iterdir()) == [plan]


def test_a_rota_the_consultant_is_not_on_is_named(built, tmp_path):
    plan = consultant_plan(tmp_path, "C09")
    out = tmp_path / "out.csv"
    rota = built["both_sites"] / "duties.csv"
    result = runner.invoke(app, ["jobplan", "check", str(plan), "--rota", str(rota), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {plan}, field consultant: 'C09' has no on-call period in {rota}")
    assert not out.exists()


def test_review_lists_what_changed(tmp_path):
    last = consultant_plan(
        tmp_path, "C01", year="2025/26", state="agreed", agreed_by="CD", agreed_on="2025-06-01"
    )
    (tmp_path / "now").mkdir()
    data = yaml.safe_load(EXAMPLE.read_text())
    data["activities"][3].update(type="DCC", activity="clinic", site="Northgate")  # an SPA becomes a clinic
    now = tmp_path / "now" / "C01.yaml"
    now.write_text(yaml.safe_dump(data, sort_keys=False))
    result = runner.invoke(app, ["jobplan", "review", str(now), "--last", str(last)])
    assert result.exit_code == 0, result.output
    assert "1 of 1 plan(s) to review" in result.output
    assert "DCC/SPA 7.57/1.75 → 8.57/0.75" in result.output
    assert "sessions added: Tue 13:00–17:00 clinic (DCC) at Northgate, every week" in result.output


def test_example_writes_the_plan_and_both_designs_once(tmp_path):
    result = runner.invoke(app, ["jobplan", "example", str(tmp_path / "jp")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "jp").iterdir())
    assert written == [
        "example_jobplan.yaml",
        "example_oncall_both_sites.yaml",
        "example_oncall_by_site.yaml",
    ]
    assert (tmp_path / "jp" / "example_jobplan.yaml").read_text() == EXAMPLE.read_text()
    again = runner.invoke(app, ["jobplan", "example", str(tmp_path / "jp")])
    assert again.exit_code == 2 and "exists" in again.output
