"""Search across what the workspace keeps: QI projects (with their change ideas and PDSA cycles),
decisions, clinical audits (with their criteria), comments and programmes.

A record matches when every word of the query appears somewhere in its text, in any case: the rule
the overview's measure search already follows, so one box behaves the same everywhere. Withdrawn
projects, decisions and audits are found too and marked, because the governance record keeps them
(ADR 0024); a withdrawn PDSA cycle or comment is left out, as its page leaves it out, and a comment
on a withdrawn project is marked as the project is. A
department's records number in the hundreds or low thousands, so each kind is read and matched in
Python: the same answer on SQLite and PostgreSQL, and no LIKE patterns to escape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from stocktake.appdb.models import ClinicalAudit, Comment, Decision, Programme, Project

#: Characters of context either side of the first matching word in an excerpt.
CONTEXT = 60
QUOTES = "\"'“”‘’"


@dataclass(frozen=True)
class Hit:
    kind: str  # "Project", "Decision", "Audit", "Comment", "Programme"
    title: str
    url: str
    excerpt: str  # the text around the first word found, or "" when the title holds it
    withdrawn: bool


def words_of(query: str) -> list[str]:
    """The query's words, case-folded and without quotation marks (a quoted word is the word); at
    most ten, each at most 50 characters."""
    words = (w.strip(QUOTES) for w in query.casefold().split())
    return [w[:50] for w in words if w][:10]


def excerpt(texts: Iterable[str], words: list[str]) -> str | None:
    """None unless every word is somewhere in ``texts`` (the first is the title); "" when the title
    holds them all; else the context around the first word the title lacks, in the first text that
    holds it (``…`` where the text is cut), so a result shows why it matched."""
    texts = [t for t in texts if t]
    if not words or not texts or not all(w in "\n".join(texts).casefold() for w in words):
        return None
    title = texts[0].casefold()
    missing = next((w for w in words if w not in title), None)
    if missing is None:
        return ""
    for text in texts[1:]:
        at = text.casefold().find(missing)
        if at >= 0:
            start, end = max(0, at - CONTEXT), min(len(text), at + len(missing) + CONTEXT)
            middle = " ".join(text[start:end].split())
            return ("…" if start else "") + middle + ("…" if end < len(text) else "")
    return ""


def find(
    db: Session, query: str, *, programme_ids: set[int] | None = None, metric_titles: dict[str, str]
) -> list[Hit]:
    """What matches ``query``; ``programme_ids`` limits programmes to those the user may see
    (None: all), ``metric_titles`` names the measure a comment is on."""
    words = words_of(query)
    if not words:
        return []
    hits: list[Hit] = []

    def add(kind: str, title: str, url: str, texts: list[str], withdrawn: bool = False) -> None:
        found = excerpt([title, *texts], words)
        if found is not None:
            hits.append(Hit(kind, title, url, found, withdrawn))

    projects = db.scalars(
        select(Project).options(selectinload(Project.change_ideas), selectinload(Project.cycles))
    )
    project_titles: dict[str, tuple[str, bool]] = {}
    for p in projects:
        project_titles[str(p.id)] = (p.title, p.withdrawn)
        cycles = [" ".join((c.title, c.plan, c.prediction, c.study)) for c in p.cycles if not c.withdrawn]
        ideas = [i.description for i in p.change_ideas]
        add("Project", p.title, f"/projects/{p.id}", [p.aim, p.lead, *ideas, *cycles], p.withdrawn)
    for d in db.scalars(select(Decision)):
        add("Decision", d.title, f"/decisions/{d.id}", [d.rationale, d.evidence, d.decided_by], d.withdrawn)
    for a in db.scalars(select(ClinicalAudit).options(selectinload(ClinicalAudit.criteria))):
        add("Audit", a.title, f"/audits/{a.id}", [a.standard, *(c.text for c in a.criteria)], a.withdrawn)
    for c in db.scalars(select(Comment).where(Comment.withdrawn_at.is_(None))):
        if c.subject_kind == "metric" and c.subject_id in metric_titles:
            (on, gone), url = (metric_titles[c.subject_id], False), f"/metrics/{c.subject_id}"
        elif c.subject_kind == "project" and c.subject_id in project_titles:
            (on, gone), url = project_titles[c.subject_id], f"/projects/{c.subject_id}"
        else:
            continue
        add("Comment", f"Comment on {on}", url, [c.body], gone)
    for g in db.scalars(select(Programme)):
        if programme_ids is None or g.id in programme_ids:
            add("Programme", g.name, f"/programmes/{g.id}", [g.description])
    return hits
