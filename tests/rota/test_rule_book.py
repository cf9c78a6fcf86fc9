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
