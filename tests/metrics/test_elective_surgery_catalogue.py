"""The elective surgery catalogue: the measures any surgical specialty shares, the same definitions as
T&O's where they are T&O's, and a report from it headed with the home's own department."""

from __future__ import annotations

import duckdb
import ibis
import pandas as pd
import yaml

from stocktake.metrics.catalogue import CATALOGUE_DIR, load_catalogue
from stocktake.metrics.run import run_catalogue
from stocktake.report.run import ReportRequest, stock_take

ELECTIVE = CATALOGUE_DIR / "elective_surgery.yaml"
TRAUMA = CATALOGUE_DIR / "trauma_orthopaedics.yaml"


def test_its_shared_measures_are_t_and_os_word_for_word_and_none_is_a_specialtys_own():
    """A theatre or waiting-list measure means one thing in every department: its definition is T&O's,
    whole. Nothing of hip fractures, fracture clinics or joint replacements is in it."""
    elective = {m["id"]: m for m in yaml.safe_load(ELECTIVE.read_text())["metrics"]}
    trauma = {m["id"]: m for m in yaml.safe_load(TRAUMA.read_text())["metrics"]}
    shared = [i for i in elective if i.startswith(("theatre_", "rtt_"))]
    assert len(shared) == 14 and all(elective[i] == trauma[i] for i in shared)
    text = ELECTIVE.read_text().lower()
    metrics_text = text[text.index("\nmetrics:") :]
    for word in ("hip", "knee", "fracture", "orthop", "implant", "t&o"):
        assert word not in metrics_text, word


def test_the_median_elective_stay_is_worked_by_hand(demo_warehouse):
    """Each month's median of (discharge - admission) in hours / 24 over elective spells discharged in
    it, day cases apart, computed here with pandas from the warehouse."""
    catalogue = load_catalogue(ELECTIVE)
    series = run_catalogue(ibis.duckdb.connect(str(demo_warehouse), read_only=True), catalogue)
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        spells = con.execute(
            "SELECT admitted_at, discharged_at FROM admissions WHERE admission_method = 'elective'"
        ).df()
    days = (spells["discharged_at"] - spells["admitted_at"]).dt.total_seconds() / 3600 / 24
    by_month = days.groupby(spells["discharged_at"].dt.to_period("M")).median()
    got = series["los_elective_median"].set_index(
        pd.PeriodIndex(series["los_elective_median"]["period"], freq="M")
    )
    common = by_month.index.intersection(got.index)
    assert len(common) >= 12
    assert (got.loc[common, "value"].to_numpy() - by_month.loc[common].to_numpy()).__abs__().max() < 1e-9


def test_a_report_from_it_is_headed_with_the_homes_department(demo_warehouse, tmp_path):
    """An outside check: a General Surgery home's report was headed "Trauma & Orthopaedics", the
    catalogue's name. The home's name heads it; the catalogue's only where the home gives none."""
    request = ReportRequest(demo_warehouse, tmp_path, catalogue=ELECTIVE, source="General Surgery, A Trust")
    named = stock_take(ReportRequest(**{**vars(request), "department": "General Surgery"}))
    assert named.department == "General Surgery"
    assert stock_take(request).department == "Elective surgery"
    ids = {e.result.metric.id for e in named.entries}
    assert ids <= {m.id for m in load_catalogue(ELECTIVE).metrics} and "rtt_within_18_weeks" in ids
    assert not any(i.startswith(("hipfx", "vfc")) for i, _ in named.no_data)


def test_the_workspace_is_headed_with_the_homes_department(demo_warehouse):
    from stocktake.workspace import Workspace

    assert Workspace(demo_warehouse, ELECTIVE, department="General Surgery").catalogue.department == (
        "General Surgery"
    )
    assert Workspace(demo_warehouse, TRAUMA).catalogue.department == "Trauma & Orthopaedics"
