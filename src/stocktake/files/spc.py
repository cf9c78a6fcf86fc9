"""SPC on an analyst's table: read and check it, chart every facet at once, write the results.

The output files have the columns and value formats of the NHSRplotthedots reference outputs
(R's write.csv), so they can be diffed against the R package's results.

The table is read as people save it (``ingest.read`` and ``ingest.sniff``: CSV in any common
encoding and delimiter, a workbook's sheet or a Parquet file, a title block and a totals row
skipped; numbers with thousands separators, £ and %; UK dates, month labels, Excel serial dates),
and what was guessed is said in one line. ``strict`` reads a CSV exactly as before.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from warnings import catch_warnings, simplefilter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from stocktake.ingest import sniff
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.ingest.read import ReadError, read_extract
from stocktake.spc.rebase import rebase_point
from stocktake.spc.rules import DEFAULT_PROFILE
from stocktake.spc.xmr import ManyXmr, xmr_many
from stocktake.spreadsheets import as_csv_text

FIRST_RECORD_ROW = 2  # rows are numbered as a spreadsheet shows them: the header is row 1
DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%d/%m/%Y %H:%M")
MISSING = {"", "NA", "N/A", "na", "null", "NULL"}  # NaN is refused: it may be a failed calculation
DELIMITERS = ",;\t"


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
    #: Read the CSV exactly as given (no guessing); the dates' strptime format, if known.
    strict: bool = False
    date_format: str | None = None


@dataclass(frozen=True)
class SpcTable:
    """The charted table: one row per point, sorted by facet and date, and the engine's result."""

    facet: np.ndarray
    x: pd.DatetimeIndex
    y: np.ndarray
    y_text: np.ndarray  # each value as the input file wrote it ("NA" where missing)
    result: ManyXmr
    warnings: tuple[str, ...] = field(default=())
    #: What was guessed to read the file, in one line ("" where nothing was).
    read_as: str = ""

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


def check_outputs(outputs: dict[str, Path | None], input_path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done, so a mistyped folder
    costs nothing and never leaves one file written without the other."""
    given = {option: Path(path) for option, path in outputs.items() if path is not None}
    for option, path in given.items():
        if path.is_dir():
            raise SpcInputError(
                f"{option} {path}: is a folder; expected a file name, like {path / 'out.csv'}"
            )
        if not path.parent.is_dir():
            raise SpcInputError(f"{option} {path}: the folder {path.parent} does not exist; create it first")
        if path.exists() and path.resolve() == Path(input_path).resolve():
            raise SpcInputError(f"{option} {path}: is the input file; choose another name")
    seen: dict[Path, str] = {}
    for option, path in given.items():
        if path.resolve() in seen:
            raise SpcInputError(f"{option} {path}: also given to {seen[path.resolve()]}; choose another name")
        seen[path.resolve()] = option


def run_spc(request: SpcRequest) -> SpcTable:
    """Read, check and chart the request's CSV."""
    if request.target is not None and not math.isfinite(request.target):
        raise SpcInputError(f"--target {request.target}: expected a finite number, like 0.95")
    frame, read_as = _read(request)
    facet = frame["_facet"].to_numpy()
    x = pd.DatetimeIndex(frame["_x"])
    rebase = _rebase_flags(facet, x, request)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, in plain words
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
    _check_limits_finite(result, frame, request)
    warnings = tuple(
        f"{_facet_label(result.period_series[p])}period {result.period_group[p] + 1}: {message}"
        for p, message in result.warnings
    )
    y_text = np.where(frame["_y"].isna(), "NA", frame["_y_text"]).astype(object)
    return SpcTable(facet, x, frame["_y"].to_numpy(), y_text, result, warnings, read_as)


def _check_limits_finite(result: ManyXmr, frame: pd.DataFrame, request: SpcRequest) -> None:
    """Values near the largest float are finite but their limits are not; a chart of them is
    meaningless, so the largest value behind the first overflowing period is named."""
    overflow = np.isinf(result.period_mean) | np.isinf(result.period_lpl) | np.isinf(result.period_upl)
    if not overflow.any():
        return
    rows = np.repeat(np.arange(len(result.period_n)), result.period_n) == np.flatnonzero(overflow)[0]
    magnitude = frame["_y"].abs().where(rows, np.nan)
    row = magnitude.idxmax()
    raise SpcInputError(
        f"{request.input}, row {row}, column {request.value}: {frame.at[row, '_y_text']!r} is too large "
        "to chart (the limits overflow); rescale the values, e.g. into thousands"
    )


def _facet_label(facet) -> str:
    return f"facet {facet}, " if facet != "" else ""


def _delimiter(path: Path) -> str:
    """The header line's delimiter (comma, semicolon or tab): spreadsheets in many European locales
    save CSV with semicolons and decimal commas."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = handle.readline()
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _read_raw(path: Path) -> tuple[pd.DataFrame, str]:
    """Every cell as text; a row with more cells than the header is refused, not silently cut."""
    try:
        delimiter = _delimiter(path)
        with catch_warnings():
            simplefilter("error", pd.errors.ParserWarning)
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, sep=delimiter, index_col=False)
    except pd.errors.ParserWarning as error:
        raise SpcInputError(f"{path}: some rows have more cells than the header (row 1)") from error
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SpcInputError(f"{path}: cannot read the file as CSV: {error}") from error
    raw.index = raw.index + FIRST_RECORD_ROW
    return raw, delimiter


def _read(request: SpcRequest) -> tuple[pd.DataFrame, str]:
    path = Path(request.input)
    wanted = [
        request.date,
        request.value,
        *([request.facet] if request.facet else []),
        *(column for column, _ in request.filters),
    ]
    if request.strict:
        (raw, delimiter), guesses, spreadsheet = _read_raw(path), sniff.Guesses(), False
    else:
        raw, guesses, spreadsheet = _read_leniently(path, wanted)
        delimiter = guesses.delimiter
    header_row = guesses.title_rows[1] + 1 if guesses.title_rows else 1  # under a title block
    for column in wanted:
        if column not in raw.columns:
            columns = ", ".join(raw.columns)
            raise SpcInputError(f"{path}, row {header_row}: no column {column!r} (columns: {columns})")
    for column, value in request.filters:
        raw = raw[raw[column] == value]
    if raw.empty:
        raise SpcInputError(f"{path}: no rows left to chart after the filters")
    if request.strict:
        y_text = _number_text(raw[request.value], decimal_comma=delimiter == ";")
        x = _dates(raw[request.date], path, request.date, request.date_format)
    else:
        x, found = _lenient_dates(raw[request.date], path, request.date, request.date_format, spreadsheet)
        y_text, more = _lenient_number_text(raw[request.value], path, request.value, delimiter == ";")
        guesses = guesses.with_values([*found, *more])
    frame = pd.DataFrame(
        {
            "_facet": raw[request.facet] if request.facet else "",
            "_x": x,
            "_y": _numbers(y_text, raw[request.value], path, request.value),
            "_y_text": y_text,
        },
        index=raw.index,
    )
    _check_unique_dates(frame, path, request)
    frame = frame.sort_values(["_facet", "_x"], kind="stable")
    _check_enough_points(frame, path)
    return frame, guesses.line()


def _read_leniently(path: Path, wanted: list[str]) -> tuple[pd.DataFrame, sniff.Guesses, bool]:
    """The table as ``ingest`` reads an extract (index: the spreadsheet's row numbers), the wanted
    columns found in any case or spacing, and whether it came from a workbook."""
    try:
        extract = read_extract(path, expected_columns=wanted)
    except ReadError as error:
        first = error.errors[0]
        where = f", row {first.row}" if first.row else ""
        where += f", column {first.column}" if first.column else ""
        found = f"{first.value!r}" if first.value else "a blank"
        raise SpcInputError(f"{path}{where}: found {found}, expected {first.expected}") from None
    except OSError as error:
        raise SpcInputError(f"{path}: cannot read the file: {error.strerror}") from error
    raw = extract.frame.copy()
    raw.index = raw.index + FIRST_RECORD_ROW
    renamed = {}
    for name in wanted:
        alike = [c for c in raw.columns if sniff.normal_name(c) == sniff.normal_name(name)]
        if name not in raw.columns and len(alike) == 1:
            renamed[alike[0]] = name
    guesses = extract.guesses.with_values([("headers in another case or spacing", c) for c in renamed])
    return raw.rename(columns=renamed), guesses, extract.spreadsheet


def _lenient_dates(
    text: pd.Series, path: Path, column: str, date_format: str | None, spreadsheet: bool
) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Dates as people write them; one written so its day and month cannot be told apart, in a
    column where no date tells, is refused until ``--date-format`` says which."""
    stripped = text.str.strip()
    if date_format:
        parsed = pd.to_datetime(stripped, format=date_format, errors="coerce")
    else:  # the common case, in C: ISO dates
        iso = stripped.str.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")
        parsed = pd.to_datetime(stripped.where(iso), format="ISO8601", errors="coerce")
    left = parsed.isna().to_numpy()
    notes: tuple[str, ...] = ()
    if left.any():
        reading = sniff.read_dates(stripped[left], sniff.order_of(date_format), serials=spreadsheet)
        if reading.ambiguous.any():
            row = stripped[left].index[reading.ambiguous][0]
            raise SpcInputError(
                f"{path}, row {row}, column {column}: {text[row]!r} could be "
                f"{sniff.ambiguity(stripped[row])} (no date in the column has a day over 12); "
                "give --date-format %d/%m/%Y or %m/%d/%Y"
            )
        parsed = parsed.astype("datetime64[ns]")
        parsed[left] = reading.values.astype("datetime64[ns]").to_numpy()
        notes = tuple(n for n in reading.notes if n != "date-only values at 00:00")  # days, not times
    if parsed.isna().any():
        row = parsed.index[parsed.isna()][0]
        raise SpcInputError(
            f"{path}, row {row}, column {column}: {text[row]!r} is not a date "
            "(expected e.g. 2024-04-01 or 01/04/2024)"
        )
    return parsed, [(note, "") for note in notes]


def _lenient_number_text(
    text: pd.Series, path: Path, column: str, semicolon: bool
) -> tuple[pd.Series, list[tuple[str, str]]]:
    """Each value as plain decimal text (1,234 → 1234, £2,100.00 → 2100.00, 45% → 45: a chart of a
    percentage is drawn in percentage points, as typed); values that are no kind of number are left
    as written, for ``_numbers`` to name."""
    stripped = text.str.strip()
    missing = stripped.isin(MISSING)
    reading = sniff.read_numbers(stripped.where(~missing, ""), semicolon_file=semicolon, percent_points=True)
    if reading.ambiguous.any():
        row = stripped.index[reading.ambiguous][0]
        raise SpcInputError(
            f"{path}, row {row}, column {column}: {text[row]!r} could be a decimal comma or a thousands "
            "separator (a ';'-delimited file, and no other value settles it); write 1234 or 1,234.0"
        )
    return reading.text.where(~missing, stripped), [(note, "") for note in reading.notes]


def _dates(text: pd.Series, path: Path, column: str, given: str | None = None) -> pd.Series:
    for date_format in (given,) if given else DATE_FORMATS:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        if parsed.notna().all():
            return parsed
    best = pd.to_datetime(text, format="ISO8601", errors="coerce")
    row = best.index[best.isna()][0]
    raise SpcInputError(
        f"{path}, row {row}, column {column}: {text[row]!r} is not a date "
        "(expected e.g. 2024-04-01 or 01/04/2024)"
    )


def _number_text(text: pd.Series, decimal_comma: bool) -> pd.Series:
    """Each value stripped, a decimal comma (``3,5`` in a semicolon file) written as a point."""
    stripped = text.str.strip()
    if decimal_comma:
        stripped = stripped.where(stripped.str.contains(".", regex=False), stripped.str.replace(",", "."))
    return stripped


def _numbers(stripped: pd.Series, text: pd.Series, path: Path, column: str) -> pd.Series:
    """Finite numbers or missing; infinities, NaN and overflowing values (1e400) are refused."""
    missing = stripped.isin(MISSING)
    try:  # the fast path: Arrow parses clean numbers in C++
        numbers = pc.cast(pa.array(stripped.where(~missing, None), pa.string()), pa.float64())
        parsed = pd.Series(numbers.to_numpy(zero_copy_only=False), index=text.index)
    except pa.ArrowInvalid:
        parsed = pd.to_numeric(stripped.where(~missing), errors="coerce").astype(float)
        bad = parsed.isna() & ~missing
        if bad.any():
            row = bad.index[bad][0]
            raise SpcInputError(
                f"{path}, row {row}, column {column}: {text[row]!r} is not a number"
            ) from None
    infinite = ~np.isfinite(parsed) & ~missing
    if infinite.any():
        row = infinite.index[infinite][0]
        why = (
            "is not a number (leave the cell empty or write NA where a value is missing)"
            if np.isnan(parsed[row])
            else "is infinite or too large to chart (expected a finite number)"
        )
        raise SpcInputError(f"{path}, row {row}, column {column}: {text[row]!r} {why}")
    return parsed


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
            if not (x[rows] >= date).any():
                raise SpcInputError(f"--rebase {when}: after the last date{_in_facet(name)}")
            point = rebase_point(x[rows], date)
            if point is not None:
                flags[rows[point]] = True
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
    texts = [
        "NA" if pd.isna(u) else '"' + str(as_csv_text(mask_nhs_numbers(str(u)))).replace('"', '""') + '"'
        for u in uniques
    ]
    return _lookup(texts, codes)  # a facet "=HYPERLINK(…)" is text in a spreadsheet, not a formula


def _x_text(x: pd.DatetimeIndex) -> np.ndarray:
    date_only = bool((x == x.normalize()).all())
    return np.asarray(x.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M:%S"), dtype=object)


def _write_csv(path: Path, header: str, columns: list[pa.Array]) -> None:
    lines = pc.binary_join_element_wise(*columns, ",")
    body = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n")[0]
    quoted_header = ",".join(f'"{h}"' for h in header.split(","))
    try:
        with Path(path).open("w") as handle:
            handle.write(quoted_header + "\n")
            if len(lines):
                handle.write(body.as_py() + "\n")
    except OSError as error:
        raise SpcInputError(f"{path}: cannot write the file: {error.strerror}") from error


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
