"""`stocktake procurement …`: price-per-unit savings and rationalisation scenarios on order lines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import HomeOption, _fail, _home_warehouse, console
from stocktake.cli.recorded import record_read

procurement_app = typer.Typer(
    help="Procurement: price-per-unit savings, rationalisation scenarios, agreed savings tracked.",
    no_args_is_help=True,
)
Warehouses = Annotated[
    list[Path] | None,
    typer.Option(
        "--warehouse",
        metavar="W",
        help="A warehouse's procurement orders (repeat for each trust; default, given no --orders: "
        "the home's).",
    ),
]
Orders = Annotated[
    list[Path] | None,
    typer.Option(
        "--orders",
        metavar="ORDERS.csv",
        help="Order lines with the procurement columns; dates ISO or dd/mm/yyyy (repeat for each trust).",
    ),
]
By = Annotated[str, typer.Option(help="The unit compared: site, or trust (several trusts' orders).")]
CategoryColumn = Annotated[
    str, typer.Option(metavar="COL", help="The column grouping like-for-like products (counted alike).")
]
Out = Annotated[Path, typer.Option(metavar="FILE.csv|.xlsx", help="Where to write the table.")]


def _sources(
    command: str,
    out: Path,
    warehouse: list[Path] | None,
    orders: list[Path] | None,
    home: Path | None,
    by="site",
):
    """The orders' sources: those given, else the home's warehouse (said which) and, by trust, the
    other trusts' orders kept in the home, as the Procurement page reads them."""
    from stocktake.files.peer_orders import peer_order_files
    from stocktake.files.procurement import Source

    given = [Source(p, "warehouse") for p in warehouse or []] + [Source(p, "csv") for p in orders or []]
    if not given and (found := _home_warehouse(home)) is not None:
        given = [Source(found, "warehouse")]
        if by == "trust":
            peers = peer_order_files(found.parent)
            given += [Source(p, "csv") for p in peers]
            console.print(f"and {len(peers)} other trusts' orders kept in the home", soft_wrap=True)
    if not given:
        _fail("give the orders: --warehouse W or --orders ORDERS.csv (the home has no warehouse)")
    for source in given:
        if source.kind == "warehouse":
            record_read(source.path, f"procurement {command}", out)
    return tuple(given)


def _own_trust(home: Path | None) -> str:
    """The department's trust as the home names it (its stocktake.toml), naming its own orders."""
    from stocktake.cli.common import _settings

    return _settings(home, private=False).trust


def _rating(text: str):
    from stocktake.procurement import Rating

    try:
        return Rating.parse(text)
    except ValueError as error:
        raise ValueError(f"--at-least: {error}") from None


@procurement_app.command("savings")
def savings(
    out: Out,
    warehouse: Warehouses = None,
    orders: Orders = None,
    from_: Annotated[str | None, typer.Option("--from", metavar="YYYY-MM", help="First month.")] = None,
    to: Annotated[str | None, typer.Option(metavar="YYYY-MM", help="Last month.")] = None,
    by: By = "site",
    level: Annotated[str, typer.Option(help="item, or category (the saving from product choice).")] = "item",
    percentile: Annotated[
        str, typer.Option(metavar="P|best|median", help="The target: a percentile of the units' prices.")
    ] = "10",
    contract_price: Annotated[
        str | None,
        typer.Option(metavar="COL", help="Price each item's target at this contract price column instead."),
    ] = None,
    category_column: CategoryColumn = "category",
    home: HomeOption = None,
) -> None:
    """Potential savings per item (or category) and unit: spend above the 10th percentile price per
    unit (OpenPrescribing's method)."""
    from stocktake.files.procurement import (
        ProcurementFileError,
        SavingsRequest,
        parse_month,
        savings_from_files,
        savings_table,
        write_tables,
    )
    from stocktake.procurement import PriceTarget

    try:
        target = (
            PriceTarget(percentile=None, column=contract_price)
            if contract_price
            else PriceTarget.parse(percentile)
        )
        request = SavingsRequest(
            sources=_sources("savings", out, warehouse, orders, home, by),
            own_trust=_own_trust(home) if by == "trust" else "",
            out=out,
            first=parse_month(from_, "--from"),
            last=parse_month(to, "--to"),
            by=by,
            level=level,
            target=target,
            category=category_column,
        )
        result = savings_from_files(request)
        table = savings_table(result)
        sheets = {"Savings": table}
        if result.products is not None:
            sheets["Products"] = result.products.round({"spend": 2, "price_per_unit": 4})
        write_tables(sheets, out)
    except (ProcurementFileError, ValueError) as error:
        _fail(str(error))
    console.print(
        f"[green]✓[/green] {len(result.table)} {level}-by-{by} rows against {result.target.label}: "
        f"potential saving £{result.total_saving:,.2f} of £{result.total_spend:,.2f} spent → {out}"
    )


@procurement_app.command("rationalise")
def rationalise(
    out: Out,
    at_least: Annotated[
        str, typer.Option(metavar="RATING", help="The lowest rating kept: an ODEP rating (10A) or a number.")
    ],
    warehouse: Warehouses = None,
    orders: Orders = None,
    ratings: Annotated[
        Path | None, typer.Option(metavar="RATINGS.csv", help="item_code,rating per product (yours).")
    ] = None,
    rating_column: Annotated[
        str | None, typer.Option(metavar="COL", help="Or: the orders' column holding each product's rating.")
    ] = None,
    keep: Annotated[int, typer.Option(help="How many of the cheapest rated products every unit buys.")] = 2,
    to: Annotated[
        str | None, typer.Option(metavar="YYYY-MM", help="The last of the 12 months (default: the latest).")
    ] = None,
    by: By = "site",
    category_column: CategoryColumn = "category",
    home: HomeOption = None,
) -> None:
    """If every unit bought the cheapest products of each category rated at least RATING: the saving
    a year on the last 12 months' volume."""
    from stocktake.files.procurement import (
        ProcurementFileError,
        RationaliseRequest,
        parse_month,
        rationalise_from_files,
        scenario_table,
        write_tables,
    )

    try:
        request = RationaliseRequest(
            sources=_sources("rationalise", out, warehouse, orders, home),
            out=out,
            at_least=_rating(at_least),
            ratings=ratings,
            rating_column=rating_column,
            keep=keep,
            last=parse_month(to, "--to"),
            by=by,
            category=category_column,
        )
        scenario = rationalise_from_files(request)
        write_tables({"Scenario": scenario_table(scenario), "Chosen products": scenario.chosen.round(4)}, out)
    except (ProcurementFileError, ValueError) as error:
        _fail(str(error))
    for note in scenario.skipped:
        console.print(f"[yellow]skipped:[/yellow] {note}")
    console.print(
        f"[green]✓[/green] {scenario.first_month}–{scenario.last_month} ({scenario.months} months): "
        f"£{scenario.annual_saving:,.2f} a year if every {by} bought the {keep} cheapest products rated "
        f"at least {request.at_least} → {out}"
    )


@procurement_app.command("track")
def track(
    agreed: Annotated[
        Path,
        typer.Option(
            metavar="AGREED.csv", help="item_code,from,baseline_price,new_price[,site]: the agreed savings."
        ),
    ],
    out: Out,
    warehouse: Warehouses = None,
    orders: Orders = None,
    to: Annotated[str | None, typer.Option(metavar="YYYY-MM", help="Track up to this month.")] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE.html|.png|.svg",
            help="Also draw each agreement's price per unit as an XmR chart, its limits started again "
            "at the agreed month.",
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Agreed savings month by month: realised against planned, cash-releasing against cost avoidance."""
    from stocktake.files.procurement import (
        ProcurementFileError,
        TrackRequest,
        parse_month,
        tracking_from_files,
        tracking_table,
        write_tables,
    )

    if chart is not None:
        _check_chart_path(chart)
    try:
        request = TrackRequest(
            _sources("track", out, warehouse, orders, home), agreed, out, parse_month(to, "--to")
        )
        table = tracking_from_files(request)
        drawn = _saving_charts(request, table) if chart is not None else []
        write_tables({"Tracking": tracking_table(table)}, out)
    except (ProcurementFileError, ValueError) as error:
        _fail(str(error))
    if chart is not None:
        _write_saving_charts(drawn, chart)
    realised, planned = table["realised_saving"].sum(), table["planned_saving"].sum()
    cash, avoided = table["cash_releasing"].sum(), table["cost_avoidance"].sum()
    console.print(
        f"[green]✓[/green] realised £{realised:,.2f} against £{planned:,.2f} planned; "
        f"cash-releasing £{cash:,.2f}, cost avoidance £{avoided:,.2f} → {out}"
    )


def _check_chart_path(chart: Path) -> None:
    if chart.suffix.lower() not in (".html", ".htm", ".png", ".svg"):
        _fail(f"--chart {chart}: a chart must be .html, .png or .svg")
    if not chart.parent.is_dir():
        _fail(f"--chart {chart}: the folder {chart.parent} does not exist; create it first")


def _saving_charts(request, table):
    """Each agreement's price per unit as an XmR chart over the same orders and months."""
    import pandas as pd

    from stocktake.files.procurement import read_agreed, read_orders
    from stocktake.procurement import saving_chart

    orders = read_orders(request.sources)
    last = pd.Period(table["month"].max(), "M") if len(table) else None
    return [saving_chart(orders, saving, last) for saving in read_agreed(request.agreed)]


def _write_saving_charts(drawn, path: Path) -> None:
    """One panel per agreement (``report.charts``' own renderers), and each one's reading said."""
    import dataclasses

    from stocktake.report.charts import facet_charts, write_chart

    panels = [
        dataclasses.replace(
            facet_charts(d, d.measure, d.target, "decrease")[0],
            title=d.label,
            unit="£",
            decimals=2,
            annotations=((d.saving.start.to_timestamp().date().isoformat(), "agreed price"),),
        )
        for d in drawn
    ]
    write_chart(panels, path)
    for d in drawn:
        console.print(f"  {_reading(d)}")
    console.print(f"[green]✓[/green] {len(panels)} chart{'s' if len(panels) != 1 else ''} → {path}")


def _reading(drawn) -> str:
    """One line: the agreement's latest period, and whether the price is still where it was agreed."""
    chart = drawn.chart
    latest = chart.latest
    kind = (latest.variation_type or "too few points for a verdict").replace("_", " ")
    if drawn.rebased_at is not None:
        since = (
            f"since {drawn.saving.start}: mean £{latest.mean:,.2f} (agreed £{drawn.saving.new_price:,.2f})"
        )
    elif drawn.deferred is not None:
        since = (
            f"limits not yet restarted at {drawn.saving.start}: {drawn.deferred[1]} of 12 months with "
            "orders since"
        )
    else:
        since = f"no months before {drawn.saving.start} to compare with"
    return f"{drawn.saving.item_code}: {kind}; {drawn.measure} {since}"
