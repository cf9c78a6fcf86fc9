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
#: One separator a person or a system puts between an NHS number's digits: a space of any kind, a tab,
#: a dash, a dot or a slash (`943.476.5919`, `943/476/5919`).
_GAP = r"[\s./-]"
_THOUSANDS_IN_TEXT = "|".join(
    f"[0-9]{sep}[0-9]{{3}}{sep}[0-9]{{3}}{sep}[0-9]{{3}}" for sep in (",", "'", _GAP)
)
#: Ten digits standing alone in text, grouped 3-3-4, 4-3-3, 5-5, one by one or not at all (`pt 447 836
#: 5431`, `NHS4478365431`, `94347 65919`, `9 4 3 4 7 6 5 9 1 9`), or as a spreadsheet or a system wrote
#: them (`4,478,365,431`, `4 478 365 431`, `4.478365431E+09`): one group, for ``str.extract``. Digits
#: of other scripts (full-width `９`) are read as ASCII first (:func:`ascii_digits`).
NHS_NUMBER_IN_TEXT = (
    rf"(?<![0-9])([0-9]{{3}}{_GAP}?[0-9]{{3}}{_GAP}?[0-9]{{4}}|[0-9]{{4}}{_GAP}[0-9]{{3}}{_GAP}[0-9]{{3}}"
    rf"|[0-9]{{5}}{_GAP}[0-9]{{5}}|[0-9](?:{_GAP}[0-9]){{9}}|{_THOUSANDS_IN_TEXT}"
    r"|[0-9]\.[0-9]{7,9}[Ee]\+?0*9)(?![0-9])"
)
_UNICODE_DIGIT = re.compile(r"[^\x00-\x7f]")


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of another script (full-width `９`, Arabic-Indic `٩`) as its
    ASCII digit, one character for one: a number typed so is still the patient's to hide."""
    if text.isascii():
        return text

    def one(found: re.Match) -> str:
        digit = unicodedata.decimal(found.group(0), None)
        return found.group(0) if digit is None else str(digit)

    return _UNICODE_DIGIT.sub(one, text)


def written_digits(number: str) -> str:
    """The ten digits of an NHS number as :data:`NHS_NUMBER_IN_TEXT` finds it written (a float's by
    :func:`normalised_identifier`, any other's with its separators gone)."""
    number = ascii_digits(number)
    return (
        normalised_identifier(number)
        if number[-1:].isdigit() and "E" in number.upper()
        else re.sub("[^0-9]", "", number)
    )


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


def mask_nhs_numbers(text: str) -> str:
    """``text`` with every NHS number in it masked (all but the first three digits), wherever it
    stands and however it is written: a cell of another column, a file name, a message, a form field."""
    readable = ascii_digits(text)  # one character for one: the places found are the text's places
    pieces, done = [], 0
    for found in re.finditer(NHS_NUMBER_IN_TEXT, readable):
        number = found.group(0)
        if not is_valid_nhs_number(written_digits(number)):
            continue
        if re.fullmatch(rf"[0-9]+(?:{_GAP}[0-9]+)*", number) and not re.fullmatch(
            r"[0-9]\.[0-9]{3}\.[0-9]{3}\.[0-9]{3}", number
        ):  # grouped by gaps: kept so
            shown = number[:3] + re.sub("[0-9]", "*", number[3:])
        else:  # as a spreadsheet wrote it (thousands, a float)
            shown = written_digits(number)[:3] + "*" * 7
        pieces += [text[done : found.start()], shown]
        done = found.end()
    return "".join([*pieces, text[done:]])


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
