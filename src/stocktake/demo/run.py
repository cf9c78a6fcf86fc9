"""`stocktake demo`: synthetic raw exports → ingest → warehouse → metrics → SPC → report.

A second run with the same seed and scale reuses the raw files and the warehouse, so it is quick
and leaves the same result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from stocktake.demo.effects import EFFECTS
from stocktake.demo.expected import keep_demo_expected
from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.jobplans import seed_jobplans
from stocktake.demo.peers import keep_demo_peers
from stocktake.demo.programme import seed_programme
from stocktake.demo.rotas import seed_rotas
from stocktake.ingest.load import already_loaded, ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.pseudonymise import load_or_create_key
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.run import Grain, run_catalogue
from stocktake.report.run import with_board_sections, write_stocktake
from stocktake.settings import DEMO_MAPPING, DEMO_MARKER, Settings, demo_settings, private_home
from stocktake.verdicts import Mark, MetricResult, StockTake, summary_record, take_stock
from stocktake.warehouse import connect_ibis

#: The demo's mapping (``settings.DEMO_MAPPING``; named here too for the tests that export with it).
MAPPING = DEMO_MAPPING
GENERATOR_VERSION = 1

Step = Callable[[str], object]


@dataclass(frozen=True)
class DemoOutput:
    report: Path
    summary: Path
    effects: Path
    results: list[MetricResult]


def run_demo(out: Path, *, seed: int = 42, scale: int = 1, step: Step | None = None) -> DemoOutput:
    """Build the demo department in ``out`` (its home: ``settings.demo_settings``) and write its
    report where ``stocktake report`` writes (``reports/stocktake.html``), its summary and effects."""
    step = step or (lambda _: nullcontext())
    settings = demo_settings(Path(out))
    private_home(settings.home)  # a workspace like any other: its folder 0700, what it writes 0600
    raw_dir, warehouse = settings.home / "raw", settings.warehouse
    mapping = load_mapping(settings.mapping)
    department = Department(seed=seed, scale=scale)
    with step("Generating the synthetic department's raw exports"):
        _ensure_raw(raw_dir, department, mapping)
    with step("Validating and loading the exports into the warehouse"):
        if not already_loaded(warehouse, raw_dir, mapping):
            key = load_or_create_key(settings.pseudonym_key)
            ingest_directory(raw_dir, mapping, warehouse, key, confirm_removals=True)  # full exports
    with step("Computing the metrics and their SPC charts"):
        catalogue = load_catalogue(settings.catalogue)
        con = connect_ibis(warehouse)
        try:
            series = run_catalogue(con, catalogue)
            by_site = run_catalogue(con, catalogue, Grain(by="site"))
        finally:
            con.disconnect()
        taken = take_stock(catalogue, series, mapping.source, marks=_effect_marks())
        keep_demo_expected(settings.home, by_site)  # case-mix expected deaths by site (ADR 34)
        keep_demo_peers(settings.home, series, settings.trust)  # synthetic other trusts' figures (ADR 39)
        taken = with_board_sections(taken, catalogue, by_site, warehouse)
    seed_programme(settings, seed)  # its leadership programme, in the app database (ADR 0031)
    seed_rotas(settings)  # its registrars' rota (published) and two consultant on-call designs (ADR 0030)
    seed_jobplans(settings)  # consultants' job plans, one proposed for review; team_capacity (ADR 0036)
    with step("Writing the report"):
        return _write_outputs(settings, taken)


def _ensure_raw(raw_dir: Path, department: Department, mapping) -> None:
    manifest = raw_dir / "manifest.json"
    wanted = {"seed": department.seed, "scale": department.scale, "generator": GENERATOR_VERSION}
    files_present = all((raw_dir / d.file).exists() for d in mapping.datasets.values())
    if files_present and manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return
    export(generate(department), mapping, raw_dir)
    manifest.write_text(json.dumps(wanted))


def _effect_marks() -> dict[str, list[Mark]]:
    """Each injected effect marked on its measure's chart by the first part of its description."""
    marks: dict[str, list[Mark]] = {}
    for effect in EFFECTS:
        marks.setdefault(effect.metric_id, []).append(Mark(effect.date, effect.description.split(":")[0]))
    return marks


def _write_outputs(settings: Settings, taken: StockTake) -> DemoOutput:
    results = [entry.result for entry in taken.entries]
    (report,) = write_stocktake(taken, settings.reports, ("html",))  # as `stocktake report --format html`
    out = settings.home
    summary = out / "summary.json"
    summary.write_text(json.dumps({"metrics": [summary_record(r) for r in results]}, indent=1))
    effects = out / DEMO_MARKER
    effects.write_text(
        json.dumps({"effects": [{**asdict(e), "date": e.date.isoformat()} for e in EFFECTS]}, indent=1)
    )
    return DemoOutput(report, summary, effects, results)
