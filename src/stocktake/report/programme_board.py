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
from stocktake.report.programme import (
    COARSE_NOTE,
    MEANS_NOTE,
    SETTLED_NOTE,
    SUPPRESSION_NOTE,
    _html_table,
    _workbook,
    answers_html,
    conventions_table,
    domains_table,
    items_table,
    likert_table,
)

MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
#: Each level shows the domains that declare it, from every evaluation (after the programme, and at a
#: follow-up): a behaviour domain is level 3's wherever it was asked, a learning domain level 2's.
#: Not "before and after": a follow-up evaluation sits here too; each evaluation's heading names its two
#: surveys ("before and follow-up", ``evaluation_heading``).
LEVEL_TITLES = {
    "learning": "Level 2, learning: the learning domains, by evaluation",
    "behaviour": "Level 3, behaviour: the behaviour domains, by evaluation",
}
#: A row's result when figures are hidden: the reason, said once under the table (``hidden_notes``).
HIDDEN_RESULT = "hidden: small numbers (see note)"


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
                "withdrawn": withdrawn_count(view),
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


def withdrawn_count(view) -> int:
    """Participants withdrawn from the cohort: left out of its attendance and completion."""
    return sum(1 for p in getattr(view.cohort, "participants", ()) if getattr(p, "withdrawn", False))


def invited_note(view, ev) -> str:
    """What an evaluation's "of N" counts: those enrolled when its surveys were uploaded (frozen), which
    the cohort's current size may no longer be. Someone withdrawn since stays among them (invited, and
    counted as responded) with their answers left out; someone who joined since is not among them."""
    codes = set(getattr(ev.record, "invited", ()) or ())
    if not codes:
        return ""
    invited = len(codes)
    when = getattr(ev.record, "created_at", None)
    on = f" on {when.day} {when:%B %Y}" if when else ""
    text = f"response rates are of the {invited} enrolled when the surveys were uploaded{on}"
    gone = sum(1 for p in getattr(view.cohort, "participants", ()) if p.withdrawn and p.code in codes)
    joined = sum(1 for p in getattr(view.cohort, "current", ()) if p.code not in codes)
    since = [
        f"{gone} withdrawn (still among the {invited} invited; their answers left out)" if gone else "",
        f"{joined} joined (not invited to these surveys)" if joined else "",
    ]
    if gone or joined:
        current = len(getattr(view.cohort, "current", ()) or ())
        text += f"; since then {' and '.join(w for w in since if w)}, so the cohort has {current} now"
    return text


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
            "when": measure.timing,
            "why": measure.sentence,
        }
        for view in views
        for result in view.results
        for measure in (result.measures or ())
    ]
    return pd.DataFrame(
        rows,
        columns=["cohort", "participant", "service", "project", "measure", "kind", "verdict", "when", "why"],
    )


def _evaluations(views: Sequence):
    for view in views:
        for ev in view.evaluations:
            if ev.evaluation is not None:
                yield view, ev


def _tagged(table: pd.DataFrame, view, ev) -> pd.DataFrame:
    """The table with its cohort and evaluation named; the evaluation's level in a column of its own
    (``level`` is the Likert table's answer)."""
    return table.assign(cohort=view.cohort.name, evaluation=ev.record.label, evaluation_level=ev.record.level)


P_COLUMNS = ("p_t", "p_t_holm", "p_wilcoxon", "p_wilcoxon_holm")


def _p_text(table: pd.DataFrame) -> pd.DataFrame:
    """The board workbook's p-values: below 0.001 as the text "< 0.001", never a float a cell shows as 0.0."""
    table = table.copy()
    for column in (c for c in P_COLUMNS if c in table.columns):
        table[column] = [
            "< 0.001" if (isinstance(v, str) and v.startswith("< 1e")) else _below(v) for v in table[column]
        ]
    return table


def _below(value):
    if _missing(value) or isinstance(value, str):
        return value
    return "< 0.001" if float(value) < 0.001 else value


def _reaction(table: pd.DataFrame, ev) -> pd.DataFrame:
    """L1's items: the reaction items of the after survey."""
    if table.empty:
        return table
    keep = (table["kirkpatrick_level"] == "reaction") & (table["survey"] == ev.evaluation.after)
    return table[keep]


def tables(programme, views: Sequence) -> dict[str, pd.DataFrame]:
    modules, completion = attendance_tables(views)
    evaluated = list(_evaluations(views))
    domains = [_tagged(_p_text(domains_table(ev.evaluation)), view, ev) for view, ev in evaluated]
    items = [_reaction(_tagged(items_table(ev.evaluation), view, ev), ev) for view, ev in evaluated]
    likert = [_tagged(likert_table(ev.evaluation), view, ev) for view, ev in evaluated]
    notes = [
        f"{view.cohort.name}, {ev.record.label}: {n}"
        for view, ev in evaluated
        for n in (*ev.notes, invited_note(view, ev))
        if n
    ]
    withdrawn = [
        f"{view.cohort.name}: {n} withdrawn, left out of attendance and completion"
        for view in views
        if (n := withdrawn_count(view))
    ]
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
                    *withdrawn,
                    *notes,
                    "survey results: " + SUPPRESSION_NOTE,
                    "attendance and completion counts are of staff on the programme, not patients: "
                    "shown as they are (ADR 31)",
                ]
            }
        ),
    }


def _level_one(view, ev, static: bool) -> str:
    """L1: the reaction items of the after survey (items whose domain declares ``level: reaction``),
    as a table always and as bars where no level was chosen by 1-7 people."""
    e = ev.evaluation
    reaction = [s for s in e.items if s.survey == e.after and s.level == "reaction"]
    heading = f"<h3>{html.escape(view.cohort.name)}: {html.escape(ev.record.label)}</h3>"
    if not reaction:
        return heading + (
            "<p>No reaction items: no domain in this evaluation's DOMAINS.yaml declares "
            "<code>level: reaction</code> (learning and behaviour items are reported at levels 2 and 3).</p>"
        )
    return heading + answers_html(reaction, static=static)


def board_domains(evaluation) -> pd.DataFrame:
    """The board's view of each domain: who answered (always shown), the pairs, the paired means and
    the tests in a few readable columns, from ``domains_table``'s suppressed figures (so a "*" there is
    a "*" here)."""
    table = domains_table(evaluation)
    b, a = evaluation.before, evaluation.after
    rows = []
    for row in table.to_dict("records"):
        rows.append(
            {
                "Domain": row["domain"],
                "Kirkpatrick level": row["kirkpatrick_level"],
                f"Responded to the {b} survey": _of(
                    row[f"responded_{b}"], row["cohort"], row[f"response_rate_{b}"], row.get(f"withdrawn_{b}")
                ),
                f"Responded to the {a} survey": _of(
                    row[f"responded_{a}"], row["cohort"], row[f"response_rate_{a}"], row.get(f"withdrawn_{a}")
                ),
                f"Answered this domain, {b} / {a}": f"{row[f'answered_{b}']} / {row[f'answered_{a}']}",
                "Paired responses": row["paired"],
                f"Mean {b} → {a} (paired)": _pair(row[f"mean_{b}_paired"], row[f"mean_{a}_paired"], " → "),
                "Difference (95% CI)": _difference(row),
                "p (paired t); Holm-adjusted": _pair(_p(row["p_t"]), _p(row["p_t_holm"]), "; "),
                "p (Wilcoxon); Holm-adjusted": _pair(_p(row["p_wilcoxon"]), _p(row["p_wilcoxon_holm"]), "; "),
                "Wilcoxon method": _method(row["wilcoxon_method"]),
                "Effect size d_z; g_z": _pair(row["d_z"], row["g_z"], "; "),
                "Direction; effect size": _pair(row.get("direction"), row.get("effect_size"), "; "),
                "Result": HIDDEN_RESULT if _hidden_reason(row["result"]) else row["result"],
            }
        )
    return pd.DataFrame(rows)


def _hidden_reason(result) -> str:
    """The long reason a domain's figures are hidden, "" when none: said once under the table."""
    if not isinstance(result, str):
        return ""
    for reason in (COARSE_NOTE, SETTLED_NOTE, MEANS_NOTE):
        if reason in result:
            return reason
    if "shown as * in exports" in result:  # ``small_pairs_note``: the pairs are shown beside it
        return (
            "a domain with 1-7 paired responses is tested, but its statistics from so few people are "
            "shown as * (ADR 9, ADR 23)"
        )
    return ""


def hidden_notes_of(evaluation, level: str) -> str:
    """One note under a level's table for its rows that say "hidden: small numbers (see note)"."""
    table = domains_table(evaluation)
    if table.empty:
        return ""
    rows = table[table["kirkpatrick_level"] == level]["result"]
    reasons = dict.fromkeys(r for r in map(_hidden_reason, rows) if r)
    if not reasons:
        return ""
    said = "; ".join(reasons)
    return f"<p>Note ({html.escape(HIDDEN_RESULT)}): {html.escape(said)}.</p>"


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _of(count, cohort, rate, withdrawn=None) -> str:
    """A survey's responses of those invited to it (the evaluation's cohort), not of a domain's askees.
    With people who responded and were withdrawn since: all who responded, and how many of them left,
    "21 of 22 invited responded (95%); 1 of them since withdrawn, their answers left out"."""
    if not _missing(withdrawn) and withdrawn:
        responded = int(count) + int(withdrawn)
        share = f" ({responded / cohort:.0%})" if cohort else ""
        return (
            f"{responded} of {cohort} invited responded{share}; {withdrawn} of them since withdrawn, their "
            "answers left out"
        )
    shown = f"{count} of {cohort} invited"
    return f"{shown} ({rate:.0%})" if not _missing(rate) and rate != MASK else shown


def _number(value, places: int = 2) -> str:
    if _missing(value):
        return ""
    return MASK if value == MASK else f"{float(value):.{places}f}"


def _method(value) -> str:
    if _missing(value):
        return ""
    return {"normal approximation": "normal approximation, continuity-corrected"}.get(value, value)


def _p(value) -> str:
    if _missing(value) or value == MASK:
        return "" if _missing(value) else MASK
    if isinstance(value, str):  # a band ("< 0.05", "≥ 0.05") or "< 1e-300"
        return "<0.001" if value.startswith("< 1e") else value
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def _pair(first, second, between: str) -> str:
    first, second = (v if isinstance(v, str) else _number(v) for v in (first, second))
    return f"{first}{between}{second}" if first or second else ""


def _difference(row) -> str:
    if _missing(row["mean_difference"]):
        return ""
    if MASK in (row["mean_difference"], row["ci95_low"]):
        return MASK
    low, high = _number(row["ci95_low"]), _number(row["ci95_high"])
    return f"{_number(row['mean_difference'])} ({low} to {high})"


def _level_two_or_three(view, ev, level: str) -> str:
    """The evaluation's domains of this Kirkpatrick level ("" when it has none)."""
    table = board_domains(ev.evaluation)
    if table.empty or not (table["Kirkpatrick level"] == level).any():
        return ""
    table = table[table["Kirkpatrick level"] == level]
    holm = hidden_notes_of(ev.evaluation, level) + holm_note(ev.evaluation, level)
    invited = invited_note(view, ev)
    holm += f"<p>{html.escape(invited[0].upper() + invited[1:])}.</p>" if invited else ""
    responded = (
        "<p>Responded to a survey: of everyone invited to it; a domain asked of fewer (an optional "
        "module's) has its own count under Answered this domain.</p>"
    )
    return f"<h3>{html.escape(evaluation_heading(view, ev))}</h3>{_html_table(table)}{responded}{holm}"


def evaluation_heading(view, ev) -> str:
    """The cohort, the evaluation's label and, unless the label already says it, its two surveys: never
    "Before and after (before and after)"."""
    before, after = ev.evaluation.before, ev.evaluation.after
    label = ev.record.label
    said = all(word.lower() in label.lower() for word in (before, after))
    return f"{view.cohort.name}: {label}" + ("" if said else f" ({before} and {after})")


def holm_note(evaluation, level: str) -> str:
    """The Holm family as it is: every domain tested in the evaluation, whichever level's table is
    shown, named, with how many of them this table holds ("" when the family is one domain or this
    table holds none of it)."""
    family = [d.domain for d in evaluation.domains if d.tested]
    here = [d.domain for d in evaluation.domains if d.tested and d.level == level]
    if len(family) < 2 or not here:
        return ""
    where = (
        "all of them in this table"
        if len(here) == len(family)
        else f"{len(here)} of them in this table, the others at another level"
    )
    return (
        f"<p>Holm's adjustment is across the {len(family)} domains tested in this evaluation "
        f"({html.escape(', '.join(family))}; {where}): each p is given raw and then Holm-adjusted "
        '(R\'s p.adjust, "holm"); read the adjusted one when asking whether any domain changed. '
        "A Wilcoxon p from the normal approximation is first raised to the smallest p the exact test "
        "could give on its differences (2/2^n), so no adjusted p is below it.</p>"
    )


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
    learning = [(view, ev) for view, ev in evaluated if ev.record.level == "learning"]
    if not learning:
        parts.append("<p>No evaluation yet: upload the surveys on a cohort's page.</p>")
    parts += [_level_one(view, ev, static) for view, ev in learning]
    for level, title in LEVEL_TITLES.items():
        parts.append(f"<h2>{title}</h2>")
        found = [shown for view, ev in evaluated if (shown := _level_two_or_three(view, ev, level))]
        parts += found or ["<p>None yet.</p>"]
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
        "tr{page-break-inside:avoid;break-inside:avoid}thead{display:table-header-group}"
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
