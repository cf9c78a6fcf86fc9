"""The demo department's leadership programme (ADR 0031), in its app database: four QI projects on
measures the demo's injected effects move, a programme with two cohorts whose participants lead
them, attendance, and pre/post (and, for the first cohort, follow-up) surveys, so the programme's
pages and its report show all four Kirkpatrick levels.

Made once: a second demo run finds the programme and leaves everything as it is. Everything here
is drawn from a Generator of its own, so the department's data and ``summary.json`` are unchanged.
Recorded in the audit log as done by no one (the demo, from the command line).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from stocktake.appdb import actions
from stocktake.appdb.database import make_engine, session_factory, upgrade
from stocktake.appdb.models import Programme
from stocktake.files.programme_roster import AttendanceRow, ParticipantRow
from stocktake.metrics.catalogue import load_catalogue
from stocktake.settings import Settings

NAME = "Clinical leadership programme"
MODULES = (
    "Leading change",
    "Quality improvement",
    "Measurement for improvement",
    "Leading teams",
    "Money and operations",
    "Reflective practice",
)
#: (title, aim, measures) of the projects the participants lead: measures the demo's effects move,
#: and one they do not (hip fracture surgery within 36 hours, slowed by the winter's delays).
PROJECTS = (
    (
        "Virtual fracture clinic",
        "Discharge half of simple injuries at virtual review within a year of go-live",
        ("vfc_discharged_at_virtual_review", "vfc_face_to_face_per_100"),
    ),
    (
        "Enhanced recovery for hip and knee",
        "Cut elective hip and knee length of stay by a day in 18 months",
        ("los_elective_hip_knee", "daycase_rate_hip_knee"),
    ),
    ("Theatre scheduling", "Use 85% of the theatre time booked", ("theatre_capped_utilisation",)),
    ("Hip fracture to theatre", "Operate on 80% of hip fractures within 36 hours", ("hipfx_surgery_36h",)),
)
SERVICES = ("Fracture clinic", "Elective orthopaedics", "Theatres", "Trauma ward")
ROLES = ("Consultant", "Matron", "Service manager", "Physiotherapy lead", "Ward sister", "Registrar")
SCALE = """# The demo's own wording (no licensed instrument): load the one your trust licenses the same way.
missing: ["-", ""]
scales:
  confidence:
    - Not at all confident
    - Slightly confident
    - label: Somewhat confident
      answers: ["Somewhat – occasionally…"]
    - Confident
    - Very confident
"""
DOMAINS = """domains:
  - name: Leading improvement
    scale: confidence
    items: [I can set an aim for an improvement, I can test a change with PDSA cycles]
  - name: Using data
    scale: confidence
    items: [I can read an SPC chart, I can tell a signal from noise]
  - name: Leading people
    scale: confidence
    items: [I can hold a difficult conversation, I involve my team in decisions]
"""
ITEMS = (
    "I can set an aim for an improvement",
    "I can test a change with PDSA cycles",
    "I can read an SPC chart",
    "I can tell a signal from noise",
    "I can hold a difficult conversation",
    "I involve my team in decisions",
)
LEVELS = ("Not at all confident", "Slightly confident", "Somewhat confident", "Confident", "Very confident")
COHORTS = (("Cohort 2024", date(2024, 1, 8), 10), ("Cohort 2025", date(2025, 1, 6), 9))


def seed_programme(settings: Settings, seed: int = 42) -> bool:
    """The demo's programme in the home's app database; False when it is there already."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as db:
            if db.scalar(select(Programme).where(Programme.name == NAME)) is not None:
                return False
            _seed(db, settings, np.random.default_rng([seed, 29]))
        return True
    finally:
        engine.dispose()


def _seed(db, settings: Settings, rng: np.random.Generator) -> None:
    catalogue = load_catalogue(settings.catalogue)
    programme = actions.create_programme(
        db,
        by=None,
        name=NAME,
        description="Clinical and operational leaders, six modules a cohort, run with a trust partner.",
        completion_share=0.8,
        modules=MODULES,
    )
    files = {
        kind: actions.add_programme_file(
            db, by=None, programme_id=programme.id, kind=kind, filename=name, content=text.encode()
        ).id
        for kind, name, text in (("scale", "SCALE.yaml", SCALE), ("domains", "DOMAINS.yaml", DOMAINS))
    }
    for number, (name, starts, size) in enumerate(COHORTS):
        cohort = actions.add_cohort(db, by=None, programme_id=programme.id, name=name, starts_on=starts)
        rows = [
            ParticipantRow(
                0,
                f"C{number + 1}P{i:02d}",
                f"Participant {number + 1}.{i:02d}",
                ROLES[(i + number) % len(ROLES)],
                SERVICES[(i - 1 + 2 * number) % len(SERVICES)],
                "",
            )
            for i in range(1, size + 1)
        ]
        people = actions.import_participants(db, by=None, cohort_id=cohort.id, rows=rows, source="the demo")
        for person, (title, aim, measures) in zip(
            people[:2], PROJECTS[2 * number : 2 * number + 2], strict=True
        ):
            project = actions.create_project(db, by=None, title=title, aim=aim, lead=person.name)
            for metric_id in measures:
                if catalogue.has(metric_id):
                    actions.add_measure(
                        db, by=None, project_id=project.id, metric_id=metric_id, kind="outcome"
                    )
            actions.link_project(db, by=None, participant_id=person.id, project_id=project.id)
        _attendance(db, cohort.id, [r.code for r in rows], starts, rng)
        codes = [r.code for r in rows]
        pre, post, later = _surveys(codes, rng)
        surveys = {
            label: actions.add_programme_file(
                db,
                by=None,
                programme_id=programme.id,
                kind="survey",
                filename=f"{name.lower().replace(' ', '-')}-{label}.csv",
                content=table,
            ).id
            for label, table in (("pre", pre), ("post", post), ("follow-up", later))
        }
        evaluations = [("learning", "Before and after", "post")]
        if number == 0:
            evaluations.append(("behaviour", "Six months on", "follow-up"))
        for level, label, after in evaluations:
            actions.add_evaluation(
                db,
                by=None,
                cohort_id=cohort.id,
                level=level,
                label=label,
                before_file_id=surveys["pre"],
                after_file_id=surveys[after],
                scale_file_id=files["scale"],
                domains_file_id=files["domains"],
                id_column="Respondent ID",
            )


def _attendance(db, cohort_id: int, codes: list[str], starts: date, rng: np.random.Generator) -> None:
    """Six monthly sessions, one a module; each person attends each with probability 0.85."""
    rows = [
        AttendanceRow(0, code, module, starts + timedelta(weeks=4 * n), bool(rng.random() < 0.85))
        for n, module in enumerate(MODULES)
        for code in codes
    ]
    actions.import_attendance(db, by=None, cohort_id=cohort_id, rows=rows, source="the demo")


def _surveys(codes: list[str], rng: np.random.Generator) -> tuple[bytes, bytes, bytes]:
    """Pre, post and follow-up exports in a survey tool's shape: most answer each, a few skip ("-"),
    confidence rises by about a level after the programme and mostly holds at the follow-up."""
    base = rng.integers(1, 4, size=(len(codes), len(ITEMS)))
    gain = rng.choice([0, 1, 1, 1, 2], size=base.shape)
    after = np.clip(base + gain, 1, 5)
    later = np.clip(after - rng.choice([0, 0, 0, 1], size=base.shape), 1, 5)

    def export(levels: np.ndarray, answering: float) -> bytes:
        who = [c for c in codes if rng.random() < answering]
        rows = []
        for code in who:
            i = codes.index(code)
            answers = [LEVELS[v - 1] if rng.random() > 0.05 else "-" for v in levels[i]]
            answers = [
                a.replace("Somewhat confident", "Somewhat – occasionally…") if n % 3 == 0 else a
                for n, a in enumerate(answers)
            ]
            rows.append([code, "2025-01-01 09:00", *answers])
        buffer = io.StringIO()
        pd.DataFrame(rows, columns=["Respondent ID", "Completion time", *ITEMS]).to_csv(buffer, index=False)
        return buffer.getvalue().encode("utf-8")

    return export(base, 0.95), export(after, 0.85), export(later, 0.75)
