"""NHS number check digits (published vectors) and keyed pseudonyms."""

from pathlib import Path

import pandas as pd
import pytest

from stocktake.ingest.pseudonymise import is_valid_nhs_number, load_or_create_key, pseudonymise

VECTORS = pd.read_csv(
    Path(__file__).resolve().parents[3] / "shared/fixtures/identifiers/nhs_number_check_digit_vectors.csv",
    dtype=str,
)


@pytest.mark.parametrize("row", VECTORS.to_dict("records"), ids=lambda r: r["nhs_number"])
def test_check_digit_vectors(row):
    assert is_valid_nhs_number(row["nhs_number"]) == (row["valid"] == "TRUE")


def test_not_ten_digits_is_invalid():
    assert not is_valid_nhs_number("943476591")
    assert not is_valid_nhs_number("94347659AB")


def test_pseudonyms_are_stable_per_key_and_hide_the_identifier():
    ids = pd.Series(["9434765919", "4010232137", "9434765919", ""])
    first = pseudonymise(ids, b"a" * 32)
    assert first[0] == first[2] != first[1]
    assert pd.isna(first[3])
    assert "9434765919" not in "".join(first.dropna())
    assert pseudonymise(ids, b"b" * 32)[0] != first[0]


def test_key_is_created_once_and_private(tmp_path):
    path = tmp_path / "secrets" / "key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert load_or_create_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600
