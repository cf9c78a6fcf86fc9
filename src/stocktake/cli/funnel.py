"""`stocktake funnel`: compare sites, surgeons or trusts on a funnel plot, from a CSV."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from stocktake.cli.common import _fail, console

OPTION_NAMES = ("statistic", "multiplier", "rate_type", "ratio_type", "overdispersion", "od_scale")


def funnel(
    input_csv: Annotated[
        Path, typer.Argument(metavar="INPUT.csv", help="A CSV with a row per unit (or per case).")
    ],
    unit: Annotated[
        str, typer.Option(metavar="COL", help="The column naming each unit (site, surgeon, trust).")
    ],
    numerator: Annotated[str, typer.Option(metavar="COL", help="Events (observed events for a ratio).")],
    denominator: Annotated[
        str, typer.Option(metavar="COL", help="Cases or population (expected events for a ratio).")
    ],
    out: Annotated[
        Path, typer.Option(metavar="UNITS.csv", help="Where to write each unit's value, limits, label.")
    ],
    statistic: Annotated[
        str, typer.Option(help="proportion, rate or ratio (observed ÷ expected).")
    ] = "proportion",
    multiplier: Annotated[
        float | None,
        typer.Option(
            metavar="N", help="Per N: 100 for a percentage or ISR (default), 100000 for rates (default)."
        ),
    ] = None,
    rate_type: Annotated[str, typer.Option(help="For rates: crude, or dsr (give --rate).")] = "crude",
    rate: Annotated[
        str | None, typer.Option(metavar="COL", help="For DSRs: the column of each unit's DSR.")
    ] = None,
    ratio_type: Annotated[
        str, typer.Option(help="For ratios: isr (× multiplier, default 100) or count (O ÷ E − 1).")
    ] = "isr",
    limits_at: Annotated[
        str | None,
        typer.Option(metavar="N,N,…", help="Denominators for LIMITS.csv (default: 100 spanning the data)."),
    ] = None,
    limits_out: Annotated[
        Path | None, typer.Option(metavar="LIMITS.csv", help="Where to write the funnel's lines.")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(metavar="FILE.html|.png|.svg", help="Also draw the funnel.")
    ] = None,
    overdispersion: Annotated[
        str, typer.Option(help="none, multiplicative (φ) or additive (τ², random effects).")
    ] = "none",
    od_scale: Annotated[
        str,
        typer.Option(help="Ratios and rates with overdispersion: log (SHMI) or sqrt (CQC; allows 0 events)."),
    ] = "log",
) -> None:
    """Funnel plot limits and labels as PHEindicatormethods 2.1.0 gives them, optionally widened for
    overdispersion (Spiegelhalter), as CSV files an analyst can script."""
    from stocktake.files.funnel import (
        FunnelInputError,
        FunnelRequest,
        chart_limits,
        check_funnel_outputs,
        limits_csv,
        parse_limits_at,
        run_funnel,
        units_csv,
        write_all,
    )
    from stocktake.funnel import FunnelMethod

    try:
        method = FunnelMethod(
            statistic=statistic,
            multiplier=multiplier,
            rate_type=rate_type,
            ratio_type=ratio_type,
            overdispersion=overdispersion,
            od_scale=od_scale,
        )
    except ValueError as error:
        name, _, rest = str(error).partition(" ")
        _fail(f"--{name.replace('_', '-')} {rest}" if name in OPTION_NAMES else str(error))
    if method.is_dsr and rate is None:
        _fail("--rate-type dsr needs --rate COL, the column of each unit's directly standardised rate")
    try:
        check_funnel_outputs({"--out": out, "--limits-out": limits_out, "--chart": chart}, input_csv)
        wanted = parse_limits_at(limits_at) if limits_at else None
        request = FunnelRequest(
            input_csv, unit, numerator, denominator, method, rate if method.is_dsr else None, wanted
        )
        table = run_funnel(request)
        lines = chart_limits(table, wanted)
        contents: dict[Path, str | bytes] = {out: units_csv(table)}
        if limits_out is not None:
            contents[limits_out] = limits_csv(lines)
        if chart is not None:
            from stocktake.report.funnel_chart import funnel_chart_bytes

            y_title = _value_title(method, numerator, denominator)
            contents[chart] = funnel_chart_bytes(
                chart,
                table.funnel,
                table.units,
                table.funnel.spanning_limits(),
                f"{y_title} by {unit}",
                _x_title(method, denominator),
                y_title,
            )
        write_all(contents)
    except (FunnelInputError, ValueError) as error:
        _fail(str(error))
    _report(table)


def _value_title(method, numerator: str, denominator: str) -> str:
    if method.statistic == "ratio":
        return (
            "observed ÷ expected − 1"
            if method.ratio_type == "count"
            else f"observed ÷ expected × {method.scale:g}"
        )
    if method.statistic == "rate":
        return f"{numerator} per {method.scale:,g} {denominator}" + (" (DSR)" if method.is_dsr else "")
    return f"{numerator} ÷ {denominator} × {method.scale:g}"


def _x_title(method, denominator: str) -> str:
    if method.is_dsr:
        return f"{denominator} (as the DSR implies: {method.scale:,g} × events ÷ DSR)"
    return f"{denominator} (expected events)" if method.statistic == "ratio" else denominator


def _report(table) -> None:
    funnel = table.funnel
    counts = Counter(funnel.significance)
    console.print(
        f"[green]✓[/green] {len(table.units)} units around {funnel.baseline:.4g}: "
        + ", ".join(f"{label} {n}" for label, n in sorted(counts.items()))
    )
    if funnel.dispersion is not None:
        d = funnel.dispersion
        console.print(
            f"  overdispersion ({funnel.method.overdispersion}, {d.scale} scale, Winsorised at "
            f"{d.winsor:.0%}/{1 - d.winsor:.0%}): φ = {d.phi:.4g}, τ² = {d.tau2:.4g}; dispersion statistic "
            f"k·φ = {d.statistic:.4g} on {d.units - 1} df (p = {d.p_value:.3g})"
        )
