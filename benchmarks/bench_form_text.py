"""How the NHS-number checks grow with the text they read: a form's field (read before sign-in) and an
upload's cell, at 50,000 and 500,000 characters of digits a space apart, the worst case an outside check
found (half a megabyte had held the server for a minute). Linear growth is a ratio near 10.

    .venv/bin/python benchmarks/bench_form_text.py
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.web.form_text import unfit_fields

CASES = {
    "digits a space apart": "1 ",
    "readings that alternate": "1.1 ",
    "counts with thousands commas": "1,111,111,111 ",
    "floats": "4.010232137E+09 ",
}


def _seconds(call, text: str) -> float:
    start = time.perf_counter()
    call(text)
    return time.perf_counter() - start


def main() -> None:
    table = Table(title="NHS-number checks: seconds, and the ratio for ten times the text")
    for column in ("check", "text", "50,000 chars", "500,000 chars", "ratio (10 = linear)"):
        table.add_column(column, justify="right")
    checks = {"form field": lambda t: unfit_fields([("name", t)]), "upload masking": mask_nhs_numbers}
    for name, check in checks.items():
        for label, unit in CASES.items():
            small, large = (_seconds(check, unit * (n // len(unit))) for n in (50_000, 500_000))
            table.add_row(name, label, f"{small:.2f}", f"{large:.2f}", f"{large / small:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
