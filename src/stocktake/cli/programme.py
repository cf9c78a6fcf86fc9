"""`stocktake programme …`: leadership-programme evaluation from survey exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stocktake.cli.common import _fail, console

programme_app = typer.Typer(
    help="Leadership programmes: evaluate pre/post (or follow-up) surveys by domain.", no_args_is_help=True
)


@programme_app.command("evaluate")
def evaluate(
    before: Annotated[
        Path,
        typer.Argument(metavar="SURVEY_PRE.csv", help="The survey before (CSV or XLSX, one row a response)."),
    ],
    after: Annotated[
        Path,
        typer.Argument(
            metavar="SURVEY_POST.csv", help="The survey after, or a follow-up at a chosen interval (L3)."
        ),
    ],
    id_column: Annotated[str, typer.Option("--id", metavar="COL", help="The column naming each respondent.")],
    scale: Annotated[Path, typer.Option(metavar="SCALE.yaml", help="Answer texts to ordered levels.")],
    domains: Annotated[Path, typer.Option(metavar="DOMAINS.yaml", help="The items of each domain.")],
    out: Annotated[Path, typer.Option(metavar="DIR", help="The folder for the results.")],
    cohort: Annotated[
        Path | None,
        typer.Option(metavar="COHORT.csv", help="Everyone invited (the --id column): for response rates."),
    ] = None,
    unknown_as_missing: Annotated[
        bool,
        typer.Option(
            "--unknown-as-missing", help="Count answers not on the scale as skipped (they are listed)."
        ),
    ] = False,
    suppress: Annotated[
        bool,
        typer.Option(
            "--suppress/--no-suppress", help="Show counts of 1-7 people, and statistics from them, as *."
        ),
    ] = True,
    level: Annotated[
        str,
        typer.Option(
            metavar="LEVEL",
            help="learning (SURVEY_POST is after the programme) or behaviour (a follow-up, L3: "
            "its reaction items are not needed and not read).",
        ),
    ] = "learning",
    labels: Annotated[
        str | None,
        typer.Option(
            metavar="BEFORE,AFTER",
            help="What to call the two surveys in the outputs (before,after; before,follow-up at "
            "--level behaviour).",
        ),
    ] = None,
) -> None:
    """Paired pre/post statistics per domain (paired t, Wilcoxon signed-rank, d_z and g_z), response
    rates, unpaired counts and Likert distributions, as CSV, XLSX and HTML."""
    from stocktake.files.programme import ProgrammeFileError
    from stocktake.report.programme import EvaluateRequest, evaluate_files

    if labels is None:
        labels = "before,follow-up" if level.strip().lower() == "behaviour" else "before,after"
    before_label, comma, after_label = labels.partition(",")
    if not comma or not before_label.strip() or not after_label.strip() or before_label == after_label:
        _fail(f"--labels {labels!r}: write two different names, as BEFORE,AFTER")
    request = EvaluateRequest(
        before=before,
        after=after,
        id_column=id_column,
        scale=scale,
        domains=domains,
        out=out,
        cohort=cohort,
        unknown_as_missing=unknown_as_missing,
        suppress=suppress,
        before_label=before_label.strip(),
        after_label=after_label.strip(),
        level=level.strip().lower(),
    )
    try:
        result = evaluate_files(request)
    except ProgrammeFileError as error:
        _fail(str(error))
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True)
    console.print(_summary(result.evaluation))
    console.print(f"[green]✓[/green] wrote {', '.join(p.name for p in result.written)} to {out}")


def _summary(evaluation) -> Table:
    """The terminal's view for the analyst: pairs, the mean difference and both p-values."""
    table = Table(title=f"{evaluation.after} minus {evaluation.before}, per domain")
    for column in ("domain", "paired", "mean diff (95% CI)", "p (t)", "p (Wilcoxon)", "g_z", "result"):
        table.add_column(column)
    for result in evaluation.domains:
        t, w, e = result.comparison.t_test, result.comparison.signed_rank, result.comparison.effect
        table.add_row(
            result.domain,
            str(result.paired),
            f"{t.mean_difference:.2f} ({t.ci95_low:.2f} to {t.ci95_high:.2f})" if t else "",
            f"{t.p:.4f}" if t else "",
            f"{w.p:.4f} ({w.method})" if w else "",
            f"{e.g_z:.2f}" if e else "",
            "; ".join(result.comparison.notes) or "tested",
        )
    return table
