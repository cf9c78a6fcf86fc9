"""Keyed pseudonyms for patient identifiers, and the NHS number check digit.

The key lives outside the warehouse, so the warehouse alone cannot be re-identified, while the same
patient gets the same pseudonym in every extract (so spells can still be linked).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

PSEUDONYM_LENGTH = 20


def load_or_create_key(path: Path) -> bytes:
    """The pseudonymisation key at ``path``, created (readable by its owner only) if absent."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace each identifier with a keyed hash (HMAC-SHA256); blanks stay blank."""

    def one(value: str) -> str | None:
        if not value:
            return None
        digest = hmac.new(key, value.strip().encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_LENGTH]

    return values.map(one)


def is_valid_nhs_number(value: str) -> bool:
    """Modulus 11: weights 10…2 on the first nine digits; 11 → 0, 10 → invalid."""
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])
