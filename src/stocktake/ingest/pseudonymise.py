"""Keyed pseudonyms for patient identifiers, and the NHS number check digit.

The key lives outside the warehouse, so the warehouse alone cannot be re-identified, while the same
patient gets the same pseudonym in every extract (so spells can still be linked).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

PSEUDONYM_LENGTH = 20
_SEPARATORS = re.compile(r"[\s-]+")
_TEN_DIGITS = re.compile(r"[0-9]{10}")
#: Ten digits a program wrote as a float: `4478365431.0`, `4.478365431E9`, `4.478365431e+09`. A
#: shorter mantissa is a number rounded for display (Excel's `4.47837E+09`), not the patient's: left
#: as written, it fails the check; seven or eight decimals are a shortest form (`…4300` as `4.4783643E9`).
_AS_FLOAT = re.compile(r"[0-9]{10}\.0*|[0-9]\.[0-9]{7,9}E\+?0*9")
#: Ten digits a spreadsheet wrote as a count, in thousands: `4,478,365,431`, `4.478.365.431`,
#: `4'478'365'431` (spaces and dashes go before this is matched, as they do from every identifier).
_WITH_THOUSANDS = re.compile(r"[0-9]([,.'])[0-9]{3}\1[0-9]{3}\1[0-9]{3}(?:\.0*)?")
#: Digits with up to eight separators between each two (a run of spaces or line breaks is one; no
#: letters): a number as a person or a system groups it (`943 476 5919`, `(943) 476-5919`,
#: `943 – 476 – 5919`, `94 34 76 59 19`, `9,434,765,919`), or several numbers side by side.
_DIGIT_RUN = re.compile(r"[0-9](?:(?:\s++|[^0-9A-Za-z\s]){0,8}[0-9])*")
_DIGITS = re.compile(r"[0-9]+")
#: Ten digits a program wrote as a float, inside text: `4.478365431E+09` (its exponent ends a run).
_FLOAT_IN_TEXT = re.compile(r"(?<![0-9])[0-9]\.[0-9]{7,9}[Ee]\+?0*9(?![0-9])")
_DAY, _MONTH = r"(?:0?[1-9]|[12][0-9]|3[01])", r"(?:0?[1-9]|1[0-2])"
#: A date as extracts and file names write one (`2024-11-30`, `30/11/2024`, `02.01.23`), and a time
#: after it (` 10:00:00`): never a patient's number, and what stands between numbers that are not one.
DATE_WRITTEN = (
    rf"(?:(?:19|20)[0-9]{{2}}[-/.]{_MONTH}[-/.]{_DAY}|{_DAY}[-/.]{_MONTH}[-/.](?:19|20)?[0-9]{{2}})"
)
TIME_WRITTEN = r"[ T]+(?:[01]?[0-9]|2[0-3])[:.][0-5][0-9](?:[:.][0-5][0-9](?:\.[0-9]+)?)?"
_DATE_OR_TIME = re.compile(
    rf"(?<![0-9]){DATE_WRITTEN}(?:{TIME_WRITTEN})?(?![0-9])|(?<![0-9])(?:[01]?[0-9]|2[0-3]):[0-5][0-9]"
    r"(?::[0-5][0-9](?:\.[0-9]+)?)?(?![0-9])"
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
#: Letters typed for digits among digits, in a run of digits and such letters with a digit in it, not
#: inside a word (`Photo2`): O for a zero anywhere in it (`4O1 O23 2137`), l or I for a one between
#: two digits only (`4010232l37`; a recheck: "2l 2l 1l" of fluids had read as digits, and a trailing
#: "l" had made eleven of a number's ten).
_LOOK_ALIKE_DIGITS = re.compile(r"(?<![A-Za-z])[0-9OolI]*[0-9][0-9OolI]*(?![A-Za-z])")
_O_AS_ZERO = str.maketrans("Oo", "00")
_ONE_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[lI](?=[0-9])")
#: A character a web address escapes (`%20` for a space): a separator, or its digits would join the
#: number's (`Letter%209434765919.pdf` read as twelve digits).
URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
#: An ISBN-10 (`ISBN 0-306-40615-2`): its check is the NHS number's, so every one would pass it.
_ISBN = re.compile(r"ISBN(?:-?10)?:?\s*[0-9][0-9 -]{8,14}[0-9Xx]", re.IGNORECASE)
#: As a spreadsheet writes a count (thousands, 1-3-3-3, or a float): masked as ten digits, not as typed.
_AS_A_COUNT = re.compile(r"[0-9][,'.][0-9]{3}[,'.][0-9]{3}[,'.][0-9]{3}(?:\.0*)?|[0-9]\.[0-9]{7,9}[Ee].*")


def ascii_digits(text: str) -> str:
    """``text`` with every digit of another script or form (full-width `９`, Arabic-Indic `٩`,
    superscript `⁹`) as its ASCII digit, one character for one: a number typed so is still the
    patient's to hide."""
    if text.isascii():
        return text

    def one(found: re.Match) -> str:
        digit = unicodedata.digit(found.group(0), None)
        return found.group(0) if digit is None else str(digit)

    return _NON_ASCII.sub(one, text)


def read_as_digits(text: str) -> str:
    """``text`` with its digits of other scripts, and the letters typed for digits among digits, as
    ASCII digits, one character for one."""

    def as_digits(found: re.Match) -> str:
        return _ONE_BETWEEN_DIGITS.sub("1", found.group(0).translate(_O_AS_ZERO))

    return _LOOK_ALIKE_DIGITS.sub(as_digits, ascii_digits(text))


def _as_letters(found: re.Match) -> str:
    """What a match covered, as letters of the same length: it stands between numbers."""
    return "x" * len(found.group(0))


def ten_digit_runs(text: str) -> list[tuple[int, int, str]]:
    """Where ``text`` holds ten digits together, however they are grouped or written, as (start, end,
    the ten digits): each a candidate NHS number (the check digit decides). A run of more digits
    gives each stretch of whole groups holding exactly ten (`3, 9434765919`), or, one group, its ten
    after two or more leading zeros. Not candidates: dates and times (they stand between numbers:
    `2024-01-02 10:00-12:00`), a list (groups after ", "), a telephone number (`+44 …`, or eleven
    digits from one 0), a sum of money (`£12,012,033.09`) or an ISBN. Letters typed for digits among
    digits are read as them; a web address's escapes separate. Places are ``text``'s own."""
    readable = read_as_digits(text)
    found = [
        (m.start(), m.end(), normalised_identifier(m.group(0))) for m in _FLOAT_IN_TEXT.finditer(readable)
    ]
    # dates, times and the floats (candidates already) stand between numbers, read as letters: a
    # number beside a float had been skipped with it (`4010232137 2.123456789E+09` shown whole). Each
    # pass is one regular expression over the text: the time is linear in its length (an outside check
    # held the server for a minute with half a megabyte of "1 " typed into the sign-in's name)
    scanned = _FLOAT_IN_TEXT.sub(_as_letters, readable)
    scanned = _DATE_OR_TIME.sub(_as_letters, scanned)
    scanned = _ISBN.sub(_as_letters, URL_ESCAPE.sub("   ", scanned))
    for run in _DIGIT_RUN.finditer(scanned):
        before = scanned[run.start() - 1 : run.start()]
        if before in ("+", "£", "$", "€"):
            continue
        groups = [(run.start() + g.start(), run.start() + g.end()) for g in _DIGITS.finditer(run.group(0))]
        for i, (first, _) in enumerate(groups):
            digits, end = "", first
            for start, end in groups[i : i + 10]:  # ten groups hold ten digits at most
                digits += readable[start:end]
                if len(digits) >= 10:
                    break
            if len(digits) == 10 and ", " not in scanned[first:end]:
                found.append((first, end, digits))
            elif len(groups) == 1 and digits.startswith("00") and len(digits.lstrip("0")) == 10:
                found.append((first, groups[0][1], digits.lstrip("0")))
    return sorted(found)


class MissingKeyError(ValueError):
    """The warehouse holds pseudonyms made with a key that is not where it was looked for."""


def key_fingerprint(key: bytes) -> str:
    """What a warehouse keeps of the key its pseudonyms were made with: enough to tell another key
    (the wrong backup, another workspace's), nothing to pseudonymise with."""
    return hmac.new(key, b"stocktake: the key of this warehouse", hashlib.sha256).hexdigest()


def load_or_create_key(path: Path, warehouse: Path | None = None) -> bytes:
    """The pseudonymisation key at ``path``, created (readable by its owner only) if absent.

    The key belongs to the warehouse whose pseudonyms it made: a new key for a warehouse that
    already holds loads would silently stop linking every patient to their earlier records, so
    that is refused (MissingKeyError) rather than done.
    """
    path = Path(path)
    if not path.exists():
        if warehouse is not None and _holds_loads(Path(warehouse)):
            raise MissingKeyError(
                f"{path}: no pseudonymisation key here, but {warehouse} already holds loaded data "
                "pseudonymised with one; give the key's path (--key-file) or restore it — a new key "
                "would stop linking patients to their earlier records"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    """The key's 32 bytes; a damaged key file is refused, as pseudonyms made with another key
    would not link to the earlier ones."""
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not hexadecimal text"
        key, problem = b"", reason
    else:
        problem = f"{len(key)} bytes"
    if len(key) != 32:
        raise MissingKeyError(
            f"{path}: not a usable pseudonymisation key ({problem}; expected the 64 hexadecimal "
            "characters Stocktake wrote); restore the key file from its backup"
        )
    return key


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace each identifier with a keyed hash (HMAC-SHA256); blanks stay blank.

    The identifier is normalised first, so `447 836 5431`, `447-836-5431` and `4478365431` are
    the same patient with the same pseudonym, in whichever format each extract writes it.
    """

    def one(value: str) -> str | None:
        normalised = normalised_identifier(value) if value else ""
        if not normalised:
            return None
        return hmac.digest(key, normalised.encode(), hashlib.sha256).hex()[:PSEUDONYM_LENGTH]

    return values.map(one)


def normalised_identifier(value: str) -> str:
    """An identifier as one patient's records share it: no spaces or dashes, letters upper-case
    (exports write NHS numbers `4478365431`, `447 836 5431` or `447-836-5431`), and a ten-digit
    number an export wrote as a float (`4478365431.0`, `4.478365431E9`) as its ten digits, so the
    check digit and the pseudonym are those of the number written plainly; so are its thousands
    separators (`4,478,365,431`)."""
    normal = _SEPARATORS.sub("", value).upper()
    if grouped := _WITH_THOUSANDS.fullmatch(normal):
        normal = normal.replace(grouped[1], "", 3)  # the separators; a trailing ".0" stays for _AS_FLOAT
    return _from_float(normal) if _AS_FLOAT.fullmatch(normal) else normal


def _from_float(written: str) -> str:
    """``4478365431.0`` or ``4.478365431E9`` as ``4478365431``."""
    whole = Decimal(written)
    return f"{whole:.0f}" if whole == whole.to_integral_value() else written


def is_valid_nhs_number(value: str) -> bool:
    """Modulus 11: weights 10…2 on the first nine digits; 11 → 0, 10 → invalid.

    Spaces and dashes are allowed between digits; only the ASCII digits count as digits.
    """
    digits = normalised_identifier(value)
    if not _TEN_DIGITS.fullmatch(digits):
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


#: Nine digits or more, grouped by spaces, dashes, dots or slashes: in a name, an identifier.
_LONG_NUMBER = re.compile(r"\d(?:[ \-./]?\d){8,}")


def _alone(spans: list[tuple[int, int, str]]) -> list[bool]:
    """For each of ``spans`` (sorted by start), whether it overlaps no other: by the furthest end before
    it and the nearest start after it, in one pass each way (comparing each with every other had taken
    minutes on a long cell of candidates)."""
    n = len(spans)
    before, furthest = [0] * n, -1
    for k, (_, end, _) in enumerate(spans):
        before[k], furthest = furthest, max(furthest, end)
    after, nearest = [0] * n, float("inf")
    for k in range(n - 1, -1, -1):
        after[k], nearest = nearest, min(nearest, spans[k][0])
    return [before[k] <= spans[k][0] and spans[k][1] <= after[k] for k in range(n)]


def mask_nhs_numbers(text: str, any_check_digit: bool = False) -> str:
    """``text`` with every NHS number in it masked (all but the first three characters), wherever it
    stands and however it is written: a cell of another column, a file name, a message, a form field.
    Candidates that overlap are all masked (`1234565,943 476 5919` had shown the number's end).
    ``any_check_digit``: every run of nine digits or more, valid or not, for a name where no such number
    belongs (a group's: outside checks saw a mistyped NHS number, one digit short or one too many,
    printed whole as a consultant)."""
    valid = [(a, b, d) for a, b, d in ten_digit_runs(text) if any_check_digit or is_valid_nhs_number(d)]
    readable = read_as_digits(text)
    hidden = [False] * len(text)
    if any_check_digit:
        for run in _LONG_NUMBER.finditer(readable):
            digits = [k for k in range(run.start(), run.end()) if readable[k].isdigit()]
            for k in digits[3:]:
                hidden[k] = True
    whole: list[tuple[int, int, str]] = []  # written as a spreadsheet writes a count: shown as ten digits
    alone = _alone(valid)
    for (start, end, digits), by_itself in zip(valid, alone, strict=True):
        if by_itself and _AS_A_COUNT.fullmatch(readable[start:end]):
            whole.append((start, end, digits))
            continue
        for k in range(start + 3, end):
            hidden[k] = readable[k].isdigit()
    pieces, done = [], 0
    for start, end, digits in whole:
        pieces.append(_starred(text, hidden, done, start))
        pieces.append(digits[:3] + "*" * 7)
        done = end
    pieces.append(_starred(text, hidden, done, len(text)))
    return "".join(pieces)


def _starred(text: str, hidden: list[bool], start: int, end: int) -> str:
    """``text[start:end]`` with its hidden characters as "*"."""
    return "".join("*" if hidden[k] else text[k] for k in range(start, end))


def is_placeholder_nhs_number(value: str) -> bool:
    """One digit ten times (0000000000, 9999999999): every such number passes the modulus 11
    check, and systems write them where the NHS number is unknown."""
    digits = normalised_identifier(value)
    return bool(_TEN_DIGITS.fullmatch(digits)) and len(set(digits)) == 1


def nhs_number_checks(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``is_valid_nhs_number`` and ``is_placeholder_nhs_number`` of every value at once: the
    check digit as array arithmetic, so a million-row extract takes a second, not a minute."""
    text = pd.Series([v if isinstance(v, str) else "" for v in values], index=values.index, dtype=object)
    digits = text.str.replace(_SEPARATORS.pattern, "", regex=True).str.upper()  # normalised_identifier
    thousands = digits.str.fullmatch(_WITH_THOUSANDS.pattern).to_numpy(dtype=bool)
    if thousands.any():
        digits[thousands] = digits[thousands].map(normalised_identifier)
    floats = digits.str.fullmatch(_AS_FLOAT.pattern).to_numpy(dtype=bool)
    if floats.any():
        digits[floats] = digits[floats].map(_from_float)
    ten = digits.str.fullmatch("[0-9]{10}").fillna(False).to_numpy(dtype=bool)
    table = np.frombuffer("".join(digits[ten]).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
    check = (11 - table[:, :9].astype(np.int64) @ np.arange(10, 1, -1) % 11) % 11
    valid, placeholder = ten.copy(), ten.copy()
    valid[ten] = (check != 10) & (check == table[:, 9])
    placeholder[ten] = (table == table[:, :1]).all(axis=1)
    return valid, placeholder & valid


def _holds_loads(warehouse: Path) -> bool:
    """True when the ingest log records any load into ``warehouse``."""
    if not warehouse.exists():
        return False
    import duckdb

    from stocktake.warehouse import connect

    with connect(warehouse, read_only=True) as con:
        try:
            return bool(con.execute("SELECT count(*) FROM ingest_log").fetchall()[0][0])
        except duckdb.CatalogException:
            return False
