"""The whole spine on the demo department: every injected effect is found, nothing else is."""

import json
import math
import re

import duckdb
import numpy as np
import pytest

from stocktake.demo.effects import EFFECTS
from stocktake.demo.run import run_demo
from stocktake.metrics.catalogue import load_catalogue
from stocktake.spc import xmr

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out)


@pytest.fixture(scope="module")
def summary(demo):
    return {m["id"]: m for m in json.loads((demo[0] / "summary.json").read_text())["metrics"]}


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.metric_id)
def test_injected_effect_is_found_after_its_date_and_not_before(summary, effect):
    points = summary[effect.metric_id]["points"]
    kind = f"special_cause_{effect.expected}"
    flagged = [p["x"] for p in points if p["point_type"] == kind]
    when = effect.date.isoformat()
    assert [x for x in flagged if x >= when], f"no {kind} after {when}"
    assert not [x for x in flagged if x < when], f"{kind} before {when}"


def _chance_of_signals(n_points: int, runs: int = 1500) -> np.ndarray:
    """Special-cause points the rules flag on pure noise of the same length."""
    rng = np.random.default_rng(0)
    return np.array(
        [int((xmr(rng.normal(size=n_points)).point_type != "common_cause").sum()) for _ in range(runs)]
    )


def _stock_measures() -> set[str]:
    """Waiting-list counts at each month end: this month's list is mostly last month's, so the
    points are not independent and the chance calculation below does not apply to them."""
    return {m.id for m in load_catalogue().metrics if m.numerator is not None and m.numerator.census}


def test_metrics_without_effects_signal_no_more_than_chance(summary):
    affected = {e.metric_id for e in EFFECTS} | _stock_measures()
    quiet = [m for m in summary.values() if m["id"] not in affected]
    assert len(quiet) >= 15
    chance = _chance_of_signals(len(quiet[0]["points"]))
    flagged = {m["id"]: sum(p["point_type"] != "common_cause" for p in m["points"]) for m in quiet}
    assert max(flagged.values()) <= np.quantile(chance, 0.99), flagged
    any_signal = sum(n > 0 for n in flagged.values())
    assert any_signal <= _binomial_quantile(0.99, len(quiet), (chance > 0).mean()), flagged


def _binomial_quantile(q: float, n: int, p: float) -> int:
    cumulative = 0.0
    for k in range(n + 1):
        cumulative += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if cumulative >= q:
            return k
    return n


def test_outputs_have_the_promised_shape(demo, summary):
    out = demo[0]
    assert len(summary) >= 13
    for metric in summary.values():
        assert {"id", "title", "unit", "improvement", "variation_type", "assurance_type", "points"} <= set(
            metric
        )
        assert all(set(p) == {"x", "y", "mean", "lpl", "upl", "point_type"} for p in metric["points"])
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["x"]) for p in metric["points"])
    effects = json.loads((out / "effects.json").read_text())["effects"]
    assert {(e["metric_id"], e["expected"]) for e in effects} == {(e.metric_id, e.expected) for e in EFFECTS}


def test_report_is_self_contained(demo, summary):
    html = (demo[0] / "reports" / "stocktake.html").read_text()  # where `stocktake report` writes
    assert not re.search(r"<script[^>]+src=", html)
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.S)  # plotly.js holds URLs as text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)
    assert "<link" not in markup and "@import" not in markup
    for metric in summary.values():
        assert f'id="{metric["id"]}"' in html


def _loads(out) -> int:
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM ingest_log").fetchone()[0]


def test_second_run_reuses_the_exports_and_warehouse_and_leaves_the_same_result(demo):
    out = demo[0]
    before = (out / "summary.json").read_text()
    raw_times = {p.name: p.stat().st_mtime_ns for p in (out / "raw").iterdir()}
    loads = _loads(out)
    run_demo(out)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "raw").iterdir()} == raw_times
    assert _loads(out) == loads
    assert (out / "summary.json").read_text() == before


def test_no_nhs_number_reaches_the_warehouse(demo):
    raw = (demo[0] / "raw" / "pas_inpatient_spells.csv").read_text().splitlines()[1]
    nhs_number = raw.split(",")[1]
    with duckdb.connect(str(demo[0] / "warehouse.duckdb"), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM admissions WHERE patient_id = ?", [nhs_number]).fetchone()[
            0
        ]
    assert found == 0


def test_the_demo_workspace_is_private_to_its_owner(demo):
    out, _ = demo
    assert out.stat().st_mode & 0o777 == 0o700
    for path in (out / "warehouse.duckdb", out / "secrets" / "pseudonym.key"):
        assert path.stat().st_mode & 0o077 == 0, path
