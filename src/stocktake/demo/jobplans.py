"""The demo department's consultant job plans, kept in its Job plans area as the web keeps them
(``jobplan/store.py``, ADR 0036): the eight T&O consultants of the demo's on-call designs (C01–C08,
``demo/rotas.py``), each with a plan agreed for 2025/26; C01's 2024/25 plan superseded by it; and
C03's proposed 2026/27 plan, changed enough (a theatre list for an SPA session, an evening clinic)
to stand in the review queue. The team's capacity from the agreed plans is written to the warehouse
(``team_capacity``).

Made once: a second demo run finds the plans and leaves them as they are. Recorded in the audit log
as done by no one (the demo, from the command line).
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.jobplan.capacity import read_capacity, write_capacity
from stocktake.jobplan.store import AGREED, JobPlanStore
from stocktake.settings import Settings

BY = "the demo"
AGREED_BY = "Clinical director (the demo)"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
NORTH, RIVER = "Northshire General", "Riverside"  # the demo's trauma sites (generate.TRAUMA_SITES)
CONSULTANTS = (
    ("C01", "Miss Rachel Adeyemi"),
    ("C02", "Mr Tom Whitfield"),
    ("C03", "Ms Priya Natarajan"),
    ("C04", "Mr Owen Price"),
    ("C05", "Mr Kwame Mensah"),
    ("C06", "Ms Laura Byrne"),
    ("C07", "Mr Simon Hale"),
    ("C08", "Dr Mei Lin"),
)


def _session(day: int, start: str, end: str, activity: str, kind: str, site: str = "", **more) -> dict:
    return (
        {"weekday": WEEKDAYS[day % 5], "start": start, "end": end, "activity": activity, "type": kind}
        | ({"site": site} if site else {})
        | more
    )


def plan(index: int, year: str, *, revised: bool = False) -> dict:
    """Consultant ``index``'s plan: a common shape turned round the week by consultant, at their site
    (C01–C04 Northshire General, C05–C08 Riverside), with a list at the other site in week A."""
    consultant, name = CONSULTANTS[index]
    home, other = (NORTH, RIVER) if index < 4 else (RIVER, NORTH)
    day = index
    sessions = [
        _session(day, "08:00", "12:00", "theatre", "DCC", home),
        _session(day, "13:00", "17:00", "clinic", "DCC", home),
        _session(day + 1, "08:30", "12:30", "fracture clinic", "DCC", home),
        _session(
            day + 1,
            "13:00",
            "17:00",
            "theatre" if revised else "SPA",
            "DCC" if revised else "SPA",
            home if revised else "",
        ),
        _session(day + 2, "08:00", "12:00", "theatre", "DCC", other, weeks="A"),
        _session(day + 2, "08:00", "12:00", "clinic", "DCC", home, weeks="B"),
        _session(day + 2, "13:00", "15:00", "SPA", "SPA"),
        _session(day + 2, "15:00", "17:00", "patient admin", "DCC"),
        _session(day + 3, "08:00", "10:00", "VFC", "DCC", home),
        _session(day + 3, "10:00", "12:00", "patient admin", "DCC"),
        _session(day + 3, "13:00", "17:00", "theatre", "DCC", home),
        _session(
            day + 4,
            "13:00",
            "17:00",
            *(("governance lead", "additional_nhs") if index in (0, 4) else ("SPA", "SPA")),
        ),
        {
            "weekday": "Sat",
            "start": "08:00",
            "end": "11:00",
            "activity": "ward round",
            "type": "DCC",
            "site": home,
            "per_year": 10,
        },
    ]
    if revised:
        sessions.append(_session(day + 4, "17:00", "20:00", "clinic", "DCC", home))
    return {
        "consultant": consultant,
        "name": name,
        "year": year,
        "working_weeks": 42,
        "activities": sessions,
        "on_call": {"rota": "T&O consultants", "category": "A", "one_in": 8, "unpredictable_pas": 1},
    }


def _text(data: dict) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def seed_jobplans(settings: Settings) -> bool:
    """The demo's job plans in the home, and ``team_capacity`` in its warehouse; False when the plans
    were there already (the dataset is written again only if it is missing)."""
    store = JobPlanStore(settings.home / "jobplans")
    events: list[tuple[str, str, str]] = []
    made = not store.all()
    if made:
        events = _seed(store)
    if made or (settings.warehouse.is_file() and read_capacity(settings.warehouse) is None):
        plans = [p.plan() for p in store.all() if p.state == AGREED]
        if settings.warehouse.is_file():
            write_capacity(settings.warehouse, plans, at=datetime(2025, 4, 1, 9, tzinfo=UTC))
    if events:
        _record(settings, events)
    return made


def _seed(store: JobPlanStore) -> list[tuple[str, str, str]]:
    events = []

    def agreed(data: dict, at: datetime) -> None:
        kept = store.keep_uploaded(f"{data['consultant']}.yaml", _text(data), by=BY, at=at)
        store.propose(kept.slug, by=BY, at=at)
        done, superseded = store.agree(kept.slug, by=AGREED_BY, at=at)
        title = f"{done.consultant} {done.year}"
        events.append(("jobplan_uploaded", done.slug, f"{title}: version 1 ({data['consultant']}.yaml)"))
        events.append(("jobplan_proposed", done.slug, f"{title}: proposed (version 1)"))
        events.append(("jobplan_agreed", done.slug, f"{title}: agreed (version 1)"))
        for old in superseded:
            events.append(
                ("jobplan_superseded", old.slug, f"{old.consultant} {old.year}: superseded by {done.year}")
            )

    older = plan(0, "2024/25")
    older["activities"] = [a for a in older["activities"] if a["activity"] != "patient admin"]
    agreed(older, datetime(2024, 3, 20, 10, tzinfo=UTC))
    for index in range(len(CONSULTANTS)):
        agreed(plan(index, "2025/26"), datetime(2025, 3, 10 + index, 10, tzinfo=UTC))
    at = datetime(2025, 4, 2, 11, tzinfo=UTC)
    kept = store.keep_uploaded("C03 2026-27.yaml", _text(plan(2, "2026/27", revised=True)), by=BY, at=at)
    store.propose(kept.slug, by=BY, at=at)
    events.append(("jobplan_uploaded", kept.slug, "C03 2026/27: version 1 (C03 2026-27.yaml)"))
    events.append(("jobplan_proposed", kept.slug, "C03 2026/27: proposed (version 1)"))
    return events


def _record(settings: Settings, events: list[tuple[str, str, str]]) -> None:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as db:
            for action, slug, detail in events:
                actions.record_now(db, user=None, action=action, subject=f"jobplan:{slug}", detail=detail)
    finally:
        engine.dispose()
