"""The rota rule book: every rule of the reference table, with its source and confidence."""

import re
from pathlib import Path

from stocktake.rota.rules import RULES

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "nhs_rota_rules.md"


def test_every_rule_of_the_reference_is_known_with_its_source():
    numbers = re.findall(r"^\| (R\d+a?) \|", REFERENCE.read_text(), flags=re.MULTILINE)
    assert len(numbers) >= 20 and set(numbers) <= set(RULES)
    for number in numbers:
        assert RULES[number].source and RULES[number].confidence in "ABC"


def test_the_numbers_the_checker_and_solver_use_live_in_the_rule_book():
    from stocktake.rota import check, rules

    assert check.WEEKEND_BANDS is rules.WEEKEND_BANDS  # imported, not a copy
    assert rules.Limits().pair_window_hours == 48.0  # R13 and R15: the next calendar day
    assert rules.Limits(rest_between_shifts=60.0).pair_window_hours == 60.0  # R4 never cut short
    assert check.weekend_band(1, 2).startswith(rules.WEEKEND_BANDS[0][1])
