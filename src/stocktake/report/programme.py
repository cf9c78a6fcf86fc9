"""`stocktake programme evaluate`: read the surveys, evaluate, and write the results for analysts.

The tables (one row a domain; one row an item's level) are written as CSV, as one workbook, and as
an HTML page with a diverging stacked bar per domain. Small numbers are suppressed as in every
other export (ADR 9, ADR 23): a count of 1–7 people is "*", and so is every statistic computed
from 1–7 people. Everything is built in memory first and each file is written to a temporary file
and renamed, so bad input writes nothing and a failure leaves no half-written file.
"""

from __future__ import annotations

import html
import io
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from stocktake.files.programme import ProgrammeFileError, read_cohort, read_domains, read_scales, read_survey
from stocktake.metrics.suppression import MASK, is_small
from stocktake.programmes import Evaluation, ItemSummary, evaluate
from stocktake.programmes.paired import (
    APPROX_CONVENTION,
    DZ_CONVENTION,
    EXACT_CONVENTION,
    GZ_CONVENTION,
    MIN_PAIRED,
    T_CONVENTION,
)
from stocktake.report.charts import PLOTLY_CONFIG
from stocktake.spreadsheets import csv_ready, keep_text

FILES = ("domains.csv", "items.csv", "likert.csv", "evaluation.xlsx", "evaluation.html")
SUPPRESSION_NOTE = "counts of 1-7 people, and statistics from 1-7 people, are shown as * (ADR 9, ADR 23)"
SMALL_PAIRS_NOTE = f"1-7 paired responses: suppressed (no test below {MIN_PAIRED})"
#: Diverging bars: levels below the middle to the left, above it to the right, the middle split.
BAR_COLOURS = ("#8a1538", "#d5281b", "#f0b8a8", "#d8dde0", "#a4c8e8", "#41b6e6", "#005eb8")


@dataclass(frozen=True)
class EvaluateRequest:
    before: Path
    after: Path
    id_column: str
    scale: Path
    domains: Path
    out: Path
    cohort: Path | None = None
    unknown_as_missing: bool = False
    suppress: bool = True
    before_label: str = "before"
    after_label: str = "after"


@dataclass(frozen=True)
class EvaluateResult:
    evaluation: Evaluation
    notes: tuple[str, ...]
    written: tuple[Path, ...]


def evaluate_files(request: EvaluateRequest) -> EvaluateResult:
    """Read and check every input, evaluate, render every output, then (only then) write them."""
    _check_out(request)
    scales = read_scales(request.scale)
    domains = read_domains(request.domains, scales)
    cohort = read_cohort(request.cohort, request.id_column) if request.cohort else None
    read = [
        read_survey(
            path,
            label,
            request.id_column,
            domains,
            cohort=cohort,
            cohort_file=request.cohort,
            unknown_as_missing=request.unknown_as_missing,
        )
        for path, label in ((request.before, request.before_label), (request.after, request.after_label))
    ]
    evaluation = evaluate(read[0].survey, read[1].survey, domains, cohort)
    notes = tuple(f"{Path(r.path).name}: {note}" for r in read for note in r.notes)
    outputs = render(evaluation, notes, suppress=request.suppress)
    return EvaluateResult(evaluation, notes, write_outputs(outputs, request.out))


def _check_out(request: EvaluateRequest) -> None:
    out = Path(request.out)
    if out.exists() and not out.is_dir():
        raise ProgrammeFileError(f"--out {out}: is a file; give a folder for the results")
    inputs = {Path(p).resolve() for p in (request.before, request.after, request.scale, request.domains)}
    clashes = [name for name in FILES if (out / name).resolve() in inputs]
    if clashes:
        raise ProgrammeFileError(f"--out {out}: writing {clashes[0]} would overwrite an input")


# --- tables ---------------------------------------------------------------------------------------------


def _round(value, places: int = 4):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, places)


def domains_table(evaluation: Evaluation, suppress: bool = True) -> pd.DataFrame:
    """One row a domain: response, pairs, unpaired counts, the tests and their conventions."""
    rows = []
    for result in evaluation.domains:
        c = result.comparison
        t, w, e = c.t_test, c.signed_rank, c.effect
        rows.append(
            {
                "domain": result.domain,
                "scale": result.scale,
                "items": "; ".join(result.items),
                "cohort": result.before.cohort,
                f"responded_{evaluation.before}": result.before.responded,
                f"response_rate_{evaluation.before}": _round(result.before.rate),
                f"responded_{evaluation.after}": result.after.responded,
                f"response_rate_{evaluation.after}": _round(result.after.rate),
                "paired": result.paired,
                f"{evaluation.before}_only": result.before_only,
                f"{evaluation.after}_only": result.after_only,
                f"mean_{evaluation.before}_paired": _round(result.mean_before),
                f"mean_{evaluation.after}_paired": _round(result.mean_after),
                f"mean_{evaluation.before}_only": _round(result.mean_before_only),
                f"mean_{evaluation.after}_only": _round(result.mean_after_only),
                "mean_difference": _round(t.mean_difference) if t else None,
                "ci95_low": _round(t.ci95_low) if t else None,
                "ci95_high": _round(t.ci95_high) if t else None,
                "t": _round(t.t) if t else None,
                "df": t.df if t else None,
                "p_t": _round(t.p, 6) if t else None,
                "wilcoxon_v": w.v if w else None,
                "wilcoxon_nonzero": w.n_nonzero if w else None,
                "wilcoxon_zeros": w.zeros if w else None,
                "p_wilcoxon": _round(w.p, 6) if w else None,
                "wilcoxon_method": w.method if w else None,
                "d_z": _round(e.d_z) if e else None,
                "g_z": _round(e.g_z) if e else None,
                "result": "; ".join(c.notes) if c.notes else "tested",
            }
        )
    table = pd.DataFrame(rows).astype({c: "Int64" for c in ("df", "wilcoxon_nonzero", "wilcoxon_zeros")})
    return _suppressed_domains(table, evaluation) if suppress else table.assign(suppressed=False)


def _suppressed_domains(table: pd.DataFrame, evaluation: Evaluation) -> pd.DataFrame:
    """Counts of 1–7 people as "*", and each statistic whose people number 1–7 with them."""
    b, a = evaluation.before, evaluation.after
    behind = {  # column → the count of people it is computed from
        "cohort": "cohort",
        f"responded_{b}": f"responded_{b}",
        f"response_rate_{b}": f"responded_{b}",
        f"responded_{a}": f"responded_{a}",
        f"response_rate_{a}": f"responded_{a}",
        f"{b}_only": f"{b}_only",
        f"mean_{b}_only": f"{b}_only",
        f"{a}_only": f"{a}_only",
        f"mean_{a}_only": f"{a}_only",
    }
    paired_stats = [
        c for c in table.columns if c not in behind and c not in ("domain", "scale", "items", "result")
    ]
    behind.update({column: "paired" for column in paired_stats})
    shown = table.astype(object)
    hidden_any = np.zeros(len(table), bool)
    for column, count in behind.items():
        hidden = is_small(table[count].to_numpy(float))
        shown[column] = shown[column].where(~hidden, MASK)
        hidden_any |= hidden
    # A note such as "counts only: 4 paired responses" would give the hidden count away.
    small_pairs = is_small(table["paired"].to_numpy(float))
    shown["result"] = shown["result"].where(~small_pairs, SMALL_PAIRS_NOTE)
    shown["suppressed"] = hidden_any
    return shown


def items_table(evaluation: Evaluation, suppress: bool = True) -> pd.DataFrame:
    """L1 summaries: each item's answered and skipped counts, median level and top-two share."""
    rows = [
        {
            "survey": s.survey,
            "domain": s.domain,
            "item": s.item,
            "answered": s.answered,
            "skipped": s.missing,
            "median_level": s.median_level,
            "top_two_share": _round(s.top_two_share),
        }
        for s in evaluation.items
    ]
    table = pd.DataFrame(rows).astype(object)
    if suppress:
        for column, count in (("answered", "answered"), ("skipped", "skipped"), ("median_level", "answered")):
            table[column] = table[column].where(~is_small(pd.DataFrame(rows)[count].to_numpy(float)), MASK)
        table["top_two_share"] = table["top_two_share"].where(
            ~is_small(_top_two_counts(evaluation.items)), MASK
        )
        table["top_two_share"] = table["top_two_share"].where(table["answered"] != MASK, MASK)
    return table


def _top_two_counts(items: tuple[ItemSummary, ...]) -> np.ndarray:
    return np.array([sum(s.counts[-2:]) for s in items], float)


def likert_table(evaluation: Evaluation, suppress: bool = True) -> pd.DataFrame:
    """Every item's answers by level (lowest first), as counts and shares of those who answered."""
    rows = [
        {
            "survey": s.survey,
            "domain": s.domain,
            "item": s.item,
            "level": level,
            "score": score,
            "count": count,
            "share": _round(count / s.answered) if s.answered else None,
        }
        for s in evaluation.items
        for score, (level, count) in enumerate(zip(s.levels, s.counts, strict=True), start=1)
    ]
    table = pd.DataFrame(rows).astype(object)
    if suppress:
        hidden = is_small(pd.DataFrame(rows)["count"].to_numpy(float))
        table["count"] = table["count"].where(~hidden, MASK)
        table["share"] = table["share"].where(~hidden, MASK)
    return table


def conventions_table(evaluation: Evaluation) -> pd.DataFrame:
    """Every convention the numbers follow, by name, so they can be checked against another tool."""
    named = [
        ("paired t", T_CONVENTION),
        ("Wilcoxon signed-rank, exact", EXACT_CONVENTION),
        ("Wilcoxon signed-rank, otherwise", APPROX_CONVENTION),
        ("effect size d_z", DZ_CONVENTION),
        ("effect size g_z", GZ_CONVENTION),
        ("small cohorts", f"fewer than {MIN_PAIRED} paired responses: counts only, no test"),
        *[("rule", rule) for rule in evaluation.rules],
    ]
    return pd.DataFrame(named, columns=["what", "convention"])


# --- rendering and writing ------------------------------------------------------------------------------


def render(evaluation: Evaluation, notes: tuple[str, ...] = (), suppress: bool = True) -> dict[str, bytes]:
    """Every output file's bytes, by name."""
    tables = {
        "Domains": domains_table(evaluation, suppress),
        "Items": items_table(evaluation, suppress),
        "Likert": likert_table(evaluation, suppress),
        "Conventions": conventions_table(evaluation),
        "Notes": pd.DataFrame(
            {"note": [*notes, SUPPRESSION_NOTE if suppress else "not suppressed (--no-suppress)"]}
        ),
    }
    return {
        "domains.csv": _csv(tables["Domains"]),
        "items.csv": _csv(tables["Items"]),
        "likert.csv": _csv(tables["Likert"]),
        "evaluation.xlsx": _workbook(tables),
        "evaluation.html": _html(evaluation, tables).encode("utf-8"),
    }


def _csv(table: pd.DataFrame) -> bytes:
    return csv_ready(table).to_csv(index=False).encode("utf-8")


def _workbook(tables: dict[str, pd.DataFrame]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, table in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append([str(c) for c in table.columns])
        for record in table.itertuples(index=False):
            sheet.append([_cell(v) for v in record])
        for position, column in enumerate(table.columns, start=1):
            widest = max([len(str(column))] + [len(str(v)) for v in table[column]])
            sheet.column_dimensions[get_column_letter(position)].width = min(60, max(8, widest + 2))
        sheet.freeze_panes = "A2"
    keep_text(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_outputs(outputs: dict[str, bytes], out: Path) -> tuple[Path, ...]:
    """Each file written beside its final name and renamed into place."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in outputs.items():
        handle, temporary = tempfile.mkstemp(dir=out, prefix=f".{name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 is for the temporary name only
            os.replace(temporary, out / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(out / name)
    return tuple(written)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# --- the HTML page --------------------------------------------------------------------------------------


def diverging_figure(summaries: list[ItemSummary]) -> go.Figure:
    """A diverging stacked bar per item and survey: the share at each level, the lower levels to the
    left of zero, the upper ones to the right and a middle level split across it."""
    levels = summaries[0].levels
    k = len(levels)
    colours = _colours(k)
    names = [f"{s.item} ({s.survey})" for s in summaries]
    shares = np.array([[c / s.answered * 100 for c in s.counts] for s in summaries])
    half = k // 2
    # Relative bars stack outwards from zero in the order they are added: the middle level first,
    # then each side from the middle out, so the extreme levels sit at the ends.
    middle = [half] if k % 2 else []
    left = [(i, -shares[:, i] / 2) for i in middle] + [(i, -shares[:, i]) for i in range(half - 1, -1, -1)]
    right = [(i, shares[:, i] / 2) for i in middle] + [(i, shares[:, i]) for i in range(k - half, k)]
    figure = go.Figure()
    for position, (index, values) in enumerate(left + right):
        figure.add_bar(
            y=names,
            x=values,
            name=levels[index],
            orientation="h",
            marker_color=colours[index],
            showlegend=not (index in middle and position >= len(left)),
            legendgroup=levels[index],
            legendrank=index + 1,
            customdata=shares[:, index],
            hovertemplate="%{y}<br>" + html.escape(levels[index]) + ": %{customdata:.0f}%<extra></extra>",
        )
    figure.update_layout(
        barmode="relative",
        xaxis={"title": "% of those who answered", "range": [-100, 100], "zeroline": True},
        yaxis={"autorange": "reversed"},
        height=120 + 40 * len(summaries),
        margin={"l": 20, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "traceorder": "normal"},
    )
    return figure


def _colours(k: int) -> list[str]:
    """Reds below the middle, blues above, grey in the middle (colour-blind safe, NHS palette)."""
    below = list(BAR_COLOURS[:3])[-(k // 2) :] if k // 2 else []
    above = list(BAR_COLOURS[4:])[: k // 2]
    middle = [BAR_COLOURS[3]] if k % 2 else []
    return (below + middle + above) if k <= 7 else [BAR_COLOURS[3]] * k


def _html(evaluation: Evaluation, tables: dict[str, pd.DataFrame]) -> str:
    from plotly.offline import get_plotlyjs

    suppressed = set(tables["Likert"].loc[tables["Likert"]["count"] == MASK, "item"])
    sections = []
    for result in evaluation.domains:
        summaries = [s for s in evaluation.items if s.domain == result.domain]
        drawn = [s for s in summaries if s.item not in suppressed and s.answered]
        hidden = sorted({s.item for s in summaries} - {s.item for s in drawn})
        chart = (
            diverging_figure(drawn).to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG)
            if drawn
            else ""
        )
        note = (
            f"<p>Not drawn ({', '.join(map(html.escape, hidden))}): some levels have 1–7 answers.</p>"
            if hidden
            else ""
        )
        sections.append(f"<section><h2>{html.escape(result.domain)}</h2>{chart}{note}</section>")
    domain_rows = tables["Domains"]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Programme evaluation</title>"
        f"<script>{get_plotlyjs()}</script>"
        "<style>body{font-family:Arial,sans-serif;margin:2em;max-width:75em}"
        "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #d8dde0;padding:4px}</style>"
        "</head><body>"
        f"<h1>Programme evaluation: {html.escape(evaluation.before)} and {html.escape(evaluation.after)}</h1>"
        f"<p>{html.escape(evaluation.cohort_source)}.</p>"
        "<h2>Domains</h2>"
        f"{_html_table(domain_rows)}"
        f"<h2>Conventions</h2>{_html_table(tables['Conventions'])}"
        f"<h2>Notes</h2>{_html_table(tables['Notes'])}"
        "<h2>Answers by level</h2>"
        f"{''.join(sections)}</body></html>"
    )


def _html_table(table: pd.DataFrame) -> str:
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if _cell(v) is None else str(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
