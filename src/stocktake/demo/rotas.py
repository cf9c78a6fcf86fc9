"""The demo department's rotas, kept in its Rotas area as the web keeps them (``rota/store.py``):
the registrars' rota, built and published, and the consultants' two on-call designs ("1:8 across
both sites" and "1:4 at each site", ``jobplan/example_oncall_*.yaml``) built as drafts, so the job
plans can be shown against each design side by side.

Each is solved with one worker, a fixed seed and a limit on CP-SAT's deterministic time, so every
run builds the same rota in a few seconds however busy the machine is. A rota kept from an earlier
run with the same specification is left as it is; one whose specification changed is built again.
Recorded in the audit log as done by no one (the demo, from the command line).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.rota.solver import solve
from stocktake.rota.store import KeptRota, RotaStore, RotaStoreError, read_spec
from stocktake.settings import Settings

BY = "the demo"
WORK = 1.0  # CP-SAT deterministic time per search: about 2 s of a busy core for the registrars
JOBPLAN = Path(__file__).parent.parent / "jobplan"

#: The registrars of the demo's two trauma sites (``generate.TRAUMA_SITES``), for the four weeks
#: after the demo's data end (April 2025): a 1:7 non-resident on-call across both sites and a 1:3
#: weekend day rota at Northshire General.
REGISTRARS = """\
name: T&O registrars, Northshire General and Riverside
start: 2025-04-07
weeks: 4
limits:
  check_one_in_three_weekends: false
doctors:
  - {id: N1, name: Dr Asha Patel, grade: ST6, sites: [Northshire General]}
  - {id: N2, name: Dr Ben Carter, grade: ST4, sites: [Northshire General], leave: [2025-04-22..2025-04-25]}
  - {id: N3, name: Dr Cara Doyle, grade: ST5, sites: [Northshire General], wte: 0.8}
  - {id: R1, name: Dr Dan Okoro, grade: ST7, sites: [Riverside]}
  - {id: R2, name: Dr Ella Moss, grade: ST3, sites: [Riverside], leave: [2025-04-14]}
  - {id: R3, name: Dr Farid Khan, grade: ST5, sites: [Riverside]}
  - {id: F1, name: Dr Gita Rao, grade: Trust fellow, sites: [Northshire General, Riverside]}
shifts:
  - {id: day_N, label: Northshire day, site: Northshire General, start: "08:00", end: "17:00",
     days: [Mon, Tue, Wed, Thu, Fri], cover: 1, cover_max: 3, breaks: ["12:30"]}
  - {id: day_R, label: Riverside day, site: Riverside, start: "08:00", end: "17:00",
     days: [Mon, Tue, Wed, Thu, Fri], cover: 1, cover_max: 3, breaks: ["12:30"]}
  - {id: weekend_N, label: Northshire weekend day, site: Northshire General, start: "08:00",
     end: "18:00", days: [Sat, Sun], cover: 1, breaks: ["12:00", "15:30"]}
  - {id: on_call, label: On call (both sites), site: Both sites, start: "17:00", end: "08:00",
     days: [Mon, Tue, Wed, Thu, Fri], kind: on_call, expected_hours: 4, expected_episodes: 3}
  - {id: on_call_weekend, label: Weekend on call (both sites), site: Both sites, start: "08:00",
     end: "08:00", days: [Sat, Sun], kind: on_call, expected_hours: 9, expected_episodes: 6}
patterns:
  - {name: "1:7 on-call, both sites", one_in: 7, shifts: [on_call, on_call_weekend],
     doctors: [N1, N2, N3, R1, R2, R3, F1], weekends_together: true}
  - {name: "1:3 weekend days, Northshire General", one_in: 3, shifts: [weekend_N],
     doctors: [N1, N2, N3], weekends_together: true}
"""


@dataclass(frozen=True)
class DemoRota:
    slug: str
    spec: str
    publish: bool = False


#: The demo's rotas by address: the job plans' pages name the two consultant designs by these slugs.
REGISTRARS_SLUG = "demo-registrars"
BOTH_SITES_SLUG = "demo-consultants-oncall-both-sites"
BY_SITE_SLUG = "demo-consultants-oncall-by-site"


def demo_rotas() -> tuple[DemoRota, ...]:
    return (
        DemoRota(REGISTRARS_SLUG, REGISTRARS, publish=True),
        DemoRota(BOTH_SITES_SLUG, (JOBPLAN / "example_oncall_both_sites.yaml").read_text()),
        DemoRota(BY_SITE_SLUG, (JOBPLAN / "example_oncall_by_site.yaml").read_text()),
    )


def seed_rotas(settings: Settings) -> list[KeptRota]:
    """The demo's rotas in the home's Rotas area, each built (and published) only when it is not
    there already with the same specification."""
    store = RotaStore(settings.home / "rotas")
    kept, events = [], []
    for wanted in demo_rotas():
        rota = _kept(store, wanted)
        if rota is None:
            rota, built = _build(store, wanted)
            events.append(("rota_built", rota.slug, built))
        if wanted.publish and not rota.published:
            rota = store.publish(rota.slug, by=BY, at=_notice_given(rota))
            events.append(("rota_published", rota.slug, f"{rota.name}: published by the demo"))
        kept.append(rota)
    if events:
        _record(settings, events)
    return kept


def _kept(store: RotaStore, wanted: DemoRota) -> KeptRota | None:
    """The rota an earlier run kept, if its specification is the one wanted; a stale one removed."""
    try:
        rota = store.get(wanted.slug)
    except RotaStoreError:
        rota = None
    if rota is not None and (rota.folder / "spec.yaml").read_text() == wanted.spec:
        return rota
    if (store.folder / wanted.slug).exists():
        shutil.rmtree(store.folder / wanted.slug)
    return None


def _build(store: RotaStore, wanted: DemoRota) -> tuple[KeptRota, str]:
    problem = read_spec(wanted.spec, wanted.slug)
    solution = solve(problem, seconds=120, workers=1, seed=0, work=WORK)
    rota = store.keep_built(solution, wanted.spec, by=BY, slug=wanted.slug)
    return rota, (
        f"{problem.name}, {problem.start} to {problem.end}: {len(solution.assignments)} duties "
        f"({solution.status.lower()}), {len(rota.check().breaches)} breach(es)"
    )


def _notice_given(rota: KeptRota) -> datetime:
    """Published eight weeks before it starts: the notice of the generic work schedule (R19 asks six
    for the duty roster), so the published rota shows no breach of notice."""
    return datetime.combine(rota.problem().start - timedelta(weeks=8), time(9), tzinfo=UTC)


def _record(settings: Settings, events: list[tuple[str, str, str]]) -> None:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as db:
            for action, slug, detail in events:
                actions.record_now(db, user=None, action=action, subject=f"rota:{slug}", detail=detail)
    finally:
        engine.dispose()
