"""Shared test helpers: where the read-only reference fixtures live."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"
#: The test files that start Spark. Each worker that runs one starts its own JVM (tens of seconds and
#: gigabytes), so ``--dist loadfile`` gives them to one worker together (ADR 57).
SPARK_FILES = frozenset(f"tests/metrics/{name}.py" for name in ("test_run", "test_engines", "test_user"))


@pytest.hookimpl(optionalhook=True)  # unknown to pytest without xdist (``-p no:xdist``): not an error
def pytest_xdist_make_scheduler(config, log):
    """Each test file on one worker (ADR 52), and the files that start Spark all on the same one."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SparkOnOneWorker(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return "spark" if file in SPARK_FILES else file

    return SparkOnOneWorker(config, log)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"reference fixtures not found at {FIXTURES}: clone beside ../shared")
    return FIXTURES


def write_warehouse(path: Path, tables: dict) -> Path:
    """A DuckDB warehouse at ``path`` holding ``tables`` (name: frame), as a load leaves them."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
    return path


@pytest.fixture(scope="session")
def warehouse_of():
    """:func:`write_warehouse`, for test files (a conftest's functions are not imported)."""
    return write_warehouse


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """A DuckDB warehouse holding 18 months of the demo department's canonical tables."""
    from stocktake.demo.generate import Department, generate

    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    return write_warehouse(path, generate(Department(seed=11, months=18)))


@pytest.fixture
def verdict_changing_rebase():
    """A function of a workspace: the first measure and month of its data where restarting the limits
    changes the verdict, with the charts with and without it (the demo's data decide which; a test
    reads whichever it is, so a change to the demo does not leave it without one)."""
    from stocktake.spc.xmr import xmr
    from stocktake.verdicts.narrative import category

    def verdict(chart) -> str:
        return category(chart.latest.variation_type, chart.latest.assurance_type, chart.improvement)

    def find(workspace):
        for metric in workspace.catalogue.metrics:
            frame = workspace.series().get(metric.id)
            if frame is None or "value" not in frame or metric.improvement == "neutral":
                continue
            values = frame["value"].to_numpy(float)
            target = metric.target.value if metric.target else None
            without = xmr(values, improvement=metric.improvement, target=target)
            for at in range(6, len(values) - 11):
                with_it = xmr(values, improvement=metric.improvement, target=target, rebase_at=[at])
                if verdict(with_it) != verdict(without):
                    return metric, frame["period"].iloc[at].date(), with_it, without
        raise AssertionError("no rebase in the data changes a verdict")

    return find


@pytest.fixture
def pathways_by_priority():
    """Make RTT pathways to 30 November 2025 by priority: ``{priority: (waiting under 18 weeks, waiting
    longer, referred and treated)}``, drawn with ``seed`` (lists crafted so two outputs could hide
    different groups)."""
    import numpy as np
    import pandas as pd

    def make(spec: dict[str, tuple[int, int, int]], seed: int) -> pd.DataFrame:
        rng, end = np.random.default_rng(seed), pd.Timestamp("2025-11-30")
        rows = []
        for group, (recent, old, treated) in spec.items():
            for low, high, n in ((1, 120, recent), (140, 700, old)):
                rows += [
                    (end - pd.Timedelta(days=int(rng.integers(low, high))), pd.NaT, group, "waiting")
                    for _ in range(n)
                ]
            for _ in range(treated):
                start = end - pd.Timedelta(days=int(rng.integers(20, 300)))
                rows.append((start, start + pd.Timedelta(days=int(rng.integers(1, 15))), group, "treated"))
        frame = pd.DataFrame(rows, columns=["clock_start", "clock_stop", "priority", "status"])
        frame.insert(0, "patient_id", [f"x{i}" for i in range(len(frame))])
        frame.insert(0, "pathway_id", [f"p{i}" for i in range(len(frame))])
        return frame.assign(procedure_group="all", consultant=None)

    return make
