"""The monthly RTT provider return as NHS England publishes it, parsed into counts by week band.

A return has one line per provider × commissioner × part × treatment function, with 105 week-band
columns (``Gt 00 To 01 Weeks SUM 1`` … ``Gt 103 To 104 Weeks SUM 1``, ``Gt 104 Weeks SUM 1``), a
``Total`` (completed pathways only), ``Patients with unknown clock start date`` and ``Total All``.
The parts: 1A and 1B completed pathways (admitted, non-admitted), 2 the incomplete pathways (the
waiting list), 2A those of them with a decision to admit, 3 new RTT periods (clock starts; no bands,
only ``Total All``). ``C_999`` is the total over treatment functions.

Pure: a table of text cells in, a :class:`RttReturn` out; every problem is one
:class:`RttReturnError` line naming the row, column and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stocktake.waitinglist.count_text import as_number, cut, why_not_a_count
from stocktake.waitinglist.weeks_waited import MAX_MONTHS_WAITED

#: The parts of a return, as published.
PART_TYPES: dict[str, str] = {
    "Part_1A": "Completed Pathways For Admitted Patients",
    "Part_1B": "Completed Pathways For Non-Admitted Patients",
    "Part_2": "Incomplete Pathways",
    "Part_2A": "Incomplete Pathways with DTA",
    "Part_3": "New RTT Periods - All Patients",
}
INCOMPLETE = "Part_2"
WITH_DECISION_TO_ADMIT = "Part_2A"
ADMITTED = "Part_1A"
NON_ADMITTED = "Part_1B"
NEW_PERIODS = "Part_3"
#: The treatment function that totals the others.
ALL_TREATMENT_FUNCTIONS = "C_999"

N_BANDS = 105
#: The published week-band columns in order: band i holds waits of more than i and up to i + 1 weeks,
#: the last band more than 104 weeks.
BAND_COLUMNS: tuple[str, ...] = (
    *(f"Gt {i:02d} To {i + 1:02d} Weeks SUM 1" for i in range(104)),
    "Gt 104 Weeks SUM 1",
)
#: An organisation's code as the returns give it (RBD, R0A, NT4, RBD01): letters and digits.
ORGANISATION_CODE = r"[A-Za-z0-9]{3,7}"
#: A treatment function as returns code it: a specialty (C_110) or one of the groups of others (X02).
TREATMENT_FUNCTION_CODE = r"C_\d{3}|X\d{2}"
#: No cell of a return counts this many: a larger number is from another column (an NHS number?).
MOST_IN_A_CELL = 10_000_000
#: The last band of the older returns (weekly bands to 52 weeks, then one open band).
OLD_OPEN_BAND = "Gt 52 Weeks SUM 1"
ID_COLUMNS = (
    "Period",
    "Provider Org Code",
    "Commissioner Org Code",
    "RTT Part Type",
    "Treatment Function Code",
    "Treatment Function Name",
)
COUNT_COLUMNS = ("Total", "Patients with unknown clock start date", "Total All")
_PERIOD = re.compile(r"^RTT-([A-Za-z]+)-(\d{4})$", re.IGNORECASE)


class RttReturnError(ValueError):
    """A return cannot be read; the message is one line saying where and why."""


@dataclass(frozen=True)
class RttReturn:
    """One month's return: a line per commissioner × part × treatment function, counts by week band.

    ``bands`` is lines × 105 (NaN where the return leaves a band blank, as Part 3 does);
    ``lines`` holds the codes and the published totals.
    """

    month: pd.Period
    providers: tuple[str, ...]
    lines: pd.DataFrame
    bands: np.ndarray
    #: Where it was read from, for messages about it among others.
    source: str = "the return"

    @property
    def parts(self) -> frozenset[str]:
        """The parts the return holds for any treatment function (a month's return without one of
        them does not know it; with it for others only, a treatment function's is 0)."""
        return frozenset(self.lines["part"])

    @property
    def treatment_functions(self) -> dict[str, str]:
        """Code → name of every treatment function in the return."""
        first = self.lines.drop_duplicates("treatment_function")
        return dict(zip(first["treatment_function"], first["treatment_function_name"], strict=True))

    def _chosen(self, part: str, treatment_function: str) -> np.ndarray:
        if part not in PART_TYPES:
            raise KeyError(f"unknown part {part!r}")
        lines = self.lines
        return ((lines["part"] == part) & (lines["treatment_function"] == treatment_function)).to_numpy()

    def holds(self, part: str, treatment_function: str = ALL_TREATMENT_FUNCTIONS) -> bool:
        """Whether the return has any line of the part for the treatment function."""
        return bool(self._chosen(part, treatment_function).any())

    def by_week(self, part: str, treatment_function: str = ALL_TREATMENT_FUNCTIONS) -> np.ndarray:
        """Counts by week band of one part and treatment function, summed over commissioners."""
        if part == NEW_PERIODS:
            raise KeyError("Part_3 (new RTT periods) has no week bands; use total()")
        chosen = self._chosen(part, treatment_function)
        return np.nansum(self.bands[chosen], axis=0)

    def total(self, part: str, treatment_function: str = ALL_TREATMENT_FUNCTIONS) -> float:
        """The published ``Total All`` of one part and treatment function, over commissioners."""
        return float(self.lines.loc[self._chosen(part, treatment_function), "total_all"].sum())

    def unknown_start(self, part: str, treatment_function: str = ALL_TREATMENT_FUNCTIONS) -> float:
        """Pathways whose clock start is not known (in the total, in no band)."""
        values = self.lines.loc[self._chosen(part, treatment_function), "unknown_start"]
        return float(values.fillna(0).sum())


def parse_rtt_return(
    table: pd.DataFrame, source: str = "the return", first_line: int = 2, provider: str | None = None
) -> RttReturn:
    """A provider return read as text (header as published) checked and turned into counts.

    ``first_line`` is the file line of the table's first row (2 below a header), for messages. A
    return holding several providers (NHS England's full file holds them all) is refused unless
    ``provider`` names the one to keep; every line is checked either way, so lines keep their numbers.
    """
    # headers in any case or spacing are the published ones ("PERIOD", "GT 00 TO 01 WEEKS SUM 1"), as a
    # history's are (an outside check had them refused as missing)
    named = (*ID_COLUMNS, *BAND_COLUMNS, *COUNT_COLUMNS, OLD_OPEN_BAND)
    published = {" ".join(c.lower().split()): c for c in named}
    columns = [published.get(" ".join(str(c).lower().split()), str(c).strip()) for c in table.columns]
    if repeated := sorted({c for c in columns if columns.count(c) > 1 and c}):
        raise RttReturnError(f"{source}: more than one column named {repeated[0]!r} (in any case)")
    table = table.set_axis(columns, axis=1)
    missing_ids = [c for c in ID_COLUMNS if c not in columns]
    if missing_ids:
        raise RttReturnError(
            f"{source}: no column {', '.join(missing_ids)}; is this an RTT provider return as published?"
        )
    missing_bands = [c for c in BAND_COLUMNS if c not in columns]
    if missing_bands and OLD_OPEN_BAND in columns and not set(BAND_COLUMNS[52:]) & set(columns):
        raise RttReturnError(
            f"{source}: its week bands stop at {OLD_OPEN_BAND!r}, the older format of the return: everyone "
            "waiting more than 52 weeks is one count, so the 65- and 78-week waits and the months-waited "
            f"bins the projection calibrates on (to {MAX_MONTHS_WAITED} months) cannot be read from it; "
            f"give returns with bands to {BAND_COLUMNS[-1]!r} (those NHS England publishes now)"
        )
    if missing_bands:
        raise RttReturnError(
            f"{source}: missing week-band column{'s' if len(missing_bands) > 1 else ''} "
            f"{_listed(missing_bands)} ({len(missing_bands)} of {N_BANDS}); expected all of "
            f"{BAND_COLUMNS[0]!r} … {BAND_COLUMNS[-1]!r}"
        )
    missing_counts = [c for c in COUNT_COLUMNS if c not in columns]
    if missing_counts:
        raise RttReturnError(f"{source}: no column {', '.join(missing_counts)}")
    line_of = np.arange(len(table)) + first_line
    _refuse_lines_without_a_provider(table, line_of, source)
    table, line_of = _one_provider(table, line_of, source, provider)
    # a missing cell (None, NaN) is blank; the text "nan" or "None" someone wrote is not (an outside
    # check: "None" in a Total read as blank, "NaN" refused)
    text = table.astype(object).where(table.notna(), "").astype(str).apply(lambda column: column.str.strip())
    # Blank lines (a file edited by hand) are skipped, each line keeping its number for messages.
    filled = (text != "").any(axis=1).to_numpy()
    line_of = line_of[filled]
    text = text[filled].reset_index(drop=True)
    if text.empty:
        raise RttReturnError(f"{source}: no lines")
    parts = text["RTT Part Type"]
    unknown = ~parts.isin(PART_TYPES)
    if unknown.any():
        i = int(unknown.to_numpy().argmax())
        raise RttReturnError(
            f"{source}, line {line_of[i]}, RTT Part Type: {parts.iloc[i]!r} is not a part type this "
            f"reader knows; expected one of {', '.join(PART_TYPES)}"
        )
    codes = text["Treatment Function Code"]
    unknown = ~codes.str.fullmatch(TREATMENT_FUNCTION_CODE)
    if unknown.any():  # a line under no treatment function's code is in no one's list
        i = int(unknown.to_numpy().argmax())
        raise RttReturnError(
            f"{source}, line {line_of[i]}, Treatment Function Code: {cut(codes.iloc[i])!r} is not a "
            "treatment function code (like C_110, or X02 for a group of others)"
        )
    periods = text["Period"].unique()
    first_line = {p: int(line_of[(text["Period"] == p).to_numpy().argmax()]) for p in periods}
    month_of = {p: _month(p, source, first_line[p]) for p in periods}
    month = month_of[periods[0]]
    if len(set(month_of.values())) != 1:  # the same month in another case is one month (an outside check)
        other = next(p for p in periods if month_of[p] != month)
        raise RttReturnError(
            f"{source}, line {first_line[other]}, Period: {cut(other)!r}, after {cut(periods[0])!r} from "
            f"line {line_of[0]}: holds more than one period ({', '.join(sorted(cut(p) for p in periods))}); "
            "give one file a month"
        )
    bands = np.column_stack([_counts(text[c], source, c, line_of) for c in BAND_COLUMNS])
    incomplete_or_completed = parts.isin([INCOMPLETE, "Part_2A", ADMITTED, NON_ADMITTED]).to_numpy()
    blank_band = np.isnan(bands) & incomplete_or_completed[:, None]
    if blank_band.any():
        row, band = np.argwhere(blank_band)[0]
        raise RttReturnError(
            f"{source}, line {line_of[row]}, {BAND_COLUMNS[band]}: blank; a {parts.iloc[row]} line "
            "needs a count in every week band"
        )
    lines = pd.DataFrame(
        {
            "provider": text["Provider Org Code"].str.upper().to_numpy(),  # "rbd" is RBD's line
            "commissioner": text["Commissioner Org Code"].to_numpy(),
            "part": parts.to_numpy(),
            "treatment_function": text["Treatment Function Code"].to_numpy(),
            "treatment_function_name": text["Treatment Function Name"].to_numpy(),
            "total": _counts(text["Total"], source, "Total", line_of),
            "unknown_start": _counts(
                text["Patients with unknown clock start date"],
                source,
                "Patients with unknown clock start date",
                line_of,
            ),
            "total_all": _counts(text["Total All"], source, "Total All", line_of),
        }
    )
    if lines["total_all"].isna().any():
        i = int(lines["total_all"].isna().to_numpy().argmax())
        raise RttReturnError(f"{source}, line {line_of[i]}, Total All: blank")
    # Every banded line's Total All is its bands and its unknown clock starts (as published): a shifted
    # column or a mistyped cell would otherwise move patients between bands, or out of the list, unsaid.
    expected = np.nansum(bands, axis=1) + np.nan_to_num(lines["unknown_start"].to_numpy())
    off = incomplete_or_completed & (lines["total_all"].to_numpy() != expected)
    if off.any():
        i = int(off.argmax())
        raise RttReturnError(
            f"{source}, line {line_of[i]}, Total All: {lines['total_all'].iloc[i]:,.0f}, but the line's week "
            f"bands and unknown clock starts add up to {expected[i]:,.0f}; is a column shifted or a cell "
            "mistyped?"
        )
    keys = ["provider", "commissioner", "part", "treatment_function"]
    repeated = lines.duplicated(keys)
    if repeated.any():
        i = int(repeated.to_numpy().argmax())
        raise RttReturnError(
            f"{source}, line {line_of[i]}: repeats the line for {lines['part'].iloc[i]} "
            f"{lines['treatment_function'].iloc[i]} of commissioner {lines['commissioner'].iloc[i]}"
        )
    return RttReturn(month, tuple(sorted(lines["provider"].unique())), lines, bands, source)


def _refuse_lines_without_a_provider(table: pd.DataFrame, line_of: np.ndarray, source: str) -> None:
    """A line with cells but no provider code, with something else where the code should be, or
    with cells missing (its last, ``Total All``, blank: every line has one) is refused, named: kept by
    no ``--provider``, it would leave its patients out of the list unsaid. A line a cell short before
    its code reads the trust's name there, two short a commissioner's code (re-checks: 20,568 of
    21,702 patients dropped). Whose line it is cannot be known, so anyone's is refused. Checked on
    two columns, so a full file stays fast."""
    _refuse_blank_on_a_filled_line(
        table,
        line_of,
        source,
        "Total All",
        "every line of a return has one (a line with a cell missing leaves it blank and its other cells "
        "under the wrong columns). It may be another provider's line",
    )
    _refuse_blank_on_a_filled_line(
        table, line_of, source, "Provider Org Code", "every line of a return names its provider"
    )
    codes = table["Provider Org Code"].astype(str).str.strip()
    header = (codes.str.casefold() == "provider org code").to_numpy()
    if header.any():  # `cat` of two months' files: the second's header is a line of the first
        raise RttReturnError(
            f"{source}, line {line_of[int(header.argmax())]}: the header again, so this file joins two "
            "returns; give one file a month (each with its own header)"
        )
    blank = (codes == "").to_numpy()
    shaped = codes.str.fullmatch(ORGANISATION_CODE, case=False).to_numpy()
    wrong = ~blank & ~shaped
    if wrong.any():
        i = int(wrong.argmax())
        raise RttReturnError(
            f"{source}, line {line_of[i]}, Provider Org Code: {cut(codes.iloc[i])!r} is not an organisation "
            "code (like RBD); is a cell missing or shifted before it? (It may be another provider's line.)"
        )


def _refuse_blank_on_a_filled_line(
    table: pd.DataFrame, line_of: np.ndarray, source: str, column: str, why: str
) -> None:
    """Refuse the first line with cells whose ``column`` is blank (a blank line is skipped)."""
    blank = (table[column].astype(str).str.strip() == "").to_numpy()
    if not blank.any():
        return
    filled = (table[blank].astype(str).apply(lambda cells: cells.str.strip()) != "").any(axis=1).to_numpy()
    if filled.any():
        raise RttReturnError(f"{source}, line {line_of[blank][filled.argmax()]}, {column}: blank; {why}")


def _one_provider(
    table: pd.DataFrame, line_of: np.ndarray, source: str, provider: str | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The lines of one provider, with their file line numbers, before any cell is checked.

    NHS England's full monthly file holds every provider's lines (some 200,000): keeping one trust's
    first makes reading it a matter of a second, and another trust's values are not ours to refuse
    (damage to its lines is: ``_refuse_lines_without_a_provider``).
    Summed, two trusts' lists would be projected as one list, calibrated on neither, so a file of
    several providers needs ``provider``.
    """
    codes = table["Provider Org Code"].astype(str).str.strip().str.upper()  # "rbd" is RBD
    counts = codes[codes != ""].value_counts()
    if provider is None:
        if len(counts) > 1:
            raise RttReturnError(
                f"{source}: holds the returns of {len(counts)} providers ({_listed_found(counts)}); the "
                "model is one provider's list: give --provider CODE to keep one"
            )
        return table, line_of
    keep = (codes == provider.strip().upper()).to_numpy()
    if not keep.any():
        raise RttReturnError(
            f"{source}: has no lines of provider {provider!r} (it holds {_listed_found(counts)})"
        )
    return table[keep].reset_index(drop=True), line_of[keep]


def _listed_found(counts: pd.Series, most: int = 5) -> str:
    """Providers with their line counts, the first few by code (a full file names some 480)."""
    codes = sorted(counts.index)
    if not codes:
        return "no provider codes"
    shown = ", ".join(f"{p} ({counts[p]} lines)" for p in codes[:most])
    return shown + (f" and {len(codes) - most} more" if len(codes) > most else "")


def _listed(names: list[str], most: int = 3) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _month(text: str, source: str, line: int) -> pd.Period:
    match = _PERIOD.match(text)
    if match:
        try:
            return pd.Period(f"{match.group(1)} {match.group(2)}", freq="M")
        except ValueError:
            pass
    raise RttReturnError(
        f"{source}, line {line}, Period: {cut(text)!r} is not a return period (like RTT-November-2024)"
    )


def _counts(text: pd.Series, source: str, column: str, line_of: np.ndarray) -> np.ndarray:
    """Counts from text: blank is NaN; anything else must be a whole number of 0 or more, written
    as :mod:`stocktake.waitinglist.count_text` allows."""
    blank = text == ""
    values = as_number(text.where(~blank))
    bad = (values.isna() & ~blank) | (values < 0) | (values.notna() & (values % 1 != 0))
    over = (values >= MOST_IN_A_CELL).to_numpy()
    bad = bad.to_numpy() | over
    if bad.any():
        i = int(bad.argmax())
        why = (
            f"is more than any list holds (England's whole list is under {MOST_IN_A_CELL:,}); is it a number "
            "from another column?"
            if over[i]
            else why_not_a_count(text.iloc[i])
        )
        raise RttReturnError(f"{source}, line {line_of[i]}, {column}: {cut(text.iloc[i])!r} {why}")
    return values.to_numpy(dtype=float)
