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
  agreement: [Strongly disagree, Disagree, Neither agree nor disagree, Agree, Strongly agree]
  frequency: [Never, Rarely, Sometimes, Often, Always]
"""
#: One domain a Kirkpatrick level: reaction (L1, asked after the programme only), learning (L2) and
#: behaviour (L3); "Coaching conversations" is asked only of those who took the optional coaching
#: module (four people), so it shows the counts-only path (fewer than five pairs).
DOMAINS = """domains:
  - name: The programme
    level: reaction
    scale: agreement
    items: [The sessions were relevant to my work, I would recommend the programme to a colleague]
  - name: Leading improvement
    level: learning
    scale: confidence
    items: [I can set an aim for an improvement, I can test a change with PDSA cycles]
  - name: Using data
    level: learning
    scale: confidence
    items: [I can read an SPC chart, I can tell a signal from noise]
  - name: Leading people
    level: learning
    scale: confidence
    items: [I can hold a difficult conversation, I involve my team in decisions]
  - name: Coaching conversations
    level: learning
    scale: confidence
    items: [I can coach a colleague through a problem]
  - name: Improvement in my service
    level: behaviour
    scale: frequency
    items: [My team reviews our measures on a run chart, I test changes in my service with PDSA cycles]
"""
ITEMS = (
    "I can set an aim for an improvement",
    "I can test a change with PDSA cycles",
    "I can read an SPC chart",
    "I can tell a signal from noise",
    "I can hold a difficult conversation",
    "I involve my team in decisions",
)
COACHING = "I can coach a colleague through a problem"
BEHAVIOUR = ("My team reviews our measures on a run chart", "I test changes in my service with PDSA cycles")
REACTION = ("The sessions were relevant to my work", "I would recommend the programme to a colleague")
#: The shares answering each agreement level (lowest first): nearly everyone found the sessions
#: relevant; recommending it was more mixed, so some of its levels have 1-7 people.
REACTION_SHARES = ((0, 0, 0, 0.5, 0.5), (0, 0.05, 0.15, 0.4, 0.4))
LEVELS = ("Not at all confident", "Slightly confident", "Somewhat confident", "Confident", "Very confident")
FREQUENCY = ("Never", "Rarely", "Sometimes", "Often", "Always")
AGREEMENT = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
#: The optional coaching module's takers (by place in the cohort): the only ones asked about it.
COACHED = (2, 3, 4, 5)
#: Each cohort begins before the changes its leads' projects made (the virtual fracture clinic in July
#: 2023, enhanced recovery from April 2023, six-four-two scheduling in January 2024, the winter's
#: delays in December 2024: ``demo.effects``), so level 4 reads their verdicts as after the cohort.
COHORTS = (("Cohort 2023", date(2023, 1, 9), 24), ("Cohort 2023-24", date(2023, 10, 2), 22))
#: One participant of the second cohort joins the virtual fracture clinic's project, whose change
#: (July 2023) came before their cohort began: level 4 says so ("not evidence of the programme").
LATE_JOINER = (1, 2, "Virtual fracture clinic")  # (cohort, place in the cohort, project)


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
    projects: dict[str, int] = {}
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
            projects[title] = project.id
            for metric_id in measures:
                if catalogue.has(metric_id):
                    actions.add_measure(
                        db, by=None, project_id=project.id, metric_id=metric_id, kind="outcome"
                    )
            actions.link_project(db, by=None, participant_id=person.id, project_id=project.id)
        if number == LATE_JOINER[0]:
            joiner = people[LATE_JOINER[1]]
            actions.link_project(db, by=None, participant_id=joiner.id, project_id=projects[LATE_JOINER[2]])
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
    """Pre, post and follow-up exports in a survey tool's shape: most answer each, a few skip ("-").
    Confidence (learning) rises by about a level after the programme and mostly holds at the
    follow-up; practice (behaviour) rises by the follow-up; the reaction items are in the post survey
    only; the coaching item is answered only by the optional module's four takers."""
    base = rng.integers(1, 4, size=(len(codes), len(ITEMS) + 1))
    gain = rng.choice([0, 1, 1, 1, 2], size=base.shape)
    after = np.clip(base + gain, 1, 5)
    later = np.clip(after - rng.choice([0, 0, 0, 1], size=base.shape), 1, 5)
    practice = rng.integers(1, 4, size=(len(codes), len(BEHAVIOUR)))
    practice_after = np.clip(practice + rng.choice([0, 0, 1], size=practice.shape), 1, 5)
    practice_later = np.clip(practice + rng.choice([0, 1, 1, 2], size=practice.shape), 1, 5)
    reaction = np.column_stack([rng.choice(5, size=len(codes), p=shares) + 1 for shares in REACTION_SHARES])

    def export(levels: np.ndarray, doing: np.ndarray, answering: float, with_reaction: bool) -> bytes:
        who = [c for c in codes if rng.random() < answering]
        rows = []
        for code in who:
            i = codes.index(code)
            answers = [LEVELS[v - 1] if rng.random() > 0.05 else "-" for v in levels[i, : len(ITEMS)]]
            answers = [
                a.replace("Somewhat confident", "Somewhat – occasionally…") if n % 3 == 0 else a
                for n, a in enumerate(answers)
            ]
            answers.append(LEVELS[levels[i, -1] - 1] if i in COACHED else "-")
            answers += [FREQUENCY[v - 1] for v in doing[i]]
            if with_reaction:
                answers += [AGREEMENT[v - 1] for v in reaction[i]]
            rows.append([code, "2025-01-01 09:00", *answers])
        columns = ["Respondent ID", "Completion time", *ITEMS, COACHING, *BEHAVIOUR]
        columns += list(REACTION) if with_reaction else []
        buffer = io.StringIO()
        pd.DataFrame(rows, columns=columns).to_csv(buffer, index=False)
        return buffer.getvalue().encode("utf-8")

    return (
        export(base, practice, 0.95, False),
        export(after, practice_after, 0.85, True),
        export(later, practice_later, 0.75, False),
    )
