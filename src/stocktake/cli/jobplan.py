"""`stocktake jobplan …`: check consultant job plans, compare rota designs, list plans for review, write
the team's capacity from a home's agreed plans to its warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _settings

jobplan_app = typer.Typer(
    help="Consultant job plans: PAs, premium time, the on-call supplement.", no_args_is_help=True
)

Plans = Annotated[list[Path], typer.Argument(metavar="PLAN.yaml|.xlsx...", help="One job plan per file.")]
Out = Annotated[
    Path | None,
    typer.Option(metavar="OUT.csv|.xlsx", help="Write the tables here (CSV: the first; XLSX: every table)."),
]
Shifts = Annotated[
    Path | None,
    typer.Option(
        metavar="SHIFTS.csv|.xlsx", help="A rota grid's legend (or a Shifts sheet in the rota workbook)."
    ),
]
LeaveInRota = Annotated[
    bool,
    typer.Option(
        "--leave-in-rota",
        help="The rota already shows leave and who covers it: use its frequency as rostered, "
        "without the prospective-cover adjustment.",
    ),
]


def _out_path(out: Path | None) -> None:
    """Refuse a bad output before anything is read or written."""
    if out is None:
        return
    if out.suffix.lower() not in (".csv", ".xlsx"):
        _fail(f"--out {out}: expected a .csv or .xlsx file")
    if not out.parent.is_dir():
        _fail(f"--out {out}: the folder {out.parent} does not exist")


def _read_plans(paths: list[Path]):
    from stocktake.jobplan.read import JobPlanInputError, read_plan

    found = []
    for path in paths:
        if not path.exists():
            _fail(f"{path}: no such file")
        try:
            found.append(read_plan(path))
        except JobPlanInputError as error:
            _fail(str(error))
    seen: dict[tuple[str, str], Path] = {}
    for item in found:
        key = (item.plan.consultant, item.plan.year)
        if key in seen:
            _fail(f"{item.where('consultant')}: {key[0]} {key[1]} is also the plan in {seen[key]}")
        seen[key] = item.path
    return found


def _read_rota(path: Path, shifts: Path | None):
    from stocktake.rota.duties import RotaInputError
    from stocktake.rota.grid import read_rota_file

    if not path.exists():
        _fail(f"{path}: no such file")
    try:
        return read_rota_file(path, shifts)
    except RotaInputError as error:
        _fail(str(error))


def _supplements(plan_files, rota: Path | None, rota_file, leave_in_rota: bool) -> dict:
    from stocktake.jobplan.supplement import NotOnRota, supplement_for

    found = {}
    for item in plan_files:
        if rota is not None and item.plan.on_call is None:
            found[item.plan.consultant] = None
            continue
        try:
            found[item.plan.consultant] = supplement_for(
                item.plan,
                None if rota_file is None else list(rota_file.duties),
                rota=str(rota) if rota else "",
                period=None if rota_file is None else rota_file.period,
                leave_in_rota=leave_in_rota,
            )
        except NotOnRota as error:
            field = "on_call.doctor" if item.plan.on_call and item.plan.on_call.doctor else "consultant"
            _fail(f"{item.where(field)}: {error.args[0].replace('the rota', str(rota), 1)}")
    return found


@jobplan_app.command("example")
def jobplan_example(
    folder: Annotated[Path, typer.Argument(metavar="FOLDER", help="Where to write the worked examples.")],
) -> None:
    """Write a worked job plan and two on-call rota designs (1:8 across both sites; 1:4 per site)."""
    from stocktake.jobplan.read import EXAMPLE

    names = [EXAMPLE.name, "example_oncall_both_sites.yaml", "example_oncall_by_site.yaml"]
    taken = [name for name in names if (folder / name).exists()]
    if taken:
        _fail(f"{folder / taken[0]} exists; choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text((EXAMPLE.parent / name).read_text())
    typer.echo(f"Wrote {', '.join(names)} to {folder}")


@jobplan_app.command("check")
def jobplan_check(
    plans: Plans,
    rota: Annotated[
        Path | None,
        typer.Option(
            metavar="ROTA.csv|.xlsx",
            help="The on-call rota `rota solve` built (duties.csv, rota.xlsx) or `rota check` reads; "
            "the supplement's frequency is measured from it.",
        ),
    ] = None,
    shifts: Shifts = None,
    out: Out = None,
    spa_minimum: Annotated[
        float, typer.Option(help="The department's SPA policy (AoMRC: 2.5 for new posts).")
    ] = 2.5,
    leave_in_rota: LeaveInRota = False,
) -> None:
    """PAs by type and in premium time, the on-call supplement and the warnings, for each plan; with
    several plans, the team's sessions per week by activity too."""
    from stocktake.jobplan.arithmetic import summarise
    from stocktake.jobplan.tables import (
        activity_table,
        summary_table,
        supplement_table,
        team_table,
        terms_table,
    )
    from stocktake.jobplan.team import team_capacity
    from stocktake.spreadsheets import write_tables

    _out_path(out)
    plan_files = _read_plans(plans)
    rota_file = _read_rota(rota, shifts) if rota is not None else None
    supplements = _supplements(plan_files, rota, rota_file, leave_in_rota)
    summaries = [summarise(item.plan, spa_minimum=spa_minimum) for item in plan_files]
    for summary in summaries:
        _print_plan(summary, supplements.get(summary.plan.consultant))
    team = team_table(team_capacity(item.plan for item in plan_files))
    if len(plan_files) > 1:
        typer.echo("\nTeam capacity, sessions by activity and site (net of leave: per calendar week):")
        typer.echo(team.to_string(index=False))
    if out is not None:
        sheets = {
            "Summary": summary_table(summaries, supplements),
            "Activities": activity_table(summaries),
            "Supplement": supplement_table(s for s in supplements.values() if s is not None),
            "Team": team,
            "Terms": terms_table(),
        }
        write_tables(sheets, out)
        typer.echo(f"Wrote {out}")


def _print_plan(summary, supplement) -> None:
    from stocktake.jobplan.tables import activity_table

    plan = summary.plan
    typer.echo(f"{plan.consultant} {plan.name} — job plan {plan.year} ({plan.state})".replace("  ", " "))
    table = activity_table([summary]).drop(columns=["consultant"])
    typer.echo(table.to_string(index=False))
    kinds = ", ".join(f"{kind} {pas:.2f}" for kind, pas in summary.by_type)
    typer.echo(
        f"PAs a week: {summary.total_pas:.2f} ({kinds}); {summary.premium_pas:.2f} of them in premium time; "
        f"annualised over {plan.working_weeks:g} working weeks"
    )
    if plan.on_call is not None and plan.on_call.unpredictable_pas:
        typer.echo(f"  includes {plan.on_call.unpredictable_pas:g} PA(s) of unpredictable on-call work (DCC)")
    if supplement is not None:
        flag = "" if supplement.rate.verified else f" [unverified rate: {supplement.rate.verification}]"
        where = "stated in the plan" if supplement.burden is None else f"from {supplement.rota}"
        typer.echo(
            f"On-call supplement: {supplement.percent:g}% of full-time basic salary — {supplement.band} "
            f"frequency (1 in {supplement.one_in:.2f}, {where}), category {supplement.category}{flag}"
        )
        if supplement.burden is not None:
            burden = supplement.burden
            typer.echo(
                f"  on call {burden.on_call_days} of the rota's {burden.rota_days} on-call days "
                f"(rostered 1 in {burden.rostered_one_in:.2f}); "
                f"on-call work {burden.on_call_work_pas:.2f} PA/week; "
                f"resident {burden.resident_hours:.1f} h/week"
            )
    for warning in summary.warnings:
        typer.echo(f"  warning: {warning}")
    typer.echo("")


@jobplan_app.command("compare")
def jobplan_compare(
    plans: Plans,
    rota: Annotated[
        list[Path],
        typer.Option(metavar="ROTA.csv|.xlsx", help="A rota design (give two or more: --rota A --rota B)."),
    ],
    shifts: Shifts = None,
    out: Out = None,
    leave_in_rota: LeaveInRota = False,
) -> None:
    """The same consultants under each rota design, side by side: 1 in N, band, supplement (with its
    verification), PAs of on-call work and resident hours."""
    from stocktake.jobplan.tables import (
        comparison_by_consultant,
        comparison_table,
        supplement_table,
        terms_table,
    )
    from stocktake.spreadsheets import write_tables

    _out_path(out)
    if len(rota) < 2:
        _fail("--rota: give at least two rota designs to compare (--rota A --rota B)")
    plan_files = [item for item in _read_plans(plans) if item.plan.on_call is not None]
    if not plan_files:
        _fail(f"{plans[0]}: no plan has an on_call commitment to compare")
    supplements = []
    for design in rota:
        found = _supplements(plan_files, design, _read_rota(design, shifts), leave_in_rota)
        supplements += [s for s in found.values() if s is not None]
    wide = comparison_table(supplements)
    for consultant, table in comparison_by_consultant(supplements).items():
        typer.echo(f"{consultant}:")
        typer.echo(table.to_string())
    unverified = sorted({s.rate.verification for s in supplements if not s.rate.verified})
    if unverified:
        typer.echo(
            f"Unverified supplement rates used: {', '.join(unverified)} (see the Terms sheet with --out)"
        )
    if out is not None:
        write_tables(
            {"Comparison": wide, "By rota": supplement_table(supplements), "Terms": terms_table()}, out
        )
        typer.echo(f"Wrote {out}")


@jobplan_app.command("review")
def jobplan_review(
    plans: Plans,
    last: Annotated[
        list[Path], typer.Option(metavar="PLAN.yaml|.xlsx", help="An earlier year's plan (repeat for each).")
    ],
    pas: Annotated[float, typer.Option(help="List a change of this many PAs a week or more.")] = 0.5,
    split: Annotated[float, typer.Option(help="List a DCC or SPA change of this many PAs or more.")] = 0.5,
    out: Out = None,
) -> None:
    """Plans that changed past a threshold since the last agreed plan, and what changed."""
    from stocktake.jobplan.review import Thresholds, review_queue
    from stocktake.jobplan.tables import review_table
    from stocktake.spreadsheets import write_tables

    _out_path(out)
    current = [item.plan for item in _read_plans(plans)]
    earlier = [item.plan for item in _read_plans(last)]
    queue = review_queue(current, earlier, Thresholds(pas=pas, split=split))
    typer.echo(f"{len(queue)} of {len(current)} plan(s) to review")
    for item in queue:
        typer.echo(f"{item.consultant} {item.year} (against {item.baseline_year or 'no agreed plan'}):")
        for change in item.changes:
            typer.echo(f"  {change}")
    if out is not None:
        write_tables({"Review": review_table(queue)}, out)
        typer.echo(f"Wrote {out}")


@jobplan_app.command("capacity")
def jobplan_capacity(home: HomeOption = None) -> None:
    """Write the team's capacity (sessions a week by activity and site, net of leave) from the home's
    AGREED job plans to its warehouse as the dataset ``team_capacity``, and print it."""
    from stocktake.jobplan.capacity import out_of_date, read_capacity, write_capacity
    from stocktake.jobplan.read import JobPlanInputError
    from stocktake.jobplan.store import JobPlanStore, latest_agreed, newest_change
    from stocktake.jobplan.tables import team_table
    from stocktake.jobplan.team import team_capacity
    from stocktake.warehouse import WarehouseError

    settings = _settings(home, private=False)
    if not settings.warehouse.is_file():
        _fail(f"{settings.warehouse}: no warehouse in this home yet (load the department's extracts first)")
    everything = JobPlanStore(settings.home / "jobplans").all()
    try:  # judged by when it was written against the newest agreement (ADR 0041)
        stale = out_of_date(read_capacity(settings.warehouse), newest_change(everything))
    except WarehouseError as error:
        _fail(str(error))
    if stale:
        typer.echo(f"{stale}: rebuilding it now")
    plans = []
    for kept in latest_agreed(everything):  # each one's latest year
        try:
            plans.append(kept.plan())
        except JobPlanInputError as error:
            _fail(str(error))
    try:
        written = write_capacity(settings.warehouse, plans)
    except WarehouseError as error:
        _fail(str(error))
    typer.echo(
        f"Wrote team_capacity to {settings.warehouse}: {len(written)} row(s) from {len(plans)} agreed plan(s)"
    )
    if plans:
        typer.echo(team_table(team_capacity(plans)).to_string(index=False))
