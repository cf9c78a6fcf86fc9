"""The programme report for the programme board, by Kirkpatrick level: HTML, XLSX and PDF.

Attendance and completion per cohort; L1 reaction (each item's answers after the programme), L2
learning and L3 behaviour (each domain before and after, paired: ``report.programme``'s tables, small
numbers suppressed as in every export, ADR 9 and ADR 23); L4 results (each participant's QI projects
and the stock-take's verdict on their measures). The HTML draws ``report.programme``'s diverging
bars with Plotly; the PDF (WeasyPrint, which runs no script) draws the same shares as plain bars.
Individual attendance is not in the report: the board sees rates and completion counts.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from stocktake.metrics.suppression import MASK
from stocktake.report.charts import PLOTLY_CONFIG
from stocktake.report.programme import (
    SUPPRESSION_NOTE,
    _colours,
    _html_table,
    _workbook,
    conventions_table,
    diverging_figure,
    domains_table,
    items_table,
    likert_table,
)

MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
LEVEL_TITLES = {
    "learning": "Level 2, learning: before and after",
    "behaviour": "Level 3, behaviour: before and a follow-up",
}
DOMAIN_COLUMNS = (
    "domain",
    "cohort",
    "paired",
    "mean_difference",
    "ci95_low",
    "ci95_high",
    "p_t",
    "p_wilcoxon",
)


def attendance_tables(views: Sequence) -> tuple[pd.DataFrame, pd.DataFrame]:
    by_module, completion = [], []
    for view in views:
        a = view.attendance
        for module, rate in a.by_module:
            by_module.append(
                {
                    "cohort": view.cohort.name,
                    "module": module,
                    "attended": rate.attended,
                    "possible": rate.possible,
                    "rate": round(rate.share, 4) if rate.possible else None,
                }
            )
        statuses = [p.status for p in a.by_participant]
        completion.append(
            {
                "cohort": view.cohort.name,
                "participants": len(a.by_participant),
                "sessions": a.sessions,
                "sessions_recorded": a.recorded,
                "sessions_needed": a.needed,
                "completed": statuses.count("completed"),
                "in_progress": statuses.count("in progress"),
                "not_completed": statuses.count("not completed"),
                "attendance_rate": round(a.overall.share, 4) if a.overall.possible else None,
            }
        )
    return pd.DataFrame(by_module), pd.DataFrame(completion)


def results_table(views: Sequence) -> pd.DataFrame:
    rows = [
        {
            "cohort": view.cohort.name,
            "participant": result.participant.name,
            "service": result.participant.service,
            "project": result.title,
            "measure": measure.title,
            "kind": measure.kind,
            "verdict": measure.category,
            "why": measure.sentence,
        }
        for view in views
        for result in view.results
        for measure in (result.measures or ())
    ]
    return pd.DataFrame(
        rows, columns=["cohort", "participant", "service", "project", "measure", "kind", "verdict", "why"]
    )


def _evaluations(views: Sequence):
    for view in views:
        for ev in view.evaluations:
            if ev.evaluation is not None:
                yield view, ev


def _tagged(table: pd.DataFrame, view, ev) -> pd.DataFrame:
    return table.assign(cohort=view.cohort.name, evaluation=ev.record.label, level=ev.record.level)


def tables(programme, views: Sequence) -> dict[str, pd.DataFrame]:
    modules, completion = attendance_tables(views)
    evaluated = list(_evaluations(views))
    domains = [_tagged(domains_table(ev.evaluation), view, ev) for view, ev in evaluated]
    items = [_tagged(items_table(ev.evaluation), view, ev) for view, ev in evaluated]
    likert = [_tagged(likert_table(ev.evaluation), view, ev) for view, ev in evaluated]
    notes = [f"{view.cohort.name}, {ev.record.label}: {n}" for view, ev in evaluated for n in ev.notes]
    return {
        "Completion": completion,
        "Attendance by module": modules,
        "L1 items": pd.concat(items, ignore_index=True) if items else pd.DataFrame(),
        "L2 and L3 domains": pd.concat(domains, ignore_index=True) if domains else pd.DataFrame(),
        "Likert": pd.concat(likert, ignore_index=True) if likert else pd.DataFrame(),
        "L4 results": results_table(views),
        "Conventions": conventions_table(evaluated[0][1].evaluation) if evaluated else pd.DataFrame(),
        "Notes": pd.DataFrame(
            {
                "note": [
                    f"completion: {programme.completion_share:.0%} of the cohort's sessions attended",
                    *notes,
                    "survey results: " + SUPPRESSION_NOTE,
                    "attendance and completion counts are of staff on the programme, not patients: "
                    "shown as they are (ADR 31)",
                ]
            }
        ),
    }


def _static_bars(summaries, suppressed: set[str]) -> str:
    """The diverging bars' shares as plain HTML (for the PDF: WeasyPrint runs no script)."""
    rows = []
    for s in summaries:
        if s.item in suppressed or not s.answered:
            continue
        colours = _colours(len(s.levels))
        parts = "".join(
            f"<span style='display:inline-block;height:1em;width:{count / s.answered * 60:.2f}%;"
            f"background:{colours[i]}' title='{html.escape(level)}'></span>"
            for i, (level, count) in enumerate(zip(s.levels, s.counts, strict=True))
        )
        rows.append(f"<div><small>{html.escape(s.item)} ({html.escape(s.survey)})</small><br>{parts}</div>")
    legend = ""
    if summaries:
        colours = _colours(len(summaries[0].levels))
        legend = " ".join(
            f"<span style='color:{colours[i]}'>■</span> {html.escape(level)}"
            for i, level in enumerate(summaries[0].levels)
        )
    return f"<p><small>{legend}</small></p>{''.join(rows)}"


def render_html(programme, views: Sequence, *, static: bool = False) -> str:
    from plotly.offline import get_plotlyjs

    t = tables(programme, views)
    parts = [
        f"<h1>{html.escape(programme.name)}: programme report</h1>",
        f"<p>{html.escape(programme.description)}</p>" if programme.description else "",
        "<h2>Attendance and completion</h2>",
        f"<p>A participant completes on attending at least {programme.completion_share:.0%} of their cohort's"
        " sessions.</p>",
        _html_table(t["Completion"]) if len(t["Completion"]) else "<p>No cohorts yet.</p>",
        _html_table(t["Attendance by module"]) if len(t["Attendance by module"]) else "",
    ]
    evaluated = list(_evaluations(views))
    parts.append("<h2>Level 1, reaction: answers after the programme</h2>")
    if not evaluated:
        parts.append("<p>No evaluation yet: upload the surveys on a cohort's page.</p>")
    for view, ev in evaluated:
        ev_likert = likert_table(ev.evaluation)
        suppressed = set(ev_likert.loc[ev_likert["count"] == MASK, "item"])
        after = [s for s in ev.evaluation.items if s.survey == ev.evaluation.after]
        drawn = [s for s in after if s.item not in suppressed and s.answered]
        parts.append(f"<h3>{html.escape(view.cohort.name)}: {html.escape(ev.record.label)}</h3>")
        if static:
            parts.append(_static_bars(after, suppressed))
        elif drawn:
            figure = diverging_figure(drawn)
            parts.append(figure.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG))
        hidden = sorted({s.item for s in after} - {s.item for s in drawn})
        if hidden:
            parts.append(
                f"<p>Not drawn ({html.escape(', '.join(hidden))}): some levels have 1–7 answers.</p>"
            )
    for level, title in LEVEL_TITLES.items():
        parts.append(f"<h2>{title}</h2>")
        found = [(view, ev) for view, ev in evaluated if ev.record.level == level]
        if not found:
            parts.append("<p>None yet.</p>")
        for view, ev in found:
            table = domains_table(ev.evaluation)
            shown = table[
                [c for c in table.columns if c in (*DOMAIN_COLUMNS, "result") or "response_rate" in c]
            ]
            parts.append(f"<h3>{html.escape(view.cohort.name)}: {html.escape(ev.record.label)}</h3>")
            parts.append(_html_table(shown))
    parts.append("<h2>Level 4, results: the services participants lead</h2>")
    results = t["L4 results"]
    parts.append(
        _html_table(results.drop(columns=["why"]))
        if len(results)
        else "<p>No participant is linked to a QI project yet.</p>"
    )
    if len(t["Conventions"]):
        parts.append(f"<h2>Conventions</h2>{_html_table(t['Conventions'])}")
    parts.append(f"<h2>Notes</h2>{_html_table(t['Notes'])}")
    script = "" if static else f"<script>{get_plotlyjs()}</script>"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(programme.name)}: programme report</title>{script}"
        "<style>body{font-family:Arial,sans-serif;margin:2em;max-width:75em}"
        "table{border-collapse:collapse;font-size:0.8em}td,th{border:1px solid #d8dde0;padding:3px}"
        "@page{size:A4 landscape;margin:1.5cm}</style>"
        f"</head><body>{''.join(parts)}</body></html>"
    )


def render_xlsx(programme, views: Sequence) -> bytes:
    return _workbook({name: table for name, table in tables(programme, views).items() if len(table.columns)})


def render_pdf(programme, views: Sequence) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(programme, views, static=True)).write_pdf()


def programme_report(programme, views: Sequence, fmt: str) -> bytes:
    if fmt == "html":
        return render_html(programme, views).encode("utf-8")
    if fmt == "xlsx":
        return render_xlsx(programme, views)
    if fmt == "pdf":
        return render_pdf(programme, views)
    raise ValueError(f"no programme report as {fmt!r}")
