"""SPC on an analyst's CSV: read and check it, chart every facet at once, write the results.

The output files have the columns and value formats of the NHSRplotthedots reference outputs
(R's write.csv), so they can be diffed against the R package's results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from stocktake.spc.rules import DEFAULT_PROFILE
from stocktake.spc.xmr import ManyXmr, xmr_many

FIRST_RECORD_ROW = 2  # rows are numbered as a spreadsheet shows them: the header is row 1
DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%d/%m/%Y %H:%M")
MISSING = {"", "NA", "N/A", "na", "NaN", "nan", "null", "NULL"}


class SpcInputError(ValueError):
    """Input that cannot be charted; the message names the file, row and column."""


@dataclass(frozen=True)
class SpcRequest:
    input: Path
    date: str
    value: str
    facet: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    improvement: str = "increase"
    target: float | None = None
    rebase: tuple[tuple[str | None, str], ...] = ()  # (facet or None for all, date)
    fix_after: int | None = None
    screen_outliers: bool | None = None
    profile: str = DEFAULT_PROFILE


@dataclass(frozen=True)
class SpcTable:
    """The charted table: one row per point, sorted by facet and date, and the engine's result."""

    facet: np.ndarray
    x: pd.DatetimeIndex
    y: np.ndarray
    y_text: np.ndarray  # each value as the input file wrote it ("NA" where missing)
    result: ManyXmr
    warnings: tuple[str, ...] = field(default=())

    @property
    def period(self) -> np.ndarray:
        """The period number of each row."""
        return np.repeat(np.arange(len(self.result.period_n)), self.result.period_n)


def parse_rebase(text: str) -> tuple[str | None, str]:
    """'2024-04-01' applies to every facet; 'R1F:2024-04-01' to one."""
    facet, _, when = text.rpartition(":")
    if facet and not _looks_like_date_prefix(facet):
        return facet, when
    return None, text


def _looks_like_date_prefix(text: str) -> bool:
    return text.replace("-", "").replace("/", "").replace(" ", "").isdigit()


def run_spc(request: SpcRequest) -> SpcTable:
    """Read, check and chart the request's CSV."""
    frame = _read(request)
    facet = frame["_facet"].to_numpy()
    x = pd.DatetimeIndex(frame["_x"])
    rebase = _rebase_flags(facet, x, request)
    result = xmr_many(
        facet,
        frame["_y"].to_numpy(),
        rebase,
        improvement=request.improvement,
        target=request.target,
        fix_after_n_points=request.fix_after,
        screen_outliers=request.screen_outliers,
        profile=request.profile,
    )
    warnings = tuple(
        f"{_facet_label(result.period_series[p])}period {result.period_group[p] + 1}: {message}"
        for p, message in result.warnings
    )
    y_text = np.where(frame["_y"].isna(), "NA", frame["_y_text"].str.strip()).astype(object)
    return SpcTable(facet, x, frame["_y"].to_numpy(), y_text, result, warnings)


def _facet_label(facet) -> str:
    return f"facet {facet}, " if facet != "" else ""


def _read(request: SpcRequest) -> pd.DataFrame:
    path = Path(request.input)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SpcInputError(f"{path}: cannot read the file as CSV: {error}") from error
    raw.index = raw.index + FIRST_RECORD_ROW
    wanted = [
        request.date,
        request.value,
        *([request.facet] if request.facet else []),
        *(column for column, _ in request.filters),
    ]
    for column in wanted:
        if column not in raw.columns:
            raise SpcInputError(f"{path}, row 1: no column {column!r} (columns: {', '.join(raw.columns)})")
    for column, value in request.filters:
        raw = raw[raw[column] == value]
    if raw.empty:
        raise SpcInputError(f"{path}: no rows left to chart after the filters")
    frame = pd.DataFrame(
        {
            "_facet": raw[request.facet] if request.facet else "",
            "_x": _dates(raw[request.date], path, request.date),
            "_y": _numbers(raw[request.value], path, request.value),
            "_y_text": raw[request.value],
        },
        index=raw.index,
    )
    _check_unique_dates(frame, path, request)
    frame = frame.sort_values(["_facet", "_x"], kind="stable")
    _check_enough_points(frame, path)
    return frame


def _dates(text: pd.Series, path: Path, column: str) -> pd.Series:
    for date_format in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        if parsed.notna().all():
            return parsed
    best = pd.to_datetime(text, format="ISO8601", errors="coerce")
    row = best.index[best.isna()][0]
    raise SpcInputError(
        f"{path}, row {row}, column {column}: {text[row]!r} is not a date "
        "(expected e.g. 2024-04-01 or 01/04/2024)"
    )


def _numbers(text: pd.Series, path: Path, column: str) -> pd.Series:
    stripped = text.str.strip()
    missing = stripped.isin(MISSING)
    try:  # the fast path: Arrow parses clean numbers in C++
        numbers = pc.cast(pa.array(stripped.where(~missing, None), pa.string()), pa.float64())
        return pd.Series(numbers.to_numpy(zero_copy_only=False), index=text.index)
    except pa.ArrowInvalid:
        pass
    parsed = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = parsed.isna() & ~missing
    if bad.any():
        row = bad.index[bad][0]
        raise SpcInputError(f"{path}, row {row}, column {column}: {text[row]!r} is not a number")
    return parsed.astype(float)


def _check_unique_dates(frame: pd.DataFrame, path: Path, request: SpcRequest) -> None:
    repeated = frame.duplicated(["_facet", "_x"], keep="first")
    if repeated.any():
        row = repeated.index[repeated][0]
        first = frame.index[
            (frame["_facet"] == frame.at[row, "_facet"]) & (frame["_x"] == frame.at[row, "_x"])
        ][0]
        where = f" in facet {frame.at[row, '_facet']!r}" if request.facet else ""
        raise SpcInputError(
            f"{path}, row {row}, column {request.date}: the date {frame.at[row, '_x']:%Y-%m-%d} appears again"
            f"{where} (first on row {first}); give one value per date"
        )


def _check_enough_points(frame: pd.DataFrame, path: Path) -> None:
    counts = frame.groupby("_facet", sort=False)["_y"].count()
    short = counts[counts < 2]
    if len(short):
        facet = short.index[0]
        where = f" for facet {facet!r}" if facet != "" else ""
        raise SpcInputError(f"{path}: too few points{where} ({short.iloc[0]}): an XmR chart needs at least 2")


def _rebase_flags(facet: np.ndarray, x: pd.DatetimeIndex, request: SpcRequest) -> np.ndarray:
    flags = np.zeros(len(x), dtype=bool)
    for which, when in request.rebase:
        try:
            date = pd.Timestamp(when)
        except ValueError as error:
            raise SpcInputError(f"--rebase {when!r}: not a date") from error
        facets = [which] if which is not None else list(dict.fromkeys(facet))
        for name in facets:
            rows = np.flatnonzero(facet == name)
            if not len(rows):
                raise SpcInputError(f"--rebase {which}:{when}: there is no facet {which!r}")
            after = rows[x[rows] >= date]
            if len(after) == 0:
                raise SpcInputError(f"--rebase {when}: after the last date{_in_facet(name)}")
            if after[0] != rows[0]:
                flags[after[0]] = True
    return flags


def _in_facet(name) -> str:
    return f" of facet {name!r}" if name != "" else ""


# --- writing, as R's write.csv does -------------------------------------------------------------
# Formatting is the slow part of a large file, so each distinct value is formatted once: limits
# once per period, labels once per facet or date, flags and types from a few fixed strings.


def _r_numbers(values: np.ndarray) -> pa.Array:
    text = [f"{v:.15g}" for v in np.nan_to_num(values, nan=0.0)]
    return pa.array(np.where(np.isnan(values), "NA", np.array(text, dtype=object)), pa.string())


def _lookup(words: list[str], codes: np.ndarray) -> pa.Array:
    return pa.array(words, pa.string()).take(pa.array(codes))


def _r_logicals(values: np.ndarray) -> pa.Array:
    return _lookup(["FALSE", "TRUE", "NA"], np.where(np.isnan(values), 2, np.nan_to_num(values)).astype(int))


def _r_texts(values) -> pa.Array:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    return _lookup(["NA" if pd.isna(u) else '"' + str(u).replace('"', '""') + '"' for u in uniques], codes)


def _x_text(x: pd.DatetimeIndex) -> np.ndarray:
    date_only = bool((x == x.normalize()).all())
    return np.asarray(x.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M:%S"), dtype=object)


def _write_csv(path: Path, header: str, columns: list[pa.Array]) -> None:
    lines = pc.binary_join_element_wise(*columns, ",")
    body = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n")[0]
    quoted_header = ",".join(f'"{h}"' for h in header.split(","))
    with Path(path).open("w") as handle:
        handle.write(quoted_header + "\n")
        if len(lines):
            handle.write(body.as_py() + "\n")


def write_points(table: SpcTable, path: Path) -> None:
    r = table.result
    period = pa.array(table.period)
    relative = _lookup(
        ["-1", "0", "1", "NA"], np.where(np.isnan(r.relative_to_mean), 2, r.relative_to_mean + 1).astype(int)
    )
    _write_csv(
        path,
        "facet,x,y,mean,lpl,upl,outside_limits,relative_to_mean,close_to_limits,point_type",
        [
            _r_texts(table.facet),
            _r_texts(_x_text(table.x)),
            pa.array(table.y_text, pa.string()),
            _r_numbers(r.period_mean).take(period),
            _r_numbers(r.period_lpl).take(period),
            _r_numbers(r.period_upl).take(period),
            _r_logicals(r.outside_limits),
            relative,
            _r_logicals(r.close_to_limits),
            _r_texts(r.point_type),
        ],
    )


def write_summary(table: SpcTable, path: Path) -> None:
    r = table.result
    _write_csv(
        path,
        "facet,rebase_group,mean,lpl,upl,n,variation_type,assurance_type",
        [
            _r_texts(r.period_series),
            pa.array(r.period_group).cast(pa.string()),
            _r_numbers(r.period_mean),
            _r_numbers(r.period_lpl),
            _r_numbers(r.period_upl),
            pa.array(r.period_n).cast(pa.string()),
            _r_texts(r.variation_type),
            _r_texts(r.assurance_type),
        ],
    )
