"""Procurement's files: order lines read from ORDERS.csv files or warehouses and checked cell by
cell, ratings read from a CSV, and the savings tables written as CSV or Excel, atomically.

Every problem is one line naming the file, the row (or the warehouse's line_id) and the column,
raised before anything is written. Order lines carry no patient identifiers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from stocktake import spreadsheets
from stocktake.files.peer_figures import trust_key
from stocktake.files.spc import SpcInputError, _read_raw
from stocktake.ingest.sniff import number_value
from stocktake.procurement import (
    AgreedSaving,
    Opportunities,
    Opportunity,
    PriceTarget,
    ProcurementInputError,
    Rating,
    Savings,
    Scenario,
    between,
    category_savings,
    find_opportunities,
    item_savings,
    rationalise,
    track,
)
from stocktake.spreadsheets import keep_text
from stocktake.warehouse import WarehouseError, connect, problems

TABLE = "procurement"
OUTPUT_FORMATS = (".csv", ".xlsx")
DATE_FORMATS = ("ISO8601", "%d/%m/%Y")
REQUIRED = ("ordered_on", "site", "item_code", "unit_price", "quantity")
#: What each row label means in a message: a CSV's spreadsheet row, a warehouse's order line.
ROW_WORDS = {"csv": "row", "warehouse": "line_id"}


class ProcurementFileError(ValueError):
    """A file that cannot be used; the message is one line naming file, row and column."""


@dataclass(frozen=True)
class Source:
    path: Path
    kind: str  # csv | warehouse

    @property
    def trust(self) -> str:
        """The trust a source's orders belong to when they carry no ``trust`` column: an orders
        file's name, or the folder (the department's home) holding a warehouse."""
        return self.path.stem if self.kind == "csv" else self.path.resolve().parent.name


def read_orders(
    sources: Sequence[Source],
    *,
    needs: Sequence[str] = (),
    numbers: Sequence[str] = (),
) -> pd.DataFrame:
    """Every source's order lines, checked; indexed by (file, row) for messages. ``needs``: more
    columns that must be filled in (``category`` at category level); ``numbers``: optional numeric
    columns (a contract price). A ``trust`` column is added from the file when there is none. Each
    trust's orders come from one source: a file whose trust is another source's (named like the
    home's folder, or with the same ``trust``) is refused, never merged into that trust's figures."""
    frames, whose = [], {}
    for source in sources:
        raw = _read_csv(source.path) if source.kind == "csv" else _read_warehouse(source.path)
        frame = _checked(raw, source, needs, numbers)
        frame["trust"] = frame["trust"].map(lambda name: " ".join(str(name).split()))
        for trust in pd.unique(frame["trust"]):
            # compared without case or extra spaces (issue 28): "rbd" and "RBD" are one trust
            earlier, spelt = whose.setdefault(trust_key(trust), (source, trust))
            if earlier is source and spelt != trust:
                rows = [frame.index[frame["trust"] == name][0][1] for name in (spelt, trust)]
                raise ProcurementFileError(
                    f"{source.path}, column trust: {trust!r} ({ROW_WORDS[source.kind]} {rows[1]}) and "
                    f"{spelt!r} ({ROW_WORDS[source.kind]} {rows[0]}) differ only in case; write each "
                    "trust's name one way"
                )
            if earlier is not source:
                raise ProcurementFileError(
                    f"{source.path}: its orders are those of {trust!r}, and so are {earlier.path}'s; give "
                    "each trust's orders once (name a peer's trust in a trust column, or name the file after "
                    "it)"
                )
        frames.append(frame)
    orders = pd.concat(frames) if len(frames) > 1 else frames[0]
    if orders["trust"].nunique() > 1:  # two trusts may both have a "General": name each site's trust
        orders = orders.assign(site=orders["trust"] + ": " + orders["site"])
    return orders


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw, _ = _read_raw(path)
    except SpcInputError as error:
        raise ProcurementFileError(str(error)) from None
    except pd.errors.EmptyDataError:  # 0 bytes, or blank lines: pandas says only "No columns to parse"
        raise ProcurementFileError(
            f"{path}: empty (no header row and no order lines); give the procurement columns line_id, "
            "ordered_on, site, item_code, description, category, supplier, unit_price, quantity"
        ) from None
    return raw


def _read_warehouse(path: Path) -> pd.DataFrame:
    if not Path(path).is_file():
        raise ProcurementFileError(f"{path}: no warehouse there (give the file `stocktake ingest` wrote)")
    try:
        with problems(path), connect(path, read_only=True) as con:
            tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if TABLE not in tables:
                raise ProcurementFileError(
                    f"{path}: the warehouse holds no procurement orders; load them with `stocktake ingest`"
                )
            frame = con.execute(f'SELECT * FROM "{TABLE}" ORDER BY line_id').df()
    except WarehouseError as error:
        raise ProcurementFileError(str(error)) from None
    frame.index = frame["line_id"].astype(str)
    return frame


def _checked(raw: pd.DataFrame, source: Source, needs: Sequence[str], numbers: Sequence[str]) -> pd.DataFrame:
    path, word = source.path, ROW_WORDS[source.kind]
    for column in (*REQUIRED, *needs, *numbers):
        if column not in raw.columns:
            raise ProcurementFileError(
                f"{path}, row 1: no column {column!r} (the procurement columns are line_id, ordered_on, "
                "site, item_code, description, category, supplier, unit_price, quantity)"
            )
    frame = raw.copy()
    for column in ("site", "item_code", *needs, *(["trust"] if "trust" in raw.columns else [])):
        frame[column] = _filled_text(raw[column], path, word, column)
    frame["ordered_on"] = _dates(raw["ordered_on"], path, word)
    frame["unit_price"] = _numbers(raw["unit_price"], path, word, "unit_price", required=True)
    frame["quantity"] = _whole_numbers(raw["quantity"], path, word)
    for column in numbers:
        frame[column] = _numbers(raw[column], path, word, column, required=False)
    if "trust" not in frame.columns:
        frame["trust"] = source.trust
    frame.index = pd.MultiIndex.from_arrays([[str(path)] * len(frame), frame.index], names=["file", word])
    return frame


def _first_bad(mask: pd.Series) -> object:
    return mask.index[mask.to_numpy()][0]


def _filled_text(column: pd.Series, path: Path, word: str, name: str) -> pd.Series:
    text = column.astype("string").str.strip()
    missing = text.isna() | (text == "")
    if missing.any():
        raise ProcurementFileError(
            f"{path}, {word} {_first_bad(missing)}, column {name}: missing {_what(name)}"
        )
    return text.astype(str)


def _what(name: str) -> str:
    return {"item_code": "the item code", "site": "the site", "category": "the category"}.get(
        name, f"a value (every order line needs its {name})"
    )


def _dates(column: pd.Series, path: Path, word: str, name: str = "ordered_on") -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    text = column.astype(str).str.strip()
    for date_format in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        if parsed.notna().all():
            return parsed
    best = max(
        (pd.to_datetime(text, format=f, errors="coerce") for f in DATE_FORMATS), key=lambda p: p.notna().sum()
    )
    row = _first_bad(best.isna())
    raise ProcurementFileError(
        f"{path}, {word} {row}, column {name}: {text[row]!r} is not a date "
        "(expected e.g. 2025-04-01 or 01/04/2025, one form throughout the file)"
    )


def _numbers(column: pd.Series, path: Path, word: str, name: str, required: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column):
        parsed = column.astype(float)
        text = column.astype(str)
    else:
        text = column.astype("string").str.strip().fillna("")
        parsed = _as_written(text)
        not_number = parsed.isna() & (text != "")
        if not_number.any():
            row = _first_bad(not_number)
            raise ProcurementFileError(
                f"{path}, {word} {row}, column {name}: {text[row]!r} is not a number "
                "(write 1.5 or 1,234.50: a comma only separates thousands)"
            )
    missing = parsed.isna()
    if required and missing.any():
        raise ProcurementFileError(
            f"{path}, {word} {_first_bad(missing)}, column {name}: missing (expected a price)"
        )
    bad = ~missing & (~np.isfinite(parsed) | (parsed < 0))
    if bad.any():
        row = _first_bad(bad)
        raise ProcurementFileError(
            f"{path}, {word} {row}, column {name}: {text[row]!r} is not a price "
            "(expected a finite amount of 0 or more; a credit note has a negative quantity, not price)"
        )
    return parsed


def _as_written(text: pd.Series) -> pd.Series:
    """Each cell as a number the way people write one in a comma file (``ingest.sniff.number_value``:
    1,234, 1,234.50, £2,100), NaN when it is not one: a decimal comma (1,5), a misplaced comma or
    underscores are never read as some other number (1,5 is not 15), nor a % as a fraction."""
    plain = pd.to_numeric(text.where(~text.str.contains(r"[,_%£]", regex=True), None), errors="coerce")
    rest = ~plain.notna() & (text != "")
    values = plain.astype(float)
    if rest.any():
        read = {v: (None if "%" in v else number_value(v)) for v in pd.unique(text[rest])}
        values = values.where(~rest, text.map(read).astype(float))
    return values


def _whole_numbers(column: pd.Series, path: Path, word: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column):
        parsed, text = column.astype(float), column.astype(str)
    else:
        text = column.astype("string").str.strip().fillna("")
        parsed = _as_written(text)
    bad = parsed.isna() | ~np.isfinite(parsed) | (parsed != np.round(parsed))
    if bad.any():
        row = _first_bad(bad)
        raise ProcurementFileError(
            f"{path}, {word} {row}, column quantity: {text[row]!r} is not a whole number of units "
            "(negative for a credit note)"
        )
    return parsed.astype("int64")


def read_ratings(path: Path) -> dict[str, Rating]:
    """RATINGS.csv: ``item_code,rating`` (an ODEP rating such as 10A*, or a number) per product."""
    raw = _read_csv(path)
    for column in ("item_code", "rating"):
        if column not in raw.columns:
            raise ProcurementFileError(f"{path}, row 1: no column {column!r} (expected item_code,rating)")
    ratings: dict[str, Rating] = {}
    for row, code, text in zip(
        raw.index, raw["item_code"].str.strip(), raw["rating"].str.strip(), strict=True
    ):
        if not code:
            raise ProcurementFileError(f"{path}, row {row}, column item_code: missing the item code")
        if code in ratings:
            raise ProcurementFileError(f"{path}, row {row}, column item_code: {code!r} is rated twice")
        try:
            ratings[code] = Rating.parse(text)
        except ValueError as error:
            raise ProcurementFileError(f"{path}, row {row}, column rating: {error}") from None
    return ratings


def ratings_from_orders(orders: pd.DataFrame, column: str) -> dict[str, Rating]:
    """Ratings from a column of the order lines; each item's lines must agree."""
    ratings: dict[str, Rating] = {}
    for (file, row), code, text in zip(orders.index, orders["item_code"], orders[column], strict=True):
        text = "" if pd.isna(text) else str(text).strip()
        if not text:
            continue
        try:
            rating = Rating.parse(text)
        except ValueError as error:
            raise ProcurementFileError(
                f"{file}, {orders.index.names[1]} {row}, column {column}: {error}"
            ) from None
        if ratings.setdefault(code, rating) != rating:
            raise ProcurementFileError(
                f"{file}, {orders.index.names[1]} {row}, column {column}: item {code} is rated {rating} here "
                f"but {ratings[code]} on an earlier line; give each product one rating"
            )
    return ratings


def describe_input_error(error: ProcurementInputError, orders: pd.DataFrame) -> str:
    """The pure package's error, with the file and rows it came from."""
    rows = list(error.rows)
    if not rows:
        return error.message
    file, word = rows[0][0], orders.index.names[1]
    labels = [str(label) for f, label in rows if f == file]
    shown = ", ".join(labels[:6]) + (", …" if len(labels) > 6 else "")
    plural = "s" if len(labels) > 1 and word == "row" else ""
    return f"{file}, {word}{plural} {shown}, column {error.column}: {error.message}"


# --- one call per command ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SavingsRequest:
    sources: tuple[Source, ...]
    out: Path
    first: pd.Period | None = None
    last: pd.Period | None = None
    by: str = "site"  # site | trust
    level: str = "item"  # item | category
    target: PriceTarget = field(default_factory=PriceTarget)
    category: str = "category"
    #: The department's trust, naming the (one) warehouse's orders in place of its folder's name.
    own_trust: str = ""


@dataclass(frozen=True)
class RationaliseRequest:
    sources: tuple[Source, ...]
    out: Path
    at_least: Rating
    ratings: Path | None = None  # RATINGS.csv, or
    rating_column: str | None = None  # a column of the orders
    keep: int = 2
    last: pd.Period | None = None
    by: str = "site"
    category: str = "category"


def parse_month(text: str | None, option: str) -> pd.Period | None:
    """``2025-04`` as a month; a clear line for anything else."""
    if text is None:
        return None
    try:
        if len(text.strip()) != 7:
            raise ValueError
        return pd.Period(text.strip(), freq="M")
    except ValueError:
        raise ProcurementFileError(f"{option} {text!r}: expected a month as YYYY-MM, like 2025-04") from None


def named_own_trust(orders: pd.DataFrame, warehouse: Path, own_trust: str) -> pd.DataFrame:
    """The warehouse's orders renamed from its folder's name to the department's trust (the home's
    ``stocktake.toml``), as every page and report names it. A peer file whose trust is the department's
    own (in any case and spacing) is refused in one line naming it: merged, another trust's orders would
    change the department's figures."""
    folder = " ".join(Source(Path(warehouse), "warehouse").trust.split())  # as read_orders spells it
    own_trust = " ".join(own_trust.split())
    if not own_trust or own_trust == folder:
        return orders
    # read_orders keeps each trust's orders to one source, so the warehouse's are the only ones under
    # its folder's name
    mine = orders["trust"] == folder
    clash = orders[~mine & (orders["trust"].map(trust_key) == trust_key(own_trust))]
    if not clash.empty:
        raise ProcurementFileError(
            f"{clash.index[0][0]}: its orders are those of {own_trust!r}, the department's own "
            "trust, also the trust of a peer's orders file; name each peer's trust in its trust column"
        )
    return orders.assign(
        trust=orders["trust"].where(~mine, own_trust),
        site=orders["site"].where(~mine, orders["site"].str.replace(f"{folder}: ", f"{own_trust}: ", n=1)),
    )


def savings_from_files(request: SavingsRequest) -> Savings:
    """Read and check the orders, keep the months asked for, and price them; nothing is written."""
    check_output(request.out, [s.path for s in request.sources])
    _check_by(request.by, request.level)
    needs = (request.category,) if request.level == "category" else ()
    numbers = (request.target.column,) if request.target.column else ()
    orders = read_orders(request.sources, needs=needs, numbers=numbers)
    warehouses = [s.path for s in request.sources if s.kind == "warehouse"]
    if request.own_trust and len(warehouses) == 1:
        orders = named_own_trust(orders, warehouses[0], request.own_trust)
    orders = _units(orders, request.by)
    orders = _months(orders, request.first, request.last)
    try:
        if request.level == "category":
            return category_savings(orders, request.by, request.target, request.category)
        return item_savings(orders, request.by, request.target)
    except ProcurementInputError as error:
        raise ProcurementFileError(describe_input_error(error, orders)) from None


def rationalise_from_files(request: RationaliseRequest) -> Scenario:
    check_output(
        request.out, [s.path for s in request.sources] + ([request.ratings] if request.ratings else [])
    )
    _check_by(request.by, "category")
    orders = read_orders(request.sources, needs=(request.category,))
    orders = _units(orders, request.by)
    if request.rating_column is not None:
        if request.rating_column not in orders.columns:
            raise ProcurementFileError(
                f"--rating-column {request.rating_column}: no such column in the orders"
            )
        ratings = ratings_from_orders(orders, request.rating_column)
    elif request.ratings is not None:
        ratings = read_ratings(request.ratings)
    else:
        raise ProcurementFileError("give the products' ratings: --ratings RATINGS.csv or --rating-column COL")
    orders = _months(orders, None, request.last)
    try:
        return rationalise(orders, ratings, request.at_least, request.keep, request.by, request.category)
    except ProcurementInputError as error:
        raise ProcurementFileError(describe_input_error(error, orders)) from None


@dataclass(frozen=True)
class TrackRequest:
    sources: tuple[Source, ...]
    agreed: Path  # AGREED.csv: item_code, from, baseline_price, new_price[, site]
    out: Path
    last: pd.Period | None = None


AGREED_COLUMNS = ("item_code", "from", "baseline_price", "new_price")


def read_agreed(path: Path) -> list[AgreedSaving]:
    """AGREED.csv: one agreed saving a row (``from`` a month, 2025-04, or a date in it)."""
    raw = _read_csv(path)
    for column in AGREED_COLUMNS:
        if column not in raw.columns:
            raise ProcurementFileError(
                f"{path}, row 1: no column {column!r} "
                "(expected item_code,from,baseline_price,new_price and optionally site)"
            )
    codes = _filled_text(raw["item_code"], path, "row", "item_code")
    starts = _dates(raw["from"].where(raw["from"].str.len() != 7, raw["from"] + "-01"), path, "row", "from")
    baseline = _numbers(raw["baseline_price"], path, "row", "baseline_price", required=True)
    new = _numbers(raw["new_price"], path, "row", "new_price", required=True)
    sites = raw["site"].str.strip() if "site" in raw.columns else pd.Series("", index=raw.index)
    return [
        AgreedSaving(code, start.to_period("M"), float(b), float(n), site or None)
        for code, start, b, n, site in zip(codes, starts, baseline, new, sites, strict=True)
    ]


def tracking_from_files(request: TrackRequest) -> pd.DataFrame:
    check_output(request.out, [s.path for s in request.sources] + [request.agreed])
    agreed = read_agreed(request.agreed)
    orders = read_orders(request.sources)
    last = request.last or orders["ordered_on"].max().to_period("M")
    for row, saving in enumerate(agreed, start=2):
        bought = orders["item_code"] == saving.item_code
        if not bought.any():
            raise ProcurementFileError(
                f"{request.agreed}, row {row}, column item_code: {saving.item_code!r} is in no order line"
            )
        if saving.site is not None and not (bought & (orders["site"] == saving.site)).any():
            raise ProcurementFileError(
                f"{request.agreed}, row {row}, column site: {saving.site!r} ordered no {saving.item_code}"
            )
        if saving.start > last:
            raise ProcurementFileError(
                f"{request.agreed}, row {row}, column from: {saving.start} "
                f"is after the last month tracked ({last})"
            )
    return track(orders, agreed, last)


def tracking_table(table: pd.DataFrame) -> pd.DataFrame:
    money = ["spend", "planned_saving", "realised_saving", "cash_releasing", "cost_avoidance"]
    shown = table.assign(
        **{c: table[c].round(2) for c in money}, price_per_unit=table["price_per_unit"].round(4)
    )
    total = {column: None for column in shown.columns}
    total["item_code"] = "Total"
    total.update({c: round(float(table[c].sum(min_count=1)), 2) for c in money[1:]})
    total["spend"] = round(float(table["spend"].sum()), 2)
    return _with_whole_quantities(pd.concat([shown, pd.DataFrame([total])], ignore_index=True))


def _check_by(by: str, level: str) -> None:
    if by not in ("site", "trust"):
        raise ProcurementFileError(f"--by {by}: expected site or trust")
    if level not in ("item", "category"):
        raise ProcurementFileError(f"--level {level}: expected item or category")


def _units(orders: pd.DataFrame, by: str) -> pd.DataFrame:
    if by == "trust" and orders["trust"].nunique() < 2:
        raise ProcurementFileError(
            f"--by trust: the orders are one trust's ({orders['trust'].iloc[0]}); give each trust's "
            "orders (several --orders or --warehouse, or a trust column) to compare trusts"
        )
    return orders


def _months(orders: pd.DataFrame, first: pd.Period | None, last: pd.Period | None) -> pd.DataFrame:
    if first is not None and last is not None and first > last:
        raise ProcurementFileError(f"--from {first} is after --to {last}")
    kept = between(orders, first, last)
    if kept.empty:
        span = f"{orders['ordered_on'].min():%Y-%m} to {orders['ordered_on'].max():%Y-%m}"
        raise ProcurementFileError(f"no order lines between --from and --to (the orders run from {span})")
    return kept


# --- writing ----------------------------------------------------------------------------------------


def check_output(path: Path, inputs: Sequence[Path]) -> None:
    """Refuse an output that cannot be written before any work is done."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise ProcurementFileError(f"--out {path}: write a .csv or .xlsx file")
    if path.is_dir():
        raise ProcurementFileError(
            f"--out {path}: is a folder; expected a file name, like {path / 'out.csv'}"
        )
    if not path.parent.is_dir():
        raise ProcurementFileError(f"--out {path}: the folder {path.parent} does not exist; create it first")
    if any(path.exists() and path.resolve() == Path(i).resolve() for i in inputs):
        raise ProcurementFileError(f"--out {path}: is an input file; choose another name")


def savings_table(savings: Savings) -> pd.DataFrame:
    """The savings as written: pennies and prices to 4 places, then a total row."""
    table = savings.table.copy()
    table[["spend", "potential_saving"]] = table[["spend", "potential_saving"]].round(2)
    table[["price_per_unit", "target_price"]] = table[["price_per_unit", "target_price"]].round(4)
    total = {column: None for column in table.columns}
    total[table.columns[0]] = "Total"
    total["spend"] = round(savings.total_spend, 2)
    total["potential_saving"] = round(savings.total_saving, 2)
    return _with_whole_quantities(pd.concat([table, pd.DataFrame([total])], ignore_index=True))


def _with_whole_quantities(table: pd.DataFrame) -> pd.DataFrame:
    """Quantities stay whole numbers beside the total row's blank."""
    return table.assign(quantity=table["quantity"].astype("Int64"))


def scenario_table(scenario: Scenario) -> pd.DataFrame:
    table = scenario.table.copy()
    for column in ("spend", "scenario_spend", "annual_saving"):
        table[column] = table[column].round(2)
    table["scenario_price_per_unit"] = table["scenario_price_per_unit"].round(4)
    total = {column: None for column in table.columns}
    total[table.columns[0]] = "Total"
    total["spend"] = round(float(scenario.table["spend"].sum()), 2)
    total["scenario_spend"] = round(float(scenario.table["scenario_spend"].sum()), 2)
    total["annual_saving"] = round(scenario.annual_saving, 2)
    return _with_whole_quantities(pd.concat([table, pd.DataFrame([total])], ignore_index=True))


def write_tables(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """``spreadsheets.write_tables``, a failure worded as this file's error."""
    try:
        return spreadsheets.write_tables(sheets, path)
    except OSError as error:
        raise ProcurementFileError(f"{path}: cannot write the file: {error.strerror}") from None


# --- the workspace's and the board report's opportunities -------------------------------------------


def holds_orders(warehouse: Path) -> bool:
    """Whether the warehouse has any procurement order lines loaded."""
    try:
        with problems(warehouse), connect(warehouse, read_only=True) as con:
            tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            return TABLE in tables and con.execute(f'SELECT count(*) FROM "{TABLE}"').fetchone()[0] > 0
    except WarehouseError as error:
        raise ProcurementFileError(str(error)) from None


def warehouse_opportunities(
    warehouse: Path,
    *,
    target: PriceTarget | None = None,
    category: str = "description",
    top: int | None = 10,
    last: pd.Period | None = None,
) -> Opportunities | None:
    """The largest savings by site in the year of a warehouse's procurement orders ending at ``last``
    (default: the last month ordered), None when nothing was ordered by then (a board report for a month
    before the first order has no such section); one line naming the order lines when they cannot be
    priced."""
    orders = read_orders([Source(Path(warehouse), "warehouse")])
    if last is not None:
        orders = between(orders, None, last)
        if orders.empty:
            return None
    if category not in orders.columns:
        raise ProcurementFileError(f"{warehouse}: the procurement orders have no column {category!r}")
    try:
        return find_opportunities(orders, unit="site", target=target, category=category, top=top)
    except ProcurementInputError as error:
        raise ProcurementFileError(describe_input_error(error, orders)) from None


def prices_text(opportunity: Opportunity) -> str:
    """Every unit's price per unit and quantity, cheapest first: the evidence in one cell."""
    return "; ".join(f"{p.unit} £{p.price_per_unit:,.2f} ({p.quantity:,.0f})" for p in opportunity.prices)


def opportunity_table(opportunities: tuple[Opportunity, ...], key: str, description: str) -> pd.DataFrame:
    """The opportunities as a sheet: one row each, pennies rounded, the evidence as text."""
    return pd.DataFrame(
        {
            key: [o.key for o in opportunities],
            description: [o.description for o in opportunities],
            "Site": [o.unit for o in opportunities],
            "Quantity": [round(o.quantity) for o in opportunities],
            "Spend (£)": [round(o.spend, 2) for o in opportunities],
            "Price per unit (£)": [round(o.price_per_unit, 4) for o in opportunities],
            "Target price (£)": [round(o.target_price, 4) for o in opportunities],
            "Potential saving (£)": [round(o.potential_saving, 2) for o in opportunities],
            "Price per unit at each site (quantity)": [prices_text(o) for o in opportunities],
        }
    )


def opportunity_sheets(found: Opportunities) -> dict[str, pd.DataFrame]:
    """About, Items and Categories: what the workbook download and the board workbook hold."""
    about = pd.DataFrame(
        {
            "": [
                "Orders from",
                "Orders to",
                "Compared",
                "Target",
                "Order lines",
                "Spend (£)",
                "Potential saving, items (£)",
                "Potential saving, categories (£)",
                "Like-for-like products grouped by",
                "Method",
            ],
            "Value": [
                str(found.first),
                str(found.last),
                f"{found.unit}s",
                found.target.label,
                found.lines,
                round(found.spend, 2),
                round(found.item_saving, 2),
                round(found.category_saving, 2),
                found.category,
                "OpenPrescribing's price-per-unit savings (Croker et al., BMJ Open 2018): saving = "
                "spend − quantity × target, never below zero",
            ],
        }
    )
    return {
        "About": about,
        "Items": opportunity_table(found.items, "Item code", "Description"),
        "Categories": opportunity_table(found.categories, "Category", "Products bought (quantity at price)"),
    }


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The sheets as an Excel workbook in memory (a download), text kept as text."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes = "A2"
        keep_text(writer.book)
    return buffer.getvalue()


__all__ = [
    "ProcurementFileError",
    "Source",
    "check_output",
    "describe_input_error",
    "holds_orders",
    "opportunity_sheets",
    "prices_text",
    "ratings_from_orders",
    "read_orders",
    "read_ratings",
    "savings_table",
    "scenario_table",
    "warehouse_opportunities",
    "workbook_bytes",
    "write_tables",
]
