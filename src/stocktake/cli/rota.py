"""`stocktake rota …`: check, build and benchmark rotas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import _fail, console

TimeLimit = Annotated[float, typer.Option(metavar="SECONDS", help="Stop searching after this long.")]
rota_app = typer.Typer(help="Rotas: check, build and benchmark.", no_args_is_help=True)


@rota_app.command("check")
def rota_check(
    rota: Annotated[
        Path,
        typer.Argument(
            metavar="ROTA.xlsx|.csv",
            help="One row per duty (doctor,start,end,kind,expected_hours), or a grid of shift codes.",
        ),
    ],
    shifts: Annotated[
        Path | None,
        typer.Option(
            metavar="SHIFTS.csv|.xlsx",
            help="A grid's legend: code,start,end,kind,expected_hours,... (or a Shifts sheet in ROTA.xlsx).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="BREACHES.csv|.xlsx", help="Write the findings here.")
    ] = None,
    opted_out: Annotated[
        list[str] | None, typer.Option(help="A doctor who opted out of the WTR (56 h); any case.")
    ] = None,
    no_one_in_three: Annotated[
        bool, typer.Option("--no-one-in-three", help="Skip the unverified 1-in-3 weekend design limit.")
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(
            metavar="FIRST..LAST",
            help="The rota period, rounded up to whole weeks (default: the grid's dates, or the duties').",
        ),
    ] = None,
    wte: Annotated[
        list[str] | None,
        typer.Option(metavar="DOCTOR=0.8", help="A less-than-full-time doctor's WTE, 0.8 or 80% (R18)."),
    ] = None,
    published_on: Annotated[
        str | None, typer.Option(metavar="DATE", help="When the rota was given to the doctors (R19 notice).")
    ] = None,
) -> None:
    """Check a rota against the 2016 TCS (as amended 2019): every breach, with its rule and source."""
    from datetime import date

    from rich.markup import escape

    from stocktake.rota.breaches import breach_table, doctor_table, write_tables
    from stocktake.rota.check import check_rota, limits_for
    from stocktake.rota.duties import RotaInputError
    from stocktake.rota.grid import read_rota_file
    from stocktake.rota.rules import RULES

    if rota.suffix.lower() in (".yaml", ".yml"):
        _fail(
            f"{rota}: a rota problem to build from, not a rota; `rota check` reads a built rota (.xlsx or "
            f".csv: one row per duty, or a grid of shift codes). Build one: stocktake rota solve {rota} "
            "--out DIR, then stocktake rota check DIR/rota.xlsx"
        )
    try:
        found = read_rota_file(rota, shifts)
        limits, notes = limits_for(found.doctors, found.wte, wte or [], opted_out or [], not no_one_in_three)
    except RotaInputError as error:
        _fail(str(error))
    duties = list(found.duties)
    try:
        first, _, last = (period or "").partition("..")
        span = (date.fromisoformat(first), date.fromisoformat(last)) if period else found.period
    except ValueError:
        _fail(f"--period {period!r}: expected FIRST..LAST, like 2026-02-02..2026-03-29")
    try:
        published = date.fromisoformat(published_on) if published_on else None
    except ValueError:
        _fail(f"--published-on {published_on!r}: expected a date like 2025-12-01")
    result = check_rota(duties, limits, span, published)
    for note in (*notes, *result.warnings):
        console.print(f"[yellow]warning:[/yellow] {escape(note)}", soft_wrap=True)
    if out is not None:
        write_tables(result, out)
    table = breach_table(result)
    typer.echo(
        f"{len(duties)} duties, {len(result.doctors)} doctors, {result.period[0]} to {result.period[1]}: "
        f"{len(table)} breach(es)"
    )
    for row in table.itertuples():
        flag = "" if row.verified else " [unverified rule]"
        typer.echo(
            f"  {row.doctor} {row.date} {row.rule} {row.rule_name}: {row.found} (limit {row.limit}){flag}"
        )
    typer.echo(doctor_table(result).to_string(index=False))
    for rule, why in result.unchecked:
        typer.echo(f"  not checked: {rule} {RULES[rule].name}: {why}")
    if len(table):
        raise typer.Exit(code=1)


@rota_app.command("example")
def rota_example(
    out: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="Where to write the worked example.")],
) -> None:
    """Write a worked rota problem (two sites; a 1:8 on-call with a 1:2 and a 1:5) to edit."""
    from stocktake.rota.model import EXAMPLE

    if out.exists():
        _fail(f"{out} exists; choose another name")
    out.write_text(EXAMPLE.read_text())
    typer.echo(f"Wrote {out}. Edit it, then: stocktake rota solve {out} --out rota")


@rota_app.command("solve")
def rota_solve(
    spec: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="Doctors, shifts, cover, patterns.")],
    out: Annotated[Path, typer.Option(metavar="FOLDER", help="Where to write the grid, XLSX, calendars.")],
    time_limit: TimeLimit = 30.0,
    published: Annotated[
        Path | None,
        typer.Option(metavar="ASSIGNMENTS.csv", help="Re-plan this published rota with the fewest changes."),
    ] = None,
    keep_until: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="When re-planning, keep every duty before this date."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="CP-SAT search workers (default: one per core).")
    ] = None,
) -> None:
    """Build a compliant, fair rota (or say in plain words why none exists)."""
    from datetime import date

    from stocktake.rota.export import fairness_spread, pattern_table, read_assignments, write_rota
    from stocktake.rota.model import RotaSpecError, read_problem
    from stocktake.rota.solver import NoCompliantRota, Replan, solve

    try:
        problem = read_problem(spec)
        replan = None
        if published is not None:
            keep = date.fromisoformat(keep_until) if keep_until else None
            replan = Replan(read_assignments(published), keep)
        elif keep_until:
            _fail("--keep-until needs --published")
    except (RotaSpecError, ValueError, OSError) as error:
        _fail(str(error))
    with console.status(f"Building {problem.name} for up to {time_limit:g} s…"):
        try:
            solution = solve(problem, seconds=time_limit, workers=workers, replan=replan)
        except NoCompliantRota as error:
            typer.echo("\n".join(error.reasons))
            raise typer.Exit(code=1) from None
        except RuntimeError as error:
            _fail(str(error))
    write_rota(solution, out)
    check = solution.check()
    typer.echo(
        f"{problem.name}: {len(solution.assignments)} duties for {len(problem.doctors)} doctors, "
        f"{problem.start} to {problem.end} ({solution.status.lower()}, {solution.seconds:.1f} s); "
        f"{len(check.breaches)} breach(es) on re-check"
    )
    if replan is not None:
        typer.echo(
            f"Changes to the published rota: {len(solution.added)} added, {len(solution.removed)} removed"
        )
        for change, sign in [(a, "-") for a in solution.removed] + [(a, "+") for a in solution.added]:
            typer.echo(f"  {sign} {change.date:%a %d %b} {change.shift} {problem.doctor(change.doctor).name}")
    for request in solution.unmet_requests:
        typer.echo(f"Request not met: {request}")
    patterns = pattern_table(solution)
    typer.echo(patterns.to_string(index=False))
    spread = fairness_spread(solution)
    typer.echo("Distance from each doctor's fair share by WTE (count − share):")
    typer.echo(spread.round(2).to_string())
    typer.echo(f"Wrote {out}/rota.xlsx, grid.csv, assignments.csv, duties.csv, fairness.csv, calendars/")


@rota_app.command("curtois")
def rota_curtois(
    instance: Annotated[Path, typer.Argument(metavar="INSTANCE.txt", help="A Curtois benchmark instance.")],
    out: Annotated[Path, typer.Option(metavar="ROSTER.csv", help="Where to write employee,day,shift rows.")],
    time_limit: TimeLimit = 30.0,
    workers: Annotated[
        int | None, typer.Option(help="CP-SAT search workers (default: one per core).")
    ] = None,
) -> None:
    """Solve an Employee Shift Scheduling Benchmark instance (column generation, then CP-SAT); re-score it."""
    from stocktake.rota.curtois.instance import read_instance, score, write_roster
    from stocktake.rota.curtois.solver import solve

    if not instance.exists():
        _fail(f"{instance}: no such file")
    problem = read_instance(instance)
    with console.status(f"Solving {problem.name} for up to {time_limit:g} s…"):
        try:
            solution = solve(problem, seconds=time_limit, workers=workers)
        except RuntimeError as error:
            _fail(str(error))
    write_roster(solution.roster, out)
    checked = score(problem, solution.roster)
    typer.echo(
        f"objective {solution.objective}  best bound {solution.best_bound}  time {solution.seconds:.1f} s"
        f"  ({solution.status.lower()}; re-scored {checked.objective},"
        f" {len(checked.violations)} hard breaches)"
    )
    if checked.objective != solution.objective or checked.violations:
        _fail("the independent scorer disagrees with the solver: " + "; ".join(checked.violations[:3]))
