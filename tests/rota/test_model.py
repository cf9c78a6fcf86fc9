"""A mistake in a rota specification: its place and what is wrong, on one line."""

from datetime import date

import pytest
import yaml

from stocktake.rota.model import EXAMPLE, RotaSpecError, parse_problem


def test_the_first_mistake_is_shown_plainly_with_the_count_of_all():
    spec = yaml.safe_load(EXAMPLE.read_text()) | {"start": "2026-03-24", "weeks": "many"}
    with pytest.raises(RotaSpecError) as raised:
        parse_problem(spec, where="rota.yaml")
    assert str(raised.value) == (  # 24 March 2026 is a Tuesday; "many" is the second mistake
        "rota.yaml: start: 2026-03-24 is a Tue; a rota period starts on a Monday (2 problem(s) in all)"
    )


def test_a_bare_date_of_leave_is_the_day_it_names():
    """YAML reads ``[2026-02-16]`` as a date, not text: the same leave as the quoted day."""
    bare, quoted = (
        yaml.safe_load(EXAMPLE.read_text().replace("leave: [2026-02-16..2026-02-20]", f"leave: [{day}]"))
        for day in ("2026-02-16", "'2026-02-16'")
    )
    assert parse_problem(bare) == parse_problem(quoted)
    assert {d.id: d.leave for d in parse_problem(bare).doctors}["S2"] == {date(2026, 2, 16)}
