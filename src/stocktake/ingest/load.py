"""Read a directory of raw extracts, check them all, and load them in one transaction.

All or nothing: if any file has an error, nothing is written to the warehouse and the errors are
returned; if the process dies mid-load, DuckDB's transaction leaves the previous state intact.

A newer extract replaces what it covers: rows with the same keys, and every row of the months it
spans at the sites it covers (a record deleted at source disappears; another site's rows stay). A
correction (``replace="rows"``) replaces only the rows with its keys. Because a small file can
still remove many rows, a load that would remove any is refused unless confirmed, and every load
can be previewed first: months covered, rows added, changed and removed per month.

Each load gets a number. The rows it replaced are kept in ``<dataset>__replaced`` and the keys it
wrote in ``ingest_rows``, so the latest load of a dataset can be undone exactly. Loading the same
files with the same mapping again changes nothing. Everything is written to the ingest log: who,
when, which files, their checksum and the mapping's, and how many rows were added, changed and
removed.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from stocktake.ingest.error_report import summary
from stocktake.ingest.mapping import DatasetMapping, Mapping
from stocktake.ingest.pseudonymise import MissingKeyError, key_fingerprint, mask_nhs_numbers
from stocktake.ingest.read import ReadError, read_extract
from stocktake.ingest.schemas import DATASETS, Dataset
from stocktake.ingest.validate import FIRST_RECORD_ROW, RowError, convert, without_blank_rows
from stocktake.warehouse import connect

INGEST_LOG = "ingest_log"
#: The keys each load wrote, by load: what an undo removes.
INGEST_ROWS = "ingest_rows"
#: The rows a load replaced, with its number: what an undo puts back.
HISTORY_SUFFIX = "__replaced"
#: Which key the warehouse's pseudonyms were made with (its fingerprint).
KEY_CHECK = "pseudonym_key_check"
Replace = Literal["months", "rows"]


class IngestError(Exception):
    """The extracts had errors; nothing was loaded. ``read_as``: what was guessed to read them."""

    def __init__(self, errors: list[RowError], read_as: tuple[str, ...] = ()):
        self.errors = errors
        self.read_as = read_as
        super().__init__(summary(errors))  # each kind's count and first rows, not a million lines


class NoExtractsError(ValueError):
    """None of the mapped files is in the folder: a wrong folder or misnamed files, not 'nothing new'."""


class UndoError(ValueError):
    """A load that cannot be undone (unknown, already undone, or followed by a later load)."""


@dataclass(frozen=True)
class LoadedFile:
    dataset: str
    #: The file's name, or the names of the parts of a split export joined by ", ".
    file: str
    rows: int
    sha256: str
    #: The first and last months the extract covers (datasets with a period date).
    first_month: str | None = None
    last_month: str | None = None
    #: The checksum of the dataset's mapping: a corrected mapping loads the same files again.
    mapping_sha256: str = ""
    #: What was guessed to read the file(s), one line per file ("" where nothing was).
    read_as: str = ""
    #: The canonical fields the mapping gave, comma-separated ("": not known): a field left out
    #: loads empty, and its measures are said to lack it rather than counted as zero.
    fields: str = ""
    #: Mapped optional fields blank in every row, comma-separated: said before loading (an outside
    #: check emptied the consultant column unwarned; its drill-downs then had nothing to show).
    blank: str = ""


@dataclass(frozen=True)
class MonthChange:
    """What a load does to one month of one dataset (month None: a dataset without a period)."""

    dataset: str
    month: str | None
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(frozen=True)
class LoadResult:
    """The preview of a load, or what it did (``load_id`` set when it was written)."""

    files: tuple[LoadedFile, ...] = ()
    changes: tuple[MonthChange, ...] = ()
    load_id: int | None = None

    @property
    def removed(self) -> int:
        return sum(c.removed for c in self.changes)

    def total(self, dataset: str, what: str) -> int:
        return sum(getattr(c, what) for c in self.changes if c.dataset == dataset)


class RemovalsNotConfirmed(Exception):
    """The load would remove rows and was not confirmed; nothing was written."""

    def __init__(self, preview: LoadResult):
        self.preview = preview
        super().__init__(f"{preview.removed:,} row(s) would be removed; nothing was loaded")


@dataclass(frozen=True)
class LoadRecord:
    """One dataset's part of a load, as the ingest log holds it."""

    load_id: int
    loaded_at: datetime
    loaded_by: str
    dataset: str
    file: str
    kind: str
    rows: int
    added: int
    changed: int
    removed: int
    undone: bool


@dataclass(frozen=True)
class Undone:
    load_id: int
    undo_id: int
    #: dataset → (rows of the load removed, previous rows restored)
    datasets: dict[str, tuple[int, int]]


def account_name() -> str:
    """Who is loading, when no one is named: the operating system's account running Stocktake (its
    login name, from the environment or the password database), as the ingest log records it."""
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):  # no login name in the environment and no entry for the account
        return "unknown"


def checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def mapping_checksum(mapping: DatasetMapping) -> str:
    """A dataset mapping's checksum: any change to its columns, codes or formats changes it."""
    text = json.dumps(mapping.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


LOG_COLUMNS = (
    ("loaded_at", "TIMESTAMP"),
    ("loaded_by", "VARCHAR"),
    ("dataset", "VARCHAR"),
    ("file", "VARCHAR"),
    ("rows", "BIGINT"),
    ("sha256", "VARCHAR"),
    ("first_month", "VARCHAR"),
    ("last_month", "VARCHAR"),
    ("rows_replaced", "BIGINT"),
    ("load_id", "BIGINT"),
    ("mapping_sha256", "VARCHAR"),
    #: months (a full extract of its months), rows (a correction), or undo
    ("kind", "VARCHAR"),
    ("undoes", "BIGINT"),
    ("rows_added", "BIGINT"),
    ("rows_changed", "BIGINT"),
    ("rows_removed", "BIGINT"),
    #: What the lenient reader guessed (encoding, delimiter, title and totals rows, value forms).
    ("read_as", "VARCHAR"),
    #: The canonical fields the mapping gave (``metrics.run.missing_data`` reads it).
    ("fields", "VARCHAR"),
)
#: A load of the log that has not been undone (loads by older versions have no number).
EFFECTIVE = (
    "load_id IS NOT NULL AND kind IS DISTINCT FROM 'undo' "
    f"AND load_id NOT IN (SELECT undoes FROM {INGEST_LOG} WHERE undoes IS NOT NULL)"
)


def ingest_directory(
    raw_dir: Path,
    mapping: Mapping,
    warehouse: Path,
    key: bytes,
    loaded_by: str | None = None,
    partial: bool = False,
    *,
    replace: Replace = "months",
    confirm_removals: bool = False,
    dry_run: bool = False,
    strict: bool = False,
) -> LoadResult:
    """Validate every mapped extract in ``raw_dir`` and load them all into ``warehouse``, or none.

    Extracts already loaded (the same files read with the same mapping as the dataset's latest
    load) are left alone. ``dry_run`` previews without writing. A load that would remove rows
    raises RemovalsNotConfirmed, writing nothing, unless ``confirm_removals``: a one-row file must
    not silently empty a month. With ``partial``, a mapped extract that is absent is skipped (this
    month's delivery has only some), but at least one must be there. ``strict`` reads the files
    only as the mapping says, guessing nothing (``read``, ``validate``).
    """
    tables, files = read_extracts(raw_dir, mapping, warehouse, key, partial, strict=strict)
    if not tables:
        return LoadResult()
    if dry_run:
        return preview(warehouse, tables, files, replace, key=key)
    return write_tables(
        warehouse, tables, files, loaded_by, replace=replace, confirm_removals=confirm_removals, key=key
    )


def read_extracts(
    raw_dir: Path,
    mapping: Mapping,
    warehouse: Path,
    key: bytes,
    partial: bool = False,
    *,
    strict: bool = False,
) -> tuple[dict[str, pd.DataFrame], list[LoadedFile]]:
    """Each dataset's canonical table, for the extracts not already loaded; IngestError if any
    row of any file is wrong."""
    found = {
        name: extract_files(raw_dir, spec.file, strict=strict) for name, spec in mapping.datasets.items()
    }
    if partial and not any(found.values()):
        raise NoExtractsError(_none_found(raw_dir, mapping))
    latest = _latest_checksums(warehouse)
    tables, loaded, errors = {}, [], []
    for name, spec in mapping.datasets.items():
        paths = found[name]
        if not paths:
            if not partial:
                errors.append(RowError(spec.file, 0, "", "", f"the {name} extract in {raw_dir}"))
            continue
        digest, mapping_digest = _digest(paths), mapping_checksum(spec)
        if latest.get(name) == (digest, mapping_digest):
            continue
        table, found_errors, read_as = _read_dataset(paths, DATASETS[name], spec, key, strict)
        errors += found_errors
        tables[name] = table
        names = ", ".join(p.name for p in paths)
        months = _months(table, DATASETS[name])
        fields = ",".join(sorted(spec.columns))
        blank = ",".join(_blank_fields(table, DATASETS[name], spec.columns))
        loaded.append(
            LoadedFile(name, names, len(table), digest, *months, mapping_digest, read_as, fields, blank)
        )
    if errors:
        raise IngestError(errors, tuple(line for f in loaded for line in f.read_as.splitlines()))
    return tables, loaded


#: How the parts of an export split over several files are named after the mapped file:
#: ``spells_2.csv``, ``spells (2).csv``, ``spells-part2.csv``, ``spells part 2 of 3.csv``.
#: A part number is one or two digits: ``x_2024.csv`` is last year's export, not part 2,024.
PART = r"[ _.-]*(?:part[ _-]*)?\(?\d{1,2}\)?(?:[ _-]*of[ _-]*\d{1,2})?"


def extract_files(raw_dir: Path, file: str, *, strict: bool = False) -> list[Path]:
    """The mapped file and any other parts of the same export, the mapped file first.

    A part must end in its number, so another dataset's file that merely starts with the same
    name (``theatres_cases.csv`` beside ``theatres.csv``) is not taken for a part. Unless
    ``strict``, the name's case does not matter (``SPELLS.CSV`` for ``spells.csv``), as on Windows.
    """
    mapped = Path(raw_dir) / file
    if not mapped.parent.is_dir():
        return []
    flags = 0 if strict else re.IGNORECASE
    pattern = re.compile(re.escape(mapped.stem) + f"(?:{PART})?" + re.escape(mapped.suffix), flags)
    parts = [p for p in mapped.parent.iterdir() if p.is_file() and pattern.fullmatch(p.name)]
    return sorted(parts, key=lambda p: (p.name != mapped.name, p.name))


def _none_found(raw_dir: Path, mapping: Mapping) -> str:
    expected = ", ".join(spec.file for spec in mapping.datasets.values())
    present = sorted(p.name for p in Path(raw_dir).iterdir() if p.is_file()) if Path(raw_dir).is_dir() else []
    shown = ", ".join(present[:10]) + (f" and {len(present) - 10} more" if len(present) > 10 else "")
    return (
        f"{raw_dir}: none of the mapping's extracts is there "
        f"(expected one or more of {expected}; found {shown or 'no files'})"
    )


def _digest(paths: list[Path]) -> str:
    """One file's checksum, or for a split export one checksum over its parts' names and sums."""
    if len(paths) == 1:
        return checksum(paths[0])
    listing = "".join(f"{p.name}\0{checksum(p)}\n" for p in paths)
    return hashlib.sha256(listing.encode()).hexdigest()


def _read_dataset(
    paths: list[Path], schema: Dataset, spec: DatasetMapping, key: bytes, strict: bool = False
) -> tuple[pd.DataFrame, list[RowError], str]:
    """The parts of one dataset's export as one canonical table, with every error in any part and
    what was guessed to read each ("file: guesses" lines)."""
    tables, errors, read_as = [], [], []
    expected = [m.column for m in spec.columns.values()]
    for path in paths:
        try:
            extract = read_extract(path, strict=strict, expected_columns=expected)
        except ReadError as error:
            errors += error.errors
            continue
        except (ValueError, OSError) as error:
            errors.append(RowError(path.name, 0, "", "", f"a readable {path.suffix} file ({error})"))
            continue
        raw = without_blank_rows(extract.frame)
        how = {"spreadsheet": extract.spreadsheet, "semicolon": extract.guesses.delimiter == ";"}
        how["header_row"] = extract.guesses.title_rows[1] + 1 if extract.guesses.title_rows else 1
        table, found, guessed = convert(raw, schema, spec, path.name, key, strict=strict, **how)
        errors += found
        line = extract.guesses.with_values(guessed).line()
        read_as += [mask_nhs_numbers(f"{path.name}: {line}")] if line else []  # a name may hold one
        rows = raw.index + FIRST_RECORD_ROW if len(table) else []  # a spreadsheet's numbers
        tables.append(table.assign(_file=path.name, _row=list(rows)))
    if not tables:
        return pd.DataFrame(), errors, "\n".join(read_as)
    combined = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    if len(tables) > 1:
        errors += _keys_repeated_across_parts(combined, schema, spec)
    return combined.drop(columns=["_file", "_row"]), errors, "\n".join(read_as)


def _keys_repeated_across_parts(table: pd.DataFrame, schema: Dataset, spec: DatasetMapping) -> list[RowError]:
    """A key in two parts of a split export (repeats within one file are found by validation)."""
    keys = table[schema.key]
    first = table[keys.notna() & ~keys.duplicated()].set_index(schema.key)
    repeats = table[keys.notna() & keys.duplicated()]
    column = spec.columns[schema.key].column
    return [
        RowError(file, row, column, str(value), f"a unique {schema.key} ({where} row {at} has it)")
        for value, file, row in zip(repeats[schema.key], repeats["_file"], repeats["_row"], strict=True)
        for where, at in [(first.at[value, "_file"], first.at[value, "_row"])]
        if where != file
    ]


def _months(table: pd.DataFrame, schema: Dataset) -> tuple[str | None, str | None]:
    if schema.period is None or table.empty or table[schema.period].isna().all():
        return None, None
    dates = pd.to_datetime(table[schema.period])
    return dates.min().strftime("%Y-%m"), dates.max().strftime("%Y-%m")


def _latest_checksums(warehouse: Path) -> dict[str, tuple[str, str]]:
    """Each dataset's latest load still in effect: its files' and its mapping's checksums, for
    tables that have every column their schema now has (a warehouse loaded by an older version is
    loaded again, from the same files)."""
    if not Path(warehouse).exists():
        return {}
    with connect(warehouse, read_only=True) as con:
        try:
            rows = con.execute(
                f"SELECT dataset, arg_max(sha256, load_id), arg_max(mapping_sha256, load_id) "
                f"FROM {INGEST_LOG} WHERE {EFFECTIVE} GROUP BY dataset"
            ).fetchall()
        except duckdb.Error:  # no log yet, or one written before loads had numbers
            return {}
        columns = con.execute("SELECT table_name, list(column_name) FROM duckdb_columns() GROUP BY 1")
        present = {table: set(names) for table, names in columns.fetchall()}
    return {
        name: (digest, mapping_digest)
        for name, digest, mapping_digest in rows
        if name in DATASETS and set(DATASETS[name].names) <= present.get(name, set())
    }


def preview(
    warehouse: Path,
    tables: dict[str, pd.DataFrame],
    loaded: list[LoadedFile],
    replace: Replace = "months",
    *,
    key: bytes | None = None,
) -> LoadResult:
    """What loading ``tables`` would do, month by month, without writing anything."""
    exists = Path(warehouse).exists()
    with connect(warehouse if exists else ":memory:", read_only=exists) as con:
        _check_key(con, warehouse, key, record=False)
        changes = []
        for name, table in tables.items():
            _stage(con, table)
            changes += _changes(con, DATASETS[name], name, replace)
    return LoadResult(tuple(loaded), tuple(changes))


def write_tables(
    warehouse: Path,
    tables: dict[str, pd.DataFrame],
    loaded: list[LoadedFile],
    loaded_by: str | None = None,
    *,
    replace: Replace = "months",
    confirm_removals: bool = False,
    key: bytes | None = None,
) -> LoadResult:
    """Merge each extract into its table, keep what it replaced and append to the ingest log, in a
    single transaction; rolled back whole if it would remove rows that were not confirmed, or if
    ``key`` is not the key the warehouse's pseudonyms were made with."""
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    with connect(warehouse) as con:
        con.begin()
        try:
            _ensure_bookkeeping(con)
            _check_key(con, warehouse, key, record=True)
            load_id = _next_load_id(con)
            changes, replaced = [], {}
            for name, table in tables.items():
                _stage(con, table)
                changes += _changes(con, DATASETS[name], name, replace)
                replaced[name] = _merge(con, DATASETS[name], name, replace, load_id)
            result = LoadResult(tuple(loaded), tuple(changes), load_id)
            if result.removed and not confirm_removals:
                raise RemovalsNotConfirmed(LoadResult(result.files, result.changes))
            _log(con, result, tables, replaced, loaded_by or account_name(), replace)
            con.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed commit has ended it: keep its cause
                con.rollback()
            raise
    return result


def _stage(con, table: pd.DataFrame) -> None:
    """Copy an extract into the temporary table ``incoming``: the preview and the merge read it
    several times, and a native table is read far faster than a registered data frame."""
    con.register("incoming_frame", table)
    con.execute("CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM incoming_frame")
    con.unregister("incoming_frame")


def _check_key(con, warehouse: Path, key: bytes | None, *, record: bool) -> None:
    """Refuse a key other than the one the warehouse's pseudonyms were made with (a patient would
    get a second pseudonym and stop linking); the first load records which key that is."""
    if key is None:
        return
    if not _exists(con, KEY_CHECK):
        if record:
            con.execute(f"CREATE TABLE {KEY_CHECK} (fingerprint VARCHAR)")
            con.execute(f"INSERT INTO {KEY_CHECK} VALUES (?)", [key_fingerprint(key)])
        return
    ((kept,),) = con.execute(f"SELECT fingerprint FROM {KEY_CHECK}").fetchall()
    if kept != key_fingerprint(key):
        raise MissingKeyError(
            f"{warehouse}: its pseudonyms were made with another key than the one given; give that "
            "key (--key-file), or the same patient would get a second pseudonym and stop linking"
        )


def _ensure_bookkeeping(con) -> None:
    columns = ", ".join(f"{name} {kind}" for name, kind in LOG_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {INGEST_LOG} ({columns})")
    for name, kind in LOG_COLUMNS:  # logs written by earlier versions gain the new columns
        con.execute(f"ALTER TABLE {INGEST_LOG} ADD COLUMN IF NOT EXISTS {name} {kind}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {INGEST_ROWS} (load_id BIGINT, dataset VARCHAR, key VARCHAR)")


def _next_load_id(con) -> int:
    return con.execute(f"SELECT coalesce(max(load_id), 0) + 1 FROM {INGEST_LOG}").fetchall()[0][0]


def _exists(con, name: str) -> bool:
    query = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(con.execute(query, [name]).fetchall()[0][0])


def _columns(con, name: str) -> list[str]:
    return [row[0] for row in con.execute(f'DESCRIBE "{name}"').fetchall()]


def _scope(schema: Dataset, replace: Replace) -> str:
    """The existing rows (alias ``t``) that the ``incoming`` rows supersede: those with the same
    keys and, for a full extract, every row of each month at each site it covers."""
    key = f't."{schema.key}" IN (SELECT "{schema.key}" FROM incoming)'
    if replace == "rows" or schema.period is None:
        return key
    same = [f"date_trunc('month', i.\"{schema.period}\") = date_trunc('month', t.\"{schema.period}\")"]
    if "site" in schema.names:
        same.append("i.site IS NOT DISTINCT FROM t.site")
    return f"{key} OR EXISTS (SELECT 1 FROM incoming i WHERE {' AND '.join(same)})"


def _month(schema: Dataset, alias: str) -> str:
    if schema.period is None:
        return "CAST(NULL AS VARCHAR)"
    return f"strftime(date_trunc('month', {alias}.\"{schema.period}\"), '%Y-%m')"


def _changes(con, schema: Dataset, name: str, replace: Replace) -> list[MonthChange]:
    """Per month, the ``incoming`` rows that are new, changed or the same, and the rows that go."""
    counts: dict[str | None, dict[str, int]] = {}
    if not _exists(con, name):
        added = con.execute(f"SELECT {_month(schema, 'i')}, count(*) FROM incoming i GROUP BY 1")
        for month, n in added.fetchall():
            counts[month] = {"added": n}
    else:
        key = schema.key
        incoming = _columns(con, "incoming")
        common = [c for c in _columns(con, name) if c in incoming and c != key]
        same = " AND ".join(f'i."{c}" IS NOT DISTINCT FROM t."{c}"' for c in common) or "true"
        compared = con.execute(
            f'SELECT {_month(schema, "i")}, count(*) FILTER (WHERE t."{key}" IS NULL), '
            f'count(*) FILTER (WHERE t."{key}" IS NOT NULL AND NOT ({same})), '
            f'count(*) FILTER (WHERE t."{key}" IS NOT NULL AND ({same})) '
            f'FROM incoming i LEFT JOIN "{name}" t ON i."{key}" = t."{key}" GROUP BY 1'
        )
        for month, added, changed, unchanged in compared.fetchall():
            counts[month] = {"added": added, "changed": changed, "unchanged": unchanged}
        removed = con.execute(
            f'SELECT {_month(schema, "t")}, count(*) FROM "{name}" t WHERE ({_scope(schema, replace)}) '
            f'AND t."{key}" NOT IN (SELECT "{key}" FROM incoming) GROUP BY 1'
        )
        for month, n in removed.fetchall():
            counts.setdefault(month, {})["removed"] = n
    return [MonthChange(name, month, **counts[month]) for month in sorted(counts, key=lambda m: m or "")]


def _merge(con, schema: Dataset, name: str, replace: Replace, load_id: int) -> int:
    """Put the registered ``incoming`` rows in place of those they supersede, keeping those in the
    history table under ``load_id``; how many went."""
    con.execute(
        f'INSERT INTO {INGEST_ROWS} SELECT ?, ?, CAST("{schema.key}" AS VARCHAR) FROM incoming',
        [load_id, name],
    )
    if not _exists(con, name):
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        return 0
    history = name + HISTORY_SUFFIX
    empty = f'SELECT *, CAST(NULL AS BIGINT) AS _load_id FROM "{name}" LIMIT 0'
    con.execute(f'CREATE TABLE IF NOT EXISTS "{history}" AS {empty}')
    present, kept = set(_columns(con, name)), set(_columns(con, history))
    for column, kind, *_ in con.execute("DESCRIBE incoming").fetchall():
        for table, columns in ((name, present), (history, kept)):
            if column not in columns:  # a column the schema gained since the table was made
                con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {kind}')
    scope = _scope(schema, replace)
    con.execute(
        f'INSERT INTO "{history}" BY NAME SELECT *, ? AS _load_id FROM "{name}" t WHERE {scope}', [load_id]
    )
    removed = con.execute(f'DELETE FROM "{name}" t WHERE {scope}').fetchall()[0][0]
    con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM incoming')
    return int(removed)


def _log(con, result: LoadResult, tables, replaced, user: str, replace: Replace) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    files = {f.dataset: f for f in result.files}
    rows = []
    for name, table in tables.items():
        f = files.get(name) or LoadedFile(name, "", len(table), "")
        rows.append(
            (
                now,
                user,
                name,
                f.file,
                f.rows,
                f.sha256,
                f.first_month,
                f.last_month,
                replaced.get(name, 0),
                result.load_id,
                f.mapping_sha256,
                replace,
                None,
                result.total(name, "added"),
                result.total(name, "changed"),
                result.total(name, "removed"),
                f.read_as,
                f.fields or None,
            )
        )
    _insert_log(con, rows)


def _insert_log(con, rows: list[tuple]) -> None:
    if rows:
        names = ", ".join(name for name, _ in LOG_COLUMNS)
        marks = ", ".join("?" * len(LOG_COLUMNS))
        con.executemany(f"INSERT INTO {INGEST_LOG} ({names}) VALUES ({marks})", rows)


def already_loaded(warehouse: Path, raw_dir: Path, mapping: Mapping, *, strict: bool = False) -> bool:
    """True when the warehouse's latest load of every dataset came from these very files, read with
    this very mapping."""
    latest = _latest_checksums(warehouse)
    for name, spec in mapping.datasets.items():
        paths = extract_files(raw_dir, spec.file, strict=strict)
        if not paths or latest.get(name) != (_digest(paths), mapping_checksum(spec)):
            return False
    return True


# Undoing a load


def undo_load(warehouse: Path, load_id: int | None = None, undone_by: str | None = None) -> Undone:
    """Take a load back out: remove the rows it wrote and restore those it replaced, exactly, in
    one transaction, and log it. Without ``load_id``, the latest load still in effect.

    Only a dataset's latest load can be undone (a later load may have replaced its rows): undo
    the later one first.
    """
    if not Path(warehouse).exists():
        raise UndoError(f"{warehouse}: no such warehouse")
    with connect(warehouse) as con:
        con.begin()
        try:
            _ensure_bookkeeping(con)
            target = load_id if load_id is not None else _latest_load(con, warehouse)
            datasets = _undoable_datasets(con, target, warehouse)
            undo_id = _next_load_id(con)
            done = {name: _restore(con, DATASETS[name], name, target) for name in datasets}
            now = datetime.now(UTC).replace(tzinfo=None)
            user = undone_by or account_name()
            _insert_log(
                con,
                [
                    (
                        now,
                        user,
                        name,
                        f"undo of load {target}",
                        restored,
                        None,
                        None,
                        None,
                        removed,
                        undo_id,
                        None,
                        "undo",
                        target,
                        restored,
                        0,
                        removed,
                        None,
                        None,
                    )
                    for name, (removed, restored) in done.items()
                ],
            )
            con.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed commit has ended it: keep its cause
                con.rollback()
            raise
    return Undone(target, undo_id, done)


def _latest_load(con, warehouse: Path) -> int:
    latest = con.execute(f"SELECT max(load_id) FROM {INGEST_LOG} WHERE {EFFECTIVE}").fetchall()[0][0]
    if latest is None:
        raise UndoError(f"{warehouse}: no load to undo")
    return int(latest)


def _undoable_datasets(con, target: int, warehouse: Path) -> list[str]:
    """The datasets of load ``target``, if it can be undone; otherwise UndoError saying why."""
    datasets = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT dataset FROM {INGEST_LOG} WHERE load_id = ? AND kind IN ('months', 'rows') "
            "ORDER BY 1",
            [target],
        ).fetchall()
    ]
    if not datasets:
        undoes = con.execute(f"SELECT max(undoes) FROM {INGEST_LOG} WHERE load_id = ?", [target]).fetchall()[
            0
        ][0]
        if undoes is not None:  # an outside check: "no such load" of the number the undo had printed
            raise UndoError(
                f"load {target}: the undo of load {undoes}, not a load of data; to put load {undoes}'s rows "
                "back, load its files again"
            )
        raise UndoError(f"load {target}: no such load in {warehouse}")
    undone = con.execute(f"SELECT min(load_id) FROM {INGEST_LOG} WHERE undoes = ?", [target]).fetchall()[0][0]
    if undone is not None:
        raise UndoError(f"load {target}: already undone (by load {undone})")
    later = con.execute(
        f"SELECT load_id, dataset FROM {INGEST_LOG} WHERE {EFFECTIVE} AND load_id > ? "
        f"AND dataset IN (SELECT unnest(?)) ORDER BY load_id DESC LIMIT 1",
        [target, datasets],
    ).fetchall()
    later = later[0] if later else None
    if later is not None:
        raise UndoError(
            f"load {target}: load {later[0]} loaded {later[1]} after it; undo load {later[0]} first"
        )
    return datasets


def _restore(con, schema: Dataset, name: str, target: int) -> tuple[int, int]:
    """Remove the rows load ``target`` wrote to ``name`` and put back those it replaced."""
    written = f"SELECT key FROM {INGEST_ROWS} WHERE load_id = ? AND dataset = ?"
    removed = con.execute(
        f'DELETE FROM "{name}" WHERE CAST("{schema.key}" AS VARCHAR) IN ({written})', [target, name]
    ).fetchall()[0][0]
    restored, history = 0, name + HISTORY_SUFFIX
    if _exists(con, history):
        restored = con.execute(
            f'INSERT INTO "{name}" BY NAME SELECT * EXCLUDE (_load_id) FROM "{history}" WHERE _load_id = ?',
            [target],
        ).fetchall()[0][0]
        con.execute(f'DELETE FROM "{history}" WHERE _load_id = ?', [target])
    con.execute(f"DELETE FROM {INGEST_ROWS} WHERE load_id = ? AND dataset = ?", [target, name])
    return int(removed), int(restored)


def recent_loads(warehouse: Path, limit: int = 20) -> list[LoadRecord]:
    """The latest loads and undos, newest first, one record per dataset of each."""
    if not Path(warehouse).exists():
        return []
    with connect(warehouse, read_only=True) as con:
        try:
            rows = con.execute(
                f"SELECT load_id, loaded_at, loaded_by, dataset, file, kind, rows, "
                f"coalesce(rows_added, 0), coalesce(rows_changed, 0), coalesce(rows_removed, 0), "
                f"load_id IN (SELECT undoes FROM {INGEST_LOG} WHERE undoes IS NOT NULL) "
                f"FROM {INGEST_LOG} WHERE load_id IS NOT NULL ORDER BY load_id DESC, dataset LIMIT ?",
                [limit],
            ).fetchall()
        except duckdb.Error:
            return []
    return [LoadRecord(*row) for row in rows]


def _blank_fields(table: pd.DataFrame, schema, mapped) -> list[str]:
    """The mapped optional fields of ``table`` with no value in any row."""
    if table.empty:
        return []
    optional = [c.name for c in schema.columns if not c.required and c.name in mapped and c.name in table]
    return [
        name for name in optional if table[name].astype("string").str.strip().replace("", pd.NA).isna().all()
    ]


def blank_line(f: LoadedFile) -> str:
    """What a load's fields blank in every row mean, or ""."""
    if not f.blank:
        return ""
    named = ", ".join(f.blank.split(","))
    return f"{named}: blank in every row of {f.file}, so nothing will be broken down or measured by it"


def preview_lines(result: LoadResult) -> list[str]:
    """The preview (or, once loaded, the account) as lines to read: per dataset its files, then
    each month that changes (months where every row is the same are counted, not listed)."""
    lines = []
    for f in result.files:
        months = f" ({f.first_month} to {f.last_month})" if f.first_month else ""
        verb = "Loaded" if result.load_id is not None else "Would load"
        lines.append(f"{verb} {f.rows:,} rows of {f.dataset} from {f.file}{months}")
        lines += [f"  {line}" for line in f.read_as.splitlines()]
        lines += [f"  {blank_line(f)}"] if f.blank else []
        changes = [c for c in result.changes if c.dataset == f.dataset]
        for c in changes:
            if c.added or c.changed or c.removed:
                lines.append(
                    f"  {c.month or 'all rows'}: {c.added:,} added, {c.changed:,} changed, "
                    f"{c.unchanged:,} unchanged, {c.removed:,} removed"
                )
        same = sum(1 for c in changes if not (c.added or c.changed or c.removed))
        if same:
            lines.append(f"  {same} month(s) unchanged")
    return lines
