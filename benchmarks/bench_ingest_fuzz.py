"""Ingest fuzzing: mutated extract folders through `stocktake ingest`; prints a table per mutation.

Goal: 0 tracebacks, 0 partial loads (the warehouse is either unchanged or fully loaded: every
table compared by content) and 0 wrong loads (a mutation that changes the data must be refused; one
that does not — a byte-order mark, blank lines, CRLF, quoting, shuffled rows — must leave the data
as it was).

Each case starts from a warehouse loaded with the demo's raw exports, puts one mutated export in a
folder of its own and runs `stocktake ingest --partial --yes` on it, in process (so a traceback is
caught and counted). A few mutations cannot always be told from a genuine extract (a file cut off
inside its last value, random bytes that happen to spell another valid value, two columns of the
same kind swapped); their loads are counted as "undetectable", apart from wrong loads.

    .venv/bin/python benchmarks/bench_ingest_fuzz.py [--cases 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

from typer.testing import CliRunner
from warehouse_state import datasets_only, state

from stocktake.cli import app
from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest.load import ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.schemas import DATASETS

MAPPING_ = load_mapping(MAPPING)
BAD_NUMBERS = ["inf", "-inf", "nan", "NaN", "Infinity", "1e400", "12abc", "1,5", "--3"]
BAD_DATES = ["2022-13-45", "32/01/2022 10:00", "31/02/2022", "yesterday", "2022/01/01 25:61", "0"]
#: Mutations that keep what the file says: the data must not change.
KEEPS_DATA = {"bom", "blank_lines", "crlf", "quoted", "shuffled", "header_only"}
#: Sometimes indistinguishable from a genuine extract.
MAY_PASS = {"truncate", "random_bytes", "swap_headers"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="stocktake-fuzz-") as scratch:
        root = Path(scratch)
        raw = root / "raw"
        export(generate(Department(seed=3, months=3)), MAPPING_, raw)
        base = root / "base" / "w.duckdb"
        key_file = root / "secrets" / "pseudonym.key"
        key_file.parent.mkdir()
        key_file.write_text("ab" * 32)
        ingest_directory(raw, MAPPING_, base, bytes.fromhex("ab" * 32))
        before = state(base)
        outcomes, examples, started = defaultdict(Counter), {}, time.perf_counter()
        for case in range(args.cases):
            kind = MUTATIONS[case % len(MUTATIONS)].__name__
            outcome, detail = _case(rng, root, raw, base, key_file, before, kind)
            outcomes[kind][outcome] += 1
            if outcome in ("traceback", "partial", "wrong") and (kind, outcome) not in examples:
                examples[(kind, outcome)] = detail
        _print(outcomes, time.perf_counter() - started, args.cases)
        for (kind, outcome), detail in examples.items():
            print(f"\nfirst {outcome} ({kind}):\n{detail}")


def _case(rng, root, raw, base, key_file, before, kind) -> tuple[str, str]:
    work = root / "case"
    shutil.rmtree(work, ignore_errors=True)
    (work / "in").mkdir(parents=True)
    name = rng.choice(sorted(MAPPING_.datasets))
    file = MAPPING_.datasets[name].file
    data = (raw / file).read_bytes()
    mutated = MUTATIONS_BY_NAME[kind](rng, data, name)
    (work / "in" / file).write_bytes(mutated)
    (work / "wh").mkdir()
    warehouse = work / "wh" / "w.duckdb"
    shutil.copy(base, warehouse)
    result = CliRunner().invoke(
        app,
        [
            *("ingest", str(work / "in"), "--mapping", str(MAPPING), "--warehouse", str(warehouse)),
            *("--key-file", str(key_file), "--partial", "--yes", "--errors", str(work / "errors")),
        ],
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text = "".join(traceback.format_exception(result.exception))
        return "traceback", f"{file}: {text[-1500:]}"
    after = state(warehouse)
    if result.exit_code != 0:
        return ("refused", "") if after == before else ("partial", f"{file}: {result.output[-500:]}")
    same = datasets_only(after) == datasets_only(before)
    if kind in KEEPS_DATA:
        return ("kept", "") if same else ("wrong", f"{file}: data changed: {result.output[-300:]}")
    if same:
        return "kept", ""
    if kind in MAY_PASS:
        return "undetectable", ""
    return "wrong", f"{file}: loaded: {result.output[-500:]}"


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _cells(rng, data: bytes, name: str, kinds: tuple[str, ...]) -> tuple[list[bytes], int, int] | None:
    """The lines, and a random data row and a column of one of ``kinds`` (by the schema)."""
    lines = _lines(data)
    header = lines[0].split(b",")
    mapped = {m.column: DATASETS[name].column(c) for c, m in MAPPING_.datasets[name].columns.items()}
    wanted = [i for i, h in enumerate(header) if h.decode() in mapped and mapped[h.decode()].type in kinds]
    coded = {m.column for m in MAPPING_.datasets[name].columns.values() if m.codes is not None}
    wanted = [i for i in wanted if header[i].decode() not in coded] or None
    rows = [i for i in range(1, len(lines)) if lines[i]]
    if not wanted or not rows:
        return None
    return lines, rng.choice(rows), rng.choice(wanted)


def _set(lines, row, column, value: bytes) -> bytes:
    cells = lines[row].split(b",")
    cells[column] = value
    lines[row] = b",".join(cells)
    return b"\n".join(lines)


def truncate(rng, data, name):
    return data[: rng.randrange(1, len(data))]


def swap_headers(rng, data, name):
    lines = _lines(data)
    header = lines[0].split(b",")
    i, j = rng.sample(range(len(header)), 2)
    header[i], header[j] = header[j], header[i]
    lines[0] = b",".join(header)
    return b"\n".join(lines)


def duplicate_header(rng, data, name):
    lines = _lines(data)
    header = lines[0].split(b",")
    i, j = rng.sample(range(len(header)), 2)
    header[j] = header[i]
    lines[0] = b",".join(header)
    return b"\n".join(lines)


def add_field(rng, data, name):
    lines = _lines(data)
    row = rng.randrange(1, len(lines) - 1)
    lines[row] += b",EXTRA"
    return b"\n".join(lines)


def random_bytes(rng, data, name):
    data = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def bad_number(rng, data, name):
    found = _cells(rng, data, name, ("integer", "number"))
    if found is None:
        return bad_date(rng, data, name)
    return _set(*found, rng.choice(BAD_NUMBERS).encode())


def bad_date(rng, data, name):
    found = _cells(rng, data, name, ("date", "timestamp"))
    return (
        data[: len(data) // 2] + b",,,\n" if found is None else _set(*found, rng.choice(BAD_DATES).encode())
    )


def bad_code(rng, data, name):
    lines = _lines(data)
    header = lines[0].split(b",")
    coded = [
        i
        for i, h in enumerate(header)
        if any(m.column == h.decode() and m.codes for m in MAPPING_.datasets[name].columns.values())
    ]
    row = rng.randrange(1, len(lines) - 1)
    return _set(lines, row, rng.choice(coded), b"ZZ_UNKNOWN")


def latin1(rng, data, name):
    lines = _lines(data)
    row = rng.randrange(1, len(lines) - 1)
    lines[row] = lines[row].replace(b",", b",Caf\xe9 ", 1)  # é in Latin-1
    return b"\n".join(lines)


def utf16(rng, data, name):
    return data.decode().encode("utf-16")


def empty(rng, data, name):
    return b""


def bom(rng, data, name):
    return b"\xef\xbb\xbf" + data


def blank_lines(rng, data, name):
    lines = _lines(data)
    for _ in range(rng.randint(1, 10)):
        lines.insert(rng.randrange(1, len(lines)), b"")
    return b"\n".join(lines)


def crlf(rng, data, name):
    return data.replace(b"\n", b"\r\n")


def quoted(rng, data, name):
    lines = _lines(data)
    plain = [i for i in range(1, len(lines) - 1) if b'"' not in lines[i]]  # splitting on "," is safe
    for row in rng.sample(plain, min(20, len(plain))):
        cells = lines[row].split(b",")
        column = rng.randrange(len(cells))
        cells[column] = b'"' + cells[column] + b'"'
        lines[row] = b",".join(cells)
    return b"\n".join(lines)


def shuffled(rng, data, name):
    lines = [line for line in _lines(data) if line]
    body = lines[1:]
    rng.shuffle(body)
    return b"\n".join([lines[0], *body]) + b"\n"


def header_only(rng, data, name):
    return _lines(data)[0] + b"\n"


MUTATIONS = [
    truncate,
    swap_headers,
    duplicate_header,
    add_field,
    random_bytes,
    bad_number,
    bad_date,
    bad_code,
    latin1,
    utf16,
    empty,
    bom,
    blank_lines,
    crlf,
    quoted,
    shuffled,
    header_only,
]
MUTATIONS_BY_NAME = {m.__name__: m for m in MUTATIONS}


def _print(outcomes, seconds: float, cases: int) -> None:
    columns = ["refused", "kept", "undetectable", "wrong", "partial", "traceback"]
    print(f"{cases} mutated extract folders in {seconds:.0f} s\n")
    print(f"{'mutation':<18}" + "".join(f"{c:>14}" for c in columns))
    totals = Counter()
    for kind in MUTATIONS_BY_NAME:
        totals.update(outcomes[kind])
        print(f"{kind:<18}" + "".join(f"{outcomes[kind][c]:>14}" for c in columns))
    print(f"{'total':<18}" + "".join(f"{totals[c]:>14}" for c in columns))
    goal = totals["traceback"] == totals["partial"] == totals["wrong"] == 0
    print(f"\ngoal (0 tracebacks, 0 partial loads, 0 wrong loads): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
