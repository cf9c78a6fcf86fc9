"""The report tests' shared helper."""

from dataclasses import replace
from pathlib import Path

import pytest

from stocktake.report.run import write_stocktake


@pytest.fixture(scope="session")
def write_with_section_pdf():
    """A function writing a stock-take's HTML and workbook whole, and its PDF with one measure: a test
    of a board section reads the section in the PDF, and the forty charts of every measure (a third of
    a minute to draw) are ``test_outputs``' to check."""

    def write(taken, out: Path) -> dict[str, Path]:
        written = write_stocktake(taken, out, ("html", "xlsx"))
        written += write_stocktake(replace(taken, entries=taken.entries[:1]), out, ("pdf",))
        return {p.suffix: p for p in written}

    return write
