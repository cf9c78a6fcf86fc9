"""Reading a rota's table: a workbook too big to unpack is refused before pandas opens it."""

from __future__ import annotations

import zipfile

import pytest

from stocktake.ingest.read import MAX_XLSX_BYTES
from stocktake.rota.duties import RotaInputError, read_table


def test_a_workbook_that_unpacks_past_the_limit_is_refused_in_one_line(tmp_path):
    bomb = tmp_path / "ward.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (MAX_XLSX_BYTES + 1))
    assert bomb.stat().st_size < 1_000_000  # small on disk
    with pytest.raises(RotaInputError, match=r"ward\.xlsx.*at most 50 MB unpacked"):
        read_table(bomb)
